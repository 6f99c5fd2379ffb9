"""`hw3 similarity`: rank pairs of submissions by how much of their answers, and their outputs, they share.

    hw3 similarity SUBMISSIONS/ --out report/ [--top 20]
    hw3 similarity --bench 300 --out /tmp/bench      # time a synthetic class of 300

Reads the Quera zips (the zips themselves, or folders searched recursively as `hw3 grade` does)
without extracting them, and compares only what each student wrote: the answer cells of every autograded question, less the
lines of the released stub cell (signature, docstring, the `raise NotImplementedError` prompt), plus
any code cell a student added, less the lines of the provided cells. Two students who wrote nothing
share nothing.

Code is compared by winnowed k-gram fingerprints of normalised tokens (tools/fingerprints.py), as
MOSS does: robust to renamed variables, reformatting, comments and moved blocks, and it works on
broken cells and fragments, where an AST-based measure needs code that parses. Fingerprints found in
the starter code are dropped, and so are those held by more than --max-common submissions: the
natural solution many students reach on their own is not evidence. A pair's score on a question is
its shared fingerprints over the smaller answer's (containment, which a copy padded with extra code
cannot escape); its overall score is all shared fingerprints over the sum, across questions, of the
smaller answer's, so a one-line answer weighs little. A pair is flagged on its overall score, on one
answer almost wholly contained in the other, or on outputs that only the two share.

Outputs are compared separately: printed lines (loss logs, metrics, the sampled ghazal, timings,
progress bars), images and widget ids. The notebooks fix their seeds, so the same code on the same
kind of machine prints the same losses, metrics, plots and ghazal: lines common in the class are
dropped as above, and the rest flag a pair only together with run-specific units, which no honest
rerun repeats: measured durations and rates ("1.7 s", "116.33it/s") and widget ids.

Writes DIR/similarity.csv (one row per pair sharing anything, flagged pairs first, then by score) and
DIR/similarity.html (the top pairs side by side, shared regions highlighted; unreadable zips are
listed there as skipped). Exit 0 when written, 1 with fewer than two readable submissions, 2 on bad
arguments.
"""
import argparse
import ast
import bisect
import csv
import difflib
import hashlib
import html
import itertools
import math
import os
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import nbformat
import nbformat.reader

from tools import fingerprints
from tools.answers import CHECK_CALL, answer_cells
from tools.intake import IntakeError, find_zips, read_notebooks
from tools.release import ASSIGNMENTS, REPO_ROOT
from tools.submission import ZIP_NAME_RE, SubmissionError, parse_notebook

RELEASE_DIR = REPO_ROOT / "student"
CSV_NAME, HTML_NAME = "similarity.csv", "similarity.html"
OTHER = "other"  # code cells outside any question's answer cells: added by the student
COMMON_FRACTION = 0.1  # a fingerprint held by more than this share of the class is boilerplate...
COMMON_MIN = 4  # ...or by more than this many submissions, whichever is larger (MOSS's -m is 10)
FLAG_SCORE = 0.5  # pooled containment from which a pair is flagged...
FLAG_MIN_SHARED = 8  # ...when it also shares this many fingerprints (about 25 tokens, three lines)
FLAG_QUESTION_SCORE = 0.8  # one answer this much contained in the other also flags, when it is long enough
FLAG_QUESTION_MIN_SHARED = 20  # to share this many fingerprints: a 3-line answer is often the same by necessity
FLAG_MIN_OUTPUTS = 3  # output lines, images or widget ids shared by two students alone...
FLAG_MIN_RUN_SPECIFIC = 2  # ...of which this many can only repeat by copying: timings, rates, widget ids
MIN_OUTPUT_CHARS = 12  # shorter printed lines ('True', '0.5') coincide by chance
MAX_OUTPUT_CHARS = 300
MAX_SOURCE_CHARS = 100_000  # per cell: a pasted data dump is not an answer, and tokenising it is slow
MAX_OUTPUT_UNITS = 5000  # per notebook: a runaway log is not more evidence
DEFAULT_TOP = 20
DEFAULT_JOBS = 2
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
HTML_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|tr)>", re.IGNORECASE)
HTML_TAG = re.compile(r"<[^>]*>")
# A measured duration or rate differs on every run, even of the same seeded code on the same machine.
RUN_SPECIFIC = re.compile(r"\d(?:\.\d+)?\s?(?:it/s|s/it)\b|\b\d+(?:\.\d+)?\s?(?:s|ms|sec|secs|seconds|min|minutes)\b")
TEXT, RUN, IMAGE, WIDGET = "text:", "run:", "image:", "widget:"  # kinds of output unit


class UsageError(ValueError):
    """Bad command-line input; the message is one line naming the file and the fix."""


@dataclass
class Stub:
    """What the released notebook of one assignment gives every student."""
    name: str
    questions: dict[str, list[str]]  # question -> sources of its stub answer cells
    provided_sources: frozenset  # the provided code cells as released
    provided_lines: frozenset  # stripped lines of the provided code cells
    keep: frozenset  # names that keep their text when normalised
    starter_kgrams: dict[str, set]  # question (or OTHER) -> every k-gram of the starter code


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


@dataclass
class Pair:
    """Evidence that submissions `a` and `b` (indices) share work."""
    a: int
    b: int
    questions: dict[str, tuple[int, float]] = field(default_factory=dict)  # key -> (shared, containment)
    shared: int = 0
    score: float = 0.0
    outputs_shared: int = 0
    outputs_score: float = 0.0
    outputs_run_specific: int = 0  # of the shared outputs, those no honest rerun repeats
    flags: list[str] = field(default_factory=list)
    evidence: str = ""


@dataclass
class Comparison:
    """Everything the CSV and the report show."""
    submissions: list[Submission]
    skipped: list[tuple[str, str]]  # (file, why)
    notes: list[str]
    keys: list[str]  # assignment:question, in notebook order
    pairs: list[Pair]  # sharing anything, strongest first
    common: dict[str, set]  # key (or 'outputs') -> fingerprints/units dropped as boilerplate
    max_common: int
    pairs_compared: int
    timings: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- the released notebooks


def is_check_cell(cell) -> bool:
    """A `grader.check(...)`/`check_all()` cell: provided, and its output is the grader's, not the student's."""
    source = cell.source if cell.cell_type == "code" else ""
    return CHECK_CALL.search(source) is not None or "grader.check_all" in source


def defined_names(sources) -> frozenset:
    """Names bound at the top level of `sources` (imports, defs, classes, assignments) that parse."""
    names = set()
    for source in sources:
        try:
            tree = ast.parse(fingerprints.blank_magics(source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return frozenset(names)


def load_stub(name: str, path: Path) -> Stub:
    """The Stub of assignment `name` from its released student notebook at `path`."""
    nb, problems = read_notebook(path.name, path.read_bytes())
    if nb is None:
        raise UsageError(f"{path}: the released notebook is unreadable ({problems[0]}): run hw3 release again")
    cells = answer_cells(nb)
    answer_indices = {i for indices in cells.values() for i in indices}
    provided = [c.source for i, c in enumerate(nb.cells) if c.cell_type == "code" and i not in answer_indices]
    keep = fingerprints.BUILTIN_NAMES | defined_names(c.source for c in nb.cells if c.cell_type == "code")
    questions = {q: [nb.cells[i].source for i in indices] for q, indices in cells.items()}
    starter = {q: set().union(*(fingerprints.all_kgrams(fingerprints.normalise(s, 0, keep)) for s in sources))
               for q, sources in questions.items()}
    starter[OTHER] = set().union(*(fingerprints.all_kgrams(fingerprints.normalise(s, 0, keep)) for s in provided))
    provided_lines = frozenset(line.strip() for source in provided for line in source.splitlines() if line.strip())
    return Stub(name, questions, frozenset(provided), provided_lines, keep, starter)


def load_stubs(release_dir: Path) -> tuple[dict[str, Stub], list[str]]:
    """{assignment: Stub} for each released notebook found under `release_dir`, and notes on the missing."""
    stubs, notes = {}, []
    for name in ASSIGNMENTS:
        path = release_dir / name / f"{name}.ipynb"
        if path.exists():
            stubs[name] = load_stub(name, path)
        else:
            notes.append(f"{name}: no released notebook at {path}: its answers were not compared")
    return stubs, notes


# ---------------------------------------------------------------- one submission


def starter_line_numbers(lines: list[str], stub_lines: list[str]) -> set[int]:
    """Indices of `lines` that the stub also has, in order (the diff's equal runs), blank lines aside."""
    a = [line.strip() for line in lines]
    b = [line.strip() for line in stub_lines]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return {block.a + k for block in matcher.get_matching_blocks() for k in range(block.size) if a[block.a + k]}


def build_region(cells: list[tuple[int, str]], is_starter, keep: frozenset, starter_kgrams: set) -> Region:
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
    """Region of one question: its answer cells, diffed line by line against the stub's."""
    cells = [(i, nb.cells[i].source[:MAX_SOURCE_CHARS]) for i in indices]
    stub_lines = [line for source in stub.questions[question] for line in source.splitlines()]
    starter: dict[int, set[int]] = {}
    for position, (_, source) in enumerate(cells):
        starter[position] = starter_line_numbers(source.splitlines(), stub_lines)
    return build_region(cells, lambda position, n, line: n in starter[position], stub.keep,
                        stub.starter_kgrams[question])


def notebook_regions(name: str, nb, stub: Stub) -> tuple[dict[str, Region], list[str]]:
    """{`name:question`: Region} of one submitted notebook, and notes on what could not be matched."""
    cells, notes = answer_cells(nb), []
    if not cells:
        notes.append(f"{name}.ipynb: has no otter answer tags (not the released notebook?): "
                     f"all its code is compared as {name}:{OTHER}")
    long_cells = [i + 1 for i, c in enumerate(nb.cells) if c.cell_type == "code" and len(c.source) > MAX_SOURCE_CHARS]
    if long_cells:
        notes.append(f"{name}.ipynb: cell(s) {long_cells[:5]} hold over {MAX_SOURCE_CHARS} characters: "
                     "only their beginning was compared")
    regions, used = {}, set()
    for question in stub.questions:
        indices = cells.get(question, [])
        used.update(indices)
        if indices:
            regions[f"{name}:{question}"] = question_region(nb, indices, stub, question)
    extra = [(i, c.source[:MAX_SOURCE_CHARS]) for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and i not in used and not is_check_cell(c) and c.source.strip()
             and c.source not in stub.provided_sources]  # an unchanged provided cell holds nothing of the student's
    region = build_region(extra, lambda position, n, line: not line.strip() or line.strip() in stub.provided_lines,
                          stub.keep, stub.starter_kgrams[OTHER])
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
                texts.append(str(data.get("text/plain", "")) if "text/html" not in data else
                             html.unescape(HTML_TAG.sub("", HTML_BREAK.sub("\n", str(data["text/html"])))))
                for mime in IMAGE_MIMES:
                    if mime in data:
                        digest = hashlib.sha256(str(data[mime]).encode()).hexdigest()[:16]
                        units[f"{IMAGE}{digest}"] = f"the same image ({mime}) in {name} cell {index + 1}"
                model = data.get(WIDGET_MIME, {})
                if isinstance(model, dict) and model.get("model_id"):
                    units[f"{WIDGET}{model['model_id']}"] = f"the same widget id {model['model_id']} (a progress bar?)"
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


def read_notebook(name: str, data: bytes):
    """(notebook, []) or (None, [one problem line]); schema slips are forgiven, as otter forgives them.

    Only JSON that is not an nbformat 4 notebook at all is refused; its message is `hw3 check`'s.
    Cells missing a type or source are patched, so later code can rely on both.
    """
    try:
        nb = nbformat.reader.reads(data.decode("utf-8"))
        if nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
            raise ValueError("not nbformat 4")
        for cell in nb.cells:
            cell.setdefault("cell_type", "raw")
            if not isinstance(cell.get("source"), str):
                cell["source"] = ""
            if not isinstance(cell.get("metadata"), dict):
                cell["metadata"] = nbformat.from_dict({})
            if not isinstance(cell.get("outputs", []), list):
                cell["outputs"] = []
        return nb, []
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
            nbformat.ValidationError, nbformat.reader.NotJSONError, nbformat.NBFormatError):
        nb, problems = parse_notebook(name, data)
        return (None, problems) if problems else (None, [f"{name}: is not a readable notebook"])


def load_submission(path: Path, stubs: dict[str, Stub]) -> Submission | tuple[str, str]:
    """The Submission in one zip, or (file, why it was skipped); never raises for a bad zip."""
    try:
        return read_submission(path, stubs)
    except SubmissionError as err:
        return (str(path), str(err))
    except (MemoryError, RecursionError, ValueError, OSError) as err:
        # one student's odd notebook must not stop the class: report it as skipped
        return (str(path), f"could not be compared ({type(err).__name__}: {str(err)[:100]}): open it by hand")


def read_submission(path: Path, stubs: dict[str, Stub]) -> Submission | tuple[str, str]:
    """The Submission in one zip, or (file, why it was skipped); raises SubmissionError for an unreadable zip."""
    label, number = label_of(path)
    members, missing, refused = read_notebooks(path, [f"{name}.ipynb" for name in stubs])
    if refused:
        raise SubmissionError(refused)
    notes = [f"{why}: not compared" for why in missing.values()]
    submission = Submission(path, label, number, notes=notes)
    for member, data in members.items():
        name = member[: -len(".ipynb")]
        nb, problems = read_notebook(member, data)
        if nb is None:
            submission.notes += problems
            continue
        regions, region_notes = notebook_regions(name, nb, stubs[name])
        submission.regions.update(regions)
        submission.notes += region_notes
        submission.outputs.update(output_units(name, nb))
    if not submission.regions and not submission.outputs:
        # the notebook that failed to parse says more than the one that is missing
        reasons = sorted(submission.notes, key=lambda note: "is not in the zip" in note)
        return (str(path), "; ".join(reasons) or "no readable notebook: nothing to compare")
    return submission


def load_all(paths: list[Path], stubs: dict[str, Stub], jobs: int) -> tuple[list[Submission], list[tuple[str, str]]]:
    """Read every zip, `jobs` at a time; (submissions, skipped) in the order of `paths`."""
    work = partial(load_submission, stubs=stubs)
    if jobs > 1 and len(paths) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(work, paths, chunksize=max(1, len(paths) // (jobs * 8))))
    else:
        results = [work(path) for path in paths]
    submissions = [r for r in results if isinstance(r, Submission)]
    skipped = [r for r in results if not isinstance(r, Submission)]
    return submissions, skipped


# ---------------------------------------------------------------- comparing


def default_max_common(count: int) -> int:
    """Submissions a fingerprint may appear in before it counts as boilerplate."""
    return max(COMMON_MIN, math.ceil(COMMON_FRACTION * count))


def index_pairs(sets: list[set], max_common: int) -> tuple[Counter, list[int], set]:
    """(shared counts per pair (i, j), each item's kept size, the items dropped as common).

    Builds the inverted index item -> holders once, so only pairs that share something are touched.
    """
    holders: dict = {}
    for owner, items in enumerate(sets):
        for item in items:
            holders.setdefault(item, []).append(owner)
    common = {item for item, owners in holders.items() if len(owners) > max_common}
    shared: Counter = Counter()
    for item, owners in holders.items():
        if len(owners) > 1 and item not in common:
            shared.update(itertools.combinations(owners, 2))
    sizes = [len(items - common) if common else len(items) for items in sets]
    return shared, sizes, common


def ordered_keys(submissions: list[Submission], stubs: dict[str, Stub]) -> list[str]:
    """Every `assignment:question` seen, in notebook order, OTHER last within each assignment."""
    order = [f"{name}:{q}" for name, stub in stubs.items() for q in [*stub.questions, OTHER]]
    seen = {key for s in submissions for key in s.regions}
    return [key for key in order if key in seen]


def compare(submissions: list[Submission], keys: list[str], max_common: int) -> tuple[list[Pair], dict[str, set]]:
    """Score every pair that shares a kept fingerprint or output unit; strongest first."""
    pairs: dict[tuple[int, int], Pair] = {}
    common: dict[str, set] = {}
    kept_sizes: dict[str, list[int]] = {}
    for key in keys:
        sets = [set(s.regions[key].prints) if key in s.regions else set() for s in submissions]
        shared, kept_sizes[key], common[key] = index_pairs(sets, max_common)
        for (a, b), count in shared.items():
            pair = pairs.setdefault((a, b), Pair(a, b))
            pair.questions[key] = (count, count / min(kept_sizes[key][a], kept_sizes[key][b]))
            pair.shared += count
    for (a, b), pair in pairs.items():
        # pooled over every question, so a one-line answer weighs little and one copied answer still shows
        pooled = sum(min(sizes[a], sizes[b]) for sizes in kept_sizes.values())
        pair.score = pair.shared / pooled if pooled else 0.0
    shared, sizes, common["outputs"] = index_pairs([set(s.outputs) for s in submissions], max_common)
    for (a, b), count in shared.items():
        pair = pairs.setdefault((a, b), Pair(a, b))
        pair.outputs_shared = count
        pair.outputs_score = count / max(1, min(sizes[a], sizes[b]))
    run_specific, _, _ = index_pairs([{u for u in s.outputs if is_run_specific(u)} for s in submissions], max_common)
    for (a, b), count in run_specific.items():
        pairs[a, b].outputs_run_specific = count
    for pair in pairs.values():
        describe(pair, submissions, common)
    ranked = sorted(pairs.values(), key=lambda p: (-bool(p.flags), -p.score, -p.shared, -p.outputs_shared, p.a, p.b))
    return ranked, common


def is_run_specific(unit: str) -> bool:
    """Whether an output unit differs between honest runs (a timing, a rate, a widget id)."""
    return unit.startswith((RUN, WIDGET))


def shared_outputs(a: Submission, b: Submission, common: dict[str, set]) -> list[str]:
    """The output units two submissions share beyond the class's common ones: run-specific first, then text."""
    order = {RUN: 0, WIDGET: 1, TEXT: 2, IMAGE: 3}
    return sorted(set(a.outputs) & set(b.outputs) - common["outputs"],
                  key=lambda u: (order.get(u[: u.index(":") + 1], 4), u))


def describe(pair: Pair, submissions: list[Submission], common: dict[str, set]) -> None:
    """Set the pair's flags and its one-line strongest evidence."""
    a, b = submissions[pair.a], submissions[pair.b]
    parts = []
    if pair.score >= FLAG_SCORE and pair.shared >= FLAG_MIN_SHARED:
        pair.flags.append("code")
    elif any(score >= FLAG_QUESTION_SCORE and count >= FLAG_QUESTION_MIN_SHARED
             for count, score in pair.questions.values()):
        pair.flags.append("question")
    if pair.outputs_shared >= FLAG_MIN_OUTPUTS and pair.outputs_run_specific >= FLAG_MIN_RUN_SPECIFIC:
        pair.flags.append("outputs")
    if pair.questions:
        key, (count, score) = max(pair.questions.items(), key=lambda item: (item[1][0] * item[1][1], item[1][0]))
        parts.append(f"{key}: {count} shared fingerprints ({score:.0%} of the smaller answer)")
    if pair.outputs_shared:
        first = a.outputs[shared_outputs(a, b, common)[0]]
        parts.append(f"{pair.outputs_shared} shared output(s) ({pair.outputs_run_specific} run-specific), "
                     f"e.g. {first[:80]!r}")
    if a.student_number and a.student_number == b.student_number:
        parts.append("same student number: a resubmission?")
    pair.evidence = "; ".join(parts)


# ---------------------------------------------------------------- writing


def write_csv(path: Path, result: Comparison) -> None:
    """similarity.csv: rank, the two zips, flags, overall and per-question scores, evidence."""
    header = ["rank", "student_a", "student_b", "file_a", "file_b", "flagged", "score", "shared_fingerprints",
              "outputs_shared", "outputs_run_specific", "outputs_score", *result.keys, "evidence"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for rank, pair in enumerate(result.pairs, start=1):
            a, b = result.submissions[pair.a], result.submissions[pair.b]
            per_question = [f"{pair.questions[k][1]:.3f}" if k in pair.questions else "" for k in result.keys]
            writer.writerow([rank, a.label, b.label, a.path.name, b.path.name, "+".join(pair.flags),
                             f"{pair.score:.3f}", pair.shared, pair.outputs_shared, pair.outputs_run_specific,
                             f"{pair.outputs_score:.3f}",
                             *per_question, pair.evidence])


def zip_paths(inputs: list[str], out: Path | None = None) -> list[Path]:
    """The zips named by `inputs`, found as `hw3 grade` finds them; UsageError on a bad path or no zip at all."""
    try:
        paths = find_zips([Path(raw) for raw in inputs], out)
    except IntakeError as err:
        raise UsageError(str(err)) from None
    if not paths:
        raise UsageError(f"{', '.join(inputs)}: holds no .zip files: give the folder the Quera zips were downloaded to")
    return paths


def run(paths: list[Path], out: Path, top: int = DEFAULT_TOP, max_common: int | None = None,
        jobs: int = DEFAULT_JOBS, release_dir: Path = RELEASE_DIR) -> Comparison:
    """Compare the zips at `paths` and write the CSV and HTML report into `out`."""
    from tools import similarity_report  # imported here: it imports this module
    started = time.perf_counter()
    stubs, notes = load_stubs(release_dir)
    if not stubs:
        raise UsageError(f"{release_dir}: holds no released notebook ({', '.join(ASSIGNMENTS)}): "
                         "pass --release with the student/ folder of `hw3 release`")
    submissions, skipped = load_all(paths, stubs, jobs)
    read_done = time.perf_counter()
    keys = ordered_keys(submissions, stubs)
    limit = max_common if max_common is not None else default_max_common(len(submissions))
    pairs, common = compare(submissions, keys, limit)
    compare_done = time.perf_counter()
    result = Comparison(submissions, skipped, notes, keys, pairs, common, limit,
                        len(submissions) * (len(submissions) - 1) // 2)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / CSV_NAME, result)
    result.timings = {"read": read_done - started, "compare": compare_done - read_done,
                      "report": time.perf_counter() - compare_done}
    similarity_report.write_html(out / HTML_NAME, result, top)
    result.timings["report"] = time.perf_counter() - compare_done
    return result


def summary(result: Comparison, out: Path, jobs: int) -> str:
    """The closing lines printed to the terminal."""
    seconds = sum(result.timings.values())
    flagged = sum(1 for p in result.pairs if p.flags)
    lines = [f"hw3 similarity: {len(result.submissions)} submissions, {result.pairs_compared} pairs in "
             f"{seconds:.1f} s (read {result.timings['read']:.1f} s on {jobs} worker(s), compare "
             f"{result.timings['compare']:.1f} s, report {result.timings['report']:.1f} s); {flagged} pair(s) flagged"]
    for file, why in result.skipped:
        lines.append(f"skipped {file}: {why}")
    lines.append(f"wrote {out / CSV_NAME} and {out / HTML_NAME}")
    return "\n".join(lines)


def parse_args(argv):
    """The parsed command line of `hw3 similarity`."""
    parser = argparse.ArgumentParser(prog="hw3 similarity", description=__doc__.splitlines()[0],
                                     epilog="examples: hw3 similarity submissions/ --out similarity/ ; "
                                            "hw3 similarity --bench 300 --out /tmp/bench")
    parser.add_argument("paths", nargs="*", metavar="PATH", help="folders of Quera zips, or the zips themselves")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="folder for similarity.csv and similarity.html")
    parser.add_argument("--top", type=int, default=DEFAULT_TOP,
                        help=f"pairs shown side by side (default {DEFAULT_TOP})")
    parser.add_argument("--max-common", type=int, default=None, metavar="N",
                        help=f"ignore fingerprints and outputs held by more than N submissions "
                             f"(default: {COMMON_FRACTION * 100:.0f}%% of the class, at least {COMMON_MIN})")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                        help=f"processes reading zips (default {DEFAULT_JOBS})")
    parser.add_argument("--release", type=Path, default=RELEASE_DIR, metavar="DIR",
                        help="folder of the released notebooks, <name>/<name>.ipynb (default: student/)")
    parser.add_argument("--bench", type=int, default=None, metavar="N",
                        help="instead of PATHs, time a synthetic class of N submissions (written to a scratch folder)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Compare the submissions (or a synthetic class with --bench) and write the report."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.top < 0 or args.jobs < 1 or (args.max_common is not None and args.max_common < 1):
            raise UsageError("--top must be >= 0, --jobs and --max-common >= 1")
        if args.out.exists() and not args.out.is_dir():
            raise UsageError(f"{args.out}: is a file: give --out a folder (it is created if missing)")
        if args.bench is not None:
            return bench(args)
        if not args.paths:
            raise UsageError("give the folder of Quera zips (or the zips), or --bench N")
        result = run(zip_paths(args.paths, args.out), args.out, args.top, args.max_common, args.jobs, args.release)
    except UsageError as err:
        print(f"hw3 similarity: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"hw3 similarity: {err.filename or args.out}: {err.strerror}: check the path and its permissions",
              file=sys.stderr)
        return 2
    print(summary(result, args.out, args.jobs))
    if len(result.submissions) < 2:
        print("hw3 similarity: fewer than two readable submissions: nothing was compared", file=sys.stderr)
        return 1
    return 0


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (the pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench(args) -> int:
    """Time `run` on a synthetic class of args.bench submissions with planted copies."""
    from tools import similarity_synth
    if args.bench < 2:
        raise UsageError("--bench needs at least 2 submissions")
    with tempfile.TemporaryDirectory(prefix="hw3-similarity-bench-") as tmp:
        started = time.perf_counter()
        planted = similarity_synth.write_class(Path(tmp), args.bench, args.release)
        print(f"generated {args.bench} synthetic submissions in {time.perf_counter() - started:.1f} s "
              f"({len(planted)} planted copies)")
        cpu_before = cpu_seconds()
        result = run(sorted(Path(tmp).glob("*.zip")), args.out, args.top, args.max_common, args.jobs, args.release)
        cpu = cpu_seconds() - cpu_before
    print(summary(result, args.out, args.jobs))
    print(f"CPU time, this process and its workers: {cpu:.1f} s (wall time above grows with other load "
          f"on the machine; load average now {os.getloadavg()[0]:.1f})")
    top = {frozenset((result.submissions[p.a].path.name, result.submissions[p.b].path.name))
           for p in result.pairs[: len(planted)]}
    hits = sum(1 for a, b in planted if frozenset((a, b)) in top)
    print(f"planted copies among the top {len(planted)} pairs: {hits} of {len(planted)}; "
          f"{os.cpu_count()} CPU(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
