"""Grading one zip: the rules' problems, then each notebook's integrity flags and its otter run in the sandbox.

Untrusted bytes reach otter only as one notebook file written into a fresh scratch folder; otter
runs in the confined child (`otter_child`), and what it reports is validated (`results`).
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from hw3.common.atomic import write_atomic
from hw3.common.images import MAX_IMAGES_PER_CELL, MIMES, ImageStore, Refused
from hw3.common.notebooks import parse_lenient
from hw3.common.regions import find_regions, match
from hw3.grading.auto import integrity, sandbox
from hw3.grading.auto.assignments import Assignment, submission_notebooks
from hw3.grading.auto.intake import read_notebooks
from hw3.grading.auto.otter_child import TEXT_MIME
from hw3.grading.auto.results import (
    LONG_MESSAGE_FLAG,
    NotebookResult,
    SubmissionRecord,
    cut_message,
    read_metrics,
    read_summary,
    scores_from_summary,
    scrub,
    was_cut,
)
from hw3.submission.rules import check_otter_metadata, check_zip_name, inspect_submission

SCRATCH_DIR = ".scratch"
LOG_DIR = "logs"
LOG_TAIL_BYTES = 64 * 1024
SHORT_HASH = 12
CELL_HEAD = 40
MAX_DETAIL_CHARS = 300
MAX_INTERRUPTED_NOTES = 3
MAX_RAISED_NOTES = 5
MAX_RAISED_CHARS = 160
TIMED_OUT = ("CellTimeoutError", "KeyboardInterrupt")
KERNEL_DIED = "DeadKernelError"
FONT_DIR = "fonts"
FIGURES_REQUEST = "figures.json"  # in the scratch folder: the cells whose figures the child keeps
MAX_OUTPUT_TEXT_CHARS = 4000  # of one evidence cell's printed text, as the record keeps it


@dataclass
class Context:
    """Everything a grading worker needs; read-only once the run starts."""

    out: Path
    assignments: list[Assignment]
    sandbox: sandbox.Sandbox
    timeout: int
    cell_timeout: int
    memory_mb: int
    font_lists: list[Path]  # matplotlib's font lists, copied into each scratch folder
    stop: threading.Event  # set on Ctrl-C: running notebooks are killed, no new ones start
    figures: ImageStore | None = (
        None  # where the graded runs' figures of hand-graded answers are kept
    )
    # assignment -> per hand-graded region, the lines naming its evidence cells (the rubric's `evidence`)
    evidence: dict[str, list[list[str]]] = field(default_factory=dict)


def cell_number(submitted: nbformat.NotebookNode, source: str) -> str:
    """`cell 5 ('for epoch in ...')` for the submitted code cell that otter ran as `source`."""
    for number, cell in enumerate(submitted.cells, start=1):
        body = cell.source.strip() if cell.cell_type == "code" else ""
        if body and body in source:
            head = body.splitlines()[0][:CELL_HEAD]
            return f"cell {number} ({head!r})"
    return "a cell"


def raised_notes(name: str, submitted: nbformat.NotebookNode, raised) -> list[str]:
    """One line per cell that raised while grading: which cell (provided or answer), the exception, what it costs.

    The message comes from the student's code, so it is cut like a public test's message.
    """
    notes = []
    for entry in (raised if isinstance(raised, list) else [])[:MAX_RAISED_NOTES]:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("source"), str)
            or entry.get("ename") in TIMED_OUT
        ):
            continue  # an interrupted cell has its own note
        where = cell_number(submitted, entry["source"])
        index = int(where.split()[1]) - 1 if where.startswith("cell ") else -1
        kind = (
            "your answer"
            if index >= 0 and integrity.is_answer(submitted.cells[index])
            else "a provided cell"
        )
        message = cut_message(f"{entry.get('ename', '')}: {entry.get('evalue', '')}".strip())[
            0
        ].splitlines()[0]
        notes.append(
            f"{name}: {where}, {kind}, raised {message[:MAX_RAISED_CHARS]}: the tests that use what it "
            "defines failed too; run the notebook top to bottom to see the traceback"
        )
    return notes


def error_note(notebook: str, error: str) -> str:
    """One line for the student about a notebook whose grading stopped (the raw error is for the TA only)."""
    if KERNEL_DIED in error:
        return (
            f"{notebook}: the kernel died while grading (os._exit, a crash, or memory past the cap): "
            "scored 0; run the notebook top to bottom locally to find the cell"
        )
    return f"{notebook}: grading stopped with an error: scored 0; run the notebook top to bottom locally"


def keep_log(ctx: Context, log: Path, key: str, assignment: Assignment) -> str:
    """Copy the tail of a failed run's log to DIR/logs/ and return its path relative to DIR."""
    target = ctx.out / LOG_DIR / f"{key[:SHORT_HASH]}-{assignment.name}.log"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with log.open("rb") as handle:
            handle.seek(max(0, log.stat().st_size - LOG_TAIL_BYTES))
            target.write_bytes(handle.read())
    except OSError:
        return ""
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


def child_command(
    notebook: Path,
    assignment: Assignment,
    summary: Path,
    ctx: Context,
    figures_request: Path | None = None,
) -> list[str]:
    """The command that grades one notebook inside the sandbox (hw3.grading.auto.otter_child)."""
    cmd = [
        sys.executable,
        "-m",
        "hw3.grading.auto.otter_child",
        str(notebook),
        str(assignment.autograder_zip),
        str(summary),
        "--cell-timeout",
        str(ctx.cell_timeout),
    ]
    if ctx.font_lists:
        cmd += ["--font-cache", str(notebook.parent / FONT_DIR)]
    if figures_request is not None:
        cmd += ["--figures", str(figures_request)]
    return cmd


def figure_requests(assignment: Assignment, nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(region number, source) of each submitted cell whose graded-run figures the grading packet shows:
    the code cells answering a hand-graded question, and the provided cell that draws them."""
    wanted = []
    for number, region in enumerate(match(assignment.regions, find_regions(nb))):
        if region is None:
            continue
        cells = [i for i in region.cells if nb.cells[i].get("cell_type") == "code"]
        if cells and region.drawn_by is not None:
            cells.append(region.drawn_by)
        wanted += [
            (number, nb.cells[i].get("source", ""))
            for i in cells
            if nb.cells[i].get("source", "").strip()
        ]
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


def evidence_requests(
    nb: nbformat.NotebookNode, lines: list[list[str]]
) -> list[tuple[int, str, int]]:
    """(region number, source, 1-based cell number) of each submitted cell whose graded-run outputs the
    grading packet shows as evidence: per region, the first code cell holding each of its `lines`."""
    wanted = []
    for number, region_lines in enumerate(lines):
        for line in region_lines:
            found = cells_holding_line(nb, line)
            if found and nb.cells[found[0]].get("source", "").strip():
                wanted.append((number, nb.cells[found[0]]["source"], found[0] + 1))
    return wanted


def requested_sources(figures: list[tuple], evidence: list[tuple]) -> list[str]:
    """The sources the child is asked about: each wanted cell once, figures' first."""
    return list(dict.fromkeys([w[1] for w in figures] + [w[1] for w in evidence]))


def reported_outputs(summary: dict, sources: list[str]) -> dict[str, list]:
    """{source: what the child kept of it}, or {} when its report does not line up with the request."""
    reported = summary.get("figures")
    if not isinstance(reported, list) or len(reported) != len(sources):
        return {}
    return {s: (r if isinstance(r, list) else []) for s, r in zip(sources, reported)}


def stored_images(store: ImageStore, entries: list) -> list[str]:
    """The stored names of the capped, decodable PNG, JPEG or SVG images among `entries`."""
    names = []
    for image in entries[:MAX_IMAGES_PER_CELL]:
        if isinstance(image, dict) and image.get("mime") in MIMES:
            try:
                names.append(store.add_value(image["mime"], image.get("data")).name)
            except Refused:
                continue
    return names


def kept_figures(
    store: ImageStore, summary: dict, wanted: list[tuple[int, str]], regions: int
) -> list[list[str]]:
    """Per region, the stored names of the figures the child reported for the wanted cells; anything that
    is not a capped, decodable PNG, JPEG or SVG is dropped (the child is as untrusted as the notebook)."""
    figures: list[list[str]] = [[] for _ in range(regions)]
    reported = summary.get("figures")
    if not isinstance(reported, list) or len(reported) != len(wanted):
        return figures
    for (number, _), images in zip(wanted, reported):
        figures[number] += stored_images(store, images if isinstance(images, list) else [])
    return figures


def kept_outputs(
    store: ImageStore,
    reported: dict[str, list],
    evidence: list[tuple[int, str, int]],
    regions: int,
) -> list[list[dict]]:
    """Per region, {"cell", "text", "images"} of each evidence cell the child reported: text capped,
    images as in `kept_figures`."""
    outputs: list[list[dict]] = [[] for _ in range(regions)]
    for number, source, cell in evidence:
        if source not in reported:
            continue
        entries = reported[source]
        texts = [
            e["data"]
            for e in entries
            if isinstance(e, dict) and e.get("mime") == TEXT_MIME and isinstance(e.get("data"), str)
        ]
        outputs[number].append(
            {
                "cell": cell,
                "text": "".join(texts)[:MAX_OUTPUT_TEXT_CHARS],
                "images": stored_images(store, entries),
            }
        )
    return outputs


def graded_result(
    ctx: Context,
    assignment: Assignment,
    nb: nbformat.NotebookNode,
    scratch: Path,
    summary_path: Path,
    outcome: sandbox.Outcome,
    flags: list[str],
    wanted: list[tuple[int, str]],
    evidence: list[tuple[int, str, int]] = (),
) -> NotebookResult:
    """The result of one finished (or stopped) sandboxed run, from its summary."""
    name = assignment.notebook
    if outcome.timed_out:
        return NotebookResult(
            "timeout",
            notes=[
                f"{name}: still running after {ctx.timeout} s (--timeout): stopped and scored 0"
            ],
            flags=flags,
        )
    summary = read_summary(summary_path)
    if summary is None:
        return NotebookResult(
            "error",
            notes=[f"{name}: the grader exited ({outcome.returncode}) without results: scored 0"],
            flags=flags,
        )
    if summary.get("error"):
        return NotebookResult(
            "error",
            notes=[error_note(name, str(summary["error"]))],
            flags=flags,
            detail=f"{name}: otter: {scrub(str(summary['error']), assignment.info)[:MAX_DETAIL_CHARS]}",
        )
    scores, passed, messages, full = scores_from_summary(summary, assignment.info)
    if was_cut(full):
        flags = flags + [LONG_MESSAGE_FLAG]
    interrupted = summary.get("interrupted")
    interrupted = (
        [s for s in interrupted if isinstance(s, str)] if isinstance(interrupted, list) else []
    )
    notes = [
        f"{name}: {cell_number(nb, s)} ran past {ctx.cell_timeout} s (--cell-timeout) and was "
        "interrupted; the cells after it still ran"
        for s in interrupted[:MAX_INTERRUPTED_NOTES]
    ]
    notes += raised_notes(name, nb, summary.get("raised"))
    reported = reported_outputs(summary, requested_sources(wanted, evidence))
    regions = len(assignment.regions)
    figures = (
        kept_figures(ctx.figures, {"figures": [reported[w[1]] for w in wanted]}, wanted, regions)
        if ctx.figures and wanted and reported
        else []
    )
    outputs = (
        kept_outputs(ctx.figures, reported, evidence, regions) if ctx.figures and evidence else []
    )
    return NotebookResult(
        "timeout" if interrupted else "ok",
        scores,
        passed,
        messages,
        notes,
        flags,
        metrics=read_metrics(scratch / sandbox.METRICS_LOG_NAME),
        full_messages=full if was_cut(full) else {},
        figures=figures,
        outputs=outputs,
    )


def grade_notebook(ctx: Context, assignment: Assignment, data: bytes, key: str) -> NotebookResult:
    """Grade one notebook's bytes: integrity flags, then otter in the sandbox."""
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
    except Exception:  # noqa: BLE001 - malformed cells the checker cannot walk; otter may still grade them
        flags = ["unreadable-cells"]
    if metadata:  # otter writes no results for a notebook of another assignment
        return NotebookResult("invalid", notes=[f"{metadata[0]}: scored 0"], flags=flags)
    scratch = ctx.out / SCRATCH_DIR / f"{key[:SHORT_HASH]}-{assignment.name}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        notebook = scratch / name
        notebook.write_bytes(data)
        for font_list in ctx.font_lists:
            (scratch / FONT_DIR).mkdir(exist_ok=True)
            shutil.copy(font_list, scratch / FONT_DIR)
        summary_path, log = scratch / "summary.json", scratch / "otter.log"
        wanted = figure_requests(assignment, nb) if ctx.figures is not None else []
        evidence = (
            evidence_requests(nb, ctx.evidence.get(assignment.name, []))
            if ctx.figures is not None
            else []
        )
        sources = requested_sources(wanted, evidence)
        request = None
        if sources:
            request = write_atomic(scratch / FIGURES_REQUEST, json.dumps(sources))
        outcome = sandbox.run_confined(
            child_command(notebook, assignment, summary_path, ctx, request),
            sandbox=ctx.sandbox,
            scratch=scratch,
            timeout=ctx.timeout,
            memory_mb=ctx.memory_mb,
            log_path=log,
            stop=ctx.stop,
        )
        result = graded_result(
            ctx, assignment, nb, scratch, summary_path, outcome, flags, wanted, evidence
        )
        result.seconds = round(outcome.seconds, 1)
        if result.full_messages:
            result.log = keep_messages(ctx, key, assignment, result.full_messages)
        if result.status in ("error", "timeout"):
            result.log = keep_log(ctx, log, key, assignment)
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


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
