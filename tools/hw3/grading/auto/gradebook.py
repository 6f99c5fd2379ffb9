"""The TA's outputs of a run: `gradebook.csv` (one row per zip), per-student feedback files and the summary.

Rows are rebuilt from the saved records after every zip and the file is replaced atomically, so
the gradebook is never half-written and shows every zip graded so far.
"""

from __future__ import annotations

import csv
import hashlib
import io
import statistics
from dataclasses import dataclass
from pathlib import Path

from hw3.common.atomic import write_atomic
from hw3.grading.auto import feedback
from hw3.grading.auto.assignments import Assignment, declared
from hw3.grading.auto.results import SKIPPED, STATUSES, NotebookResult, SubmissionRecord, worst
from hw3.submission.rules import check_zip_name, identity

GRADEBOOK = "gradebook.csv"
FEEDBACK_DIR = "feedback"
SHORT_HASH = 12
STEM_HASH = 8


@dataclass
class Row:
    """One gradebook row (`values`, by column) and the naming and layout problems the feedback lists."""

    values: dict[str, str]
    submission_problems: list[str]


def columns(assignments: list[Assignment]) -> list[str]:
    """The gradebook's header."""
    cols = ["file", "student_number", "full_name", "status", "total", "max_total"]
    cols += [f"{name}_total" for name in declared(assignments)]
    for assignment in assignments:
        cols += [f"{assignment.name}_{q}" for q in assignment.order]
    cols += [f"{name}_status" for name in declared(assignments)]
    return cols + ["flags", "problems", "seconds", "sha256", "pdf_pages"]


def not_graded() -> NotebookResult:
    return NotebookResult("error", notes=["not graded"])


def make_row(path: Path, record: SubmissionRecord, assignments: list[Assignment]) -> Row:
    """One gradebook row from a zip's path and its record."""
    number, full_name = identity(path.name)
    submission_problems = check_zip_name(path.name) + record.problems
    values = {"file": str(path), "student_number": number, "full_name": full_name}
    problems = list(submission_problems)
    flags = [] if record.sandboxed else ["unsandboxed"]
    total = max_total = 0.0
    statuses = []
    for name in declared(assignments):
        values[f"{name}_status"], values[f"{name}_total"] = SKIPPED, ""
    for assignment in assignments:
        result = record.notebooks.get(assignment.name) or not_graded()
        got = sum(result.scores.get(q, 0.0) for q in assignment.order)
        for q in assignment.order:
            values[f"{assignment.name}_{q}"] = f"{result.scores.get(q, 0.0):g}"
        values[f"{assignment.name}_total"] = f"{got:g}"
        values[f"{assignment.name}_status"] = result.status
        statuses.append(result.status)
        total, max_total = total + got, max_total + assignment.max_points
        problems += [note for note in result.notes if note not in problems]
        if (
            result.raised
        ):  # their messages are the student's: the feedback quotes them, the row counts them
            problems.append(
                f"{assignment.notebook}: {len(result.raised)} cell(s) raised an exception"
            )
        if result.detail:
            problems.append(result.detail)
        if result.log:
            problems.append(f"{assignment.notebook}: grader log in {result.log}")
        flags += [f"{assignment.name}:{flag}" for flag in result.flags]
    values.update(
        status=worst(statuses),
        total=f"{total:g}",
        max_total=f"{max_total:g}",
        flags="; ".join(flags),
        problems=" | ".join(problems),
        seconds=f"{sum(r.seconds for r in record.notebooks.values()):.1f}",
        sha256=record.sha256[:SHORT_HASH],
        pdf_pages="" if record.pdf_pages is None else str(record.pdf_pages),
    )
    return Row(values, submission_problems)


def feedback_stems(paths: list[Path]) -> dict[Path, str]:
    """File stem per zip for its feedback file; a stem shared by several zips (in different folders)
    gets a short hash of the zip's path added, stable across runs."""
    counts: dict[str, int] = {}
    for path in paths:
        counts[path.stem] = counts.get(path.stem, 0) + 1
    return {
        path: path.stem
        if counts[path.stem] == 1
        else f"{path.stem}-{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:STEM_HASH]}"
        for path in paths
    }


def write_feedback(
    out: Path,
    assignments: list[Assignment],
    path: Path,
    stem: str,
    record: SubmissionRecord,
    row: Row,
    extra: list[str] = (),
    by_hand: str = "",
) -> Path:
    """DIR/feedback/<stem>.md for one zip; `extra` lines (the hand-graded scores, once merged) end it;
    `by_hand` names what is graded by hand, still to come while nothing is merged (`hand_pending`)."""
    notebooks = [
        (a.name, a.info, record.notebooks.get(a.name) or NotebookResult("error"))
        for a in assignments
    ]
    graded = {a.name for a in assignments}
    notebooks += [
        (name, None, NotebookResult(SKIPPED))
        for name in declared(assignments)
        if name not in graded
    ]
    text = feedback.render(
        path.name,
        row.values["student_number"],
        row.values["full_name"],
        row.submission_problems,
        notebooks,
        float(row.values["total"]),
        float(row.values["max_total"]),
        final_below=bool(extra),
        by_hand=by_hand,
    )
    return write_atomic(out / FEEDBACK_DIR / f"{stem}.md", text + "\n".join(extra))


def write_gradebook(out: Path, assignments: list[Assignment], rows: list[Row]) -> Path:
    """DIR/gradebook.csv, atomically replaced."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=columns(assignments), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(row.values for row in rows)
    return write_atomic(out / GRADEBOOK, buffer.getvalue())


def summary_lines(
    assignments: list[Assignment], rows: list[Row], records: list[SubmissionRecord]
) -> list[str]:
    """Counts by status, mean and median per question, and the hidden test failed most often."""
    counts = {status: sum(r.values["status"] == status for r in rows) for status in STATUSES}
    lines = [f"{len(rows)} submission(s): " + ", ".join(f"{n} {s}" for s, n in counts.items())]
    if not rows:
        return lines
    width = max(len(f"{a.name}_{q}") for a in assignments for q in a.order)
    lines.append(f"{'question':<{width}}  {'mean':>6}  {'median':>6}  {'max':>5}")
    for assignment in assignments:
        for q in assignment.order:
            values = [float(r.values[f"{assignment.name}_{q}"]) for r in rows]
            lines.append(
                f"{assignment.name + '_' + q:<{width}}  {statistics.mean(values):6.2f}  "
                f"{statistics.median(values):6.2f}  {assignment.info.questions[q].points:5g}"
            )
    failed, ran = hidden_failures(assignments, records)
    if failed and max(failed.values()) > 0:
        label = min(failed, key=lambda k: (-failed[k], k))
        lines.append(
            f"hidden test failed most: {label} (failed by {failed[label]} of {ran[label]} graded)"
        )
    return lines


def hidden_failures(
    assignments: list[Assignment], records: list[SubmissionRecord]
) -> tuple[dict, dict]:
    """({'<assignment> <question> <test>': times failed}, {same: times run}) over the hidden tests."""
    failed: dict[str, int] = {}
    ran: dict[str, int] = {}
    for record in records:
        for assignment in assignments:
            result = record.notebooks.get(assignment.name)
            for q, flags in (result.passed if result else {}).items():
                for case, passed in zip(assignment.info.questions[q].cases, flags):
                    if case.hidden:
                        label = f"{assignment.name} {q} {case.name}"
                        ran[label] = ran.get(label, 0) + 1
                        failed[label] = failed.get(label, 0) + (not passed)
    return failed, ran


def hand_pending(assignments: list[Assignment], theory_points: float | None) -> str:
    """What the hand graders still owe, in words: "hafez q8_compare, apple_stock q7_plot, q8_textbook and
    the theory, 29 points" ('' when nothing is graded by hand). `theory_points` None: no course settings."""
    hand = {a.name: a.registry[a.name].manual for a in assignments}
    parts = [f"{name} {', '.join(questions)}" for name, questions in hand.items() if questions]
    total = sum(sum(questions.values()) for questions in hand.values())
    if theory_points:
        parts.append("the theory")
        total += theory_points
    if not parts:
        return ""
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return f"{listed}, {total:g} points"
