"""Command line of `hw3 release`.

hw3 release [ASSIGNMENT...] [--out DIR] [--repo DIR]
hw3 release [ASSIGNMENT...] --stage-data [--repo DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hw3.errors import EXIT_OK, run_verb
from hw3.project import find_repository
from hw3.release import release
from hw3.release.stage import stage_beside_masters


def release_main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="hw3 release",
        description="Build student/ and autograder/ from reference/ (otter assign).",
        epilog="Writes OUT/student/<name>/ (stubbed notebook, data), OUT/student/ (theory template, README, "
        "submit.py), OUT/autograder/<name>/ (solution notebook, <name>-autograder.zip) and "
        "OUT/dist/HW3_student_release.zip. With --stage-data, only the data files of each master's "
        "files: list, beside it (reference/<name>/data/...), so that `otter assign "
        "reference/<name>/<name>.ipynb OUT` runs on it by hand. "
        "Exit 0 released (or staged), 2 otter assign failed or an input is missing.",
    )
    parser.add_argument(
        "assignments",
        nargs="*",
        metavar="ASSIGNMENT",
        help="which to build, by name (reference/<name>/assignment.toml; default: all)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="root that receives student/ and autograder/ (default: the repository)",
    )
    parser.add_argument(
        "--repo", type=Path, default=None, help="the course repository (default: found from here)"
    )
    parser.add_argument(
        "--stage-data",
        action="store_true",
        help="build nothing: write each master's data files beside it, for running otter assign on "
        "reference/<name>/<name>.ipynb by hand (git ignores them)",
    )
    args = parser.parse_args(argv)
    if args.stage_data and args.out is not None:
        parser.error("--stage-data writes beside the masters: drop --out")

    def body() -> int:
        if args.stage_data:
            for path in stage_beside_masters(
                repo=find_repository(args.repo), names=args.assignments
            ):
                print(f"staged {path}")
            return EXIT_OK
        result = release(repo=find_repository(args.repo), names=args.assignments, out=args.out)
        for name in result.names:
            print(
                f"released {name}: {result.out / 'student' / name}, {result.out / 'autograder' / name}"
            )
        print(f"student bundle: {result.bundle}")
        return EXIT_OK

    return run_verb("hw3 release", body)
