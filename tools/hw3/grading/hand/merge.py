"""The merge of the hand-graded scores into the final grades of the handout's points.

    DIR/final_grades.csv   one row per submission zip:
        submission, student_number, full_name, status,
        per notebook <assignment>_auto, <assignment>_manual, <assignment>_total, <assignment>_max,
        theory_total, theory_max, total, max_total, missing,
        then every hand-graded score column of manual_scores.csv
    DIR/quera_totals.csv   student_number,total: one row per submission with a student number

A part's total is blank while any of its hand-graded scores is missing (and so is the overall
total): a missing score is listed in `missing`, reported, and never counted as 0. The feedback
file of every submission gains the hand-graded scores, their comments and the final grade.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from hw3.common.atomic import write_atomic
from hw3.grading.auto.assignments import Assignment
from hw3.grading.auto.gradebook import Row, write_feedback
from hw3.grading.auto.results import SubmissionRecord
from hw3.grading.hand.course import THEORY, Course
from hw3.grading.hand.sheet import ManualScores, Sheet, SheetRow, csv_text
from hw3.submission.rules import PDF_NAME

FINAL_GRADES = "final_grades.csv"
QUERA_TOTALS = "quera_totals.csv"
QUERA_HEADER = ["student_number", "total"]


@dataclass
class Graded:
    """One zip of the run: its path, its row of the scores sheet, its gradebook row and record, its feedback name."""

    path: Path
    row: SheetRow
    gradebook: Row
    record: SubmissionRecord


@dataclass
class Part:
    """One part of one submission's grade: automatic and hand-graded points (None while any is missing)."""

    name: str
    auto: float
    manual: float | None
    maximum: float

    @property
    def total(self) -> float | None:
        return None if self.manual is None else self.auto + self.manual


@dataclass
class FinalRow:
    """A submission's final grade."""

    row: SheetRow
    status: str
    parts: list[Part]
    missing: list[str]
    scores: dict[str, float]
    comments: dict[str, str]

    @property
    def total(self) -> float | None:
        totals = [part.total for part in self.parts]
        return None if None in totals else sum(totals)

    @property
    def maximum(self) -> float:
        return sum(part.maximum for part in self.parts)


@dataclass
class Merged:
    """What the merge wrote, and what it reports."""

    final_grades: Path
    quera_totals: Path
    rows: list[FinalRow]
    notes: list[str] = field(default_factory=list)

    @property
    def incomplete(self) -> list[FinalRow]:
        return [row for row in self.rows if row.missing]


def number(value: float | None) -> str:
    """A score for a CSV cell: '' when missing, else the shortest form (29.5, 30)."""
    return "" if value is None else f"{round(value, 6):g}"


def final_rows(
    course: Course,
    sheet: Sheet,
    assignments: list[Assignment],
    scores: ManualScores,
    graded: list[Graded],
) -> list[FinalRow]:
    """Every submission's parts: its notebooks' automatic points plus their hand-graded ones, and the theory."""
    rows = []
    for entry in graded:
        got = scores.scores.get(entry.row.submission, {})
        parts = []
        for part_name in [a.name for a in assignments] + [THEORY]:
            columns = [c for c in sheet.columns if c.part == part_name]
            complete = all(c.name in got for c in columns)
            manual = math.fsum(got[c.name] for c in columns) if complete else None
            auto = (
                float(entry.gradebook.values[f"{part_name}_total"]) if part_name != THEORY else 0.0
            )
            maximum = course.parts[part_name] if part_name != THEORY else course.theory_total
            parts.append(Part(part_name, auto, manual, maximum))
        missing = [c.name for c in sheet.columns if c.name not in got]
        rows.append(
            FinalRow(
                entry.row,
                entry.gradebook.values["status"],
                parts,
                missing,
                got,
                scores.comments.get(entry.row.submission, {}),
            )
        )
    return rows


def final_header(sheet: Sheet, assignments: list[Assignment]) -> list[str]:
    header = ["submission", "student_number", "full_name", "status"]
    for assignment in assignments:
        header += [f"{assignment.name}_{suffix}" for suffix in ("auto", "manual", "total", "max")]
    return (
        header
        + ["theory_total", "theory_max", "total", "max_total", "missing"]
        + [c.name for c in sheet.columns]
    )


def final_table(rows: list[FinalRow], sheet: Sheet) -> list[list[str]]:
    table = []
    for final in rows:
        cells = [final.row.submission, final.row.student_number, final.row.full_name, final.status]
        for part in final.parts:
            if part.name == THEORY:
                cells += [number(part.total), number(part.maximum)]
            else:
                cells += [
                    number(part.auto),
                    number(part.manual),
                    number(part.total),
                    number(part.maximum),
                ]
        cells += [number(final.total), number(final.maximum), " ".join(final.missing)]
        table.append(cells + [number(final.scores.get(c.name)) for c in sheet.columns])
    return table


def quera_table(rows: list[FinalRow]) -> tuple[list[list[str]], list[str]]:
    """(rows of the Quera export, notes on the submissions it cannot hold as they are)."""
    table, notes, seen = [], [], {}
    for final in rows:
        number_ = final.row.student_number
        if not number_:
            notes.append(
                f"{final.row.submission}: no student number in the zip's name: not in {QUERA_TOTALS}, "
                "enter its total on Quera by hand"
            )
            continue
        if number_ in seen:
            notes.append(
                f"{final.row.submission}: student {number_} also submitted {seen[number_]}: both rows are "
                f"in {QUERA_TOTALS}; keep the one that counts"
            )
        seen[number_] = final.row.submission
        table.append([number_, number(final.total)])
    return table, notes


def quoted(comment: str, indent: str = "") -> list[str]:
    return [f"{indent}> {line}" for line in comment.splitlines()]


def feedback_lines(final: FinalRow, sheet: Sheet) -> list[str]:
    """The hand-graded section of a submission's feedback: scores, comments, and the final grade."""

    def shown(column) -> str:
        score = final.scores.get(column.name)
        return "not graded yet" if score is None else f"{number(score)} / {column.points:g}"

    lines = ["## Graded by hand", ""]
    for column in (c for c in sheet.columns if c.part != THEORY):
        lines += [f"### {column.part}.ipynb {column.key}: {shown(column)}", ""]
        if column.name in final.comments:
            lines += quoted(final.comments[column.name]) + [""]
    theory = next(p for p in final.parts if p.name == THEORY)
    got = (
        "not graded yet"
        if theory.manual is None
        else f"{number(theory.manual)} / {number(theory.maximum)}"
    )
    lines += [f"### Theory ({PDF_NAME}): {got}", ""]
    for column in (c for c in sheet.columns if c.part == THEORY):
        lines.append(f"- {column.key}: {shown(column)}")
        if column.name in final.comments:
            lines += quoted(final.comments[column.name], "  ")
    lines += ["", "## Final grade", "", "| part | points |", "| --- | --- |"]
    for part in final.parts:
        label = (
            "theory"
            if part.name == THEORY
            else (
                f"{part.name}.ipynb (automatic {number(part.auto)} + by hand "
                f"{number(part.manual) or 'not graded yet'})"
            )
        )
        total = (
            "not complete yet"
            if part.total is None
            else f"{number(part.total)} / {number(part.maximum)}"
        )
        lines.append(f"| {label} | {total} |")
    total = (
        "not complete yet"
        if final.total is None
        else f"{number(final.total)} / {number(final.maximum)}"
    )
    return lines + [f"| **total** | **{total}** |", ""]


def merge(
    *,
    out: Path,
    course: Course,
    sheet: Sheet,
    assignments: list[Assignment],
    scores: ManualScores,
    graded: list[Graded],
) -> Merged:
    """Write final_grades.csv, quera_totals.csv and the feedback's hand-graded sections (see the module docstring)."""
    rows = final_rows(course, sheet, assignments, scores, graded)
    final = write_atomic(
        out / FINAL_GRADES, csv_text(final_header(sheet, assignments), final_table(rows, sheet))
    )
    quera, notes = quera_table(rows)
    quera_path = write_atomic(out / QUERA_TOTALS, csv_text(QUERA_HEADER, quera))
    for entry, row in zip(graded, rows):
        write_feedback(
            out,
            assignments,
            entry.path,
            entry.row.submission,
            entry.record,
            entry.gradebook,
            feedback_lines(row, sheet),
        )
    return Merged(final, quera_path, rows, notes)
