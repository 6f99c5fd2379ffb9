"""submit.py: build and check your DL HW3 zip for Quera. Needs Python 3.8 or newer and nothing else.

    python submit.py --student-number 401521234 --name AliMomen
    python submit.py --check DL_HW3__401521234__AliMomen.zip

The first command takes the homework's notebooks (NOTEBOOKS at the end of this file) and
HW3__Solution.pdf from the folder that holds submit.py (beside it, or each in its own folder and
theory/ as in the release), checks every submission rule and writes DL_HW3__401521234__AliMomen.zip
there. The second checks a zip however it was made. Each problem is printed on one line with its
fix and the exit status is 1; nothing is written then. `python submit.py --help` lists the options.
These are the rules the course applies when grading: this file is generated from the same code as
the course's `hw3 pack` and `hw3 check`.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from hw3.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, run_verb
from hw3.submission.check import check
from hw3.submission.options import add_allowances, add_pack_options
from hw3.submission.pack import pack, release_folder
from hw3.submission.rules import required_files

PROG = "submit.py"
OLDEST_PYTHON = (3, 8)
COLAB_PACKAGE = "google.colab"


def on_colab() -> bool:
    """Whether this runs on Google Colab, whose runtime ships the `google.colab` package."""
    try:
        return importlib.util.find_spec(COLAB_PACKAGE) is not None
    except (ImportError, ValueError):  # no `google` package at all, or a stand-in without a spec
        return False


def colab_download_hint(path: Path) -> str:
    """The line that tells a Colab user how to get the zip onto their own computer."""
    return (
        f"On Colab the zip is on the runtime, not your computer: download {path} from the Files panel "
        "(folder icon on the left; the file's menu > Download), or run "
        f"`from google.colab import files; files.download({str(path)!r})` in a cell"
    )


def tolerate_any_console() -> None:
    """Print what a console cannot encode (a Persian name on a Windows console) as escapes, not a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def build(args: argparse.Namespace, notebooks: tuple) -> int:
    """Pack the zip; print the problems (exit 1, nothing written) or, on Colab first, how to download it."""
    result = pack(
        student_number=args.student_number,
        full_name=args.name,
        notebooks=notebooks,
        source=args.source,
        pdf=args.pdf,
        out=args.out,
        allow_unanswered=args.allow_unanswered,
        allow_errors=args.allow_errors,
    )
    if result.problems:
        for line in result.refusal():
            print(f"{PROG}: {line}", file=sys.stderr)
        return EXIT_FINDINGS
    if on_colab():
        print(colab_download_hint(result.path.resolve()))
    print("\n".join(result.report()))
    return EXIT_OK


def check_zips(args: argparse.Namespace, notebooks: tuple) -> int:
    """Check each zip: the same lines as `hw3 check`, then a summary; exit 1 when any zip has a problem."""
    result = check(
        args.check,
        notebooks=notebooks,
        allow_unanswered=args.allow_unanswered,
        allow_errors=args.allow_errors,
    )
    print("\n".join(result.lines()))
    print(f"{PROG} --check: {result.summary()}")
    return EXIT_OK if result.all_valid else EXIT_FINDINGS


def what_it_zips(notebooks: tuple) -> str:
    """`hafez.ipynb, apple_stock.ipynb and HW3__Solution.pdf, each taken from beside submit.py or from
    where the release keeps it (hafez/, apple_stock/, theory/)`."""
    files = required_files(notebooks)
    folders = ", ".join(f"{release_folder(name)}/" for name in files)
    return (
        f"{', '.join(files[:-1])} and {files[-1]}, each taken from beside submit.py or from where "
        f"the release keeps it ({folders})"
    )


def main(argv=None, *, notebooks: tuple) -> int:
    """Build the zip of the homework's `notebooks` (course order) and the PDF, or check zips with --check;
    exit 0 done, 1 problems found, 2 usage error. submit.py calls it with the notebooks written in."""
    if sys.version_info < OLDEST_PYTHON:
        print(
            f"{PROG}: needs Python 3.8 or newer, this is {sys.version.split()[0]}: run it with python3 "
            "(or on Colab)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    tolerate_any_console()
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Build DL_HW3__[StudentNumber]__[FullName].zip for Quera after checking every "
        f"submission rule, or check zips with --check. The zip holds {what_it_zips(notebooks)}.",
        epilog="Prints one line per problem with its fix; "
        "exit 0 done, 1 problems found (nothing written), 2 usage error.",
    )
    parser.add_argument(
        "--check",
        nargs="+",
        type=Path,
        metavar="ZIP",
        help="check these zips (built by hand or not) instead of building one",
    )
    add_pack_options(
        parser, Path(__file__).resolve().parent, "the folder holding submit.py", required=False
    )
    add_allowances(parser)
    args = parser.parse_args(argv)
    if args.check is not None and (args.student_number or args.name or args.pdf):
        parser.error("--check takes zips only: leave out --student-number, --name and --pdf")
    if args.check is None and not (args.student_number and args.name):
        parser.error(
            "give --student-number and --name to build your zip, or --check ZIP to check one"
        )
    return run_verb(
        PROG,
        lambda: check_zips(args, notebooks) if args.check is not None else build(args, notebooks),
    )
