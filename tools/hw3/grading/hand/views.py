"""What the grading packet shows of one submission: each hand-graded answer with its evidence, and its theory PDF.

Everything here comes from untrusted zips and notebooks and is turned into data the templates
escape: Markdown becomes inert HTML (`markdown.py`), code stays text, images pass through the
`ImageStore` (PNG/JPEG/SVG only, sanitised, stored once per content hash), and a PDF is linked only
when it is one (stored once per content hash too). Each answer carries the hash it is scored
against (`fingerprint.py`) and its evidence: the outputs of the cells its rubric names, as the
student saved them beside what the graded run printed and drew, and the automatic scores of the
questions its rubric names as related.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from hw3.common.atomic import write_atomic
from hw3.common.images import MAX_IMAGES_PER_CELL, ImageStore, Refused, cell_images
from hw3.common.notebooks import parse_lenient
from hw3.common.regions import (
    Region,
    clean_solution,
    find_regions,
    match,
    normalised,
    reference_cells,
)
from hw3.grading.auto.assignments import Assignment
from hw3.grading.auto.intake import read_notebooks
from hw3.grading.auto.results import SubmissionRecord
from hw3.grading.hand import markdown
from hw3.grading.hand.fingerprint import NO_ANSWER, bytes_hash, cells_hash
from hw3.grading.hand.rubric import Rubric
from hw3.submission.rules import PDF_NAME, check_pdf_bytes

MAX_CODE_CHARS = 20_000  # of one code cell shown; the rest is cut with a note
MAX_OUTPUT_CHARS = 4_000  # of one cell's text outputs shown as evidence
HASH_CHARS = 20
EXTENSION_MIME = {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}


@dataclass
class Shown:
    """An image on a page: its URL relative to the page, and its size when known."""

    url: str
    width: int | None = None
    height: int | None = None


@dataclass
class CellView:
    """One cell of an answer: Markdown as safe HTML, or code/raw text, with the images it showed."""

    kind: str  # markdown, code or raw
    html: Markup = Markup("")
    text: str = ""
    images: list[Shown] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # images not shown, and why


@dataclass
class OutputView:
    """What one run of a cell showed: its text outputs (capped) and images."""

    text: str = ""
    images: list[Shown] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.text or self.images or self.refused)


@dataclass
class EvidenceView:
    """One cell the question asks about: where it is in the submission, and its outputs in both runs."""

    line: str  # the rubric's line naming the cell
    cell: int | None = None  # 1-based number in the submitted notebook; None when it is not there
    saved: OutputView = field(default_factory=OutputView)
    graded: OutputView | None = None  # None: the graded run kept nothing for this cell


@dataclass
class Related:
    """An autograded question's score, shown beside a hand-graded answer."""

    question: str
    score: float | None  # None: not graded
    points: float


@dataclass
class AnswerView:
    """One student's answer to one hand-graded question."""

    cells: list[CellView] = field(default_factory=list)
    drawn: CellView | None = (
        None  # the provided cell that draws a code answer, with the student's own figure
    )
    graded: list[Shown] = field(default_factory=list)  # the figures the graded run drew
    notes: list[str] = field(
        default_factory=list
    )  # for the TA: no notebook, answer not found, unchanged
    status: str = ""  # the notebook's grading status
    hash: str = NO_ANSWER  # of the answer cells (`fingerprint.py`)
    evidence: list[EvidenceView] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)


@dataclass
class TheoryView:
    """A submission's theory PDF: its URL when it is a real PDF, else why it is not shown."""

    url: str = ""
    pages: int | None = None
    notes: list[str] = field(default_factory=list)
    hash: str = NO_ANSWER  # of the PDF's bytes


class Renderer:
    """Turns cells into views, storing images in `images` (pages one level below it, hence `root`)."""

    def __init__(self, images: ImageStore, root: str = "../"):
        self.images = images
        self.root = root
        self.rendered: dict[
            str, Markup
        ] = {}  # Markdown without attachments -> HTML: copies render once

    def shown(self, stored) -> Shown:
        return Shown(
            f"{self.root}{self.images.folder.name}/{stored.name}", stored.width, stored.height
        )

    def markdown(self, text: str, attachments=None) -> Markup:
        """Markdown rendered; `attachment:NAME` images come from the cell's own attachments."""
        attachments = attachments if isinstance(attachments, dict) else {}
        if not attachments and text in self.rendered:
            return self.rendered[text]

        def resolve(src: str) -> str:
            if not src.startswith(markdown.ATTACHMENT):
                raise Refused("only images pasted into the cell are shown")
            bundle = attachments.get(src[len(markdown.ATTACHMENT) :])
            image = next(
                (
                    (m, v)
                    for m, v in (bundle.items() if isinstance(bundle, dict) else [])
                    if m in EXTENSION_MIME.values()
                ),
                None,
            )
            if image is None:
                raise Refused("no such PNG, JPEG or SVG attachment")
            return self.shown(self.images.add_value(*image)).url

        html = markdown.render(text, resolve)
        if not attachments:
            self.rendered[text] = html
        return html

    def cell(self, cell) -> CellView:
        kind = cell.get("cell_type")
        source = cell.get("source", "")
        source = source if isinstance(source, str) else ""
        if kind == "markdown":
            return CellView("markdown", html=self.markdown(source, cell.get("attachments")))
        view = CellView("code" if kind == "code" else "raw", text=cut(source))
        if kind == "code":
            self.add_images(view, cell)
        return view

    def add_images(self, view: CellView, cell) -> None:
        images = cell_images(cell)
        for mime, value in images[:MAX_IMAGES_PER_CELL]:
            try:
                view.images.append(self.shown(self.images.add_value(mime, value)))
            except Refused as why:
                view.refused.append(f"{mime}: {why}")
        if len(images) > MAX_IMAGES_PER_CELL:
            view.refused.append(
                f"{len(images) - MAX_IMAGES_PER_CELL} more image(s) not shown "
                f"(at most {MAX_IMAGES_PER_CELL} per cell)"
            )

    def saved_outputs(self, cell) -> OutputView:
        """The outputs a submitted cell holds (the student's own run): text and images."""
        view = CellView("code")
        self.add_images(view, cell)
        return OutputView(cut(output_text(cell), MAX_OUTPUT_CHARS), view.images, view.refused)

    def graded_outputs(self, entry: dict, folder: Path) -> OutputView:
        """A graded-run output entry ({"cell", "text", "images"}), its images copied into the packet."""
        images = [
            shown
            for name in entry.get("images", [])
            if (shown := self.stored_figure(folder / name))
        ]
        return OutputView(cut(str(entry.get("text", "")), MAX_OUTPUT_CHARS), images)

    def drawn(self, cell) -> CellView:
        """The provided drawing cell: its images only (its code is the released one)."""
        view = CellView("code")
        self.add_images(view, cell)
        return view

    def stored_figure(self, path: Path) -> Shown | None:
        """A graded-run figure kept in the state folder, copied into the packet (None when it is gone)."""
        mime = EXTENSION_MIME.get(path.suffix.lstrip("."))
        try:
            return self.shown(self.images.add(mime, path.read_bytes())) if mime else None
        except (OSError, Refused):
            return None


def cut(text: str, limit: int = MAX_CODE_CHARS) -> str:
    return (
        text
        if len(text) <= limit
        else text[:limit] + f"\n[cut: {len(text) - limit} more characters not shown]"
    )


def output_text(cell) -> str:
    """A cell's printed text: its streams, and the text/plain of results that are not images."""
    parts = []
    for output in cell.get("outputs", []) if isinstance(cell.get("outputs"), list) else []:
        if not isinstance(output, dict):
            continue
        if output.get("output_type") == "stream":
            parts.append(joined(output.get("text", "")))
        elif output.get("output_type") in ("execute_result", "display_data"):
            data = output.get("data") if isinstance(output.get("data"), dict) else {}
            if "text/plain" in data and not any(m in data for m in EXTENSION_MIME.values()):
                parts.append(joined(data["text/plain"]) + "\n")
    return "".join(parts)


def joined(value) -> str:
    """A notebook text field (a string, or a list of strings) as one string."""
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def code_lines(nb) -> dict[str, list[int]]:
    """{line with the spaces around it removed: indices of the code cells holding it}, read once per
    notebook (as `cells_holding_line` finds a rubric's evidence lines in the released one)."""
    found: dict[str, list[int]] = {}
    for index, cell in enumerate(nb.cells):
        source = cell.get("source", "")
        if cell.get("cell_type") == "code" and isinstance(source, str):
            for text in dict.fromkeys(t.strip() for t in source.splitlines()):
                found.setdefault(text, []).append(index)
    return found


def evidence_views(
    renderer: Renderer,
    nb,
    lines: dict[str, list[int]],
    rubric: Rubric,
    graded: list,
    figures_dir: Path,
) -> list[EvidenceView]:
    """The evidence cells of one answer: per rubric line, the submitted cell (`lines`: `code_lines(nb)`)
    and its outputs in both runs."""
    views = []
    for line in rubric.evidence:
        found = lines.get(line, [])
        view = EvidenceView(line)
        if found:
            view.cell = found[0] + 1
            view.saved = renderer.saved_outputs(nb.cells[found[0]])
            entry = next(
                (e for e in graded if isinstance(e, dict) and e.get("cell") == view.cell), None
            )
            view.graded = renderer.graded_outputs(entry, figures_dir) if entry else None
        views.append(view)
    return views


def related_scores(rubric: Rubric, assignment: Assignment, result) -> list[Related]:
    """The automatic scores of the questions a rubric names as related."""
    return [
        Related(
            name,
            result.scores.get(name) if result and result.status != "invalid" else None,
            assignment.info.questions[name].points,
        )
        for name in rubric.related
        if name in assignment.info.questions
    ]


def reference_view(renderer: Renderer, autograder_nb, region: Region) -> list[CellView]:
    """The reference answer of a region of the autograder notebook, otter's markers removed."""
    views = []
    for cell in reference_cells(autograder_nb, region):
        if cell.get("cell_type") == "code":
            views.append(CellView("code", text=clean_solution(cell.get("source", ""))))
        else:
            views.append(renderer.cell(cell))
    return views


def placeholders(assignment: Assignment, number: int) -> set[str]:
    """The released answer cells' text of a region: an answer still equal to one is unanswered."""
    region = assignment.regions[number]
    return {normalised(assignment.released.cells[i].get("source", "")) for i in region.cells}


def answer_views(
    renderer: Renderer,
    assignment: Assignment,
    data: bytes | None,
    why_missing: str,
    record: SubmissionRecord | None,
    figures_dir: Path,
    rubrics: list[Rubric],
) -> list[AnswerView]:
    """One view per manual question of `assignment` (in region order) for one submitted notebook;
    `rubrics` holds each question's rubric (its evidence and related questions)."""
    count = len(assignment.regions)
    result = record.notebooks.get(assignment.name) if record else None
    status = result.status if result else ""
    nb = parse_lenient(assignment.notebook, data)[0] if data is not None else None
    if nb is None:
        why = (
            why_missing or f"{assignment.notebook} is not in the zip"
            if data is None
            else f"{assignment.notebook} cannot be read as a notebook"
        )
        return [
            AnswerView(
                notes=[why],
                status=status,
                related=related_scores(rubrics[number], assignment, result),
            )
            for number in range(count)
        ]
    views = []
    outputs = result.outputs if result else []
    lines = code_lines(nb) if any(r.evidence for r in rubrics) else {}
    for number, region in enumerate(match(assignment.regions, find_regions(nb))):
        view = AnswerView(status=status)
        view.related = related_scores(rubrics[number], assignment, result)
        view.evidence = evidence_views(
            renderer,
            nb,
            lines,
            rubrics[number],
            outputs[number] if number < len(outputs) and isinstance(outputs[number], list) else [],
            figures_dir,
        )
        if region is None:
            view.notes.append(
                "answer not found: the question's cells were moved or deleted (see the notebook)"
            )
        else:
            released = placeholders(assignment, number)
            answered = [
                i for i in region.cells if normalised(nb.cells[i].get("source", "")) not in released
            ]
            if not answered:
                view.notes.append("unanswered: the answer cells are as released")
            view.cells = [renderer.cell(nb.cells[i]) for i in (answered or region.cells)]
            view.hash = cells_hash([nb.cells[i] for i in region.cells])
            if region.drawn_by is not None:
                view.drawn = renderer.drawn(nb.cells[region.drawn_by])
        names = (
            dict.fromkeys(result.figures[number]) if result and number < len(result.figures) else []
        )
        view.graded = [
            shown for name in names if (shown := renderer.stored_figure(figures_dir / name))
        ]
        views.append(view)
    return views


class PdfStore:
    """Real PDFs copied into the packet once per content hash."""

    def __init__(self, folder: Path, root: str = "../"):
        self.folder = folder
        self.root = root

    def view(self, data: bytes | None, why_missing: str) -> TheoryView:
        if data is None:
            return TheoryView(notes=[why_missing or f"{PDF_NAME} is not in the zip"])
        problems, pages = check_pdf_bytes(data)
        if not data.startswith(b"%PDF") or not pages:
            return TheoryView(
                notes=(problems or [f"{PDF_NAME}: is not a PDF"])
                + ["not embedded here: a file that is not a PDF is never opened in the browser"],
                hash=bytes_hash(data),
            )
        name = f"{hashlib.sha256(data).hexdigest()[:HASH_CHARS]}.pdf"
        if not (self.folder / name).is_file():
            write_atomic(self.folder / name, data)
        return TheoryView(
            f"{self.root}{self.folder.name}/{name}", pages, problems, bytes_hash(data)
        )


def read_submission(
    path: Path, assignments: list[Assignment]
) -> tuple[dict[str, bytes], dict[str, str]]:
    """({member: bytes}, {member: why it could not be read}) of the notebooks and the PDF, read safely."""
    names = [a.notebook for a in assignments] + [PDF_NAME]
    datas, missing, refused = read_notebooks(path, names)
    if refused:
        missing = {name: f"the zip was refused ({refused})" for name in names}
    return datas, missing
