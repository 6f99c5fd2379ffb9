"""The students' `submit.py`: generated from the modules `hw3 pack`/`hw3 check` run, it runs on a Python
with no third-party package (`python -S`, and the oldest Python it supports) and gives `hw3 check`'s
verdicts, line for line, on every submission fixture.
"""

import ast
import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import submission_fixtures as sf
from support import NOTEBOOKS, needs_tool

from hw3.submission import standalone
from hw3.submission.cli import pack_main
from hw3.submission.pack import release_folder
from hw3.submission.rules import PDF_NAME

OLDEST_PYTHON = standalone.OLDEST_PYTHON
RUN_TIMEOUT = 120
PERSIAN_NAME = "علی مومن"


def run_submit(
    script: Path, *args, python: str = sys.executable, cwd=None, **env
) -> subprocess.CompletedProcess:
    """`python -S submit.py ARGS` (no site-packages), from `cwd` (default: a folder other than the script's)."""
    return subprocess.run(
        [python, "-S", str(script), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or script.parent.parent,
        env=sf.bare_env(**env),
        timeout=RUN_TIMEOUT,
    )


def student_folder(root: Path, members=None) -> Path:
    """An unzipped student release: submit.py beside hafez/, apple_stock/ and theory/ holding `members`."""
    folder = root / "HW3"
    for name, data in (members or sf.valid_members()).items():
        (folder / release_folder(name)).mkdir(parents=True, exist_ok=True)
        (folder / release_folder(name) / name).write_bytes(data)
    shutil.copy(sf.SUBMIT_SCRIPT, folder / "submit.py")
    return folder


def oldest_python() -> str | None:
    """A Python 3.8 interpreter on this machine (on PATH or installed by pyenv), or None."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [shutil.which("python3.8")] + sorted(
        glob.glob(f"{pyenv_root}/versions/3.8*/bin/python3.8")
    )
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
            env=sf.bare_env(),
        )
        if probe.returncode == 0 and probe.stdout.strip() == str(OLDEST_PYTHON):
            return candidate
    return None


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> dict:
    return sf.write_every_fixture(tmp_path_factory.mktemp("fixtures"))


# --- generated, committed, standard library only ---------------------------------------------------


def test_committed_submit_py_equals_a_fresh_generation():
    assert sf.SUBMIT_SCRIPT.read_text(encoding="utf-8") == standalone.submit_script(
        notebooks=NOTEBOOKS
    ), (
        "student/submit.py is stale: regenerate it with hw3.release.extras.write_student_extras (or hw3 release)"
    )


def test_submit_py_is_python_3_8_with_standard_library_imports_only():
    tree = ast.parse(sf.SUBMIT_SCRIPT.read_text(encoding="utf-8"), feature_version=OLDEST_PYTHON)
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    roots = {
        alias.name.split(".")[0]
        for node in top_level
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    roots |= {node.module.split(".")[0] for node in top_level if isinstance(node, ast.ImportFrom)}
    assert roots and roots <= set(sys.stdlib_module_names) | {"__future__"}, roots - set(
        sys.stdlib_module_names
    )
    nested = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom)) and node not in top_level
    ]
    assert {alias.name for node in nested for alias in node.names} <= {"pypdf", "logging"}


def test_submit_py_carries_the_declared_notebooks_as_a_literal_and_runs_main_with_them():
    tree = ast.parse(sf.SUBMIT_SCRIPT.read_text(encoding="utf-8"))
    assigned = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and [getattr(t, "id", None) for t in node.targets] == [standalone.NOTEBOOKS_NAME]
    ]
    assert len(assigned) == 1 and ast.literal_eval(assigned[0]) == NOTEBOOKS
    assert tree.body[-1].test.comparators[0].value == "__main__"  # the call comes last
    assert "main(notebooks=NOTEBOOKS)" in ast.unparse(tree.body[-1])


def test_a_generated_submit_py_follows_the_notebooks_it_is_given(tmp_path):
    script = tmp_path / "submit.py"
    script.write_text(standalone.submit_script(notebooks=("toy.ipynb",)), encoding="utf-8")
    shown = run_submit(script, "--help", cwd=tmp_path)
    assert shown.returncode == 0 and "toy.ipynb and HW3__Solution.pdf" in " ".join(
        shown.stdout.split()
    )
    with pytest.raises(standalone.StandaloneError, match="NAME.ipynb"):
        standalone.submit_script(notebooks=("../evil.ipynb",))


def test_submit_py_bundles_the_modules_hw3_pack_and_check_run():
    bundled = [module.name for module in standalone.bundle_order(standalone.ENTRY)]
    assert {
        "hw3.submission.rules",
        "hw3.submission.pack",
        "hw3.submission.check",
        "hw3.common.safezip",
        "hw3.common.nbjson",
    } <= set(bundled)
    assert bundled[-1] == standalone.ENTRY and "hw3.submission.cli" not in bundled
    text = sf.SUBMIT_SCRIPT.read_text(encoding="utf-8")
    assert all(f"# {'=' * 64} {name}\n" in text for name in bundled)


# --- the same verdicts as hw3 check ------------------------------------------------------------------


def test_bare_python_cannot_import_pypdf_so_submit_py_counts_page_objects_itself():
    assert importlib.util.find_spec("pypdf") is not None, (
        "hw3 check, in this process, counts pages with pypdf"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", "import pypdf"], capture_output=True, env=sf.bare_env()
    )
    assert proc.returncode != 0


@pytest.mark.slow  # 61 zips through submit.py in a subprocess, four times
@pytest.mark.parametrize("flags", sf.FLAG_SETS, ids=lambda flags: " ".join(flags) or "no-flags")
def test_submit_py_check_prints_hw3_checks_lines_on_every_fixture(fixtures, flags):
    result = sf.compare_verdicts(sf.SUBMIT_SCRIPT, fixtures, flags)
    differ = [name for name, ours, theirs in result["rows"] if ours != theirs]
    assert not differ, f"submit.py --check and hw3 check disagree on {differ}"
    assert all(ours for _, ours, _ in result["rows"]), "every fixture gets a verdict line"
    (hw3_code, hw3_lines), (submit_code, submit_lines) = result["hw3"], result["submit"]
    assert submit_code == hw3_code == 1
    assert submit_lines[-1].split(": ", 1)[1] == hw3_lines[-1].split(": ", 1)[1]
    verdicts = {name: sf.verdict(ours) for name, ours, _ in result["rows"]}
    assert (
        verdicts["valid, PDF pages in an object stream"] == "ok"
        and verdicts["PDF is a Word file"] != "ok"
    )


# --- building the zip --------------------------------------------------------------------------------


def test_submit_py_builds_the_zip_hw3_pack_builds_from_the_files_next_to_it(tmp_path):
    folder = student_folder(tmp_path)
    proc = run_submit(
        folder / "submit.py", "--student-number", sf.STUDENT_NUMBER, "--name", sf.FULL_NAME
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        not proc.stdout.startswith("On Colab")
        and "upload it to Quera" in proc.stdout.splitlines()[-1]
    )
    assert (
        pack_main(
            [
                "--student-number",
                sf.STUDENT_NUMBER,
                "--name",
                sf.FULL_NAME,
                "--from",
                str(folder),
                "--out",
                str(tmp_path / "hw3"),
                "--repo",
                str(sf.REPO),
            ]
        )
        == 0
    )
    assert (folder / sf.ZIP_NAME).read_bytes() == (tmp_path / "hw3" / sf.ZIP_NAME).read_bytes()
    check = run_submit(folder / "submit.py", "--check", folder / sf.ZIP_NAME)
    assert (
        check.returncode == 0
        and check.stdout.splitlines()[0] == f"{folder / sf.ZIP_NAME}: ok ({PDF_NAME}: 1 page(s))"
    )


def test_submit_py_lists_every_problem_one_line_each_and_writes_nothing(tmp_path):
    members = sf.valid_members() | {
        "hafez.ipynb": sf.notebook_bytes(cells=[sf.code_cell("x = 1", None)])
    }
    folder = student_folder(tmp_path, members)
    before = sorted(folder.rglob("*"))
    proc = run_submit(
        folder / "submit.py", "--student-number", sf.STUDENT_NUMBER, "--name", "ali momen"
    )
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 3 and all(line.startswith("submit.py: ") for line in lines), lines
    assert "'AliMomen'" in lines[0] and "hafez.ipynb: was never run" in lines[1]
    assert lines[-1] == "submit.py: 2 problem(s); nothing written"
    assert sorted(folder.rglob("*")) == before


def test_submit_py_on_colab_first_says_how_to_download_the_zip(tmp_path):
    colab = tmp_path / "site" / "google" / "colab"
    colab.mkdir(parents=True)
    (colab / "__init__.py").write_text("")  # what `import google.colab` finds on a Colab runtime
    folder = student_folder(tmp_path)
    proc = run_submit(
        folder / "submit.py",
        "--student-number",
        sf.STUDENT_NUMBER,
        "--name",
        sf.FULL_NAME,
        PYTHONPATH=str(tmp_path / "site"),
    )
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("On Colab") and "Files panel" in first
    assert f"files.download({str(folder / sf.ZIP_NAME)!r})" in first


def test_submit_py_usage_errors_exit_2_with_one_line(tmp_path):
    folder = student_folder(tmp_path)
    for args in ([], ["--name", sf.FULL_NAME], ["--check", sf.ZIP_NAME, "--name", sf.FULL_NAME]):
        proc = run_submit(folder / "submit.py", *args)
        assert proc.returncode == 2 and proc.stderr.splitlines()[-1].startswith(
            "submit.py: error: "
        ), args
    assert not (folder / sf.ZIP_NAME).exists()


def test_submit_py_prints_a_persian_name_on_an_ascii_console(tmp_path):
    folder = student_folder(tmp_path)
    proc = run_submit(
        folder / "submit.py",
        "--student-number",
        sf.STUDENT_NUMBER,
        "--name",
        PERSIAN_NAME,
        PYTHONIOENCODING="ascii",
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "full name '\\u0639" in proc.stderr and "English letters" in proc.stderr


def test_submit_py_on_a_python_older_than_3_8_says_what_to_do(tmp_path, monkeypatch, capsys):
    shutil.copy(sf.SUBMIT_SCRIPT, tmp_path / "submit.py")
    spec = importlib.util.spec_from_file_location("students_submit", tmp_path / "submit.py")
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, script)  # dataclasses look their module up there
    spec.loader.exec_module(script)
    monkeypatch.setattr(sys, "version_info", (3, 7, 17, "final", 0))
    assert script.main(["--check", sf.ZIP_NAME], notebooks=script.NOTEBOOKS) == 2
    assert "needs Python 3.8 or newer" in capsys.readouterr().err


def test_submit_py_runs_on_python_3_8_with_the_same_verdicts(tmp_path, fixtures):
    python = oldest_python()
    needs_tool(
        python is not None,
        "no Python 3.8 here (pyenv install 3.8) to run submit.py on its oldest Python",
    )
    folder = student_folder(tmp_path)
    proc = run_submit(
        folder / "submit.py",
        "--student-number",
        sf.STUDENT_NUMBER,
        "--name",
        sf.FULL_NAME,
        python=python,
    )
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(folder / sf.ZIP_NAME) as zf:
        assert {name: zf.read(name) for name in zf.namelist()} == sf.valid_members()
    zips = list(fixtures.values())
    (code, lines), (hw3_code, hw3_lines) = (
        sf.submit_check(sf.SUBMIT_SCRIPT, zips, (), python=python),
        sf.hw3_check(zips, ()),
    )
    assert code == hw3_code and lines[:-1] == hw3_lines[:-1]


# --- the generator's refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, words",
    [
        ("import nbformat\n", "not in the standard library"),
        ("from hw3.common.safezip import mb as megabytes\n", "drop the alias"),
        ("import hw3.common.safezip\n", "from hw3.common.safezip import NAME"),
        ("from .safezip import mb\n", "relative import"),
        ("import os; X = 1\n", "its own line"),
        ("def f():\n    from hw3.common.safezip import mb\n", "inside code"),
        ("match x:\n    case 1:\n        pass\n", "not Python 3.8 syntax"),
    ],
)
def test_generator_refuses_a_module_submit_py_cannot_hold(source, words):
    with pytest.raises(standalone.StandaloneError, match=words):
        standalone.parse_source("hw3.example", source)


def test_generator_refuses_a_name_bound_by_two_modules():
    first = standalone.parse_source("hw3.first", "MB = 1024 * 1024\n")
    second = standalone.parse_source("hw3.second", "MB = 2 ** 20\n")
    with pytest.raises(standalone.StandaloneError, match="'MB', as hw3.first does"):
        standalone.check_namespace([first, second])


def test_generator_refuses_an_import_that_hides_a_definition():
    first = standalone.parse_source("hw3.first", "def field():\n    return 1\n")
    second = standalone.parse_source("hw3.second", "from dataclasses import field\n")
    with pytest.raises(standalone.StandaloneError, match="hides hw3.first's 'field'"):
        standalone.check_namespace([first, second])


def test_generator_keeps_code_and_comments_and_drops_docstring_and_imports():
    source = (
        '"""Doc."""\nfrom __future__ import annotations\n\nimport re\n\nfrom hw3.errors import EXIT_OK\n\n'
        'X = re.compile("x")  # why: a comment\n'
    )
    module = standalone.parse_source("hw3.example", source)
    assert standalone.body_text(module) == 'X = re.compile("x")  # why: a comment'
    assert module.stdlib == {("re", None, None)} and module.hw3 == [("hw3.errors", "EXIT_OK")]
    assert module.futures == {"annotations"} and module.docstring == '"""Doc."""'
