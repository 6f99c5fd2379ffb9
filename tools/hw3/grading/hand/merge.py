"""The merge of the hand-graded scores into the final grades of the handout's points.

    DIR/final_grades.csv   one row per submission zip:
        submission, student_number, full_name, status,
        per notebook <assignment>_auto, <assignment>_manual, <assignment>_total, <assignment>_max,
        theory_total, theory_max, total, max_total, missing,
        then every hand-graded score column of manual_scores.csv
    DIR/quera_totals.csv   student_number,total: one row per submission with a student number

Each score is its mark under the rubric as it is now (`sheet.Mark.score`). A mark given to an answer
that has changed since (its answer hash is not the current one) is not counted: it is listed as
stale, and its cell as missing. A part's total is blank while any of its hand-graded scores is
missing (and so is the overall total): a missing score is listed in `missing`, reported, and never
counted as 0. The feedback file of every submission gains the hand-graded scores, the rubric items
applied, the comments and the final grade.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from hw3.common.atomic import write_atomic
from hw3.grading.auto.assignments import Assignment
from hw3.grading.auto.gradebook import Row, write_feedback
from hw3.grading.auto.results import SubmissionRecord
from hw3.grading.hand.course import THEORY, TOLERANCE, Course
from hw3.grading.hand.numbers import shown
from hw3.grading.hand.sheet import ManualScores, Mark, ScoreColumn, Sheet, SheetRow, csv_text
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


@dataclass(frozen=True)
class Stale:
    """A mark given to an answer that has changed since."""

    submission: str
    column: str
    scored: str  # the answer hash the mark was given to
    now: str  # the current one


@dataclass
class FinalRow:
    """A submission's final grade."""

    row: SheetRow
    status: str
    parts: list[Part]
    missing: list[str]
    scores: dict[str, float]
    comments: dict[str, str]
    marks: dict[str, Mark] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)  # columns whose answer changed since scored

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
    stale: list[Stale] = field(default_factory=list)
    followed: int = 0  # scores whose rubric items are worth other points than the file wrote

    @property
    def incomplete(self) -> list[FinalRow]:
        return [row for row in self.rows if row.missing]


def number(value: float | None) -> str:
    """A score for a CSV cell: '' when missing, else the shortest form (29.5, 30)."""
    return "" if value is None else shown(value)


def current(mark: Mark, answer: str) -> bool:
    """Whether a mark was given to the answer as it is now (a file that does not say counts as yes)."""
    return not mark.answer or mark.answer == answer


def final_rows(
    course: Course,
    sheet: Sheet,
    assignments: list[Assignment],
    scores: ManualScores,
    graded: list[Graded],
    answers: dict[str, dict[str, str]],
) -> list[FinalRow]:
    """Every submission's parts: its notebooks' automatic points plus their hand-graded ones, and the theory."""
    rows = []
    for entry in graded:
        submission = entry.row.submission
        marks = scores.marks.get(submission, {})
        now = answers.get(submission, {})
        got, stale = {}, []
        for column in sheet.columns:
            mark = marks.get(column.name)
            if mark is None or not mark.graded:
                continue
            if current(mark, now.get(column.name, "")):
                got[column.name] = mark.score(column.rubric)
            else:
                stale.append(column.name)
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
        rows.append(
            FinalRow(
                entry.row,
                entry.gradebook.values["status"],
                parts,
                [c.name for c in sheet.columns if c.name not in got],
                got,
                {n: m.comment for n, m in marks.items() if m.comment},
                marks,
                stale,
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


def mark_lines(final: FinalRow, column: ScoreColumn, indent: str = "") -> list[str]:
    """The rubric items applied and the adjustment of one score, for the student."""
    mark = final.marks.get(column.name)
    if mark is None or column.name not in final.scores:
        return []
    lines = []
    for item in column.rubric.items:
        if item.id in mark.applied:
            lines.append(f"{indent}- {item.text} (+{item.points:g})")
    if mark.applied and mark.adjust:
        lines.append(f"{indent}- adjustment: {'+' if mark.adjust > 0 else ''}{shown(mark.adjust)}")
    return lines


def feedback_lines(final: FinalRow, sheet: Sheet) -> list[str]:
    """The hand-graded section of a submission's feedback: scores, items applied, comments, the final grade."""

    def score_text(column) -> str:
        score = final.scores.get(column.name)
        return "not graded yet" if score is None else f"{number(score)} / {column.points:g}"

    lines = ["## Graded by hand", ""]
    for column in (c for c in sheet.columns if c.part != THEORY):
        lines += [f"### {column.part}.ipynb {column.key}: {score_text(column)}", ""]
        items = mark_lines(final, column)
        lines += items + ([""] if items else [])
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
        lines.append(f"- {column.key}: {score_text(column)}")
        lines += mark_lines(final, column, "  ")
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


def followed_rubric(rows: list[FinalRow], sheet: Sheet) -> int:
    """How many scores differ from the score column the file wrote because the rubric's points changed."""
    count = 0
    for final in rows:
        for column in sheet.columns:
            mark = final.marks.get(column.name)
            score = final.scores.get(column.name)
            if mark and mark.applied and score is not None and mark.written is not None:
                count += abs(mark.written - score) > TOLERANCE
    return count


def merge(
    *,
    out: Path,
    course: Course,
    sheet: Sheet,
    assignments: list[Assignment],
    scores: ManualScores,
    graded: list[Graded],
    answers: dict[str, dict[str, str]],
) -> Merged:
    """Write final_grades.csv, quera_totals.csv and the feedback's hand-graded sections (see the module
    docstring); `answers` holds the current answer hashes ({submission: {column: hash}})."""
    rows = final_rows(course, sheet, assignments, scores, graded, answers)
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
    stale = [
        Stale(r.row.submission, c, r.marks[c].answer, answers.get(r.row.submission, {}).get(c, ""))
        for r in rows
        for c in r.stale
    ]
    for item in stale:
        notes.append(
            f"{item.submission}: {item.column}: the answer changed since it was scored (scored "
            f"{item.scored}, now {item.now}): counted as not graded; grade it again in the packet"
        )
    for path in scores.legacy:
        notes.append(
            f"{path}: written before answer hashes were kept: its scores were not checked against "
            "answers changed since"
        )
    merged = Merged(final, quera_path, rows, notes, stale, followed_rubric(rows, sheet))
    if merged.followed:
        notes.append(
            f"{merged.followed} score(s) follow the rubric's current points, not the score the file "
            "wrote (an item's points were changed since)"
        )
    return merged
