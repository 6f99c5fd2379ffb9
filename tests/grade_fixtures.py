"""Submission zips for the tests and the benchmark of `hw3 grade`, built from the committed release.

Nothing here is committed as a binary: every zip is written into a temporary folder from the
released student and autograder notebooks (hw3.common.answers.splice moves reference answers in) plus
small edits, so the fixtures follow the notebooks when they change.

    python tests/grade_fixtures.py bench [--copies N]   # seconds per good submission, --jobs 1 vs 2
    python tests/grade_fixtures.py check NAME            # each test's outcome on the reference and the stub
"""

import argparse
import csv
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
from support import ASSIGNMENTS, PDF, REPO

from hw3.common import answers
from hw3.common.pdfwrite import one_page_pdf
from hw3.submission.rules import PDF_NAME

NAME = "hafez"
DOCX = b"PK\x03\x04" + b"\0" * 60  # what a Word file renamed to .pdf starts with
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 60
HUGE_BYTES = (
    20 * 2**30
)  # over the address-space cap, under this machine's RAM + swap: only the cap refuses it


def read(kind: str, name: str = NAME) -> nbformat.NotebookNode:
    """The committed `student` or `autograder` notebook of an assignment."""
    return nbformat.read(REPO / kind / name / f"{name}.ipynb", as_version=4)


def executed(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy whose code cells carry execution counts, as a notebook saved after Run All does."""
    nb = nbformat.from_dict(nb)
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            count += 1
            cell["execution_count"] = count
    return nb


def partial(questions, name: str = NAME) -> nbformat.NotebookNode:
    """The student notebook with the reference answers of `questions` spliced in."""
    return answers.splice(read("student", name), read("autograder", name), questions)


def setup_index(nb: nbformat.NotebookNode) -> int:
    """Index just after the provided cell that imports torch (where a student's extra cell would go)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "import torch" in cell.source:
            return index + 1
    return 1


def with_cell(
    nb: nbformat.NotebookNode, source: str, index: int | None = None
) -> nbformat.NotebookNode:
    """A copy with a new code cell (a student's own) inserted after the setup cell, or at `index`."""
    nb = nbformat.from_dict(nb)
    nb.cells.insert(setup_index(nb) if index is None else index, nbformat.v4.new_code_cell(source))
    return nb


def answer_prepended(nb: nbformat.NotebookNode, question: str, code: str) -> nbformat.NotebookNode:
    """A copy whose first answer cell of `question` starts with `code`."""
    nb = nbformat.from_dict(nb)
    index = answers.answer_cells(nb)[question][0]
    nb.cells[index]["source"] = code + "\n" + nb.cells[index].source
    return nb


def marked(nb: nbformat.NotebookNode, token: str) -> nbformat.NotebookNode:
    """A copy with a markdown cell holding `token`, to recognise its copies on disk."""
    nb = nbformat.from_dict(nb)
    nb.cells.append(nbformat.v4.new_markdown_cell(f"fixture {token}"))
    return nb


def notebook_bytes(nb: nbformat.NotebookNode) -> bytes:
    return nbformat.writes(nb).encode("utf-8")


def write_zip(path: Path, members: dict | list) -> Path:
    """Write a zip with `members`, {name: bytes} or (name, bytes) pairs, in order (names are not checked:
    hostile and repeated ones allowed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items() if isinstance(members, dict) else members:
            zf.writestr(
                zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return path


def submission(
    nb: nbformat.NotebookNode, pdf: bytes = PDF, folder: str = "", extra: dict | None = None
) -> dict:
    """Members of a submission holding `nb` as hafez.ipynb, the PDF, and any `extra` members."""
    members = {f"{folder}{NAME}.ipynb": notebook_bytes(nb)}
    if pdf is not None:
        members[f"{folder}{PDF_NAME}"] = pdf
    members.update(extra or {})
    return members


class MarkerOnUnpickle:
    """Unpickling this writes `path`: a stand-in for the code a crafted .OTTER_LOG runs in otter."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (Path(self.path).write_text, ("unpickled",))


def crafted_otter_log(marker: Path) -> bytes:
    """A pickle whose loading writes `marker` (otter unpickles .OTTER_LOG before grading)."""
    return pickle.dumps(MarkerOnUnpickle(marker))


def hafez_only_release(root: Path) -> Path:
    """A release folder that holds only the Hafez notebooks (links to the committed ones), and every
    declared assignment's folder of reference/ (so Apple stock is declared but not released)."""
    for kind in ("student", "autograder"):
        (root / kind).mkdir(parents=True, exist_ok=True)
        link = root / kind / NAME
        if not link.exists():
            link.symlink_to(REPO / kind / NAME, target_is_directory=True)
    for name in ASSIGNMENTS:
        link = root / "reference" / name
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(REPO / "reference" / name, target_is_directory=True)
    return root


def answered(name: str = NAME) -> nbformat.NotebookNode:
    """The released student notebook with every reference answer in it (hand-graded code answers too),
    executed: a perfect student's. Both copies hold their answer cells in the same order."""
    student, reference = read("student", name), read("autograder", name)
    mine = [c for c in student.cells if answers.is_answer_cell(c)]
    theirs = [c for c in reference.cells if answers.is_answer_cell(c)]
    assert len(mine) == len(theirs), f"{name}: release the notebooks together"
    for cell, donor in zip(mine, theirs):
        cell["source"] = donor.source
    return executed(student)


def good_members(tag: str) -> dict:
    """A complete good submission: both notebooks answered as the reference; `tag` varies the PDF (and hash)."""
    members = submission(answered(), pdf=one_page_pdf(f"Theory answers {tag}"))
    if (REPO / "autograder" / "apple_stock").is_dir():
        members["apple_stock.ipynb"] = notebook_bytes(answered("apple_stock"))
    return members


def check(name: str) -> None:
    """Grade the reference answers and the unchanged stub of `name`; print every test's outcome on both."""
    from hw3.grading.auto.autograder_info import read_autograder
    from hw3.grading.run import grade

    info = read_autograder(REPO / "autograder" / name / f"{name}-autograder.zip")
    with tempfile.TemporaryDirectory(prefix="hw3-check-") as tmp:
        subs = Path(tmp) / "subs"
        for who, nb in (("Reference", answered(name)), ("Stub", executed(read("student", name)))):
            write_zip(
                subs / f"DL_HW3__0__{who}.zip", {f"{name}.ipynb": notebook_bytes(nb), PDF_NAME: PDF}
            )
        run = grade(paths=[subs], out=Path(tmp) / "out", release_root=REPO, jobs=2)
        for path, record in sorted(run.records.items()):
            result = record.notebooks[name]
            print(
                f"== {path.stem}: {result.status}, {sum(result.scores.values()):g} points, flags {result.flags}"
            )
            for note in result.notes:
                print(f"   note: {note}")
            for question, q in info.questions.items():
                for i, case in enumerate(q.cases):
                    passed = (result.passed.get(question) or [None] * len(q.cases))[i]
                    text = (result.full_messages.get(question) or [None] * len(q.cases))[i]
                    said = (result.student_texts.get(question) or [None] * len(q.cases))[i]
                    print(
                        f"   {question} {case.name} ({'hidden' if case.hidden else 'public'}, {case.points}): "
                        f"{'PASS' if passed else 'FAIL'} {text or ''} {said or ''}".rstrip()
                    )


def bench(copies: int) -> None:
    """Seconds per good submission with --jobs 1 and --jobs 2 (the release as committed)."""
    with tempfile.TemporaryDirectory(prefix="hw3-grade-bench-") as tmp:
        subs = Path(tmp) / "subs"
        for i in range(copies):
            write_zip(subs / f"DL_HW3__40152100{i:02d}__Bench.zip", good_members(f"bench {i}"))
        for jobs in (1, 2):
            out = Path(tmp) / f"out{jobs}"
            start = time.monotonic()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "hw3",
                    "grade",
                    str(subs),
                    "--out",
                    str(out),
                    "--jobs",
                    str(jobs),
                ],
                cwd=REPO,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            seconds = time.monotonic() - start
            with (out / "gradebook.csv").open(newline="") as handle:
                rows = list(csv.DictReader(handle))
            scores = sorted({f"{r['status']} {r['total']}/{r['max_total']}" for r in rows})
            print(
                f"--jobs {jobs}: {copies} good submissions in {seconds:.1f} s = {seconds / copies:.1f} s each "
                f"({', '.join(scores)})"
            )
            shutil.rmtree(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["bench", "check"])
    parser.add_argument("name", nargs="?", default=NAME)
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args(argv)
    if args.command == "check":
        check(args.name)
    else:
        bench(args.copies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
