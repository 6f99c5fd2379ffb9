"""Command line of `hw3 grade`.

    hw3 grade PATH... --out DIR [--jobs N] [--timeout SEC] [--cell-timeout SEC] [--memory MB] [--force]
              [--release DIR] [--no-sandbox] [--extract-only]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from hw3.errors import EXIT_FINDINGS, EXIT_OK, run_verb
from hw3.grading import sandbox
from hw3.grading.run import DEFAULT_CELL_TIMEOUT_S, DEFAULT_TIMEOUT_S, FEEDBACK_DIR, extract, grade
from hw3.project import find_repository

EPILOG = """outputs: DIR/gradebook.csv (one row per zip: scores, status, flags, problems), DIR/feedback/<zip stem>.md
(per student), DIR/logs/ (the grader's log of a notebook that ended in error or timeout), DIR/.state/ (kept
records, for reruns). With --extract-only: DIR/notebooks/<assignment>/<zip stem>.ipynb only.
exit: 0 every zip graded ok, 1 graded but some zip is invalid, timed out or errored, 2 usage or setup error
(bad path, no release, folder busy)."""


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="hw3 grade", description="Grade a folder of submission zips into DIR/gradebook.csv and feedback, "
        "sandboxed and resumable.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="zips, or folders searched for *.zip")
    parser.add_argument("--out", type=Path, required=True, help="folder for gradebook.csv, feedback/ and the state")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="notebooks graded at once (default: number of cores)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_S,
                        help=f"seconds one notebook may take in all; then it scores 0 (default {DEFAULT_TIMEOUT_S})")
    parser.add_argument("--cell-timeout", type=int, default=DEFAULT_CELL_TIMEOUT_S,
                        help=f"seconds one cell may run before it is interrupted (default {DEFAULT_CELL_TIMEOUT_S})")
    parser.add_argument("--memory", type=int, default=sandbox.DEFAULT_MEMORY_MB, metavar="MB",
                        help=f"address-space cap of each grading process (default {sandbox.DEFAULT_MEMORY_MB})")
    parser.add_argument("--force", action="store_true", help="regrade zips already graded")
    parser.add_argument("--release", type=Path, default=None,
                        help="folder holding student/ and autograder/ (default: the repository found from here)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="do not use bubblewrap even when it works (rows are flagged unsandboxed)")
    parser.add_argument("--extract-only", action="store_true",
                        help="only write each zip's notebooks (read safely) to DIR/notebooks/<assignment>/<zip stem>.ipynb, "
                             "for `otter grade` (Docker) or Gradescope")
    args = parser.parse_args(argv)
    for option in ("jobs", "timeout", "cell_timeout", "memory"):
        if getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be at least 1")
    return args


def grade_main(argv=None) -> int:
    args = parse_args(argv)

    def body() -> int:
        release_root = args.release if args.release is not None else find_repository(option="--release DIR").root
        if args.extract_only:
            done = extract(paths=args.paths, out=args.out, release_root=release_root)
            for line in done.skipped:
                print(line)
            print(f"hw3 grade: {len(done.written)} notebook(s) in {args.out / 'notebooks'}/")
            return EXIT_OK
        run = grade(paths=args.paths, out=args.out, release_root=release_root, jobs=args.jobs,
                    timeout=args.timeout, cell_timeout=args.cell_timeout, memory_mb=args.memory, force=args.force,
                    use_sandbox=not args.no_sandbox)
        for line in run.summary:
            print(line)
        print(f"gradebook: {run.gradebook}\nfeedback:  {run.out / FEEDBACK_DIR}/")
        return EXIT_OK if run.all_ok else EXIT_FINDINGS

    code = run_verb("hw3 grade", body)
    if code == 130:
        print("hw3 grade: run the same command again to finish (graded zips are kept)", file=sys.stderr)
    return code
