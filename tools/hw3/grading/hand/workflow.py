"""Hand grading inside `hw3 grade`: everything checked before the first zip is graded, written after the last.

`prepare` checks the course settings against the release, lays out the run's scores sheet (one row
per zip, one score and comment column per hand-graded question and theory item), makes sure
DIR/packet may be replaced, and, with `--manual`, reads the filled scores file: any problem stops
the run there (exit 2) with one line per problem and nothing written. `finish` writes the packet,
the empty DIR/manual_scores.csv (unless the file there already holds grades) and, with scores, the
final grades, the Quera totals, the feedback's hand-graded sections and the class report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hw3.common.folders import claim
from hw3.grading.auto.assignments import Assignment
from hw3.grading.auto.gradebook import Row
from hw3.grading.auto.results import SubmissionRecord
from hw3.grading.hand.course import Course, check_release
from hw3.grading.hand.merge import Graded, Merged, merge
from hw3.grading.hand.packet import PACKET_DIR, Packet, Submission, check_regions, write_packet
from hw3.grading.hand.report import write_report
from hw3.grading.hand.sheet import (
    SHEET_NAME,
    ManualScores,
    Sheet,
    SheetRow,
    make_sheet,
    read_scores,
    write_empty,
)
from hw3.submission.rules import identity


@dataclass
class HandGrading:
    """What `prepare` checked: the course, the run's scores sheet, and the filled scores when given."""

    course: Course
    sheet: Sheet
    scores: ManualScores | None


@dataclass
class HandResult:
    """What `finish` wrote."""

    packet: Packet
    sheet_path: Path
    sheet_written: bool  # False when the file there already held grades and was kept
    merged: Merged | None = None
    report: Path | None = None


def sheet_rows(zips: list[Path], stems: dict[Path, str]) -> list[SheetRow]:
    return [SheetRow(stems[path], *identity(path.name)) for path in zips]


def prepare(
    *,
    course: Course,
    manual: Path | None,
    out: Path,
    assignments: list[Assignment],
    zips: list[Path],
    stems: dict[Path, str],
) -> HandGrading:
    """Check everything hand grading needs (see the module docstring); raises Hw3Error before any grading."""
    check_release(course, {a.name: a.max_points for a in assignments})
    check_regions(course, assignments)
    sheet = make_sheet(course, [a.name for a in assignments], sheet_rows(zips, stems))
    scores = read_scores(manual, sheet) if manual is not None else None
    claim(out / PACKET_DIR, "grade")
    return HandGrading(course, sheet, scores)


def finish(
    plan: HandGrading,
    *,
    out: Path,
    state: Path,
    assignments: list[Assignment],
    zips: list[Path],
    records: dict[Path, SubmissionRecord],
    rows: dict[Path, Row],
    release_root: Path,
) -> HandResult:
    """Write the packet, the empty scores file and, with scores, the merge and the report."""
    sheet_by_path = dict(zip(zips, plan.sheet.rows))
    submissions = [Submission(path, sheet_by_path[path], records.get(path)) for path in zips]
    packet = write_packet(
        out=out,
        state=state,
        course=plan.course,
        sheet=plan.sheet,
        assignments=assignments,
        submissions=submissions,
        release_root=release_root,
    )
    written = write_empty(out / SHEET_NAME, plan.sheet)
    result = HandResult(packet, out / SHEET_NAME, written)
    if plan.scores is not None:
        graded = [Graded(path, sheet_by_path[path], rows[path], records[path]) for path in zips]
        result.merged = merge(
            out=out,
            course=plan.course,
            sheet=plan.sheet,
            assignments=assignments,
            scores=plan.scores,
            graded=graded,
        )
        result.report = write_report(
            out=out,
            sheet=plan.sheet,
            assignments=assignments,
            graded=graded,
            finals=result.merged.rows,
        )
    return result
