"""Command line of `hw3 grade`.

hw3 grade PATH... --out DIR [--jobs N] [--timeout SEC] [--cell-timeout SEC] [--memory MB] [--force]
          [--release DIR] [--course FILE] [--manual CSV] [--no-sandbox] [--extract-only]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from hw3.errors import EXIT_FINDINGS, EXIT_OK, run_verb
from hw3.grading.auto.limits import (
    DEFAULT_CELL_TIMEOUT_S,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    Limits,
)
from hw3.grading.hand.course import COURSE_FILE, load_course
from hw3.grading.hand.merge import FINAL_GRADES, QUERA_TOTALS
from hw3.grading.run import FEEDBACK_DIR, GradeRun, Reporter, extract, grade
from hw3.project import find_repository
from hw3.registry import release_registry

EPILOG = """outputs: DIR/gradebook.csv (one row per zip: scores, status, flags, problems), DIR/feedback/<zip stem>.md
(per student), DIR/logs/ (the grader's log of a notebook that ended in error or timeout), DIR/.state/ (kept
records, for reruns). With --extract-only: DIR/notebooks/<assignment>/<zip stem>.ipynb only.

hand grading (with the course settings, reference/course.toml of the release or --course, and the
rubrics beside it, reference/<assignment>/rubric.toml and reference/theory/rubric.toml):
  DIR/packet/index.html   open it in a browser (file://, no server): one page per hand-graded question with
                          every student's answer and its evidence, one page per submission with its theory
                          PDF; rubric items applied by click or number key, an adjustment and a comment;
                          pseudonyms unless "show names"; scores are kept in the browser; "Download
                          manual_scores.csv" saves them, "Load a CSV" brings a file back in
  DIR/manual_scores.csv   the same file with empty scores, for a spreadsheet (kept once it holds grades):
                          submission, student_number, full_name, then per hand-graded question
                          (<assignment>_<question>) and theory item (theory_1.1.1_1 for "1.1.1 (1)") a score
                          (0 to its points, blank = not graded yet) and a _comment column; then per score
                          column _rubric (item ids applied), _adjust and _answer (the answer's hash)
  then rerun with --manual manual_scores.csv (graded zips are kept, so it takes seconds; repeat --manual to
  merge several TAs' files: a cell two files give differently is listed and nothing is written): every
  cell is checked first (one line per problem naming its row and column; nothing is written when any is
  wrong), then DIR/final_grades.csv (per notebook <assignment>_auto/_manual/_total/_max, theory_total,
  theory_max, total, max_total, missing, the hand-graded scores), DIR/quera_totals.csv
  (student_number,total), the feedback files gain the hand-graded scores, items and comments, and
  DIR/report.html (the class report). A part with a missing score has a blank total: missing scores are
  listed, never read as 0; a score given to an answer that changed since is listed and counts as missing.
  A rerun without --manual merges the last merged scores again (or, when they no longer fit, removes
  final_grades.csv, quera_totals.csv and report.html) and says which.

exit: 0 every zip graded ok (and, with --manual, every score given), 1 graded but some zip is invalid, timed
out or errored, or scores are missing, 2 usage or setup error (bad path, no release, folder busy, course
settings that disagree with the release, a scores file with any problem)."""


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="hw3 grade",
        description="Grade a folder of submission zips into DIR/gradebook.csv and feedback, "
        "sandboxed and resumable; write the grading packet of the hand-graded questions and the theory, and with "
        "--manual merge their scores into DIR/final_grades.csv.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="zips, or folders searched for *.zip"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="folder for gradebook.csv, feedback/ and the state"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="notebooks graded at once (default: number of cores)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_TIMEOUT_S,
        help=f"seconds one notebook and its tests may take in all; then it is stopped (default {DEFAULT_TIMEOUT_S})",
    )
    parser.add_argument(
        "--cell-timeout",
        type=int,
        default=DEFAULT_CELL_TIMEOUT_S,
        help=f"seconds one cell may run before it is interrupted, and killed if it ignores the interrupt "
        f"(default {DEFAULT_CELL_TIMEOUT_S})",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=DEFAULT_MEMORY_MB,
        metavar="MB",
        help=f"memory of one notebook's whole sandbox, and address space of each of its processes "
        f"(default {DEFAULT_MEMORY_MB})",
    )
    parser.add_argument("--force", action="store_true", help="regrade zips already graded")
    parser.add_argument(
        "--release",
        type=Path,
        default=None,
        help="folder holding student/ and autograder/ (default: the repository found from here)",
    )
    parser.add_argument(
        "--course",
        type=Path,
        default=None,
        help=f"course settings: the theory items; each notebook's points and hand-graded questions come "
        f"from RELEASE/reference/*/assignment.toml (default: RELEASE/reference/{COURSE_FILE}; without "
        "it no packet is written)",
    )
    parser.add_argument(
        "--manual",
        type=Path,
        action="append",
        default=None,
        metavar="CSV",
        help="merge these hand-graded scores (manual_scores.csv) into DIR/final_grades.csv, "
        "DIR/quera_totals.csv, the feedback and DIR/report.html; repeat it to merge several files "
        "(one TA per question or per range of students)",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="do not use bubblewrap even when it works (rows are flagged unsandboxed)",
    )
    parser.add_argument(
        "--extract-only",
        action="store_true",
        help="only write each zip's notebooks (read safely) to DIR/notebooks/<assignment>/<zip stem>.ipynb, "
        "for `otter grade` (Docker) or Gradescope",
    )
    args = parser.parse_args(argv)
    for option in ("jobs", "timeout", "cell_timeout", "memory"):
        if getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be at least 1")
    return args


def print_hand(run: GradeRun) -> bool:
    """Print where the packet and the merge went; whether every hand-graded score was given (True without a merge)."""
    if run.hand is None:
        return True
    packet = run.hand.packet
    print(
        f"packet:    {packet.folder / 'index.html'} ({packet.pages} pages, {packet.size_bytes / 2**20:.1f} MB, "
        f"built in {packet.seconds:.1f} s)"
    )
    kept = "" if run.hand.sheet_written else " (kept: it holds grades)"
    print(f"scores:    {run.hand.sheet_path}{kept}")
    for note in run.hand.notes:
        print(f"hw3 grade: {note}", file=sys.stderr)
    merged = run.hand.merged
    if merged is None:
        return True
    for note in merged.notes:
        print(f"hw3 grade: {note}", file=sys.stderr)
    for row in merged.incomplete:
        print(
            f"hw3 grade: {row.row.submission}: missing {len(row.missing)} score(s) ({', '.join(row.missing)}): "
            "its totals are left blank",
            file=sys.stderr,
        )
    print(
        f"final:     {run.out / FINAL_GRADES} ({len(merged.rows) - len(merged.incomplete)} of {len(merged.rows)} "
        f"complete)\nquera:     {run.out / QUERA_TOTALS}\nreport:    {run.hand.report}"
    )
    return not merged.incomplete


class ProgressBar(Reporter):
    """Prints what `grade` reports: its warnings, how many zips are kept, then a progress bar."""

    def __init__(self):
        self.bar: tqdm | None = None

    def started(self, *, zips: int, already_graded: int, jobs: int, warnings: list[str]) -> None:
        for warning in warnings:
            print(f"hw3 grade: warning: {warning}", file=sys.stderr)
        print(
            f"hw3 grade: {zips} zip(s): {already_graded} already graded (kept; --force regrades), "
            f"{zips - already_graded} to grade with {jobs} job(s)",
            file=sys.stderr,
        )
        self.bar = tqdm(total=zips - already_graded, unit="zip", desc="grading", file=sys.stderr)

    def graded(self, path: Path) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def finished(self) -> None:
        if self.bar is not None:
            self.bar.close()


def grade_main(argv=None) -> int:
    args = parse_args(argv)

    def body() -> int:
        release_root = (
            args.release
            if args.release is not None
            else find_repository(option="--release DIR").root
        )
        if args.extract_only:
            done = extract(paths=args.paths, out=args.out, release_root=release_root)
            for line in done.skipped:
                print(line)
            print(f"hw3 grade: {len(done.written)} notebook(s) in {args.out / 'notebooks'}/")
            return EXIT_OK
        course_file = args.course or release_root / "reference" / COURSE_FILE
        course = (
            load_course(course_file, release_registry(release_root))
            if args.course or args.manual or course_file.is_file()
            else None
        )
        limits = Limits(timeout=args.timeout, cell_timeout=args.cell_timeout, memory_mb=args.memory)
        run = grade(
            paths=args.paths,
            out=args.out,
            release_root=release_root,
            jobs=args.jobs,
            limits=limits,
            force=args.force,
            reporter=ProgressBar(),
            use_sandbox=not args.no_sandbox,
            course=course,
            manual=args.manual,
        )
        for line in run.summary:
            print(line)
        print(f"gradebook: {run.gradebook}\nfeedback:  {run.out / FEEDBACK_DIR}/")
        if course is None:
            print(
                f"hw3 grade: warning: {course_file} not found: no grading packet (pass --course FILE)",
                file=sys.stderr,
            )
        complete = print_hand(run)
        return EXIT_OK if run.all_ok and complete else EXIT_FINDINGS

    code = run_verb("hw3 grade", body)
    if code == 130:
        print(
            "hw3 grade: run the same command again to finish (graded zips are kept)",
            file=sys.stderr,
        )
    return code
