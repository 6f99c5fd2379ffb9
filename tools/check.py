"""`hw3 check`: apply the submission rules to existing zips, without extracting them.

    hw3 check DL_HW3__401521234__AliMomen.zip [MORE.zip ...]

prints one line per problem, prefixed with the zip's path, or `PATH: ok`, then a summary line.
Exit 0 only when every zip is valid.
"""
import argparse
import sys

from tools.submission import inspect_zip


def parse_args(argv):
    """The parsed command line of `hw3 check`."""
    parser = argparse.ArgumentParser(prog="hw3 check", description=__doc__.split("\n")[0])
    parser.add_argument("zips", nargs="+", metavar="ZIP", help="submission zip(s) to check")
    parser.add_argument("--allow-unanswered", action="store_true",
                        help="accept questions whose stub still raises NotImplementedError")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Check each zip; 0 when all are valid, 1 otherwise."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    valid = 0
    for path in args.zips:
        problems = inspect_zip(path, args.allow_unanswered)
        for problem in problems:
            print(f"{path}: {problem}")
        if not problems:
            print(f"{path}: ok")
            valid += 1
    print(f"hw3 check: {valid} of {len(args.zips)} zip(s) valid")
    return 0 if valid == len(args.zips) else 1


if __name__ == "__main__":
    sys.exit(main())
