"""Command line of `hw3 release`.

hw3 release [ASSIGNMENT...] [--out DIR] [--repo DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hw3.errors import EXIT_OK, run_verb
from hw3.project import find_repository
from hw3.release import release


def release_main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="hw3 release",
        description="Build student/ and autograder/ from reference/ (otter assign).",
        epilog="Writes OUT/student/<name>/ (stubbed notebook, data), OUT/student/ (theory template, README, "
        "submit.py), OUT/autograder/<name>/ (solution notebook, <name>-autograder.zip) and "
        "OUT/dist/HW3_student_release.zip. "
        "Exit 0 released, 2 otter assign failed or an input is missing.",
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
    args = parser.parse_args(argv)

    def body() -> int:
        result = release(repo=find_repository(args.repo), names=args.assignments, out=args.out)
        for name in result.names:
            print(
                f"released {name}: {result.out / 'student' / name}, {result.out / 'autograder' / name}"
            )
        print(f"student bundle: {result.bundle}")
        return EXIT_OK

    return run_verb("hw3 release", body)
