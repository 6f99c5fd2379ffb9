"""Command lines of `hw3 pack` and `hw3 check`.

hw3 pack --student-number 401521234 --name AliMomen [--from DIR] [--pdf PATH] [--out DIR]
hw3 check DL_HW3__401521234__AliMomen.zip [MORE.zip ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hw3.errors import EXIT_FINDINGS, EXIT_OK, run_verb
from hw3.submission.check import check
from hw3.submission.options import add_allowances, add_pack_options
from hw3.submission.pack import pack


def pack_main(argv=None) -> int:
    """Check everything, then write the zip; exit 1 with every problem listed, 0 with the manifest."""
    parser = argparse.ArgumentParser(
        prog="hw3 pack",
        description="Build DL_HW3__[StudentNumber]__[FullName].zip for Quera, after checking "
        "every rule.",
        epilog="Writes OUT/DL_HW3__<number>__<name>.zip holding exactly hafez.ipynb, "
        "apple_stock.ipynb and HW3__Solution.pdf, and prints its manifest. Exit 0 written, 1 problems found "
        "(each printed with its fix; nothing written), 2 usage error.",
    )
    add_pack_options(parser, Path("."), "the current folder", required=True)
    add_allowances(parser)
    args = parser.parse_args(argv)

    def body() -> int:
        result = pack(
            student_number=args.student_number,
            full_name=args.name,
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
    args = parser.parse_args(argv)

    def body() -> int:
        result = check(
            args.zips, allow_unanswered=args.allow_unanswered, allow_errors=args.allow_errors
        )
        print("\n".join(result.lines()))
        print(f"hw3 check: {result.summary()}")
        return EXIT_OK if result.all_valid else EXIT_FINDINGS

    return run_verb("hw3 check", body)
