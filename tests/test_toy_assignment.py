"""Adding a homework is one folder under reference/: a toy third assignment, declared in a temporary copy of
the repository, goes through release -> pack -> check -> grade -> similarity with nothing else edited.

The copy holds only what those verbs read (git-tracked files): the repository marker, the course
settings, the theory template and the student README, and the two real assignments' declarations,
so the toy is the third notebook of the course. Only the toy is released there (the real notebooks'
otter runs take minutes), so grading skips the other two; their committed student notebooks fill
the zips, which must hold every declared notebook.
"""

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import grade_fixtures as fx
import nbformat
import pytest
from support import ASSIGNMENTS, PDF, REPO

from hw3.common import answers
from hw3.common.notebook_run import execute_notebook, grading_env
from hw3.grading.hand.course import load_course
from hw3.grading.run import grade
from hw3.project import Repository
from hw3.release import release
from hw3.similarity.run import similarity, zip_paths
from hw3.submission.check import check
from hw3.submission.pack import pack, release_folder

NAME = "toy"
QUESTION = "q1_double"
COPIED = [  # what the verbs read, besides the toy itself
    "pyproject.toml",
    "reference/course.toml",
    "reference/STUDENT_README.md",
    "reference/theory",
    *(f"reference/{name}/assignment.toml" for name in ASSIGNMENTS),
    *(f"reference/{name}/similarity_pool.toml" for name in ASSIGNMENTS),
]
DECLARATION = f"""name = "{NAME}"
title = "Toy"
order = 3
points = 1

[[data]]
path = "data/numbers.txt"
copy = "data/toy_numbers.txt"
"""
NUMBERS = "1 2.5 -3\n"
# AUTHORING.md: every question has a public test worth 0 (otter writes the question's
# grader.check cell, by which the tools find its answer cells only then) and earns its points in hidden tests
PUBLIC_TEST = '''""" # BEGIN TEST CONFIG
points: 0
""" # END TEST CONFIG
def test_double_on_a_published_example(double):
    def probe(double):
        return double(21)
    assert probe(double) == 42, "double(21) is 42"'''
HIDDEN_TEST = '''""" # BEGIN TEST CONFIG
hidden: true
points: 1
""" # END TEST CONFIG
def test_double_doubles(double):
    def probe(double):
        return [double(x) for x in (1, 2.5, -3)]
    assert probe(double) == [2, 5.0, -6]'''
SOLUTION = '''def double(x):
    """Twice `x`, a number."""
    # BEGIN SOLUTION NO PROMPT
    return 2 * x
    # END SOLUTION
    """ # BEGIN PROMPT
    # TODO (1 line): return twice x.
    raise NotImplementedError("q1_double: double")
    """ # END PROMPT'''
STUDENTS = {"4000000001": ("Solution", True), "4000000002": ("Stub", False)}  # answered?


def toy_master() -> nbformat.NotebookNode:
    """An Otter Assign master in the masters' format: one question (a public test worth 0, one hidden
    test in the shape the grader runs outside the student's kernel: the student's names are called
    only inside `probe`, which returns plain data), one data file."""
    raw, md, code = (
        nbformat.v4.new_raw_cell,
        nbformat.v4.new_markdown_cell,
        nbformat.v4.new_code_cell,
    )
    return nbformat.v4.new_notebook(
        cells=[
            raw(
                "# ASSIGNMENT CONFIG\n"
                f"name: {NAME}\n"
                "files: [data/numbers.txt]\n"
                "tests: {files: false, ok_format: false}\n"
                "export_cell: false\n"
                "check_all_cell: false"
            ),
            md("# Toy\n\nOne question."),
            code('NUMBERS = [float(x) for x in open("data/numbers.txt").read().split()]'),
            raw(f"# BEGIN QUESTION\nname: {QUESTION}\npoints: 1"),
            md("**Question 1 (1 point).** Write `double(x)`, twice `x`."),
            raw("# BEGIN SOLUTION"),
            code(SOLUTION),
            raw("# END SOLUTION"),
            raw("# BEGIN TESTS"),
            code(PUBLIC_TEST),
            code(HIDDEN_TEST),
            raw("# END TESTS"),
            raw("# END QUESTION"),
            code("# Just run this cell.\nprint([double(x) for x in NUMBERS])"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


def tracked_copy(root: Path) -> Repository:
    """The git-tracked files of COPIED, copied into `root`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", *COPIED], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    files = [name for name in listed.split("\0") if name]
    assert {f"reference/{name}/assignment.toml" for name in ASSIGNMENTS} <= set(files), files
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, root / name)
    return Repository(root)


def add_toy(repo: Repository) -> None:
    """The three steps of README's "Adding a homework" that write files: folder, master, declaration; data."""
    folder = repo.reference / NAME
    folder.mkdir()
    nbformat.write(toy_master(), folder / f"{NAME}.ipynb")
    (folder / "assignment.toml").write_text(DECLARATION, encoding="utf-8")
    repo.data.mkdir(exist_ok=True)
    (repo.data / "toy_numbers.txt").write_text(NUMBERS, encoding="utf-8")


def student_folder(repo: Repository, answered: bool, folder: Path) -> Path:
    """A student's folder as the release lays it out: the toy's student copy, with the reference answer
    spliced in when `answered`, run for real; the two real notebooks as released and marked as run;
    the PDF in theory/."""
    toy = folder / release_folder(f"{NAME}.ipynb")
    shutil.copytree(repo.student / NAME, toy)
    if answered:
        reference = nbformat.read(repo.autograder / NAME / f"{NAME}.ipynb", as_version=4)
        stub = nbformat.read(toy / f"{NAME}.ipynb", as_version=4)
        nbformat.write(answers.splice(stub, reference, [QUESTION]), toy / f"{NAME}.ipynb")
    execute_notebook(toy / f"{NAME}.ipynb", toy / f"{NAME}.ipynb", grading_env(), allow_errors=True)
    for name in ASSIGNMENTS:
        (folder / name).mkdir()
        nbformat.write(fx.executed(fx.read("student", name)), folder / name / f"{name}.ipynb")
    (folder / "theory").mkdir()
    (folder / "theory" / "HW3__Solution.pdf").write_bytes(PDF)
    return folder


@pytest.mark.slow
def test_a_toy_third_assignment_is_released_packed_checked_graded_and_screened(tmp_path):
    repo = tracked_copy(tmp_path / "repo")
    add_toy(repo)
    registry = repo.registry()
    assert registry.names == (*ASSIGNMENTS, NAME)

    released = release(repo=repo, names=[NAME])
    assert released.names == [NAME]
    student_nb = nbformat.read(repo.student / NAME / f"{NAME}.ipynb", as_version=4)
    assert "NotImplementedError" in "".join(c.source for c in student_nb.cells)
    assert (repo.student / NAME / "data" / "numbers.txt").read_text() == NUMBERS
    assert (repo.autograder / NAME / f"{NAME}-autograder.zip").is_file()
    script = ast.parse((repo.student / "submit.py").read_text(encoding="utf-8"))
    assert ast.literal_eval(script.body[-2].value) == registry.notebooks  # NOTEBOOKS, written in

    zips = {}
    for number, (full_name, answered) in STUDENTS.items():
        source = student_folder(repo, answered, tmp_path / full_name)
        packed = pack(
            student_number=number,
            full_name=full_name,
            notebooks=registry.notebooks,
            source=source,
            out=tmp_path / "submissions",
            allow_unanswered=not answered,
        )
        assert packed.problems == [] and packed.path is not None
        assert sorted(zipfile.ZipFile(packed.path).namelist()) == sorted(
            [*registry.notebooks, "HW3__Solution.pdf"]
        )
        zips[full_name] = packed.path
    checked = check(list(zips.values()), notebooks=registry.notebooks, allow_unanswered=True)
    assert checked.all_valid, checked.lines()
    missing = check([zips["Solution"]], notebooks=registry.notebooks[:-1])  # the course without it
    assert "extra file" in " ".join(missing.lines())
    by_script = subprocess.run(
        [
            sys.executable,
            "-S",
            str(repo.student / "submit.py"),
            "--check",
            *map(str, zips.values()),
            "--allow-unanswered",
        ],
        capture_output=True,
        text=True,
    )
    assert "2 of 2 zip(s) valid" in by_script.stdout, by_script.stdout + by_script.stderr

    course = load_course(repo.reference / "course.toml", registry)
    assert course.parts[NAME] == 1
    graded = grade(
        paths=[tmp_path / "submissions"],
        out=tmp_path / "graded",
        release_root=repo.root,
        jobs=2,
        course=course,
    )
    rows = {path.name: row.values for path, row in graded.rows.items()}
    solution, stub = rows[zips["Solution"].name], rows[zips["Stub"].name]
    assert (solution[f"{NAME}_{QUESTION}"], solution[f"{NAME}_total"]) == ("1", "1"), solution
    assert (stub[f"{NAME}_{QUESTION}"], stub[f"{NAME}_total"]) == ("0", "0"), stub
    assert solution["max_total"] == "1" and solution[f"{NAME}_status"] == "ok"
    assert all(solution[f"{name}_status"] == "skipped" for name in ASSIGNMENTS)
    assert graded.hand is not None  # the course's totals agreed with the release

    screened = similarity(
        paths=zip_paths([tmp_path / "submissions"]),
        out=tmp_path / "similarity",
        release_root=repo.root,
        jobs=1,
    )
    assert len(screened.submissions) == 2 and screened.skipped == [], screened.skipped
    assert f"{NAME}:{QUESTION}" in screened.keys
    assert [source.name for source in screened.sources] == ["reference"]
    assert f"{NAME}:{QUESTION}" in screened.sources[0].regions
