"""The grading packet: a static site under DIR/packet/ for grading the hand-graded notebook questions by
question and the theory PDFs by student, in a browser from file://, with no server and no network.

    packet/index.html               questions, submissions (by pseudonym), progress, the scores download and
                                    the loading of a scores file back into the browser
    packet/questions/<column>.html  one hand-graded question: its prompt, rubric and reference answer beside
                                    every student's answer (Markdown and math rendered, the student's saved
                                    figures and, for a code answer, the figure the graded run drew), its
                                    evidence (the outputs of the cells the rubric names, saved and graded, and
                                    the automatic scores of related questions) and its grading panel: rubric
                                    items, an adjustment, a comment
    packet/theory/NNNN.html         one submission: its PDF inline beside a grading panel per item
    packet/theory/rubric.html       the theory reference answers and rubrics, one anchor per item
    packet/images/<hash>.<ext>      each distinct image once, sanitised (`images.py`)
    packet/pdfs/<hash>.pdf          each distinct PDF once
    packet/sheet.js                 the rows and columns of manual_scores.csv (`sheet.py`) and the packet's id
    packet/packet.js, packet.css    the one script and style

Submissions are listed under stable pseudonyms in a keyed-hash order (`anonymous.py`); the names
are only in sheet.js, for the download and the "show names" switch. Every answer carries its hash
(`fingerprint.py`): the browser keeps the hash each score was given to and flags a score whose
answer has changed since.

Student content never runs: the templates autoescape, Markdown has raw HTML off, and every page's
Content-Security-Policy allows only the packet's own script, style, images and frames (an inline
script that slipped through would not run). Images and PDFs are lazy-loaded. The packet's id (kept
in DIR/.state/) names its scores in the browser's localStorage, so rebuilding the packet keeps a
TA's progress and two classes never mix. The site is built in a scratch folder and swapped in whole.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from hw3.common.atomic import write_atomic
from hw3.common.folders import claim, clear_claimed
from hw3.common.images import ImageStore, Refused
from hw3.common.notebooks import read as read_notebook
from hw3.common.regions import find_regions
from hw3.common.templates import html_environment
from hw3.errors import Hw3Error
from hw3.grading.auto.assignments import Assignment
from hw3.grading.auto.results import SubmissionRecord
from hw3.grading.auto.state import FIGURES_DIR, STATE_DIR
from hw3.grading.hand import markdown
from hw3.grading.hand.anonymous import anonymous_order, pseudonyms
from hw3.grading.hand.course import THEORY, Course, CourseError
from hw3.grading.hand.rubric import Rubric
from hw3.grading.hand.sheet import ScoreColumn, Sheet, SheetRow
from hw3.grading.hand.views import (
    AnswerView,
    PdfStore,
    Renderer,
    TheoryView,
    answer_views,
    read_submission,
    reference_view,
)
from hw3.submission.rules import PDF_NAME

PACKET_DIR = "packet"
BUILD_DIR = ".packet-build"
OLD_DIR = ".packet-old"
IMAGES_DIR, PDFS_DIR, QUESTIONS_DIR, THEORY_DIR = "images", "pdfs", "questions", "theory"
PACKET_ID = "packet_id"  # in the run's state folder
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_FILES = ("packet.js", "packet.css")
CSP = (
    "default-src 'none'; script-src 'self' file:; style-src 'self' file:; img-src 'self' file:; "
    "frame-src 'self' file:; object-src 'self' file:; base-uri 'none'; form-action 'none'"
)
ENVIRONMENT = html_environment(TEMPLATES)
ENVIRONMENT.filters["inline"] = markdown.render_inline  # rubric texts: TeX as MathML
HEADING = re.compile(r"^(#{1,6}) +(.*)$")
FENCE = re.compile(r"^\s*(```|~~~)")
RUBRIC_IMAGES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


@dataclass
class Submission:
    """One zip of the run as the packet needs it."""

    path: Path
    row: SheetRow
    record: SubmissionRecord | None


@dataclass
class Packet:
    """What `write_packet` built: the folder, its pages, its size, how long it took, and the current
    answer hashes ({submission: {score column: hash}})."""

    folder: Path
    pages: int
    size_bytes: int
    seconds: float
    answers: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Entry:
    """A submission on a page: its row, its pseudonym, and what is shown of it."""

    row: SheetRow
    view: AnswerView | TheoryView
    file: str = ""
    pseudonym: str = ""


@dataclass
class QuestionPage:
    column: ScoreColumn
    prompt: markdown.Markup
    reference: list
    answers: list[Entry]
    file: str
    prev: str = ""
    next: str = ""


@dataclass
class RubricSection:
    item: str
    points: float
    anchor: str
    html: markdown.Markup
    rubric: Rubric = field(default_factory=Rubric)


def packet_id(state: Path) -> str:
    """The id of this output folder's packet (made once, kept in the state folder)."""
    path = state / PACKET_ID
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        write_atomic(path, uuid.uuid4().hex + "\n")
        return path.read_text(encoding="utf-8").strip()


def anchor(item: str) -> str:
    """The rubric anchor of theory item "1.1.1 (1)": item-1-1-1-1."""
    return "item-" + "-".join(re.findall(r"\d+", item))


def rubric_texts(text: str, items) -> dict[str, str]:
    """{item: Markdown of its reference answer}: the text under each `### <item> ...` heading up to the next
    heading of the same or a higher level (fenced code blocks are skipped over)."""
    found: dict[str, list[str]] = {}
    current, level, fenced = None, 0, False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else HEADING.match(line)
        if heading and (current is None or len(heading.group(1)) <= level):
            current = next((item for item in items if heading.group(2).startswith(item)), None)
            level = len(heading.group(1))
            if current is not None:
                found[current] = []
            continue
        if current is not None:
            found[current].append(line)
    return {item: "\n".join(lines).strip() for item, lines in found.items()}


def rubric_sections(course: Course, sheet: Sheet, images: ImageStore) -> list[RubricSection]:
    """The theory rubric: each course item with its points and rendered reference answer (images beside
    the answers file are copied through the image store)."""
    try:
        text = course.answers.read_text(encoding="utf-8")
    except OSError:
        text = ""
    renderer = Renderer(images)
    base = course.answers.parent

    def resolve(src: str) -> str:
        path = (base / src).resolve()
        mime = RUBRIC_IMAGES.get(path.suffix.lower())
        if base not in path.parents or mime is None or not path.is_file():
            raise Refused("not an image file beside the answers")
        return renderer.shown(images.add(mime, path.read_bytes())).url

    texts = rubric_texts(text, list(course.theory))
    rubrics = {c.key: c.rubric for c in sheet.columns if c.part == THEORY}
    return [
        RubricSection(
            item,
            points,
            anchor(item),
            markdown.render(texts[item], resolve) if texts.get(item) else markdown.Markup(""),
            rubrics.get(item, Rubric()),
        )
        for item, points in course.theory.items()
    ]


def check_regions(course: Course, assignments: list[Assignment]) -> None:
    """CourseError unless each graded notebook has as many hand-graded regions as the course lists questions."""
    for assignment in assignments:
        listed = list(course.manual.get(assignment.name, {}))
        if len(listed) != len(assignment.regions):
            raise CourseError(
                f"{course.path}: [manual.{assignment.name}] lists {len(listed)} question(s), but the "
                f"released {assignment.notebook} has {len(assignment.regions)} hand-graded question(s) "
                "(<!-- BEGIN QUESTION --> cells): make them agree, then run hw3 release"
            )


def refuse_packet_folder(out: Path) -> None:
    """Hw3Error when `out` is (or lies in) the packet of an output folder: a TA who reads the packet's
    "--out <this folder>" literally would regrade every zip into it."""
    for folder in [out, *out.parents]:
        if folder.name == PACKET_DIR and (folder.parent / STATE_DIR).is_dir():
            raise Hw3Error(
                f"--out {out}: this is inside the grading packet of {folder.parent}: pass "
                f"--out {folder.parent} (the folder that holds gradebook.csv)"
            )


def render(template: str, root: str, **context) -> str:
    return ENVIRONMENT.get_template(template).render(root=root, csp=CSP, **context)


def sheet_script(
    identity: str, sheet: Sheet, names: dict[str, str], answers: dict[str, dict[str, str]]
) -> str:
    """sheet.js: the packet id, the rows and columns the download writes, each column's rubric items,
    each row's pseudonym and current answer hashes (JSON, so any name is safe)."""
    data = {
        "id": identity,
        "header": sheet.header,
        "legacy_header": sheet.legacy_header,
        "columns": [
            {
                "name": c.name,
                "comment": c.comment,
                "applied": c.applied,
                "adjust": c.adjust,
                "answer": c.answer,
                "points": c.points,
                "label": c.label,
                "part": c.part,
                "items": [{"id": i.id, "points": i.points} for i in c.rubric.items],
            }
            for c in sheet.columns
        ],
        "rows": [
            {
                "submission": r.submission,
                "student_number": r.student_number,
                "full_name": r.full_name,
                "pseudonym": names[r.submission],
                "answers": answers.get(r.submission, {}),
            }
            for r in sheet.rows
        ],
    }
    return "window.HW3_SHEET = " + json.dumps(data, ensure_ascii=True) + ";\n"


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def question_pages(
    course: Course,
    sheet: Sheet,
    assignments: list[Assignment],
    renderer: Renderer,
    release_root: Path,
) -> list[QuestionPage]:
    """One page per hand-graded question (answers still empty), with its prompt and reference answer."""
    pages = []
    for assignment in assignments:
        autograder_nb = autograder_notebook(release_root, assignment)
        solutions = find_regions(autograder_nb) if autograder_nb is not None else []
        for number, question in enumerate(course.manual.get(assignment.name, {})):
            column = sheet.column(f"{assignment.name}_{question}")
            region = assignment.regions[number]
            reference = (
                reference_view(renderer, autograder_nb, solutions[number])
                if number < len(solutions)
                else []
            )
            pages.append(
                QuestionPage(
                    column,
                    renderer.markdown(region.prompt),
                    reference,
                    [],
                    f"{QUESTIONS_DIR}/{column.name}.html",
                )
            )
    for before, after in zip(pages, pages[1:]):
        before.next, after.prev = f"../{after.file}", f"../{before.file}"
    return pages


def autograder_notebook(release_root: Path, assignment: Assignment):
    """The autograder copy of a notebook (it holds the reference answers), or None when it is missing."""
    path = release_root / "autograder" / assignment.name / assignment.notebook
    try:
        return read_notebook(path)
    except (OSError, ValueError):
        return None


def write_page(path: Path, text: str) -> None:
    """One file of the build folder. No fsync per file: the build is swapped in whole (`swap_in`), and a
    build a crash cut short is cleared by the next run, so only the swap needs to be atomic."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_packet(
    *,
    out: Path,
    state: Path,
    course: Course,
    sheet: Sheet,
    assignments: list[Assignment],
    submissions: list[Submission],
    release_root: Path,
) -> Packet:
    """Build DIR/packet/ (see the module docstring) for `submissions` (in sheet order) and swap it in."""
    start = time.monotonic()
    check_regions(course, assignments)
    build = clear_claimed(out / BUILD_DIR, "grade")
    images = ImageStore(build / IMAGES_DIR)
    pdfs = PdfStore(build / PDFS_DIR)
    renderer = Renderer(images)
    pages = question_pages(course, sheet, assignments, renderer, release_root)
    by_column = {page.column.name: page for page in pages}
    key = packet_id(state)
    names = pseudonyms(key, [s.row.submission for s in submissions])
    order = {name: n for n, name in enumerate(anonymous_order(key, list(names)))}
    submissions = sorted(submissions, key=lambda s: order[s.row.submission])
    theory: list[Entry] = []
    answers: dict[str, dict[str, str]] = {}
    figures = state / FIGURES_DIR
    for number, submission in enumerate(submissions, start=1):
        sub = submission.row.submission
        hashes = answers.setdefault(sub, {})
        datas, missing = read_submission(submission.path, assignments)
        for assignment in assignments:
            questions = course.manual.get(assignment.name, {})
            columns = [sheet.column(f"{assignment.name}_{q}") for q in questions]
            views = (
                answer_views(
                    renderer,
                    assignment,
                    datas.get(assignment.notebook),
                    missing.get(assignment.notebook, ""),
                    submission.record,
                    figures,
                    [c.rubric for c in columns],
                )
                if questions
                else []
            )
            for column, view in zip(columns, views):
                hashes[column.name] = view.hash
                by_column[column.name].answers.append(
                    Entry(submission.row, view, pseudonym=names[sub])
                )
        view = pdfs.view(datas.get(PDF_NAME), missing.get(PDF_NAME, ""))
        for column in sheet.columns:
            if column.part == THEORY:
                hashes[column.name] = view.hash
        theory.append(Entry(submission.row, view, f"{THEORY_DIR}/{number:04d}.html", names[sub]))
    theory_columns = [c for c in sheet.columns if c.part == THEORY]
    anchors = {item: anchor(item) for item in course.theory}
    written = 0
    for page in pages:
        write_page(build / page.file, render("question.html.j2", "../", page=page))
        written += 1
    for number, entry in enumerate(theory):
        prev = f"../{theory[number - 1].file}" if number > 0 else ""
        next_ = f"../{theory[number + 1].file}" if number + 1 < len(theory) else ""
        write_page(
            build / entry.file,
            render(
                "theory.html.j2",
                "../",
                entry=entry,
                number=number + 1,
                count=len(theory),
                prev=prev,
                next=next_,
                columns=theory_columns,
                anchors=anchors,
            ),
        )
        written += 1
    write_page(
        build / THEORY_DIR / "rubric.html",
        render(
            "rubric.html.j2",
            "../",
            sections=rubric_sections(course, sheet, images),
            source=course.answers.name,
            course=course.path.name,
        ),
    )
    write_page(
        build / "index.html",
        render(
            "index.html.j2",
            "",
            rows=sheet.rows,
            questions=pages,
            theory=theory,
            theory_total=course.theory_total,
            theory_items=len(course.theory),
            rubric=f"{THEORY_DIR}/rubric.html",
            out=str(out),
        ),
    )
    write_page(build / "sheet.js", sheet_script(key, sheet, names, answers))
    for name in STATIC_FILES:
        shutil.copyfile(STATIC / name, build / name)
    folder = swap_in(out, build)
    return Packet(folder, written + 2, folder_size(folder), time.monotonic() - start, answers)


def swap_in(out: Path, build: Path) -> Path:
    """Replace DIR/packet with the finished build; an old packet is removed only when hw3 made it."""
    target, old = out / PACKET_DIR, out / OLD_DIR
    if old.exists():  # what a killed run left
        shutil.rmtree(clear_claimed(old, "grade"))
    if target.exists():
        claim(target, "grade")  # refuses, with one line, a folder hw3 did not make
        target.rename(old)
    build.rename(target)
    if old.exists():
        shutil.rmtree(old)
    return target
