"""Command line of `hw3 similarity`.

hw3 similarity SUBMISSIONS/ --out report/ [--top 20] [--release DIR] [--against EARLIER/ ...]
                [--starter OLD-RELEASE/ ...]
hw3 similarity --bench 300 --out /tmp/bench      # time a synthetic class of 300, score what it finds
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hw3.errors import EXIT_FINDINGS, EXIT_OK, Hw3Error, run_verb
from hw3.project import find_repository
from hw3.similarity.bench import bench, bench_lines
from hw3.similarity.compare import COMMON_FRACTION, COMMON_MIN
from hw3.similarity.run import (
    DEFAULT_JOBS,
    DEFAULT_TOP,
    load_note,
    similarity,
    summary,
    zip_paths,
)

EPILOG = """Evidence, not verdicts: shared code weighs, in bits, how rare it is among independent correct solutions
(the reference and reference/variants/) and the other classmates; code an independent solution also writes, and
questions whose TODO dictates the answer, weigh nothing. "unusually similar": at most 1 honest pair in 1,000
shares as much; "flagged": at most 1 honest student in 1,000 is; both measured on pairs of independent solutions.
outputs, in DIR:
  similarity.csv  one row per pair of submissions sharing anything, flagged pairs first, then by bits (columns
                  kept: rank, students, files, flagged, score (containment), shared fingerprints, outputs, one
                  column per question, evidence; then evidence_bits, unusual_from_bits, flagged_from_bits,
                  verdict, honest_share, rare_lines)
  sources.csv     known sources: one row per submission and source sharing code, flagged `source:<name>` first:
                  rank, student, file, source, flagged, score, shared_fingerprints, one column per question
                  (the share of the smaller answer), evidence, and the same evidence columns. Sources: the
                  release's reference solution (unless --no-reference) and each zip or notebook under --against,
                  named by its file stem
  clusters.csv    one row per member of each cluster: code held by more submissions than --max-common (so the
                  pairs ignore it) that is most of their answers: a solution copied by many. Columns: cluster,
                  members, fingerprints, questions (question=fingerprints; ...), source (the known source holding
                  most of it) and source_share, student, file, share (of the cluster's code it holds), coverage
                  (of its own code in those questions that is the cluster's)
  similarity.html the same, with the thresholds and what independent solutions share per question, and the
                  top pairs and source matches side by side: the rare lines with why each is rare, shared code
                  highlighted
Starter code: every cell provided by any release of a notebook (the git history of the release's student/, and
--starter) is subtracted, so students who started from an earlier release do not look alike.
exit: 0 written, 1 written but fewer than two readable submissions, 2 usage error (bad path, no release).
examples: hw3 similarity submissions/ --out similarity/ --against earlier-terms/ online-solutions/
          hw3 similarity submissions/ --out similarity/ --starter release-2024-10-01.zip
          hw3 similarity --bench 300 --out /tmp/bench"""


def parse_args(argv):
    """The parsed command line of `hw3 similarity`."""
    parser = argparse.ArgumentParser(
        prog="hw3 similarity",
        description="Rank pairs of submissions by shared answers and outputs, match each "
        "submission against known sources, and group clusters of a shared answer (honor code screen).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="folders of Quera zips, or the zips themselves",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder for the CSVs and similarity.html",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=DEFAULT_TOP,
        help=f"pairs and source matches shown side by side (default {DEFAULT_TOP})",
    )
    parser.add_argument(
        "--max-common",
        type=int,
        default=None,
        metavar="N",
        help=f"pairs ignore fingerprints and outputs held by more than N submissions; clusters group "
        f"them (default: {COMMON_FRACTION * 100:.0f}%% of the class, at least {COMMON_MIN})",
    )
    parser.add_argument(
        "--against",
        type=Path,
        nargs="+",
        default=[],
        metavar="PATH",
        help="known sources besides the reference (put the submissions before it): earlier terms' "
        "Quera zips, solution notebooks (.ipynb), or folders of them",
    )
    parser.add_argument(
        "--starter",
        type=Path,
        nargs="+",
        default=[],
        metavar="PATH",
        help="earlier releases of the notebooks students may have started from (folders or zips holding "
        "<name>.ipynb), besides the git history of the release's student/: their provided cells are starter code",
    )
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="do not compare with the reference solution in the release's autograder/",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help=f"processes reading zips (default {DEFAULT_JOBS})",
    )
    parser.add_argument(
        "--release",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder holding the release's student/, autograder/ and reference/*/assignment.toml "
        "(default: the repository found from here)",
    )
    parser.add_argument(
        "--bench",
        type=int,
        default=None,
        metavar="N",
        help="instead of PATHs, time a synthetic class of N submissions (written to a scratch folder)",
    )
    return parser.parse_args(argv)


def similarity_main(argv=None) -> int:
    """Compare the submissions (or a synthetic class with --bench) and write the report."""
    args = parse_args(argv)

    def body() -> int:
        if args.top < 0 or args.jobs < 1 or (args.max_common is not None and args.max_common < 1):
            raise Hw3Error("--top must be >= 0, --jobs and --max-common >= 1")
        if args.out.exists() and not args.out.is_dir():
            raise Hw3Error(f"{args.out}: is a file: give --out a folder (it is created if missing)")
        release = (
            args.release
            if args.release is not None
            else find_repository(option="--release DIR").root
        )
        if args.bench is not None and (
            args.paths or args.against or args.no_reference or args.starter
        ):
            raise Hw3Error(
                "--bench builds its own class and known sources: drop PATHs, --against, --starter "
                "and --no-reference"
            )
        if args.bench is not None:
            timed = bench(
                size=args.bench,
                out=args.out,
                release_root=release,
                top=args.top,
                max_common=args.max_common,
                jobs=args.jobs,
            )
            print(summary(timed.comparison, args.out, args.jobs))
            for line in bench_lines(timed, load_note()):
                print(line)
            return EXIT_OK
        if not args.paths:
            raise Hw3Error("give the folder of Quera zips (or the zips), or --bench N")
        result = similarity(
            paths=zip_paths(args.paths, args.out),
            out=args.out,
            release_root=release,
            reference=not args.no_reference,
            against=args.against,
            starter=args.starter,
            top=args.top,
            max_common=args.max_common,
            jobs=args.jobs,
        )
        print(summary(result, args.out, args.jobs))
        if len(result.submissions) < 2:
            print(
                "hw3 similarity: fewer than two readable submissions: no pairs were compared",
                file=sys.stderr,
            )
            return EXIT_FINDINGS
        return EXIT_OK

    return run_verb("hw3 similarity", body)
