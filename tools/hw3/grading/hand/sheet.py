"""The hand-graded scores, `manual_scores.csv`: its columns, the empty copy beside the gradebook, reading
filled ones back with every cell checked, and putting several of them together.

Format: UTF-8 CSV (a byte-order mark is accepted), a header line, then one row per submission zip:

    submission,student_number,full_name,
    hafez_q8_compare,hafez_q8_compare_comment,...,theory_1.1.1_1,theory_1.1.1_1_comment,...,
    hafez_q8_compare_rubric,hafez_q8_compare_adjust,hafez_q8_compare_answer,...

`submission` is the zip's feedback name (DIR/feedback/<submission>.md), unique in a run;
`student_number` and `full_name` are read from the zip's name and must stay as written. Then, for
every hand-graded notebook question (`<assignment>_<question>`) and every theory item ("1.1.1 (1)"
is `theory_1.1.1_1`), a score column and its `_comment` column, as before rubrics existed; after
all of them, per score column:

- `_rubric`: the ids of the rubric items applied, separated by spaces;
- `_adjust`: a number added to the items' points (negative to take points off);
- `_answer`: the hash of the answer the score was given to (`answers.py`); the empty file holds the
  current answers' hashes, and a score whose answer has changed since is not merged.

The score of a cell is the applied items' points *as the rubric gives them now* plus the adjustment,
so editing an item's points changes every grade that applied it. With no item and no adjustment the
score column is the score (a spreadsheet TA's number, or a file written before rubrics: such a file,
without the last columns, still loads). Blank everywhere means not graded yet, never 0. A score must
end up from 0 to the column's points. Numbers follow `numbers.py`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from hw3.common.atomic import write_atomic
from hw3.errors import Hw3Error
from hw3.grading.hand.course import THEORY, TOLERANCE, Course
from hw3.grading.hand.numbers import parse_number, shown
from hw3.grading.hand.rubric import Rubric, Rubrics

SHEET_NAME = "manual_scores.csv"
ID_COLUMNS = ("submission", "student_number", "full_name")
COMMENT, RUBRIC, ADJUST, ANSWER = "_comment", "_rubric", "_adjust", "_answer"
MAX_REPORTED = 20  # problems listed; the rest are counted
ITEM_PARTS = re.compile(r"^(\d\.\d\.\d) \((\d+)\)$")


class SheetError(Hw3Error):
    """A scores file that cannot be merged; one line per problem, each naming the row and column."""

    def __init__(self, problems: list[str]):
        shown_ = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            shown_.append(f"... and {len(problems) - MAX_REPORTED} more problem(s) like these")
        super().__init__("\n".join(shown_))
        self.problems = problems


@dataclass(frozen=True)
class ScoreColumn:
    """A hand-graded score: a notebook question or a theory item, with its points and rubric."""

    name: str  # hafez_q8_compare, theory_1.1.1_1
    part: str  # the assignment, or "theory"
    key: str  # q8_compare, "1.1.1 (1)"
    points: float
    rubric: Rubric = field(default_factory=Rubric, compare=False)

    @property
    def comment(self) -> str:
        return self.name + COMMENT

    @property
    def applied(self) -> str:
        return self.name + RUBRIC

    @property
    def adjust(self) -> str:
        return self.name + ADJUST

    @property
    def answer(self) -> str:
        return self.name + ANSWER

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
    def legacy_header(self) -> list[str]:
        """The header of a scores file written before rubrics (still accepted)."""
        return [*ID_COLUMNS, *(n for c in self.columns for n in (c.name, c.comment))]

    @property
    def header(self) -> list[str]:
        return self.legacy_header + [
            n for c in self.columns for n in (c.applied, c.adjust, c.answer)
        ]

    def column(self, name: str) -> ScoreColumn:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Mark:
    """One hand-graded cell of one submission as a scores file gives it."""

    applied: tuple[str, ...] = ()  # rubric item ids
    adjust: float | None = None  # with no item applied, this is the whole score
    comment: str = ""
    answer: str = ""  # hash of the answer scored; '' when the file does not say
    written: float | None = None  # the score column as the file wrote it
    where: str = ""  # "FILE: row N", for messages

    @property
    def graded(self) -> bool:
        return bool(self.applied) or self.adjust is not None

    def score(self, rubric: Rubric) -> float | None:
        """The score under the rubric as it is now; None when not graded."""
        if not self.graded:
            return None
        return rubric.points_of(self.applied) + (self.adjust or 0.0)

    def content(self) -> tuple:
        """What two files must agree on when both give this cell."""
        return (tuple(sorted(self.applied)), self.adjust, self.comment, self.answer)


@dataclass
class ManualScores:
    """What checked scores files hold: per submission, per score column, the mark given (blank cells left out)."""

    marks: dict[str, dict[str, Mark]] = field(default_factory=dict)
    sources: list[Path] = field(default_factory=list)
    legacy: list[Path] = field(
        default_factory=list
    )  # files without the _rubric/_adjust/_answer columns


def item_column(item: str) -> str:
    """The column of theory item "1.1.1 (1)": theory_1.1.1_1."""
    group, number = ITEM_PARTS.match(item).groups()
    return f"{THEORY}_{group}_{number}"


def score_columns(
    course: Course, assignments: list[str], rubrics: Rubrics | None = None
) -> list[ScoreColumn]:
    """The hand-graded columns of the graded `assignments` (course order), then the theory items."""
    rubrics = rubrics or Rubrics()
    columns = [
        ScoreColumn(f"{name}_{q}", name, q, points, rubrics.get(name, q))
        for name in course.manual
        if name in assignments
        for q, points in course.manual[name].items()
    ]
    return columns + [
        ScoreColumn(item_column(item), THEORY, item, points, rubrics.get(THEORY, item))
        for item, points in course.theory.items()
    ]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def mark_cells(mark: Mark | None, column: ScoreColumn, answer: str) -> dict[str, str]:
    """The cells of one mark under `column`'s names (blank ones for no mark, with the current `answer`)."""
    if mark is None:
        return {column.answer: answer}
    score = mark.score(column.rubric)
    return {
        column.name: "" if score is None else shown(score),
        column.comment: mark.comment,
        column.applied: " ".join(mark.applied),
        column.adjust: "" if mark.adjust is None else shown(mark.adjust),
        column.answer: mark.answer,
    }


def sheet_text(
    sheet: Sheet, marks: dict[str, dict[str, Mark]], answers: dict[str, dict[str, str]]
) -> str:
    """A scores file of `marks` (the empty one when there are none), every answer column filled from
    `answers` ({submission: {column: hash}}) where no mark says otherwise."""
    rows = []
    for r in sheet.rows:
        cells = {
            "submission": r.submission,
            "student_number": r.student_number,
            "full_name": r.full_name,
        }
        for column in sheet.columns:
            cells.update(
                mark_cells(
                    marks.get(r.submission, {}).get(column.name),
                    column,
                    answers.get(r.submission, {}).get(column.name, ""),
                )
            )
        rows.append([cells.get(name, "") for name in sheet.header])
    return csv_text(sheet.header, rows)


def holds_grades(path: Path) -> bool:
    """Whether a scores file holds any score, rubric item, adjustment or comment (an unreadable one counts)."""
    try:
        records = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError, csv.Error):
        return True
    if not records:
        return False
    kept = [
        i for i, name in enumerate(records[0]) if i >= len(ID_COLUMNS) and not name.endswith(ANSWER)
    ]
    return any(i < len(record) and record[i].strip() for record in records[1:] for i in kept)


def write_empty(path: Path, sheet: Sheet, answers: dict[str, dict[str, str]]) -> bool:
    """Write the empty scores file at `path` unless a file there already holds grades; whether it was written."""
    if path.exists() and holds_grades(path):
        return False
    write_atomic(path, sheet_text(sheet, {}, answers))
    return True


def parse_score(text: str, column: ScoreColumn) -> tuple[float | None, str]:
    """(score, '') for a valid score cell, (None, '') for a blank one, (None, why) otherwise."""
    value, why = parse_number(text)
    allowed = f"write a number from 0 to {column.points:g} (a dot for decimals), or leave it blank"
    if why:
        return None, f"{text.strip()!r} is not a number: {allowed}"
    if value is not None and not -TOLERANCE <= value <= column.points + TOLERANCE:
        return None, f"{text.strip()} is out of range: {allowed}"
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


def read_mark(
    cells: dict[str, str], column: ScoreColumn, where: str
) -> tuple[Mark | None, list[str]]:
    """The mark of one score column of a row, or None when it is blank; and its problems."""
    here = f"{where}, column {column.name}"
    problems = []
    written, why = parse_score(cells[column.name], column)
    if why:
        problems.append(f"{here}: {why}")
    applied = tuple(cells.get(column.applied, "").split())
    adjust, why = parse_number(cells.get(column.adjust, ""))
    if why:
        problems.append(f"{where}, column {column.adjust}: {why}")
    for item_id in applied:
        if column.rubric.item(item_id) is None:
            known = ", ".join(i.id for i in column.rubric.items) or "none: this rubric has no items"
            problems.append(
                f"{where}, column {column.applied}: {item_id!r} is not an item of the rubric of "
                f"{column.label} (items: {known}): fix or remove it"
            )
    if len(set(applied)) != len(applied):
        problems.append(f"{where}, column {column.applied}: an item is applied twice: keep it once")
    if not applied and adjust is None:
        adjust = written  # a bare score: a spreadsheet's number, or a file from before rubrics
    mark = Mark(
        applied,
        adjust,
        cells[column.comment].strip(),
        cells.get(column.answer, "").strip(),
        written,
        where,
    )
    if problems:
        return None, problems
    score = mark.score(column.rubric)
    if score is not None and not -TOLERANCE <= score <= column.points + TOLERANCE:
        problems.append(
            f"{here}: the items applied ({' '.join(applied) or 'none'}) and the adjustment give "
            f"{shown(score)}, outside 0 to {column.points:g}: change the adjustment"
        )
    return (mark if mark.graded or mark.comment else None), problems


def read_records(path: Path) -> list[list[str]]:
    """The CSV records of a scores file, or SheetError with one line saying how to save it."""
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
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        raise SheetError(
            [f"{path}: not a readable CSV ({err}): save it from the spreadsheet as CSV"]
        ) from None


def read_scores(path: Path, sheet: Sheet, *, drop_unknown: bool = False) -> ManualScores:
    """The marks of a filled scores file, every cell checked against `sheet` and its rubrics.

    Raises SheetError listing every problem (one line each, naming the row and column: an edited
    header, an unknown or repeated submission, an edited identity, a score that is not a number
    from 0 to the column's points, an unknown rubric item); nothing is returned, so nothing is
    merged, when there is any. `drop_unknown` skips rows of submissions no longer in the run.
    """
    records = read_records(path)
    if not records:
        raise SheetError(
            [f"{path}: row 1: the file is empty: {header_problem(path, [], sheet.header)}"]
        )
    result = ManualScores(sources=[path])
    header = records[0]
    if header == sheet.legacy_header:
        result.legacy.append(path)
    else:
        problem = header_problem(path, header, sheet.header)
        if problem:
            raise SheetError([problem])
    known = {row.submission: row for row in sheet.rows}
    seen: dict[str, int] = {}
    problems: list[str] = []
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
            if not drop_unknown:
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
        marks = {}
        for column in sheet.columns:
            mark, found = read_mark(cells, column, where)
            problems += found
            if mark is not None:
                marks[column.name] = mark
        if marks:
            result.marks[submission] = marks
    if problems:
        raise SheetError(problems)
    return result


def combine(readings: list[ManualScores]) -> ManualScores:
    """One set of marks from several files (one TA per question or per range of students): a cell given
    by more than one file must be given the same way, else SheetError lists every conflict."""
    result = ManualScores()
    problems = []
    for reading in readings:
        result.sources += reading.sources
        result.legacy += reading.legacy
        for submission, marks in reading.marks.items():
            mine = result.marks.setdefault(submission, {})
            for name, mark in marks.items():
                other = mine.get(name)
                if other is None:
                    mine[name] = mark
                elif other.content() != mark.content():
                    problems.append(
                        f"{mark.where} and {other.where}: {submission!r}, column {name}: two "
                        f"different marks ({describe(other)} / {describe(mark)}): keep one, blank "
                        "the other, and merge again"
                    )
    if problems:
        raise SheetError(["conflicting scores, nothing was written:"] + problems)
    return result


def describe(mark: Mark) -> str:
    """A mark in a few words, for a conflict."""
    parts = []
    if mark.applied:
        parts.append("items " + "+".join(mark.applied))
    if mark.adjust is not None:
        parts.append(("adjust " if mark.applied else "score ") + shown(mark.adjust))
    if mark.comment:
        parts.append(f"comment {mark.comment[:30]!r}")
    return ", ".join(parts) or "blank"


def read_all(paths: list[Path], sheet: Sheet) -> ManualScores:
    """The marks of every file in `paths`, each checked, then put together (`combine`)."""
    readings, problems = [], []
    for path in paths:
        try:
            readings.append(read_scores(path, sheet))
        except SheetError as err:
            problems += err.problems
    if problems:
        raise SheetError(problems)
    return combine(readings)


def make_sheet(
    course: Course, assignments: list[str], rows: list[SheetRow], rubrics: Rubrics | None = None
) -> Sheet:
    """The scores file of a run: `rows` (one per zip) and the columns of the graded `assignments`."""
    return Sheet(rows, score_columns(course, assignments, rubrics))
