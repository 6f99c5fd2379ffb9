"""Command line of `hw3 bench`.

hw3 bench hafez [--seeds S...] [--student-seeds S... | --skip-student-budget] [--out FILE]
hw3 bench apple_stock [--seeds S...] [--student-seeds S...] [--no-mutants] [--autograder DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hw3.bench import apple_stock, hafez
from hw3.common.atomic import write_atomic
from hw3.errors import EXIT_OK, run_verb
from hw3.project import find_repository

RESULTS_DIR = Path("bench-results")  # under the repository, not committed


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="hw3 bench",
        description="Time the reference notebooks and report their metrics against baselines.",
        epilog="Each benchmark prints its numbers as it goes and writes them as JSON to --out "
        "(default: REPO/bench-results/<name>.json). Exit 0 done, 1 a notebook or otter run failed, 2 usage error.",
    )
    parser.add_argument(
        "--repo", type=Path, default=None, help="the course repository (default: found from here)"
    )
    benches = parser.add_subparsers(dest="name", required=True, metavar="{hafez,apple_stock}")
    h = benches.add_parser(
        "hafez",
        help="otter run and execution time, test perplexity per seed, n-gram baselines",
        description=hafez.__doc__.splitlines()[0],
    )
    h.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=list(hafez.DEFAULT_SEEDS),
        help=f"seeds at the grading budget (default {hafez.DEFAULT_SEEDS})",
    )
    h.add_argument(
        "--student-seeds",
        type=int,
        nargs="*",
        default=list(hafez.DEFAULT_STUDENT_SEEDS),
        help=f"seeds at the student budget, a few minutes each (default {hafez.DEFAULT_STUDENT_SEEDS})",
    )
    h.add_argument(
        "--skip-student-budget", action="store_true", help="skip the student-budget runs"
    )
    h.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON report (default: REPO/bench-results/hafez.json)",
    )
    a = benches.add_parser(
        "apple_stock",
        help="execution time, RMSE against persistence per seed, the q6 band's margins",
        description=apple_stock.__doc__.splitlines()[0],
    )
    a.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=list(apple_stock.DEFAULT_SEEDS),
        help=f"seeds at the grading budget, each executed and otter-run (default {apple_stock.DEFAULT_SEEDS})",
    )
    a.add_argument(
        "--student-seeds",
        type=int,
        nargs="*",
        default=list(apple_stock.DEFAULT_STUDENT_SEEDS),
        help=f"seeds at the student budget (default {apple_stock.DEFAULT_STUDENT_SEEDS})",
    )
    a.add_argument("--no-mutants", action="store_true", help="skip the broken solutions")
    a.add_argument(
        "--autograder",
        type=Path,
        default=None,
        help="released autograder folder to bench (default: REPO/autograder/apple_stock)",
    )
    a.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON report (default: REPO/bench-results/apple_stock.json)",
    )
    return parser.parse_args(argv)


def bench_main(argv=None) -> int:
    args = parse_args(argv)

    def body() -> int:
        repo = find_repository(args.repo)
        if args.name == "hafez":
            student_seeds = [] if args.skip_student_budget else args.student_seeds
            report = hafez.bench_hafez(repo=repo, seeds=args.seeds, student_seeds=student_seeds)
            print(hafez.table(report))
        else:
            report = apple_stock.bench_apple_stock(
                repo=repo,
                seeds=args.seeds,
                student_seeds=args.student_seeds,
                mutants=not args.no_mutants,
                autograder=args.autograder,
            )
            print(apple_stock.table(report))
        out = args.out if args.out is not None else repo.root / RESULTS_DIR / f"{args.name}.json"
        write_atomic(out, json.dumps(report, indent=2) + "\n")
        print(f"wrote {out}")
        return EXIT_OK

    return run_verb("hw3 bench", body)
