"""The `hw3` command: every verb's --help exits 0 and states its outputs; errors follow one exit-code policy."""

import subprocess
import sys

import pytest
from support import REPO

from hw3 import cli
from hw3.errors import EXIT_USAGE
from hw3.project import RepositoryNotFound, find_repository


@pytest.mark.parametrize("verb", sorted(cli.VERBS))
def test_every_verb_help_exits_0_and_states_its_outputs_and_exit_codes(verb, capsys):
    assert cli.main([verb, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"hw3 {verb}" in text and "Exit 0" in text.replace("exit: 0", "Exit 0"), text[-400:]


def test_top_level_help_exits_0_and_lists_every_verb(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(verb in out for verb in cli.VERBS)


def test_no_verb_or_an_unknown_verb_is_a_usage_error(capsys):
    assert cli.main([]) == EXIT_USAGE
    assert cli.main(["grde"]) == EXIT_USAGE
    assert "unknown verb 'grde'" in capsys.readouterr().err


def test_python_dash_m_hw3_runs_the_same_command():
    done = subprocess.run([sys.executable, "-m", "hw3", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "verbs:" in done.stdout


def test_repository_is_found_by_walking_up_from_the_current_folder(tmp_path):
    assert find_repository(start=REPO / "tests" / "grading").root == REPO
    assert find_repository(REPO).root == REPO
    with pytest.raises(RepositoryNotFound, match="--repo"):
        find_repository(start=tmp_path)
    with pytest.raises(RepositoryNotFound, match="not the DL HW3 repository"):
        find_repository(tmp_path)


def test_a_verb_outside_the_repository_says_how_to_name_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["calibrate", "--out", str(tmp_path / "cal")]) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pass --repo DIR" in err[0] and not (tmp_path / "cal").exists()
