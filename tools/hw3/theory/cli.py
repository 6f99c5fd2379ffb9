"""Command lines of `hw3 diagram` and `hw3 solutions-pdf`.

hw3 diagram [--out FILE.svg|FILE.png] [--repo DIR]
hw3 solutions-pdf [--out FILE.pdf] [--repo DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hw3.errors import EXIT_FINDINGS, EXIT_OK, run_verb
from hw3.project import find_repository
from hw3.theory.diagram import DIAGRAM_NAME, save_lstm_diagram
from hw3.theory.solutions_pdf import DEFAULT_OUT, OVERFULL_LIMIT_PT, solutions_pdf


def diagram_main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="hw3 diagram",
        description="Draw the LSTM cell diagram of the theory answers (SVG or PNG).",
        epilog=f"Writes FILE (default: REPO/reference/theory/{DIAGRAM_NAME}), byte-identical across runs. "
        "Exit 0 written, 2 usage error.",
    )
    parser.add_argument("--out", type=Path, default=None, help="output file, .svg or .png")
    parser.add_argument(
        "--repo", type=Path, default=None, help="the course repository (default: found from here)"
    )
    args = parser.parse_args(argv)

    def body() -> int:
        out = args.out if args.out is not None else find_repository(args.repo).theory / DIAGRAM_NAME
        print(f"wrote {save_lstm_diagram(out)}")
        return EXIT_OK

    return run_verb("hw3 diagram", body)


def solutions_pdf_main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="hw3 solutions-pdf",
        description="The solution-day PDF of the theory: each handout question with its reference answer "
        "(reference/theory/answers.md) and its rubric (rubric.toml), built with pandoc and XeLaTeX.",
        epilog=f"Writes FILE.pdf (default {DEFAULT_OUT}). Exit 0 written, 1 written but a line runs more than "
        f"{OVERFULL_LIMIT_PT:g} pt into the margin (each printed), or pandoc or XeLaTeX failed (their messages "
        "are printed), 2 pandoc or XeLaTeX missing (the line names the packages) or usage error.",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"PDF to write (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--repo", type=Path, default=None, help="the course repository (default: found from here)"
    )
    args = parser.parse_args(argv)

    def body() -> int:
        out, overfull = solutions_pdf(theory=find_repository(args.repo).theory, out=args.out)
        print(f"wrote {out}")
        for line in overfull:
            print(f"{out}: a line runs into the margin, {line}")
        return EXIT_FINDINGS if overfull else EXIT_OK

    return run_verb("hw3 solutions-pdf", body)
