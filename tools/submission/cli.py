"""Command lines of `hw3 pack` and `hw3 check`.

    hw3 pack --student-number 401521234 --name AliMomen [--from DIR] [--pdf PATH] [--out DIR]
    hw3 check DL_HW3__401521234__AliMomen.zip [MORE.zip ...]
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from hw3.errors import EXIT_FINDINGS, EXIT_OK, run_verb
from hw3.submission.check import check
from hw3.submission.pack import pack
from hw3.submission.rules import ALLOW_ERRORS, ALLOW_UNANSWERED, PDF_NAME


def add_allowances(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(ALLOW_UNANSWERED, dest="allow_unanswered", action="store_true",
                        help="accept questions whose stub still raises NotImplementedError")
    parser.add_argument(ALLOW_ERRORS, dest="allow_errors", action="store_true",
                        help="accept notebooks whose saved outputs hold a traceback")


def pack_main(argv=None) -> int:
    """Check everything, then write the zip; exit 1 with every problem listed, 0 with the manifest."""
    parser = argparse.ArgumentParser(
        prog="hw3 pack", description="Build DL_HW3__[StudentNumber]__[FullName].zip for Quera, after checking "
        "every rule.", epilog="Writes OUT/DL_HW3__<number>__<name>.zip holding exactly hafez.ipynb, "
        "apple_stock.ipynb and HW3__Solution.pdf, and prints its manifest. Exit 0 written, 1 problems found "
        "(each printed with its fix; nothing written), 2 usage error.")
    parser.add_argument("--student-number", required=True, help="digits only, e.g. 401521234")
    parser.add_argument("--name", required=True, help="full name in CamelCase English letters, e.g. AliMomen")
    parser.add_argument("--from", dest="source", type=Path, default=Path("."), metavar="DIR",
                        help="folder holding hafez.ipynb and apple_stock.ipynb (default: current folder)")
    parser.add_argument("--pdf", type=Path, metavar="PATH", help=f"theory answers PDF (default: DIR/{PDF_NAME})")
    parser.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                        help="folder to write the zip to (default: current folder)")
    add_allowances(parser)
    args = parser.parse_args(argv)

    def body() -> int:
        result = pack(student_number=args.student_number, full_name=args.name, source=args.source, pdf=args.pdf,
                      out=args.out, allow_unanswered=args.allow_unanswered, allow_errors=args.allow_errors)
        if result.problems:
            for problem in result.problems:
                print(f"hw3 pack: {problem}", file=sys.stderr)
            print(f"hw3 pack: {len(result.problems)} problem(s); nothing written", file=sys.stderr)
            return EXIT_FINDINGS
        print("\n".join(result.manifest()))
        digest = hashlib.sha256(result.path.read_bytes()).hexdigest()
        print(f"wrote {result.path} ({result.path.stat().st_size} B, sha256 {digest}; {PDF_NAME}: "
              f"{result.pdf_pages} page(s)); upload it to Quera as is")
        return EXIT_OK

    return run_verb("hw3 pack", body)


def check_main(argv=None) -> int:
    """Check each zip; 0 when all are valid, 1 otherwise."""
    parser = argparse.ArgumentParser(
        prog="hw3 check", description="Check submission zips against the rules without extracting them.",
        epilog="Prints one line per problem, prefixed with the zip's path, or `PATH: ok (N PDF pages)`, then a "
        "summary line. Exit 0 every zip valid, 1 some zip has problems, 2 usage error.")
    parser.add_argument("zips", nargs="+", type=Path, metavar="ZIP", help="submission zip(s) to check")
    add_allowances(parser)
    args = parser.parse_args(argv)

    def body() -> int:
        result = check(args.zips, allow_unanswered=args.allow_unanswered, allow_errors=args.allow_errors)
        for path, inspection in result.inspections.items():
            for problem in inspection.problems:
                print(f"{path}: {problem}")
            if not inspection.problems:
                print(f"{path}: ok ({PDF_NAME}: {inspection.pdf_pages} page(s))")
        print(f"hw3 check: {result.valid} of {len(result.inspections)} zip(s) valid")
        return EXIT_OK if result.valid == len(result.inspections) else EXIT_FINDINGS

    return run_verb("hw3 check", body)
