"""Hand grading inside `hw3 grade`: everything checked before the first zip is graded, written after the last.

`prepare` checks the course settings and the rubrics against the release, lays out the run's scores
sheet (one row per zip, per hand-graded question and theory item its score, comment, rubric items,
adjustment and answer columns), makes sure DIR/packet may be replaced, and, with `--manual`, reads
every filled scores file and puts them together: any problem (a bad cell, two files that disagree)
stops the run there (exit 2) with one line per problem and nothing written. `finish` writes the
packet, the empty DIR/manual_scores.csv (unless the file there already holds grades) and then:

- with scores: the final grades, the Quera totals, the feedback's hand-graded sections and the class
  report, and keeps what it merged in DIR/.state/merged_scores.csv;
- without: re-merges the scores kept from the last merge, so the feedback, the final grades and the
  report stay in step; when they no longer fit the run (or none were kept), it removes the merged
  outputs instead. Either way it says which.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from hw3.common.atomic import write_atomic
from hw3.common.folders import claim
from hw3.grading.auto.assignments import Assignment
from hw3.grading.auto.gradebook import Row
from hw3.grading.auto.results import SubmissionRecord
from hw3.grading.hand.course import Course, check_release
from hw3.grading.hand.merge import FINAL_GRADES, QUERA_TOTALS, Graded, Merged, merge
from hw3.grading.hand.packet import PACKET_DIR, Packet, Submission, check_regions, write_packet
from hw3.grading.hand.report import REPORT, write_report
from hw3.grading.hand.rubric import Rubrics, check_evidence, load_rubrics
from hw3.grading.hand.sheet import (
    SHEET_NAME,
    ManualScores,
    Sheet,
    SheetError,
    SheetRow,
    make_sheet,
    read_all,
    read_scores,
    sheet_text,
    write_empty,
)
from hw3.submission.rules import identity

MERGED_SCORES = "merged_scores.csv"  # in the state folder: what the last merge used
MERGED_FROM = "merged_from.json"  # {"files": [...], "at": "YYYY-MM-DD HH:MM"}
MERGED_OUTPUTS = (FINAL_GRADES, QUERA_TOTALS, REPORT)


@dataclass
class HandGrading:
    """What `prepare` checked: the course, its rubrics, the run's scores sheet, and the filled scores when given."""

    course: Course
    rubrics: Rubrics
    sheet: Sheet
    scores: ManualScores | None

    def evidence(self, assignments: list[Assignment]) -> dict[str, list[list[str]]]:
        """{assignment: per hand-graded question, the lines naming its evidence cells}, for the graded run."""
        return {
            a.name: self.rubrics.evidence(a.name, self.course.manual.get(a.name, {}))
            for a in assignments
        }


@dataclass
class HandResult:
    """What `finish` wrote, and what it says about the merge."""

    packet: Packet
    sheet_path: Path
    sheet_written: bool  # False when the file there already held grades and was kept
    merged: Merged | None = None
    report: Path | None = None
    notes: list[str] = field(default_factory=list)


def sheet_rows(zips: list[Path], stems: dict[Path, str]) -> list[SheetRow]:
    return [SheetRow(stems[path], *identity(path.name)) for path in zips]


def prepare(
    *,
    course: Course,
    manual: list[Path] | None,
    out: Path,
    assignments: list[Assignment],
    zips: list[Path],
    stems: dict[Path, str],
) -> HandGrading:
    """Check everything hand grading needs (see the module docstring); raises Hw3Error before any grading."""
    check_release(course, {a.name: a.max_points for a in assignments})
    check_regions(course, assignments)
    rubrics = load_rubrics(course, [a.name for a in assignments])
    check_evidence(rubrics, assignments)
    sheet = make_sheet(course, [a.name for a in assignments], sheet_rows(zips, stems), rubrics)
    scores = read_all(list(manual), sheet) if manual else None
    claim(out / PACKET_DIR, "grade")
    return HandGrading(course, rubrics, sheet, scores)


def remove_merged(out: Path) -> list[str]:
    """Delete the outputs of an earlier merge; the names of those that were there."""
    removed = []
    for name in MERGED_OUTPUTS:
        if (out / name).is_file():
            (out / name).unlink()
            removed.append(name)
    return removed


def forget_merge(out: Path, why: str) -> list[str]:
    """Remove the merged outputs, and say so (nothing to say when there were none)."""
    removed = remove_merged(out)
    if not removed:
        return []
    return [
        f"removed {', '.join(removed)} (from an earlier merge): {why}; merge again with "
        f"--manual {SHEET_NAME}"
    ]


def kept_scores(state: Path, sheet: Sheet) -> tuple[ManualScores | None, str]:
    """The scores the last merge used, read against this run's sheet: (scores, where they came from),
    or (None, why they cannot be used)."""
    path = state / MERGED_SCORES
    if not path.is_file():
        return None, "this run has no --manual and no scores were kept from a merge"
    try:
        scores = read_scores(path, sheet, drop_unknown=True)
    except SheetError as err:
        return (
            None,
            f"the scores kept from the last merge no longer fit this run ({err.problems[0]})",
        )
    try:
        origin = json.loads((state / MERGED_FROM).read_text(encoding="utf-8"))
        where = f"{', '.join(origin['files'])}, merged {origin['at']}"
    except (OSError, ValueError, KeyError, TypeError):
        where = str(path)
    return scores, where


def keep_scores(state: Path, sheet: Sheet, scores: ManualScores, answers) -> None:
    """Keep what this merge used, for reruns without --manual; a mark that named no answer (a file from
    before answer hashes) is kept as given to this run's answer, so a later change is caught."""
    marks = {
        submission: {
            name: mark if mark.answer else replace(mark, answer=answers[submission][name])
            for name, mark in given.items()
        }
        for submission, given in scores.marks.items()
    }
    write_atomic(state / MERGED_SCORES, sheet_text(sheet, marks, answers))
    origin = {"files": [str(p) for p in scores.sources], "at": time.strftime("%Y-%m-%d %H:%M")}
    write_atomic(state / MERGED_FROM, json.dumps(origin) + "\n")


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
    """Write the packet, the empty scores file and the merge, or re-merge, or remove it (module docstring)."""
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
    written = write_empty(out / SHEET_NAME, plan.sheet, packet.answers)
    result = HandResult(packet, out / SHEET_NAME, written)
    result.notes += [
        f"no rubric {path}: its questions are scored with a number only (format: "
        "tools/hw3/grading/hand/rubric.py)"
        for path in plan.rubrics.missing
    ]
    scores = plan.scores
    if scores is None:
        scores, where = kept_scores(state, plan.sheet)
        if scores is None:
            result.notes += forget_merge(out, where)
            return result
        result.notes.append(
            f"no --manual: re-merged the scores of the last merge ({where}) against this run's "
            "answers and rubrics; pass --manual to merge other scores"
        )
    graded = [Graded(path, sheet_by_path[path], rows[path], records[path]) for path in zips]
    result.merged = merge(
        out=out,
        course=plan.course,
        sheet=plan.sheet,
        assignments=assignments,
        scores=scores,
        graded=graded,
        answers=packet.answers,
    )
    if plan.scores is not None:
        keep_scores(state, plan.sheet, scores, packet.answers)
    result.report = write_report(
        out=out,
        sheet=plan.sheet,
        assignments=assignments,
        graded=graded,
        finals=result.merged.rows,
    )
    return result
