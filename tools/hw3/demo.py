"""`hw3 demo`: the whole grading job on two students, in a scratch folder: release, submit, grade, build
the grading packet, merge an example scores file, and print the final grades out of the handout's 80.

In DIR it writes `release/` (hw3 release), `submissions/` (two Quera zips: `DL_HW3__4000000001__Reference.zip`
holds the reference solutions, `DL_HW3__4000000002__Unchanged.zip` the student notebooks as released),
`graded/` (gradebook.csv, feedback/, the grading packet, manual_scores.csv) and
`EXAMPLE_manual_scores.csv`: hand-graded scores a TA did not give, made up by the demo (every rubric
item to the reference, nothing to the unchanged notebooks, each comment saying it is an example),
which it merges into graded/final_grades.csv as `hw3 grade --manual` would. The course settings and
rubrics come from the repository's reference/ folder.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hw3.common.atomic import write_atomic
from hw3.common.pdfwrite import one_page_pdf
from hw3.common.zipwrite import write_deterministic_zip
from hw3.errors import EXIT_FINDINGS, EXIT_OK, run_verb
from hw3.grading.hand.course import COURSE_FILE, Course, load_course
from hw3.grading.hand.numbers import shown
from hw3.grading.hand.rubric import load_rubrics
from hw3.grading.hand.sheet import SHEET_NAME, score_columns
from hw3.grading.run import GradeRun, grade
from hw3.project import Repository, find_repository
from hw3.release import release
from hw3.submission.rules import PDF_NAME, zip_name

STUDENTS = (("4000000001", "Reference", "autograder"), ("4000000002", "Unchanged", "student"))
FULL_MARKS = "Reference"  # the demo student whose example marks apply every rubric item
SHOWN = ("student_number", "full_name", "status")
EXAMPLE_SCORES = "EXAMPLE_manual_scores.csv"
EXAMPLE_COMMENT = "EXAMPLE written by hw3 demo, not a TA's grade"


@dataclass
class DemoRun:
    """Where the demo wrote its release, submissions and grading, the example scores, and both runs."""

    workdir: Path
    names: list[str]
    graded: GradeRun  # the grading, with the packet
    example: Path  # the example scores file
    merged: GradeRun  # the rerun that merged it


def write_submissions(release_root: Path, names: list[str], out: Path) -> list[Path]:
    """One zip per demo student in `out`: the released notebooks of its kind and a one-page PDF."""
    paths = []
    for number, full_name, kind in STUDENTS:
        members = {
            f"{name}.ipynb": (release_root / kind / name / f"{name}.ipynb").read_bytes()
            for name in names
        }
        members[PDF_NAME] = one_page_pdf(f"Theory answers of {full_name}")
        paths.append(write_deterministic_zip(out / zip_name(number, full_name), members))
    return paths


def example_scores(empty: Path, course: Course, names: list[str], target: Path) -> Path:
    """An example of filled scores from the empty scores file: every rubric item (or the full points,
    where a question has no rubric) to the full-marks student, 0 to the other, each comment saying so."""
    columns = score_columns(course, names, load_rubrics(course, names))
    records = list(csv.reader(io.StringIO(empty.read_text(encoding="utf-8"))))
    header = records[0]
    for record in records[1:]:
        full = record[header.index("full_name")] == FULL_MARKS
        for column in columns:
            items = " ".join(i.id for i in column.rubric.items)
            if full and items:
                record[header.index(column.applied)] = items
            record[header.index(column.name)] = shown(column.points) if full else "0"
            record[header.index(column.comment)] = EXAMPLE_COMMENT
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(records)
    return write_atomic(target, buffer.getvalue())


def demo(*, repo: Repository, workdir: Path, jobs: int = os.cpu_count() or 1) -> DemoRun:
    """Release, submit, grade with the packet, then merge the example scores, in `workdir`."""
    released = release(repo=repo, out=workdir / "release")
    write_submissions(released.out, released.names, workdir / "submissions")
    course = load_course(repo.reference / COURSE_FILE)
    run = dict(
        paths=[workdir / "submissions"],
        out=workdir / "graded",
        release_root=released.out,
        jobs=jobs,
        course=course,
    )
    graded = grade(**run)
    example = example_scores(
        graded.out / SHEET_NAME, course, released.names, workdir / EXAMPLE_SCORES
    )
    merged = grade(**run, manual=[example])
    return DemoRun(workdir, released.names, graded, example, merged)


def table(rows: list[dict], columns: list[str]) -> list[str]:
    widths = {c: max(len(c), *(len(r.get(c, "")) for r in rows)) for c in columns}
    return ["  ".join(f"{c:<{widths[c]}}" for c in columns)] + [
        "  ".join(f"{row.get(c, ''):<{widths[c]}}" for c in columns) for row in rows
    ]


def read_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def gradebook_table(path: Path, names: list[str]) -> list[str]:
    """The gradebook's main columns (the automatic part), one line per student."""
    columns = list(SHOWN) + [f"{name}_total" for name in names] + ["total", "max_total", "flags"]
    return table(read_rows(path), columns)


def final_table(path: Path, names: list[str]) -> list[str]:
    """final_grades.csv's totals, one line per student."""
    columns = ["student_number", "full_name"]
    columns += [f"{name}_{part}" for name in names for part in ("auto", "manual", "total")]
    return table(read_rows(path), columns + ["theory_total", "total", "max_total"])


def report(run: DemoRun) -> list[str]:
    """What the demo prints: the automatic part, the example merge, the final grades, the packet last."""
    hand = run.merged.hand
    lines = run.graded.summary + ["", "automatic part (gradebook.csv):"]
    lines += gradebook_table(run.graded.gradebook, run.names)
    lines += [
        "",
        f"merged {run.example} (EXAMPLE scores made up by the demo, not a TA's) with "
        f"hw3 grade --manual: {hand.merged.final_grades}",
        f"final grades, out of {hand.merged.rows[0].maximum:g}:",
    ]
    lines += final_table(hand.merged.final_grades, run.names)
    lines += [
        "",
        f"class report: {hand.report}",
        f"grading packet (open it in a browser): {hand.packet.folder / 'index.html'}",
    ]
    return lines


def demo_main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="hw3 demo",
        description="Build the release in a scratch folder, grade the reference and the unchanged "
        "student notebooks with the grading packet, merge an example scores file, and print the final "
        "grades out of 80.",
        epilog="Writes DIR/release, DIR/submissions (two zips), DIR/graded (gradebook.csv, feedback/, "
        "packet/, manual_scores.csv, final_grades.csv, report.html) and DIR/EXAMPLE_manual_scores.csv. "
        "Exit 0 both graded as expected, 1 otherwise, 2 usage or setup error.",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where to build, submit and grade (default: a temporary folder)",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="passed to hw3 grade (default: cores)"
    )
    parser.add_argument(
        "--repo", type=Path, default=None, help="the course repository (default: found from here)"
    )
    args = parser.parse_args(argv)

    def run_in(workdir: Path) -> int:
        run = demo(repo=find_repository(args.repo), workdir=workdir, jobs=args.jobs)
        print("\n".join(report(run)))
        complete = not run.merged.hand.merged.incomplete
        return EXIT_OK if run.merged.all_ok and complete else EXIT_FINDINGS

    def body() -> int:
        if args.workdir:
            return run_in(args.workdir)
        tmp = Path(tempfile.mkdtemp(prefix="hw3-demo-"))
        print(
            f"hw3 demo: working in {tmp} (kept, so the packet can be opened; --workdir DIR to choose)"
        )
        return run_in(tmp)

    return run_verb("hw3 demo", body)
