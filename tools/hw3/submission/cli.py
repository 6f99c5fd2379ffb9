"""Command lines of `hw3 pack` and `hw3 check`.

hw3 pack --student-number 401521234 --name AliMomen [--from DIR] [--pdf PATH] [--out DIR] [--repo DIR]
hw3 check DL_HW3__401521234__AliMomen.zip [MORE.zip ...] [--repo DIR]

The homework's notebooks are those the repository declares (`reference/<name>/assignment.toml`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hw3.errors import EXIT_FINDINGS, EXIT_OK, run_verb
from hw3.project import find_repository
from hw3.submission.check import check
from hw3.submission.options import add_allowances, add_pack_options
from hw3.submission.pack import pack


def add_repo_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo",
        type=Path,
        default=None,
        metavar="DIR",
        help="the course repository, whose declared assignments are the homework's notebooks "
        "(default: found from here)",
    )


def pack_main(argv=None) -> int:
    """Check everything, then write the zip; exit 1 with every problem listed, 0 with the manifest."""
    parser = argparse.ArgumentParser(
        prog="hw3 pack",
        description="Build DL_HW3__[StudentNumber]__[FullName].zip for Quera, after checking "
        "every rule.",
        epilog="Writes OUT/DL_HW3__<number>__<name>.zip holding exactly the homework's notebooks "
        "(NAME.ipynb of each assignment the repository declares) and HW3__Solution.pdf, and prints its "
        "manifest. Exit 0 written, 1 problems found (each printed with its fix; nothing written), 2 usage "
        "error.",
    )
    add_pack_options(parser, Path("."), "the current folder", required=True)
    add_allowances(parser)
    add_repo_option(parser)
    args = parser.parse_args(argv)

    def body() -> int:
        result = pack(
            student_number=args.student_number,
            full_name=args.name,
            notebooks=find_repository(args.repo).registry().notebooks,
            source=args.source,
            pdf=args.pdf,
            out=args.out,
            allow_unanswered=args.allow_unanswered,
            allow_errors=args.allow_errors,
        )
        if result.problems:
            for line in result.refusal():
                print(f"hw3 pack: {line}", file=sys.stderr)
            return EXIT_FINDINGS
        print("\n".join(result.report()))
        return EXIT_OK

    return run_verb("hw3 pack", body)


def check_main(argv=None) -> int:
    """Check each zip; 0 when all are valid, 1 otherwise."""
    parser = argparse.ArgumentParser(
        prog="hw3 check",
        description="Check submission zips against the rules without extracting them.",
        epilog="Prints one line per problem, prefixed with the zip's path, or `PATH: ok (N PDF pages)`, then a "
        "summary line. Exit 0 every zip valid, 1 some zip has problems, 2 usage error.",
    )
    parser.add_argument(
        "zips", nargs="+", type=Path, metavar="ZIP", help="submission zip(s) to check"
    )
    add_allowances(parser)
    add_repo_option(parser)
    args = parser.parse_args(argv)

    def body() -> int:
        result = check(
            args.zips,
            notebooks=find_repository(args.repo).registry().notebooks,
            allow_unanswered=args.allow_unanswered,
            allow_errors=args.allow_errors,
        )
        print("\n".join(result.lines()))
        print(f"hw3 check: {result.summary()}")
        return EXIT_OK if result.all_valid else EXIT_FINDINGS

    return run_verb("hw3 check", body)
