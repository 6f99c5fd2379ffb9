"""Grading one zip: the rules' problems, then per notebook its integrity flags, its cleaning and its harness.

The submitted bytes are read as a notebook, flagged (`integrity.py`), cleaned (`clean.py`) and handed
to a trusted harness process (`harness.py`) that runs them in the sandbox and the tests outside it.
What the harness reports is trusted except the texts it quotes from the sandbox (cell errors, the
student's exception messages, reported outputs), which are capped here and kept apart from the
grader's own notes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from hw3.common.atomic import write_atomic
from hw3.common.images import MAX_IMAGES_PER_CELL, MIMES, ImageStore, Refused
from hw3.common.notebooks import parse_lenient
from hw3.common.regions import find_regions, match
from hw3.grading.auto import clean, integrity
from hw3.grading.auto.assignments import Assignment, submission_notebooks
from hw3.grading.auto.harness import Job
from hw3.grading.auto.intake import read_notebooks
from hw3.grading.auto.limits import Limits
from hw3.grading.auto.results import (
    LONG_MESSAGE_FLAG,
    NotebookResult,
    SubmissionRecord,
    results_from_harness,
    was_cut,
)
from hw3.grading.auto.sandbox import Sandbox
from hw3.submission.rules import check_otter_metadata, check_zip_name, inspect_submission

SCRATCH_DIR = ".scratch"
LOG_DIR = "logs"
SHORT_HASH = 12
MAX_OUTPUT_TEXT_CHARS = 4000  # of one evidence cell's printed text, as the record keeps it
MAX_HARNESS_BYTES = 64 * 1024 * 1024  # its result holds reported outputs (figures) at most
HARNESS_MARGIN_S = 120  # beyond --timeout: starting, canaries and closing
KILL_WAIT_S = 10
POLL_S = 0.5


@dataclass(frozen=True, kw_only=True)
class Context:
    """Everything a grading worker needs; read-only once the run starts."""

    out: Path
    assignments: list[Assignment]
    sandbox: Sandbox
    limits: Limits
    stop: threading.Event  # set on Ctrl-C: running notebooks are killed, no new ones start
    # where the graded runs' figures and evidence images of hand-graded answers are kept
    figures: ImageStore | None = None
    # matplotlib's font lists of the TA, given to the sandbox's kernel
    font_lists: tuple[Path, ...] = ()
    # assignment -> per hand-graded region, the lines naming its evidence cells (the rubric's `evidence`)
    evidence: dict[str, list[list[str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class HarnessRun:
    """How one harness process ended: its result (None when it gave none), exit code, seconds."""

    result: dict | None
    returncode: int | None
    seconds: float
    stderr: str


def figure_requests(assignment: Assignment, nb: nbformat.NotebookNode) -> list[tuple[int, int]]:
    """(region number, cell index) of each submitted cell whose graded-run figures the grading packet
    shows: the code cells answering a hand-graded question, and the provided cell that draws them."""
    wanted = []
    for number, region in enumerate(match(assignment.regions, find_regions(nb))):
        if region is None:
            continue
        cells = [i for i in region.cells if nb.cells[i].get("cell_type") == "code"]
        if cells and region.drawn_by is not None:
            cells.append(region.drawn_by)
        wanted += [(number, i) for i in cells if nb.cells[i].get("source", "").strip()]
    return wanted


def cells_holding_line(nb: nbformat.NotebookNode, line: str) -> list[int]:
    """Indices of the code cells of `nb` that hold `line` as one of their lines (spaces around it ignored)."""
    found = []
    for index, cell in enumerate(nb.cells):
        source = cell.get("source", "")
        if cell.get("cell_type") == "code" and isinstance(source, str):
            if any(text.strip() == line for text in source.splitlines()):
                found.append(index)
    return found


def evidence_requests(nb: nbformat.NotebookNode, lines: list[list[str]]) -> list[tuple[int, int]]:
    """(region number, cell index) of each submitted cell whose graded-run outputs the grading packet
    shows as evidence: per region, the first code cell holding each of its `lines`."""
    wanted = []
    for number, region_lines in enumerate(lines):
        for line in region_lines:
            found = cells_holding_line(nb, line)
            if found and nb.cells[found[0]].get("source", "").strip():
                wanted.append((number, found[0]))
    return wanted


def reported(outputs: dict, index: int) -> list:
    """What the runner reported of cell `index` ([] when nothing, or not a list: it comes from the sandbox)."""
    entries = outputs.get(str(index))
    return entries if isinstance(entries, list) else []


def stored_images(store: ImageStore, entries: list) -> list[str]:
    """The stored names of the capped, decodable PNG, JPEG or SVG images among `entries`."""
    names = []
    images = [e for e in entries if isinstance(e, dict) and e.get("mime") in MIMES]
    for image in images[:MAX_IMAGES_PER_CELL]:
        try:
            names.append(store.add_value(image["mime"], image.get("data")).name)
        except Refused:
            continue
    return names


def kept_figures(
    store: ImageStore, outputs: dict, wanted: list[tuple[int, int]], regions: int
) -> list[list[str]]:
    """Per region, the stored names of the images the graded run showed in the wanted cells."""
    figures: list[list[str]] = [[] for _ in range(regions)]
    for number, index in wanted:
        figures[number] += stored_images(store, reported(outputs, index))
    return figures


def kept_outputs(
    store: ImageStore, outputs: dict, evidence: list[tuple[int, int]], regions: int
) -> list[list[dict]]:
    """Per region, {"cell" (1-based), "text", "images"} of each evidence cell the runner reported: the text
    capped, the images as in `kept_figures`."""
    kept: list[list[dict]] = [[] for _ in range(regions)]
    for number, index in evidence:
        if str(index) not in outputs:
            continue
        entries = reported(outputs, index)
        text = "".join(
            e["text"] for e in entries if isinstance(e, dict) and isinstance(e.get("text"), str)
        )
        kept[number].append(
            {
                "cell": index + 1,
                "text": text[:MAX_OUTPUT_TEXT_CHARS],
                "images": stored_images(store, entries),
            }
        )
    return kept


def run_harness(job: Job, limits: Limits, stop: threading.Event) -> HarnessRun:
    """Run `python -m hw3.grading.auto.harness` on `job`; kill it (and its sandbox) at the timeout or on `stop`."""
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hw3.grading.auto.harness", str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    chunks: dict[str, bytes] = {}

    def collect(name: str, stream) -> None:
        chunks[name] = stream.read(MAX_HARNESS_BYTES + 1)

    readers = [
        threading.Thread(target=collect, args=(n, s), daemon=True)
        for n, s in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for reader in readers:
        reader.start()
    proc.stdin.write(json.dumps(asdict(job)).encode("utf-8"))
    proc.stdin.close()
    deadline = start + limits.timeout + HARNESS_MARGIN_S
    while proc.poll() is None and time.monotonic() < deadline and not stop.is_set():
        time.sleep(POLL_S)
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    returncode = proc.wait(timeout=KILL_WAIT_S)
    for reader in readers:
        reader.join(KILL_WAIT_S)
    out = chunks.get("out", b"")
    try:
        result = json.loads(out) if out and len(out) <= MAX_HARNESS_BYTES else None
    except ValueError:
        result = None
    stderr = chunks.get("err", b"")[-8000:].decode("utf-8", "replace")
    return HarnessRun(
        result if isinstance(result, dict) else None, returncode, time.monotonic() - start, stderr
    )


def harness_job(
    ctx: Context,
    assignment: Assignment,
    nb: nbformat.NotebookNode,
    report: list[int],
    metrics: Path,
) -> Job:
    """The harness's job for one cleaned notebook."""
    info = assignment.info
    data_dir = assignment.student_dir / "data"
    return Job(
        notebook=clean.for_runner(nb, assignment.released, info.seed_variable, info.seed),
        name=assignment.notebook,
        autograder_zip=str(assignment.autograder_zip),
        tests_dir=str(assignment.student_dir),
        data_dir=str(data_dir) if data_dir.is_dir() else None,
        report=report,
        sandbox=ctx.sandbox.as_dict(),
        limits=asdict(ctx.limits),
        metrics_log=str(metrics),
        fonts=[str(p) for p in ctx.font_lists],
    )


def keep_log(ctx: Context, key: str, assignment: Assignment, text: str) -> str:
    """Write a failed run's log (the harness's and the sandbox's tail) to DIR/logs/; its path relative to DIR."""
    target = ctx.out / LOG_DIR / f"{key[:SHORT_HASH]}-{assignment.name}.log"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return str(target.relative_to(ctx.out))


def keep_messages(
    ctx: Context, key: str, assignment: Assignment, full: dict[str, list[str | None]]
) -> str:
    """Write the uncut public messages of a notebook whose feedback shows them cut to DIR/logs/; its relative path."""
    target = ctx.out / LOG_DIR / f"{key[:SHORT_HASH]}-{assignment.name}.messages.txt"
    blocks = [
        f"## {question}: {case.name}\n{text}\n"
        for question, texts in full.items()
        for case, text in zip(assignment.info.questions[question].cases, texts)
        if text
    ]
    write_atomic(target, "\n".join(blocks))
    return str(target.relative_to(ctx.out))


def grade_notebook(ctx: Context, assignment: Assignment, data: bytes, key: str) -> NotebookResult:
    """Grade one notebook's bytes: integrity flags, cleaning, then the harness."""
    name = assignment.notebook
    nb, _ = parse_lenient(name, data)
    if nb is None:
        return NotebookResult(
            "invalid",
            notes=[f"{name}: cannot be read as a notebook (see the problems above): scored 0"],
        )
    metadata = check_otter_metadata(name, nb, assignment.registry.notebooks)
    try:
        flags = integrity.notebook_flags(
            assignment.released, nb, assignment.info.test_builtins, assignment.info.seed_variable
        )
    except Exception:  # noqa: BLE001 - malformed cells the checker cannot walk; grading may still run them
        flags = ["unreadable-cells"]
    if metadata:
        return NotebookResult("invalid", notes=[f"{metadata[0]}: scored 0"], flags=flags)
    cleaned = clean.clean(nb, assignment.released)
    flags += cleaned.flags
    wanted = figure_requests(assignment, cleaned.nb) if ctx.figures is not None else []
    lines = ctx.evidence.get(assignment.name, [])
    evidence = evidence_requests(cleaned.nb, lines) if ctx.figures is not None else []
    scratch = ctx.out / SCRATCH_DIR / f"{key[:SHORT_HASH]}-{assignment.name}"
    scratch.mkdir(parents=True, exist_ok=True)
    metrics = scratch / "metrics.jsonl"
    job = harness_job(
        ctx, assignment, cleaned.nb, sorted({i for _, i in wanted + evidence}), metrics
    )
    run = run_harness(job, ctx.limits, ctx.stop)
    result = results_from_harness(run.result, assignment, cleaned.nb, flags, ctx.limits, metrics)
    result.seconds = round(run.seconds, 1)
    outputs = (run.result or {}).get("outputs")
    if isinstance(outputs, dict) and ctx.figures is not None:
        regions = len(assignment.regions)
        result.figures = kept_figures(ctx.figures, outputs, wanted, regions) if wanted else []
        result.outputs = kept_outputs(ctx.figures, outputs, evidence, regions) if evidence else []
    if was_cut(result.full_messages):
        result.flags.append(LONG_MESSAGE_FLAG)
        result.log = keep_messages(ctx, key, assignment, result.full_messages)
    if result.status in ("error", "timeout") or run.result is None:
        tail = (run.result or {}).get("log", "")
        result.log = keep_log(
            ctx,
            key,
            assignment,
            f"harness exit {run.returncode}\n{run.stderr}\n--- sandbox ---\n{tail}",
        )
    return result


def grade_zip(ctx: Context, path: Path, key: str) -> SubmissionRecord:
    """The record of one submission: its content problems and one result per assignment."""
    naming = set(check_zip_name(path.name))
    inspection = inspect_submission(
        path, submission_notebooks(ctx.assignments), allow_unanswered=True
    )
    problems = [p for p in inspection.problems if p not in naming]
    record = SubmissionRecord(
        key,
        {a.name: a.info.sha256 for a in ctx.assignments},
        ctx.sandbox.enabled,
        problems,
        pdf_pages=inspection.pdf_pages,
    )
    datas, missing, refused = read_notebooks(path, [a.notebook for a in ctx.assignments])
    for assignment in ctx.assignments:
        name = assignment.notebook
        if ctx.stop.is_set():
            raise KeyboardInterrupt
        if refused:
            result = NotebookResult("invalid", notes=[f"{name}: not graded, {refused}: scored 0"])
        elif name not in datas:
            result = NotebookResult(
                "invalid", notes=[f"{missing.get(name, name + ' is missing')}: scored 0"]
            )
        else:
            result = grade_notebook(ctx, assignment, datas[name], key)
        record.notebooks[assignment.name] = result
    if ctx.stop.is_set():  # killed half-way: not a result to keep
        raise KeyboardInterrupt
    return record


def failed_record(ctx: Context, key: str, why: str) -> SubmissionRecord:
    """A record (not saved, so the next run retries) for a zip whose grading failed inside hw3 grade."""
    return SubmissionRecord(
        key,
        {},
        ctx.sandbox.enabled,
        [],
        {
            a.name: NotebookResult(
                "error", notes=[f"{a.notebook}: not graded, {why}: rerun hw3 grade"]
            )
            for a in ctx.assignments
        },
    )
