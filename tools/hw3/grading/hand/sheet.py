"""The hand-graded scores, `manual_scores.csv`: its columns, the empty copy beside the gradebook, and
reading a filled one back with every cell checked.

Format: UTF-8 CSV (a byte-order mark is accepted), a header line, then one row per submission zip:

    submission,student_number,full_name,hafez_q8_compare,hafez_q8_compare_comment,...,
    theory_1.1.1_1,theory_1.1.1_1_comment,...

`submission` is the zip's feedback name (DIR/feedback/<submission>.md), unique in a run;
`student_number` and `full_name` are read from the zip's name and must stay as written. Then, for
every hand-graded notebook question (`<assignment>_<question>`) and every theory item ("1.1.1 (1)"
is `theory_1.1.1_1`), a score column and its `_comment` column. A score is a number from 0 to the
column's points (a dot for decimals), or blank: not graded yet, reported as missing and never read
as 0. A comment is free text for the student.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from hw3.common.atomic import write_atomic
from hw3.errors import Hw3Error
from hw3.grading.hand.course import THEORY, Course

SHEET_NAME = "manual_scores.csv"
ID_COLUMNS = ("submission", "student_number", "full_name")
COMMENT = "_comment"
MAX_REPORTED = 20  # problems listed; the rest are counted
ITEM_PARTS = re.compile(r"^(\d\.\d\.\d) \((\d+)\)$")


class SheetError(Hw3Error):
    """A scores file that cannot be merged; one line per problem, each naming the row and column."""

    def __init__(self, problems: list[str]):
        shown = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            shown.append(f"... and {len(problems) - MAX_REPORTED} more problem(s) like these")
        super().__init__("\n".join(shown))
        self.problems = problems


@dataclass(frozen=True)
class ScoreColumn:
    """A hand-graded score: a notebook question or a theory item, with its points."""

    name: str  # hafez_q8_compare, theory_1.1.1_1
    part: str  # the assignment, or "theory"
    key: str  # q8_compare, "1.1.1 (1)"
    points: float

    @property
    def comment(self) -> str:
        return self.name + COMMENT

    @property
    def label(self) -> str:
        return f"{self.part} {self.key}"


@dataclass(frozen=True)
class SheetRow:
    """One submission of the run, as its row starts."""

    submission: str
    student_number: str
    full_name: str


@dataclass
class Sheet:
    """What a scores file of this run must hold: its rows (submissions) and score columns."""

    rows: list[SheetRow]
    columns: list[ScoreColumn]

    @property
    def header(self) -> list[str]:
        return [
            *ID_COLUMNS,
            *(name for column in self.columns for name in (column.name, column.comment)),
        ]

    def column(self, name: str) -> ScoreColumn:
        return next(c for c in self.columns if c.name == name)


@dataclass
class ManualScores:
    """What a checked scores file holds: per submission its scores and comments (blank cells left out)."""

    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    comments: dict[str, dict[str, str]] = field(default_factory=dict)

    def missing(self, sheet: Sheet) -> dict[str, list[str]]:
        """{submission: score columns with no score}, for every submission that lacks any."""
        gaps = {}
        for row in sheet.rows:
            got = self.scores.get(row.submission, {})
            lacking = [c.name for c in sheet.columns if c.name not in got]
            if lacking:
                gaps[row.submission] = lacking
        return gaps


def item_column(item: str) -> str:
    """The column of theory item "1.1.1 (1)": theory_1.1.1_1."""
    group, number = ITEM_PARTS.match(item).groups()
    return f"{THEORY}_{group}_{number}"


def score_columns(course: Course, assignments: list[str]) -> list[ScoreColumn]:
    """The hand-graded columns of the graded `assignments` (course order), then the theory items."""
    columns = [
        ScoreColumn(f"{name}_{q}", name, q, points)
        for name in course.manual
        if name in assignments
        for q, points in course.manual[name].items()
    ]
    return columns + [
        ScoreColumn(item_column(item), THEORY, item, points)
        for item, points in course.theory.items()
    ]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def empty_sheet(sheet: Sheet) -> str:
    """The scores file with every score and comment blank."""
    blanks = [""] * (2 * len(sheet.columns))
    return csv_text(
        sheet.header, [[r.submission, r.student_number, r.full_name, *blanks] for r in sheet.rows]
    )


def holds_grades(path: Path) -> bool:
    """Whether a scores file holds any score or comment (an unreadable one counts as holding them)."""
    try:
        records = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError, csv.Error):
        return True
    return any(cell.strip() for record in records[1:] for cell in record[len(ID_COLUMNS) :])


def write_empty(path: Path, sheet: Sheet) -> bool:
    """Write the empty scores file at `path` unless a file there already holds grades; whether it was written."""
    if path.exists() and holds_grades(path):
        return False
    write_atomic(path, empty_sheet(sheet))
    return True


def parse_score(text: str, column: ScoreColumn) -> tuple[float | None, str]:
    """(score, '') for a valid cell, (None, '') for a blank one, (None, why) otherwise."""
    text = text.strip()
    if not text:
        return None, ""
    allowed = f"write a number from 0 to {column.points:g} (a dot for decimals), or leave it blank"
    try:
        value = float(text)
    except ValueError:
        return None, f"{text!r} is not a number: {allowed}"
    if not math.isfinite(value):
        return None, f"{text!r} is not a number: {allowed}"
    if not 0 <= value <= column.points:
        return None, f"{text} is out of range: {allowed}"
    return value, ""


def header_problem(path: Path, got: list[str], expected: list[str]) -> str:
    """The one-line problem of an edited header, or ''."""
    if got == expected:
        return ""
    fix = f"restore the header of the empty {SHEET_NAME} that hw3 grade wrote"
    for number, (have, want) in enumerate(zip(got, expected), start=1):
        if have != want:
            return (
                f"{path}: row 1, column {number}: header {have!r} where {want!r} is expected: {fix}"
            )
    return (
        f"{path}: row 1: the header has {len(got)} columns where {len(expected)} are expected "
        f"(first {'extra' if len(got) > len(expected) else 'missing'}: "
        f"{(got if len(got) > len(expected) else expected)[min(len(got), len(expected))]!r}): {fix}"
    )


def read_scores(path: Path, sheet: Sheet) -> ManualScores:
    """The scores and comments of a filled scores file, every cell checked against `sheet`.

    Raises SheetError listing every problem (one line each, naming the row and column: an edited
    header, an unknown or repeated submission, an edited identity, a score that is not a number
    from 0 to the column's points); nothing is returned, so nothing is merged, when there is any.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SheetError(
            [
                f"{path}: no such file: give the scores file downloaded from the packet "
                f"or the filled {SHEET_NAME}"
            ]
        ) from None
    except UnicodeDecodeError:
        raise SheetError(
            [f"{path}: not UTF-8 text: save it from the spreadsheet as 'CSV UTF-8'"]
        ) from None
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        raise SheetError(
            [f"{path}: not a readable CSV ({err}): save it from the spreadsheet as CSV"]
        ) from None
    if not records:
        raise SheetError(
            [f"{path}: row 1: the file is empty: {header_problem(path, [], sheet.header)}"]
        )
    header = sheet.header
    problem = header_problem(path, records[0], header)
    if problem:
        raise SheetError([problem])
    known = {row.submission: row for row in sheet.rows}
    seen: dict[str, int] = {}
    problems: list[str] = []
    result = ManualScores()
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line
        where = f"{path}: row {number}"
        if len(record) != len(header):
            problems.append(
                f"{where}: {len(record)} cells where the header has {len(header)}: "
                "a comma or quote was lost; save the file as CSV again"
            )
            continue
        cells = dict(zip(header, record))
        submission = cells["submission"]
        if submission not in known:
            problems.append(
                f"{where}, column submission: {submission!r} is not a submission of this run "
                f"(see {SHEET_NAME} beside the gradebook): fix the name or remove the row"
            )
            continue
        if submission in seen:
            problems.append(
                f"{where}, column submission: {submission!r} is already on row {seen[submission]}: "
                "keep one row per submission"
            )
            continue
        seen[submission] = number
        for column_name in ID_COLUMNS[1:]:
            expected = getattr(known[submission], column_name)
            if cells[column_name] != expected:
                problems.append(
                    f"{where}, column {column_name}: {cells[column_name]!r}, but submission "
                    f"{submission!r} has {expected!r}: the rows were edited or sorted apart; restore it"
                )
        scores, comments = {}, {}
        for column in sheet.columns:
            value, why = parse_score(cells[column.name], column)
            if why:
                problems.append(f"{where}, column {column.name}: {why}")
            elif value is not None:
                scores[column.name] = value
            if cells[column.comment].strip():
                comments[column.name] = cells[column.comment].strip()
        result.scores[submission], result.comments[submission] = scores, comments
    if problems:
        raise SheetError(problems)
    return result


def make_sheet(course: Course, assignments: list[str], rows: list[SheetRow]) -> Sheet:
    """The scores file of a run: `rows` (one per zip) and the columns of the graded `assignments`."""
    return Sheet(rows, score_columns(course, assignments))
