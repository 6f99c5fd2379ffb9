"""`hw3 demo`: build the release into a scratch folder and grade the reference and the unchanged student notebooks."""
import argparse
import sys
import tempfile
from pathlib import Path

from tools import release
from tools.notebook_run import Graded, RunError, grading_env, otter_run


def grade_release(root: Path, name: str) -> dict[str, Graded]:
    """Grades of the reference and of the unchanged student notebook of `name` released under `root`."""
    autograder_zip = root / "autograder" / name / f"{name}-autograder.zip"
    return {
        who: otter_run(root / kind / name / f"{name}.ipynb", autograder_zip,
                       root / "graded" / name / who.replace(" ", "_"), grading_env())
        for who, kind in (("reference", "autograder"), ("unchanged student", "student"))
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="hw3 demo", description=__doc__)
    parser.add_argument("--workdir", type=Path, help="where to build and grade (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hw3-demo-") as tmp:
        root = args.workdir or Path(tmp)
        if release.main(["--out", str(root)]) != 0:
            return 1
        try:
            for name in release.ASSIGNMENTS:
                for who, graded in grade_release(root, name).items():
                    print(f"{name:<12} {who:<18} {sum(graded.scores.values()):5.1f} / "
                          f"{sum(graded.max_scores.values()):g}  {graded.scores}")
        except RunError as err:
            print(f"hw3 demo: {err}", file=sys.stderr)
            return 1
    return 0
