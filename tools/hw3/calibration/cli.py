"""Command line of `hw3 calibrate`.

hw3 calibrate [--seeds K] [--out DIR] [--jobs N] [--repo DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hw3.calibration.calibrate import GRADING_SEED, calibrate
from hw3.calibration.mutation import GOAL, analyse, class_table
from hw3.calibration.mutation import markdown as mutation_markdown
from hw3.calibration.report import markdown
from hw3.common.atomic import write_atomic
from hw3.common.folders import clear_claimed
from hw3.errors import EXIT_FINDINGS, EXIT_OK, run_verb
from hw3.project import find_repository

DEFAULT_OUT = Path("bench-results") / "calibration"  # under the repository
EPILOG = """outputs: DIR/calibration.json and DIR/calibration.md (pass rates, threshold margins, mutants), and the
releases, submissions and gradebooks used. DIR is cleared first, but only when an earlier hw3 run made it.
With --mutate: DIR/mutation.md and mutation.json (per question and per operator class the mutation score,
every survivor with its diff, the reviewed equivalents), and per notebook the table of operator classes and
one line: mutation score <notebook>: NN.N % (killed K of N non-equivalent).
exit: 0 calibrated, 1 a reference seed lost points, regrading changed a score or a must-fail mutant survived
(each printed) / with --mutate: a notebook's mutation score is under 90 %, 2 usage or setup error."""


def calibrate_main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="hw3 calibrate",
        description="Grade the reference on several seeds and every mutant; report pass "
        "rates, margins and what catches each mutant.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=3,
        help=f"reference grading seeds: {GRADING_SEED}, then 0, 1, ... (default 3)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"work and report folder (default: REPO/{DEFAULT_OUT})",
    )
    parser.add_argument("--jobs", type=int, default=2, help="notebooks graded at once (default 2)")
    parser.add_argument(
        "--repo", type=Path, default=None, help="the course repository (default: found from here)"
    )
    parser.add_argument(
        "--mutate",
        action="store_true",
        help="instead, mutate every answer with cosmic-ray's and hw3's operators and report per "
        "question and per operator class the share of mutants the hidden tests kill "
        "(DIR/mutation.md, mutation.json)",
    )
    parser.add_argument(
        "--assignment",
        action="append",
        default=None,
        help="with --mutate: only this declared assignment (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")

    def body() -> int:
        repo = find_repository(args.repo)
        out = clear_claimed(
            args.out if args.out is not None else repo.root / DEFAULT_OUT, "calibrate"
        )
        if args.mutate:
            names = [repo.registry()[name].name for name in args.assignment or ()]
            return mutate(repo, out, names or None, args.jobs)
        seeds = [GRADING_SEED] + list(range(args.seeds - 1))
        report = calibrate(repo=repo, seeds=seeds, out=out, jobs=args.jobs)
        write_atomic(out / "calibration.json", report.to_json())
        write_atomic(out / "calibration.md", markdown(report))
        print(markdown(report))
        for problem in report.problems():
            print(f"hw3 calibrate: {problem}", file=sys.stderr)
        print(f"wrote {out / 'calibration.json'} and {out / 'calibration.md'}")
        return EXIT_FINDINGS if report.problems() else EXIT_OK

    return run_verb("hw3 calibrate", body)


def mutate(repo, out: Path, names: list[str] | None, jobs: int) -> int:
    """`--mutate`: the mutation report, one score line per notebook; findings when one is under the goal."""
    report = analyse(repo=repo, names=names, jobs=jobs)
    write_atomic(out / "mutation.json", report.to_json())
    write_atomic(out / "mutation.md", mutation_markdown(report))
    print(f"wrote {out / 'mutation.md'} and {out / 'mutation.json'}")
    below = False
    for assignment in report.outcomes:
        print(f"\n{assignment}, per operator class:\n{class_table(report, assignment)}")
        print(report.score_line(assignment))
        below |= report.total(assignment).score < GOAL
    return EXIT_FINDINGS if below else EXIT_OK
