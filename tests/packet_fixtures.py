"""A synthetic class for the grading packet and the merge, graded by a stand-in for the grading harness.

Every zip is built from the committed release (nothing binary is committed): the reference (the
autograder notebooks, with the figures a run saves), the unchanged student notebooks, partial ones
with written answers in Persian and English, a hostile one, and one without a notebook. The
stand-in grader (`fake_harness`) gives a question full marks when its answer cells no longer raise
NotImplementedError, so the automatic points of each zip are known, and reports a figure for the
cells the real run would draw and a line of text for each requested cell that prints.

    python tests/packet_fixtures.py bench [--copies 300]   # seconds and size of the packet of N copies,
                                                           # of the merge, and one rubric edit's reach
"""

import argparse
import base64
import csv
import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grade_fixtures as fx
import nbformat
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from support import ASSIGNMENTS, REPO

from hw3.common import answers
from hw3.common.pdfwrite import one_page_pdf
from hw3.common.regions import clean_solution, find_regions
from hw3.grading.auto import notebook
from hw3.grading.auto.autograder_info import read_autograder
from hw3.grading.cli import grade_main
from hw3.grading.hand.course import THEORY, Course, load_course
from hw3.grading.hand.rubric import RUBRIC_FILE, Rubric, RubricItem, Rubrics, load_rubrics
from hw3.submission.rules import PDF_NAME, zip_name

COURSE = REPO / "reference" / "course.toml"
AUTOGRADERS = {
    name: read_autograder(REPO / "autograder" / name / f"{name}-autograder.zip")
    for name in ASSIGNMENTS
}
STUB_RAISES = "NotImplementedError"
PERSIAN_ANSWER = (
    "**پاسخ:** سرگشتگی LSTM برابر ۳٫۲ و GRU برابر ۳٫۳ و RNN ساده برابر ۴٫۱ بود.\n\n"
    "| مدل | پارامترها |\n|---|---|\n| LSTM | 1200 |\n"
)
PERSIAN_PHRASE = "سرگشتگی LSTM برابر"
ENGLISH_ANSWER = (
    "The textbook model was trained on [0, 1] targets; see [the notes](https://example.org/notes)."
)
HOSTILE_MARKDOWN = (
    'Hi <script>window.PWNED = 1</script> <img src=x onerror="window.PWNED = 2">\n\n'
    "[click me](javascript:window.PWNED=3) ![remote](http://198.51.100.7/track.png) "
    "![pasted](attachment:huge.png) ![logo](attachment:logo.svg)"
)
HOSTILE_CODE = (
    "# </pre><script>window.PWNED = 4</script>\n"
    "def plot_forecast(dates, actual, predicted):\n    return None\n"
)
EVIL_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" onload="window.PWNED = 5">'
    '<script>window.PWNED = 6</script><rect width="40" height="20" fill="red"/></svg>'
)
# the number rule of hw3.grading.hand.numbers, run through both it and the packet's script:
# text -> the number it is, or None when it is refused (blank is neither: not graded)
NUMBER_CASES = {
    "0.5": 0.5,
    "2": 2.0,
    "1.": 1.0,
    ".5": 0.5,
    " 1.5 ": 1.5,
    "-1": -1.0,
    "−0.5": -0.5,
    "+0.25": 0.25,
    "۰.۵": 0.5,
    "۰٫۵": 0.5,
    "٣": 3.0,
    "5e-1": None,
    "0.5_0": None,
    "1,5": None,
    "nan": None,
    "inf": None,
    "1..2": None,
    "--1": None,
    "½": None,
    "0x1": None,
}
HOSTILE_NAME = "DL_HW3__4015210009__<img src=x onerror=alert(1)>.zip"
HUGE_SIDE = 20_000  # pixels: a tiny file that would decode to 400 megapixels
PERSIAN_TEX = r"""\documentclass[11pt,a4paper]{article}
\usepackage{amsmath}
\usepackage{xepersian}
\settextfont{Amiri}
\setlatintextfont{DejaVu Serif}
\begin{document}
%s
\end{document}
"""
PERSIAN_PDF_TEXT = "گرادیان در شبکه بازگشتی در هر گام در یک ماتریس ضرب می‌شود"


def png(color: str, size=(4, 2)) -> bytes:
    """A small matplotlib figure as PNG (a stand-in for a plot a run draws)."""
    figure = Figure(figsize=size)
    FigureCanvasAgg(figure)
    figure.subplots().plot([0, 1, 2], [1, 0, 2], color=color)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=60)
    return buffer.getvalue()


STUDENT_FIGURE = png("tab:orange")  # the plot a student's own run saved
GRADED_FIGURE = png("tab:green")  # the plot the stand-in grader "draws"
GRADED_TEXT = (
    "| LSTM        | RMSE $ 2.99 | (printed by the stand-in graded run)\n"  # what it "prints"
)


def huge_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (HUGE_SIDE, HUGE_SIDE)).save(buffer, "PNG")
    return buffer.getvalue()


def image_output(data: bytes, mime: str = "image/png") -> nbformat.NotebookNode:
    value = base64.b64encode(data).decode() if mime != "image/svg+xml" else data.decode()
    return nbformat.v4.new_output("display_data", data={mime: value, "text/plain": "<Figure>"})


def read(kind: str, name: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO / kind / name / f"{name}.ipynb", as_version=4)


def with_answers(
    nb: nbformat.NotebookNode,
    name: str,
    texts: dict[int, str] | None = None,
    outputs: dict[int, list] | None = None,
    attachments: dict[int, dict] | None = None,
) -> nbformat.NotebookNode:
    """A copy whose hand-graded regions get new text (region number -> source of its first answer cell),
    saved outputs on the cell that draws region n, and attachments on its first answer cell."""
    nb = nbformat.from_dict(nb)
    regions = find_regions(nb)
    for number, text in (texts or {}).items():
        nb.cells[regions[number].cells[0]]["source"] = text
    for number, extra in (outputs or {}).items():
        nb.cells[regions[number].drawn_by]["outputs"] = extra
    for number, files in (attachments or {}).items():
        nb.cells[regions[number].cells[0]]["attachments"] = files
    return nb


def reference_notebooks() -> dict[str, nbformat.NotebookNode]:
    """The autograder notebooks as a student would submit them after a run: q7's plot saved."""
    apple = with_answers(
        read("autograder", "apple_stock"),
        "apple_stock",
        outputs={0: [image_output(STUDENT_FIGURE)]},
    )
    return {"hafez": fx.executed(read("autograder", "hafez")), "apple_stock": fx.executed(apple)}


def members(notebooks: dict[str, nbformat.NotebookNode], pdf: bytes | None) -> dict[str, bytes]:
    files = {f"{name}.ipynb": nbformat.writes(nb).encode() for name, nb in notebooks.items()}
    if pdf is not None:
        files[PDF_NAME] = pdf
    return files


def persian_pdf(folder: Path) -> bytes:
    """A one-page PDF with Persian text, typeset by XeLaTeX (XePersian, Amiri)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "answers.tex").write_text(PERSIAN_TEX % PERSIAN_PDF_TEXT, encoding="utf-8")
    subprocess.run(
        ["xelatex", "-interaction=nonstopmode", "-halt-on-error", "answers.tex"],
        cwd=folder,
        capture_output=True,
        check=True,
        timeout=180,
    )
    return (folder / "answers.pdf").read_bytes()


def write_class(folder: Path, pdf: bytes) -> dict[str, Path]:
    """The synthetic class: {role: zip path}; `pdf` is the reference student's theory PDF."""
    hostile_apple = with_answers(
        read("student", "apple_stock"),
        "apple_stock",
        texts={0: HOSTILE_CODE, 1: HOSTILE_MARKDOWN},
        outputs={0: [image_output(EVIL_SVG.encode(), "image/svg+xml"), image_output(huge_png())]},
        attachments={
            1: {
                "huge.png": {"image/png": base64.b64encode(huge_png()).decode()},
                "logo.svg": {"image/svg+xml": EVIL_SVG},
            }
        },
    )
    partial_hafez = answers.splice(
        read("student", "hafez"),
        read("autograder", "hafez"),
        ["q1_vocab", "q2_batches", "q3_lstm_cell"],
    )
    partial_apple = answers.splice(
        read("student", "apple_stock"), read("autograder", "apple_stock"), ["q1_load_split"]
    )
    roles = {
        "reference": (zip_name("4015210001", "Reference"), members(reference_notebooks(), pdf)),
        "unchanged": (
            zip_name("4015210002", "Unchanged"),
            members({n: read("student", n) for n in ASSIGNMENTS}, one_page_pdf("Unchanged")),
        ),
        "partial": (
            zip_name("4015210003", "Partial"),
            members(
                {
                    "hafez": with_answers(partial_hafez, "hafez", texts={0: PERSIAN_ANSWER}),
                    "apple_stock": with_answers(
                        partial_apple, "apple_stock", texts={1: ENGLISH_ANSWER}
                    ),
                },
                one_page_pdf("Partial answers"),
            ),
        ),
        "hostile": (
            HOSTILE_NAME,
            members({"hafez": read("student", "hafez"), "apple_stock": hostile_apple}, fx.DOCX),
        ),
        "apple_only": (
            zip_name("4015210004", "AppleOnly"),
            members({"apple_stock": read("student", "apple_stock")}, None),
        ),
    }
    return {role: fx.write_zip(folder / name, files) for role, (name, files) in roles.items()}


def automatic_points(nb: nbformat.NotebookNode, name: str) -> dict[str, float]:
    """The stand-in grader's scores: full marks for a question whose answer cells no longer raise the stub's error."""
    cells = answers.answer_cells(nb)
    return {
        q: (
            0.0
            if any(STUB_RAISES in clean_solution(nb.cells[i].source) for i in cells.get(q, []))
            else question.points
        )
        for q, question in AUTOGRADERS[name].questions.items()
    }


def fake_harness():
    """A `notebook.run_harness` stand-in that reports what the harness would (see the module docstring)."""

    def run_harness(job, limits, stop):
        nb = nbformat.reads(job.notebook, as_version=4)
        name = Path(job.name).stem
        scores = automatic_points(nb, name)
        questions = {
            q: {
                "score": scores[q],
                "max_score": c.points,
                "cases": [
                    {"passed": scores[q] > 0, "message": "", "student_text": ""} for _ in c.cases
                ],
            }
            for q, c in AUTOGRADERS[name].questions.items()
        }
        sources = {
            i: nb.cells[i].source.split("\n", 1)[-1] for i in job.report
        }  # past the seed line
        defined = [s for s in sources.values() if s.lstrip().startswith("def plot_forecast")]
        works = bool(defined) and all(STUB_RAISES not in clean_solution(s) for s in defined)
        drawn = [{"mime": "image/png", "data": base64.b64encode(GRADED_FIGURE).decode()}]
        outputs = {
            str(i): (
                drawn if works and "plot_forecast(" in source and source not in defined else []
            )
            + ([{"text": GRADED_TEXT}] if "print(" in source else [])
            for i, source in sources.items()
        }
        report = {
            "status": "ok",
            "cells": [],
            "outputs": outputs,
            "questions": questions,
            "tampered": [],
        }
        return notebook.HarnessRun(report, 0, 0.5, "")

    return run_harness


def bench(copies: int) -> None:
    """Seconds and size of the packet for `copies` copies of the reference (graded by the stand-in), the
    seconds of the merge, and how many totals one rubric edit changes."""
    from hw3.grading.run import grade

    notebook.run_harness = fake_harness()
    with tempfile.TemporaryDirectory(prefix="hw3-packet-bench-") as tmp:
        subs = Path(tmp) / "subs"
        files = members(reference_notebooks(), one_page_pdf("Theory answers of the reference"))
        for i in range(copies):
            fx.write_zip(subs / zip_name(f"40152{i:05d}", "Reference"), files)
        course_path = course_with_theory_rubric(Path(tmp) / "course")
        run_args = dict(
            paths=[subs], out=Path(tmp) / "out", release_root=REPO, jobs=2, use_sandbox=False,
        )  # fmt: skip
        start = time.monotonic()
        run = grade(**run_args, course=load_course(course_path))
        packet = run.hand.packet
        print(
            f"{copies} copies of the reference: graded by the stand-in and packet built in "
            f"{time.monotonic() - start:.1f} s; the packet alone: {packet.seconds:.1f} s, {packet.pages} pages, "
            f"{packet.size_bytes / 2**20:.2f} MB ({sum(1 for _ in (packet.folder / 'images').iterdir())} image(s), "
            f"{sum(1 for _ in (packet.folder / 'pdfs').iterdir())} PDF(s))"
        )
        du = subprocess.run(["du", "-sh", str(packet.folder)], capture_output=True, text=True)
        print(f"du -sh: {du.stdout.split()[0]}")
        scores = rubric_marks(
            Path(tmp) / "out" / "manual_scores.csv", Path(tmp) / "filled.csv", course_path
        )
        start = time.monotonic()
        run = grade(**run_args, course=load_course(course_path), manual=[scores])
        complete = sum(row.total is not None for row in run.hand.merged.rows)
        print(
            f"rerun with --manual (records kept, packet rebuilt, merge, report): {time.monotonic() - start:.1f} s, "
            f"{complete} of {copies} complete"
        )
        before = {row.row.submission: row.total for row in run.hand.merged.rows}
        rubric = course_path.parent / "hafez" / RUBRIC_FILE
        edited = rubric.read_text(encoding="utf-8")
        for old, new in RUBRIC_EDIT:
            edited = edited.replace(old, new)
        rubric.write_text(edited, encoding="utf-8")
        run = grade(**run_args, course=load_course(course_path), manual=[scores])
        changed = sum(before[r.row.submission] != r.total for r in run.hand.merged.rows)
        print(
            f"rubric edit (hafez q8_compare: winner 0.5 -> 0.25, gradient_paths 1.5 -> 1.75), merged "
            f"again: {changed} of {copies} totals changed ({run.hand.merged.followed} score(s) follow it)"
        )
        shutil.rmtree(subs)


RUBRIC_EDIT = [
    ('id = "winner", points = 0.5', 'id = "winner", points = 0.25'),
    ('id = "gradient_paths", points = 1.5', 'id = "gradient_paths", points = 1.75'),
]


def rubric_marks(empty: Path, filled: Path, course_path: Path) -> Path:
    """The empty scores file filled as TAs with rubrics would: every item applied to every score, except
    hafez q8_compare, where submission n gets the items of the bits of n (16 combinations), with the
    score column written as the rubric gives it then (as the packet's download writes it)."""
    from hw3.grading.hand.sheet import score_columns

    course = load_course(course_path)
    columns = score_columns(course, list(ASSIGNMENTS), load_rubrics(course, list(ASSIGNMENTS)))
    with empty.open(newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    header = records[0]
    for n, record in enumerate(records[1:]):
        for column in columns:
            items = [i for i in column.rubric.items]
            if column.name == "hafez_q8_compare":
                items = [i for bit, i in enumerate(items) if n >> bit & 1]
            record[header.index(column.applied)] = " ".join(i.id for i in items)
            record[header.index(column.name)] = f"{sum(i.points for i in items):g}"
            if not items:
                record[header.index(column.adjust)] = "0"
    with filled.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(records)
    return filled


# ---- rubrics the hand-grading tests own (they never depend on the committed theory rubric): every
# hand-graded question and theory item of the committed course gets items adding up to its points

THEORY_ITEMS = {  # item id -> share of the item's points
    "definition": 0.5,
    "reason": 0.5,
}
TEX_NOTE = " ($p = e^{-\\\\ell}$)"  # TeX in a rubric text, as the theory rubric writes formulas
Q8_ITEMS = {"perplexities": 0.5, "parameters": 0.5, "winner": 0.5, "gradient_paths": 1.5}


def theory_rubric(points: float) -> Rubric:
    return Rubric(
        tuple(
            RubricItem(i, share * points, f"{i.capitalize()} is right")
            for i, share in THEORY_ITEMS.items()
        ),
        ("A common mistake",),
    )


def fixture_rubrics(course: Course | None = None) -> Rubrics:
    """The committed notebook rubrics' shape for hafez q8 (ids as there), a two-item rubric elsewhere."""
    course = course or load_course(COURSE)
    tables = {}
    for part, questions in course.manual.items():
        for question, points in questions.items():
            items = (
                tuple(RubricItem(i, p, f"{i} earned") for i, p in Q8_ITEMS.items())
                if question == "q8_compare"
                else (
                    RubricItem("first", points / 2, "first half"),
                    RubricItem("second", points / 2, "second half"),
                )
            )
            tables[(part, question)] = Rubric(items)
    for item, points in course.theory.items():
        tables[(THEORY, item)] = theory_rubric(points)
    return Rubrics(tables)


def theory_toml(course: Course | None = None) -> str:
    """A theory rubric file in the shared format, for the loader and the packet tests."""
    course = course or load_course(COURSE)
    lines = []
    for item, points in course.theory.items():
        items = ", ".join(
            f'{{ id = "{i}", points = {share * points}, text = "{i.capitalize()} is right{TEX_NOTE}" }}'
            for i, share in THEORY_ITEMS.items()
        )
        lines += [f'["{item}"]', f"items = [{items}]", 'mistakes = ["A common mistake"]', ""]
    return "\n".join(lines)


def course_with_theory_rubric(folder: Path) -> Path:
    """A copy of the committed course settings, notebook rubrics and theory answers in `folder`, with
    this module's theory rubric: the path of its course.toml."""
    text = (REPO / "reference" / "course.toml").read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "course.toml").write_text(
        text.replace(
            'answers = "theory/answers.md"',
            f'answers = "{REPO / "reference" / "theory" / "answers.md"}"',
        ),
        encoding="utf-8",
    )
    for name in ASSIGNMENTS:  # their declarations (the registry) and rubrics
        (folder / name).mkdir(exist_ok=True)
        for file in (RUBRIC_FILE, "assignment.toml"):
            (folder / name / file).write_text(
                (REPO / "reference" / name / file).read_text(encoding="utf-8"), encoding="utf-8"
            )
    (folder / THEORY).mkdir(exist_ok=True)
    (folder / THEORY / RUBRIC_FILE).write_text(theory_toml(), encoding="utf-8")
    return folder / "course.toml"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["bench"])
    parser.add_argument("--copies", type=int, default=300)
    args = parser.parse_args(argv)
    bench(args.copies)
    return 0


def grade_class(
    folder: Path, pdf: bytes, *extra: str, keep: bool = False
) -> tuple[dict[str, Path], Path, int]:
    """Write the synthetic class under `folder` and grade it with the stand-in: (zips by role, out, exit
    code); `keep` grades the zips already there (a test changed one) and returns no zips."""
    zips = {} if keep else write_class(folder / "subs", pdf)
    out = folder / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(notebook, "run_harness", fake_harness())
        code = grade_main(
            [
                str(folder / "subs"),
                "--out",
                str(out),
                "--release",
                str(REPO),
                "--no-sandbox",
                "--jobs",
                "2",
                *extra,
            ]
        )
    return zips, out, code


if __name__ == "__main__":
    sys.exit(main())
