"""The command-line options `hw3 pack`, `hw3 check` and the students' `submit.py` share, spelled once.

Standard library only (and Python 3.8 syntax): `submit.py` is built from this module.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hw3.submission.rules import ALLOW_ERRORS, ALLOW_UNANSWERED, PDF_NAME


def add_pack_options(
    parser: argparse.ArgumentParser, folder: Path, folder_words: str, required: bool
) -> None:
    """--student-number, --name, --from, --pdf and --out; --from and --out default to `folder`, which
    the help calls `folder_words`."""
    parser.add_argument("--student-number", required=required, help="digits only, e.g. 401521234")
    parser.add_argument(
        "--name", required=required, help="full name in CamelCase English letters, e.g. AliMomen"
    )
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=folder,
        metavar="DIR",
        help="folder holding the notebooks (NAME.ipynb), or holding each in NAME/ as the student "
        f"release does (default: {folder_words})",
    )
    parser.add_argument(
        "--pdf",
        type=Path,
        metavar="PATH",
        help=f"theory answers PDF (default: DIR/{PDF_NAME} or DIR/theory/{PDF_NAME})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=folder,
        metavar="DIR",
        help=f"folder to write the zip to (default: {folder_words})",
    )


def add_allowances(parser: argparse.ArgumentParser) -> None:
    """--allow-unanswered and --allow-errors, which relax the notebook rules for both building and checking."""
    parser.add_argument(
        ALLOW_UNANSWERED,
        dest="allow_unanswered",
        action="store_true",
        help="accept questions whose stub still raises NotImplementedError",
    )
    parser.add_argument(
        ALLOW_ERRORS,
        dest="allow_errors",
        action="store_true",
        help="accept notebooks whose saved outputs hold a traceback",
    )
