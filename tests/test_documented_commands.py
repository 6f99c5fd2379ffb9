"""Every shell command that README.md, reference/AUTHORING.md and reference/STUDENT_README.md show is run
as written, so a command that drifts from the tools fails CI.

The commands are parsed out of the Markdown (markdown-it-py): each line of a ```bash block, and each
inline code span that is a concrete command (a program followed by arguments that are not placeholders
such as PATH, DIR, NAME or N; `!cmd`, Colab's form, is the shell command `cmd`). Every one of them is in
RUN (the scenario test that runs it) or in NOT_RUN (with the reason and what checks it instead), and a
test fails on a command in neither. Every command shown, placeholders included, must also name hw3 and
otter verbs and options that exist (`--help`), and submit.py options that it has.

The scenarios run in a scratch copy of the repository (its tracked and unignored files), with `hw3`,
`python`, `pip` and `otter` meaning this interpreter (small shims first on PATH), HOME inside the
scratch folder, no HW3_GRADING, and small inputs:

- set-up: the README's install line and `hw3 demo`, in a fresh virtualenv on this interpreter's
  packages, on a copy holding the Apple master only: a smaller input, since the demo releases and
  grades every master (116 s for both on 2 quiet cores, against about 55 s for Apple alone), and the
  Hafez reference is graded by tests/test_install.py and tests/notebooks/test_grading_budget.py; the
  student README's two `pip install` lines in the same virtualenv (they find everything installed);
- grading: `hw3 grade` on two Quera zips of the released notebooks, `--manual` with a filled scores
  file in ~/Downloads, `--extract-only`, `otter grade` up to the point where Docker is needed (it must
  fail for the missing Docker client, buildx or daemon only: DOCKER_HOST points nowhere, so a daemon
  on the machine is never used), `otter run` on one extracted notebook, `hw3 similarity` with an
  earlier term's zip and an online solution;
- maintainer: the two fixture scripts, the traceability check and the table it writes (which must be
  the committed one), `python -m pytest -m "not slow"` up to collection;
- author: `hw3 release --stage-data`, then `otter assign` on the Apple master as it stands, whose
  output, normalised as `hw3 release` does, must be the committed release byte for byte;
- student: `xelatex` on the template, `python submit.py` in the released layout and next to the files
  (Colab), `zip` by hand and `python submit.py --check` on the result.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import grade_fixtures as fx
import nbformat
import packet_fixtures
import pytest
from markdown_it import MarkdownIt
from support import PDF, REPO, venv_on_these_packages

from hw3.release.assign import copy_normalised

DOCS = ("README.md", "reference/AUTHORING.md", "reference/STUDENT_README.md")
PROGRAMS = ("hw3", "python", "pip", "pipx", "otter", "apt-get", "xelatex", "zip", "mkdir")
WITH_VERB = ("hw3", "python", "pip", "pipx", "otter", "apt-get")  # python's "verb": its script
PLACEHOLDER = re.compile(r"^[A-Z]+$|^FullName$|\.\.\.|[<\[\]]")
ENV_ASSIGNMENT = re.compile(r"^[A-Z_]+=\S*$")
CI_RUN = REPO / ".ci" / "run"
STUDENT_NUMBER, FULL_NAME = "401521234", "AliMomen"  # the docs' example student
CLASSMATE = "DL_HW3__401521235__SaraRahimi.zip"
COMMAND_TIMEOUT_S = 900
DOCKER_FAILURE = re.compile(
    r"^python_on_whales\.[\w.]+\.(ClientNotFoundError|DockerException): .*docker", re.M
)

RUN = {
    # README.md
    "pip install -r grading-requirements.txt && pip install -e '.[dev]' && hw3 demo": "set-up",
    "hw3 grade submissions/ --out graded/": "grading",
    "hw3 grade submissions/ --out graded/ --manual ~/Downloads/manual_scores.csv": "grading",
    "hw3 grade submissions/ --out graded/ --extract-only": "grading",
    "mkdir -p graded/otter-hafez": "grading",
    "otter grade -n hafez -a autograder/hafez/hafez-autograder.zip -o graded/otter-hafez --ext ipynb "
    "--timeout 900 --no-network --containers 2 graded/notebooks/hafez/": "grading (up to Docker)",
    "mkdir -p graded/otter-run": "grading",
    "OMP_NUM_THREADS=1 otter run -a autograder/hafez/hafez-autograder.zip -o graded/otter-run "
    f"graded/notebooks/hafez/DL_HW3__{STUDENT_NUMBER}__{FULL_NAME}.ipynb": "grading",
    "hw3 similarity submissions/ --out similarity/ --against earlier-terms/ online-solutions/": "grading",
    "python tests/submission_fixtures.py verdicts": "maintainer",
    "python tests/packet_fixtures.py bench": "maintainer",
    "python tests/traceability.py check": "maintainer",
    "python tests/traceability.py write": "maintainer",
    'python -m pytest -m "not slow"': "maintainer (up to collection)",
    # reference/AUTHORING.md
    "hw3 release --stage-data": "author",
    "otter assign reference/apple_stock/apple_stock.ipynb build/apple_stock": "author",
    # reference/STUDENT_README.md
    f"python submit.py --student-number {STUDENT_NUMBER} --name {FULL_NAME}": "student",
    f"!python submit.py --student-number {STUDENT_NUMBER} --name {FULL_NAME}": "student (Colab)",
    "pip install torch numpy pandas matplotlib tqdm otter-grader==7.0.0": "set-up",
    "!pip install otter-grader==7.0.0": "set-up",
    "xelatex HW3__Solution.tex": "student",
    f"zip DL_HW3__{STUDENT_NUMBER}__{FULL_NAME}.zip hafez.ipynb apple_stock.ipynb HW3__Solution.pdf": "student",
    f"python submit.py --check DL_HW3__{STUDENT_NUMBER}__{FULL_NAME}.zip": "student",
}
NOT_RUN = {
    "python -m pytest": "the test command itself, which runs this test; .ci/run's last line "
    "(test_ci_runs_the_readmes_set_up_and_test_command)",
    "pip install .": "tests/test_install.py installs the repository so into a fresh virtualenv and grades with it",
    "pipx install .": "pipx is not one of the tools CI installs; it builds the same wheel as `pip install .`",
    "apt-get install --no-install-recommends texlive-xetex texlive-lang-arabic texlive-fonts-recommended "
    "lmodern pandoc": "needs root and the network; .ci/run installs these packages (checked here)",
    "apt-get install bubblewrap": "needs root and the network; .ci/run installs bubblewrap (checked here)",
    "hw3 grade submissions/ --out graded/ --manual ta1.csv --manual ta2.csv   # one TA per question or "
    "range": "the one-file merge runs here; tests/grading/hand/test_merge.py merges two TAs' files and "
    "checks their conflicts (test_two_tas_files_merge_into_one_and_a_conflict_writes_nothing)",
    "hw3 similarity --bench 300 --out /tmp/bench --jobs 2": "writes /tmp/bench, a folder every user of the "
    "machine shares; tests/similarity/test_bench.py runs the same bench of 300 with its own --out",
}


@dataclass(frozen=True)
class Shown:
    """One command as a document shows it."""

    doc: str
    text: str  # continuation lines joined, `!` kept
    fenced: bool

    @property
    def shell(self) -> str:
        return self.text.removeprefix("!")


def fence_lines(content: str) -> list[str]:
    """The commands of a ```bash block: continuation lines joined, blank lines and comments dropped."""
    joined = re.sub(r"\\\n\s*", "", content)
    return [
        line.strip() for line in joined.splitlines() if line.strip() and not line.startswith("#")
    ]


def words(text: str) -> list[str]:
    """The command's words without leading environment assignments (OMP_NUM_THREADS=1 otter ...)."""
    try:
        tokens = shlex.split(text.removeprefix("!"))
    except ValueError:  # not shell (an unbalanced quote in a code span)
        return []
    while tokens and ENV_ASSIGNMENT.match(tokens[0]):
        tokens.pop(0)
    return tokens


def is_concrete(tokens: list[str]) -> bool:
    """A command one can run as shown: no placeholder, and an argument beyond the program and its verb
    (a python script or module) that is not a bare option."""
    if any(PLACEHOLDER.search(t) for t in tokens):
        return False
    skip = 3 if tokens[1:2] == ["-m"] else 2 if tokens[0] in WITH_VERB else 1
    return any(not t.startswith("-") for t in tokens[skip:])


@cache
def shown() -> tuple[Shown, ...]:
    """Every command the documents show: each line of a bash block, and each inline code span that
    starts with one of PROGRAMS (placeholders and bare mentions included)."""
    md = MarkdownIt("commonmark").enable("table")
    found = []
    for doc in DOCS:
        for token in md.parse((REPO / doc).read_text(encoding="utf-8")):
            if token.type == "fence" and token.info.strip() == "bash":
                found += [Shown(doc, line, True) for line in fence_lines(token.content)]
            elif token.type == "inline":
                for child in token.children or []:
                    tokens = words(child.content) if child.type == "code_inline" else []
                    if tokens and tokens[0] in PROGRAMS:
                        found.append(Shown(doc, child.content, False))
    return tuple(found)


def runnable() -> dict[str, Shown]:
    """The commands to run: every bash-block line, and the concrete inline commands."""
    return {s.text: s for s in shown() if s.fenced or is_concrete(words(s.text))}


def the(command: str) -> str:
    """`command` as the documents show it, to run in a shell (`!` of Colab dropped)."""
    assert command in runnable(), f"no document shows `{command}` any more: update RUN"
    return runnable()[command].shell


def test_every_documented_command_is_run_or_named_with_its_reason():
    found = set(runnable())
    assert found - set(RUN) - set(NOT_RUN) == set(), (
        "documented commands no test runs: add them to RUN"
    )
    assert (set(RUN) | set(NOT_RUN)) - found == set(), "RUN/NOT_RUN name commands no document shows"
    assert not set(RUN) & set(NOT_RUN)


@cache
def help_of(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, *argv, "--help"], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, f"{' '.join(argv)} --help failed: {done.stderr[-500:]}"
    return done.stdout


def test_every_documented_verb_and_option_exists():
    verbs = set(re.findall(r"^  ([a-z-]+)  ", help_of("-m", "hw3"), re.M))
    for command, part in ((c, p) for c in shown() for p in c.text.split("&&")):
        tokens = words(part.replace("[", " ").replace("]", " "))
        if not tokens:
            continue
        verb = tokens[1] if len(tokens) > 1 and not tokens[1].startswith("-") else None
        if tokens[0] in ("hw3", "otter") and verb and not PLACEHOLDER.search(verb):
            if tokens[0] == "hw3":
                assert tokens[1] in verbs, f"{command.doc}: `{command.text}`: no verb {tokens[1]}"
            text = help_of("-m", tokens[0], tokens[1])
        elif tokens[0] in ("hw3", "otter"):
            text = help_of("-m", tokens[0])
        elif tokens[:2] == ["python", "submit.py"]:
            text = help_of(str(REPO / "student" / "submit.py"))
        else:
            continue
        for option in (t.split("=")[0] for t in tokens if t.startswith("--")):
            assert re.search(rf"{re.escape(option)}\b", text), (
                f"{command.doc}: `{command.text}`: {option} is not an option of {' '.join(tokens[:2])}"
            )


def test_ci_runs_the_readmes_set_up_and_test_command():
    script = [line.strip() for line in CI_RUN.read_text(encoding="utf-8").splitlines()]
    set_up = the("pip install -r grading-requirements.txt && pip install -e '.[dev]' && hw3 demo")
    for step in (s.strip() for s in set_up.split("&&")):
        if step.startswith("pip install "):
            assert f"python -m pip install --quiet {step.removeprefix('pip install ')}" in script
    assert the("python -m pytest") in script and script[-1] == "python -m pytest"
    packages = re.search(r"^PACKAGES=\((.*)\)$", CI_RUN.read_text(), re.M).group(1).split()
    for command in [c for c in NOT_RUN if c.startswith("apt-get install")]:
        named = [w for w in words(command)[2:] if not w.startswith("-")]
        assert set(named) <= set(packages), f"`{command}`: .ci/run does not install {named}"


# --- the scratch copy and how commands run in it --------------------------------------------------


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A copy of the repository's tracked and unignored files, a home, and shims for the programs."""
    root = tmp_path_factory.mktemp("documented")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            (root / "repo" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / "repo" / name)
    (root / "home").mkdir()
    shims = root / "bin"
    shims.mkdir()
    for program, how in {
        "python": "",
        "pip": "-m pip",
        "hw3": "-m hw3",
        "otter": "-m otter",
    }.items():
        (shims / program).write_text(f'#!/bin/sh\nexec "{sys.executable}" {how} "$@"\n')
        (shims / program).chmod(0o755)
    return root


def environment(scratch: Path, bin_dir: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("HW3_GRADING", "VIRTUAL_ENV")}
    return (
        env
        | {
            "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}",
            "HOME": str(scratch / "home"),
            "OMP_NUM_THREADS": "1",  # the machine is shared; the commands that pin threads say so
            "DOCKER_HOST": "unix:///nonexistent/docker.sock",  # never a real daemon
        }
        | extra
    )


def run(command: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """Run one documented command (the documents' text) with bash in `cwd`."""
    print(f"$ {command}  (in {cwd.name})", flush=True)
    return subprocess.run(
        ["bash", "-c", the(command)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )


def ok(done: subprocess.CompletedProcess, *codes: int) -> subprocess.CompletedProcess:
    assert done.returncode in (codes or (0,)), (done.stdout[-3000:], done.stderr[-3000:])
    return done


@pytest.fixture(scope="module")
def fresh_venv(scratch) -> Path:
    """A virtualenv on this interpreter's packages, with its own pip: where `pip install` may write."""
    return venv_on_these_packages(scratch / "venv")


# --- the scenarios --------------------------------------------------------------------------------


@pytest.mark.slow
def test_readme_set_up_installs_and_runs_the_demo_in_a_fresh_virtualenv(scratch, fresh_venv):
    repo = scratch / "set-up"
    shutil.copytree(scratch / "repo", repo)
    (repo / "reference" / "hafez" / "hafez.ipynb").unlink()  # the demo's smaller input: Apple only
    env = environment(scratch, fresh_venv)
    done = ok(
        run(
            "pip install -r grading-requirements.txt && pip install -e '.[dev]' && hw3 demo",
            repo,
            env,
        )
    )
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("student_number"))
    header, table = lines[start].split(), lines[start + 1 : start + 3]  # the gradebook's two rows
    rows = {row[1]: dict(zip(header, row)) for row in map(str.split, table)}
    assert rows["Reference"]["status"] == "ok", done.stdout
    assert rows["Reference"]["total"] == rows["Reference"]["max_total"] != "0", done.stdout
    assert rows["Unchanged"]["total"] == "0", done.stdout
    where = ok(
        subprocess.run(
            [fresh_venv / "python", "-c", "import hw3; print(hw3.__file__)"],
            capture_output=True,
            text=True,
            cwd=scratch,
        )
    )
    assert Path(where.stdout.strip()).is_relative_to(repo)  # the editable install of the copy
    for command in (
        "pip install torch numpy pandas matplotlib tqdm otter-grader==7.0.0",
        "!pip install otter-grader==7.0.0",
    ):
        ok(run(command, scratch, env))


def quera_zip(folder: Path, name: str, kind: str) -> None:
    members = {
        f"{n}.ipynb": (REPO / kind / n / f"{n}.ipynb").read_bytes()
        for n in ("hafez", "apple_stock")
    }
    fx.write_zip(folder / name, members | {"HW3__Solution.pdf": PDF})


@pytest.mark.slow
def test_ta_commands_grade_merge_extract_and_run_otter_on_two_zips(scratch):
    repo = scratch / "repo"
    env = environment(scratch, scratch / "bin")
    quera_zip(repo / "submissions", f"DL_HW3__{STUDENT_NUMBER}__{FULL_NAME}.zip", "student")
    quera_zip(repo / "submissions", CLASSMATE, "student")
    ok(run("hw3 grade submissions/ --out graded/", repo, env))
    assert (repo / "graded" / "gradebook.csv").is_file() and (repo / "graded" / "packet").is_dir()

    downloads = scratch / "home" / "Downloads"
    downloads.mkdir()
    packet_fixtures.rubric_marks(
        repo / "graded" / "manual_scores.csv",
        downloads / "manual_scores.csv",
        repo / "reference" / "course.toml",
    )
    ok(
        run(
            "hw3 grade submissions/ --out graded/ --manual ~/Downloads/manual_scores.csv", repo, env
        )
    )
    assert (repo / "graded" / "final_grades.csv").is_file()

    ok(run("hw3 grade submissions/ --out graded/ --extract-only", repo, env))
    extracted = (
        repo / "graded" / "notebooks" / "hafez" / f"DL_HW3__{STUDENT_NUMBER}__{FULL_NAME}.ipynb"
    )
    assert extracted.is_file()

    ok(run("mkdir -p graded/otter-hafez", repo, env))
    docker = run(
        "otter grade -n hafez -a autograder/hafez/hafez-autograder.zip -o graded/otter-hafez --ext ipynb "
        "--timeout 900 --no-network --containers 2 graded/notebooks/hafez/",
        repo,
        env,
    )
    assert docker.returncode != 0
    assert DOCKER_FAILURE.search(docker.stderr), docker.stderr[-3000:]  # otter took the arguments
    assert "otter/grade" in docker.stderr, docker.stderr[-3000:]

    ok(run("mkdir -p graded/otter-run", repo, env))
    ok(
        run(
            "OMP_NUM_THREADS=1 otter run -a autograder/hafez/hafez-autograder.zip -o graded/otter-run "
            f"graded/notebooks/hafez/DL_HW3__{STUDENT_NUMBER}__{FULL_NAME}.ipynb",
            repo,
            env,
        )
    )
    assert (repo / "graded" / "otter-run" / "results.json").is_file()

    quera_zip(repo / "earlier-terms", "DL_HW3__399000001__EarlierTerm.zip", "autograder")
    (repo / "online-solutions").mkdir()
    shutil.copy(
        REPO / "autograder" / "hafez" / "hafez.ipynb", repo / "online-solutions" / "hafez.ipynb"
    )
    ok(
        run(
            "hw3 similarity submissions/ --out similarity/ --against earlier-terms/ online-solutions/",
            repo,
            env,
        ),
        0,
        1,
    )
    assert (repo / "similarity" / "similarity.html").is_file()


@pytest.mark.slow
def test_maintainer_commands_run_the_fixture_scripts_and_collect_the_quick_suite(scratch):
    repo = scratch / "repo"
    env = environment(scratch, scratch / "bin")
    ok(run("python tests/submission_fixtures.py verdicts", repo, env))
    assert "complete" in ok(run("python tests/packet_fixtures.py bench", repo, env)).stdout
    ok(run("python tests/traceability.py check", repo, env))
    authoring = (repo / "reference" / "AUTHORING.md").read_text(encoding="utf-8")
    ok(run("python tests/traceability.py write", repo, env))
    assert (repo / "reference" / "AUTHORING.md").read_text(encoding="utf-8") == authoring, (
        "the requirements table in AUTHORING.md is not what `traceability.py write` generates"
    )
    collected = run(
        'python -m pytest -m "not slow"', repo, env | {"PYTEST_ADDOPTS": "--collect-only -q"}
    )
    assert ok(collected).stdout.strip(), "nothing collected"


@pytest.mark.slow
def test_author_commands_stage_the_data_and_otter_assign_reproduces_the_committed_release(scratch):
    repo = scratch / "repo"
    env = environment(scratch, scratch / "bin")
    ok(run("hw3 release --stage-data", repo, env))
    ok(run("otter assign reference/apple_stock/apple_stock.ipynb build/apple_stock", repo, env))
    for kind in ("student", "autograder"):
        normalised = scratch / "normalised" / kind
        copy_normalised(repo / "build" / "apple_stock" / kind, normalised, "apple_stock")
        ours = {
            p.relative_to(normalised): p.read_bytes() for p in normalised.rglob("*") if p.is_file()
        }
        committed = REPO / kind / "apple_stock"
        theirs = {
            p.relative_to(committed): p.read_bytes() for p in committed.rglob("*") if p.is_file()
        }
        assert ours.keys() == theirs.keys(), kind
        assert [p for p in ours if ours[p] != theirs[p]] == [], kind


@pytest.mark.slow
def test_student_commands_compile_the_template_pack_zip_by_hand_and_check(scratch):
    env = environment(scratch, scratch / "bin")
    student = scratch / "student"
    shutil.copytree(scratch / "repo" / "student", student)
    ok(run("xelatex HW3__Solution.tex", student / "theory", env))
    assert (student / "theory" / "HW3__Solution.pdf").is_file()
    for name in ("hafez", "apple_stock"):  # the reference answers, saved after Run All
        nbformat.write(fx.executed(fx.read("autograder", name)), student / name / f"{name}.ipynb")
    zip_name = f"DL_HW3__{STUDENT_NUMBER}__{FULL_NAME}.zip"
    ok(run(f"python submit.py --student-number {STUDENT_NUMBER} --name {FULL_NAME}", student, env))
    assert (student / zip_name).is_file()

    for folder in ("colab", "by-hand"):  # the three files next to submit.py
        flat = scratch / folder
        flat.mkdir()
        shutil.copy(student / "submit.py", flat)
        shutil.copy(student / "theory" / "HW3__Solution.pdf", flat)
        for name in ("hafez", "apple_stock"):
            shutil.copy(student / name / f"{name}.ipynb", flat)
    ok(
        run(
            f"!python submit.py --student-number {STUDENT_NUMBER} --name {FULL_NAME}",
            scratch / "colab",
            env,
        )
    )
    assert (scratch / "colab" / zip_name).is_file()
    ok(
        run(
            f"zip {zip_name} hafez.ipynb apple_stock.ipynb HW3__Solution.pdf",
            scratch / "by-hand",
            env,
        )
    )
    ok(run(f"python submit.py --check {zip_name}", scratch / "by-hand", env))
