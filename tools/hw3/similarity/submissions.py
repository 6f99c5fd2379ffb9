"""What each submitted zip holds for the comparison: per question the student's own code, and the outputs.

A question's region is its answer cells less the lines of the released stub; code cells a student
added form the `<assignment>:other` region, less the provided lines. Regions carry winnowed
fingerprints (`fingerprints.py`). Outputs become units: printed lines, image hashes, widget ids.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import html
import itertools
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from hw3.common.answers import answer_cells
from hw3.common.notebooks import parse_lenient
from hw3.common.safezip import MemberError
from hw3.grading.auto.intake import read_notebooks
from hw3.similarity import fingerprints
from hw3.similarity.stubs import DEFINITION, OTHER, Stub, is_check_cell
from hw3.submission.rules import ZIP_NAME_RE

MIN_OUTPUT_CHARS = 12  # shorter printed lines ('True', '0.5') coincide by chance
MAX_OUTPUT_CHARS = 300
MAX_SOURCE_CHARS = (
    100_000  # per cell: a pasted data dump is not an answer, and tokenising it is slow
)
MAX_OUTPUT_UNITS = 5000  # per notebook: a runaway log is not more evidence
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
HTML_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|tr)>", re.IGNORECASE)
HTML_TAG = re.compile(r"<[^>]*>")
# A measured duration or rate differs on every run, even of the same seeded code on the same machine.
RUN_SPECIFIC = re.compile(
    r"\d(?:\.\d+)?\s?(?:it/s|s/it)\b|\b\d+(?:\.\d+)?\s?(?:s|ms|sec|secs|seconds|min|minutes)\b"
)
TEXT, RUN, IMAGE, WIDGET = "text:", "run:", "image:", "widget:"  # kinds of output unit


@dataclass
class Region:
    """What one student wrote for one question: the cells, the starter in them, their fingerprints."""

    cells: list[tuple[int, str]]  # (cell index in the notebook, source)
    starter: list[list[tuple[int, int]]]  # per cell, character ranges of starter lines
    tokens: list[fingerprints.Token]  # the answer's tokens; Token.cell indexes `cells`
    prints: dict[int, list[int]]  # fingerprint -> k-gram positions in `tokens`


@dataclass
class Submission:
    """One readable zip: its answer regions per `assignment:question` and its output units."""

    path: Path
    label: str
    student_number: str | None
    regions: dict[str, Region] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # unit -> text shown in the report
    notes: list[str] = field(default_factory=list)


def starter_line_numbers(lines: list[str], stub_lines: list[str]) -> set[int]:
    """Indices of `lines` that the stub also has, in order (the diff's equal runs), blank lines aside."""
    a = [line.strip() for line in lines]
    b = [line.strip() for line in stub_lines]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return {
        block.a + k
        for block in matcher.get_matching_blocks()
        for k in range(block.size)
        if a[block.a + k]
    }


def build_region(
    cells: list[tuple[int, str]], is_starter, keep: frozenset, starter_kgrams: set
) -> Region:
    """Region of `cells`; `is_starter(cell position, line number, line)` says which lines the stub gave."""
    tokens, segments, starter_ranges = [], [], []
    segment = 0
    for position, (_, source) in enumerate(cells):
        lines = source.splitlines(keepends=True)
        line_starts = list(itertools.accumulate((len(line) for line in lines), initial=0))
        starter = {n for n, line in enumerate(lines) if is_starter(position, n, line)}
        starter_ranges.append([(line_starts[n], line_starts[n + 1]) for n in sorted(starter)])
        segment += 1  # a new cell starts a new run
        for token in fingerprints.normalise(source, position, keep):
            if bisect.bisect_right(line_starts, token.start) - 1 in starter:
                segment += 1  # the student's run is broken by starter code
            else:
                tokens.append(token)
                segments.append(segment)
    found = fingerprints.fingerprints(tokens, segments=segments)
    prints = {h: positions for h, positions in found.items() if h not in starter_kgrams}
    return Region(cells, starter_ranges, tokens, prints)


def question_region(nb, indices: list[int], stub: Stub, question: str) -> Region:
    """Region of one question: its answer cells, diffed line by line against the stub of each release."""
    cells = [(i, nb.cells[i].source[:MAX_SOURCE_CHARS]) for i in indices]
    versions = stub.question_versions.get(question) or [stub.questions[question]]
    starter: dict[int, set[int]] = {}
    for position, (_, source) in enumerate(cells):
        lines = source.splitlines()
        starter[position] = set().union(
            *(
                starter_line_numbers(lines, [line for s in sources for line in s.splitlines()])
                for sources in versions
            )
        )
    return build_region(
        cells,
        lambda position, n, line: n in starter[position],
        stub.keep,
        stub.starter_kgrams[question],
    )


def cells_by_names(nb, stub: Stub) -> dict[str, list[int]]:
    """{question: the code cells defining a function or class that the stub's cells of that question define}."""
    found: dict[str, list[int]] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        defined = set(DEFINITION.findall(cell.source))
        question = next((q for q, names in stub.defines.items() if names & defined), None)
        if question is not None:
            found.setdefault(question, []).append(index)
    return found


def notebook_regions(
    name: str, nb, stub: Stub, by_names: bool = False
) -> tuple[dict[str, Region], list[str]]:
    """{`name:question`: Region} of one submitted notebook, and notes on what could not be matched.

    Answer cells are found by otter's tags; `by_names` (for known sources, such as a solution saved
    from the web) falls back to the functions and classes a cell defines when there are none.
    """
    cells, notes = answer_cells(nb), []
    if not cells and by_names:
        cells = cells_by_names(nb, stub)
        if cells:
            notes.append(
                f"{name}.ipynb: has no otter answer tags: its cells were matched to questions "
                "by the functions and classes they define"
            )
    if not cells:
        notes.append(
            f"{name}.ipynb: has no otter answer tags (not the released notebook?): "
            f"all its code is compared as {name}:{OTHER}"
        )
    long_cells = [
        i + 1
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and len(c.source) > MAX_SOURCE_CHARS
    ]
    if long_cells:
        notes.append(
            f"{name}.ipynb: cell(s) {long_cells[:5]} hold over {MAX_SOURCE_CHARS} characters: "
            "only their beginning was compared"
        )
    regions, used = {}, set()
    for question in stub.questions:
        indices = cells.get(question, [])
        used.update(indices)
        if indices:
            regions[f"{name}:{question}"] = question_region(nb, indices, stub, question)
    extra = [
        (i, c.source[:MAX_SOURCE_CHARS])
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and i not in used
        and not is_check_cell(c)
        and c.source.strip()
        and c.source not in stub.provided_sources
    ]  # an unchanged provided cell holds nothing of the student's
    region = build_region(
        extra,
        lambda position, n, line: not line.strip() or line.strip() in stub.provided_lines,
        stub.keep,
        stub.starter_kgrams[OTHER],
    )
    if region.tokens:
        regions[f"{name}:{OTHER}"] = region
    return regions, notes


def output_lines(text: str) -> list[str]:
    """Printed lines worth comparing: whitespace collapsed, long enough to be unlikely by chance."""
    lines = (" ".join(line.split()) for line in re.split(r"[\r\n]+", text))
    return [line[:MAX_OUTPUT_CHARS] for line in lines if len(line) >= MIN_OUTPUT_CHARS]


def output_units(name: str, nb) -> dict[str, str]:
    """{unit: what to show} for the outputs of the student's cells (grader checks left out).

    Units are printed lines, image hashes and widget ids; errors are left out, since a traceback
    is the same for everyone who hit it.
    """
    units: dict[str, str] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or is_check_cell(cell):
            continue
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            texts = []
            if kind == "stream":
                texts.append(str(output.get("text", "")))
            elif kind in ("execute_result", "display_data"):
                data = output.get("data", {})
                texts.append(
                    str(data.get("text/plain", ""))
                    if "text/html" not in data
                    else html.unescape(
                        HTML_TAG.sub("", HTML_BREAK.sub("\n", str(data["text/html"])))
                    )
                )
                for mime in IMAGE_MIMES:
                    if mime in data:
                        digest = hashlib.sha256(str(data[mime]).encode()).hexdigest()[:16]
                        units[f"{IMAGE}{digest}"] = (
                            f"the same image ({mime}) in {name} cell {index + 1}"
                        )
                model = data.get(WIDGET_MIME, {})
                if isinstance(model, dict) and model.get("model_id"):
                    units[f"{WIDGET}{model['model_id']}"] = (
                        f"the same widget id {model['model_id']} (a progress bar?)"
                    )
            for line in output_lines("\n".join(texts)):
                units.setdefault(f"{RUN if RUN_SPECIFIC.search(line) else TEXT}{line}", line)
            if len(units) >= MAX_OUTPUT_UNITS:
                return units
    return units


def label_of(path: Path) -> tuple[str, str | None]:
    """(label to show, student number or None) from the zip's name."""
    match = ZIP_NAME_RE.match(path.name)
    if match:
        return f"{match['student_number']} {match['full_name']}", match["student_number"]
    return path.stem, None


def load_submission(
    path: Path, stubs: dict[str, Stub], by_names: bool = False
) -> Submission | tuple[str, str]:
    """The Submission in one zip, or (file, why it was skipped); never raises for a bad zip."""
    try:
        return read_submission(path, stubs, by_names)
    except MemberError as err:
        return (str(path), str(err))
    except (MemoryError, RecursionError, ValueError, OSError) as err:
        # one student's odd notebook must not stop the class: report it as skipped
        return (
            str(path),
            f"could not be compared ({type(err).__name__}: {str(err)[:100]}): open it by hand",
        )


def read_submission(
    path: Path, stubs: dict[str, Stub], by_names: bool = False
) -> Submission | tuple[str, str]:
    """The Submission in one zip, or (file, why it was skipped); raises MemberError for an unreadable zip."""
    label, number = label_of(path)
    members, missing, refused = read_notebooks(path, [f"{name}.ipynb" for name in stubs])
    if refused:
        raise MemberError(refused)
    notes = [f"{why}: not compared" for why in missing.values()]
    submission = Submission(path, label, number, notes=notes)
    for member, data in members.items():
        name = member[: -len(".ipynb")]
        nb, problems = parse_lenient(member, data)
        if nb is None:
            submission.notes += problems
            continue
        regions, region_notes = notebook_regions(name, nb, stubs[name], by_names)
        submission.regions.update(regions)
        submission.notes += region_notes
        submission.outputs.update(output_units(name, nb))
    if not submission.regions and not submission.outputs:
        # the notebook that failed to parse says more than the one that is missing
        reasons = sorted(submission.notes, key=lambda note: "is not in the zip" in note)
        return (str(path), "; ".join(reasons) or "no readable notebook: nothing to compare")
    return submission


def read_all(
    paths: list[Path], stubs: dict[str, Stub], jobs: int, by_names: bool = False
) -> list[Submission | tuple[str, str]]:
    """Each zip's Submission or (file, why it was skipped), read `jobs` at a time, in the order of `paths`."""
    work = partial(load_submission, stubs=stubs, by_names=by_names)
    if jobs > 1 and len(paths) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(work, paths, chunksize=max(1, len(paths) // (jobs * 8))))
    return [work(path) for path in paths]


def load_all(
    paths: list[Path], stubs: dict[str, Stub], jobs: int
) -> tuple[list[Submission], list[tuple[str, str]]]:
    """Read every zip, `jobs` at a time; (submissions, skipped) in the order of `paths`."""
    results = read_all(paths, stubs, jobs)
    submissions = [r for r in results if isinstance(r, Submission)]
    skipped = [r for r in results if not isinstance(r, Submission)]
    return submissions, skipped
