"""`hw3 demo`: build the release, submit the reference and the unchanged notebooks as two students, grade them with `hw3 grade`.

    hw3 demo [--workdir DIR] [--jobs N]

In DIR (default: a temporary folder, deleted at the end) it writes `release/` (hw3 release),
`submissions/` (two Quera zips: `DL_HW3__4000000001__Reference.zip` holds the reference
solutions, `DL_HW3__4000000002__Unchanged.zip` the student notebooks as released) and `graded/`
(hw3 grade: gradebook.csv and feedback/). It prints the gradebook and where the files are.
"""
import argparse
import csv
import sys
import tempfile
from pathlib import Path

from tools import grade, pack, release
from tools.submission import PDF_NAME, zip_name

# the smallest file the submission rules accept as a PDF; the theory answers are not graded here
DEMO_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
STUDENTS = (("4000000001", "Reference", "autograder"), ("4000000002", "Unchanged", "student"))
SHOWN = ("student_number", "full_name", "status")


def pack_students(root: Path, names: list[str], out: Path) -> list[str]:
    """Write one zip per demo student into `out`; [] or the problems."""
    problems = []
    for number, full_name, kind in STUDENTS:
        members = {f"{name}.ipynb": (root / kind / name / f"{name}.ipynb").read_bytes() for name in names}
        members[PDF_NAME] = DEMO_PDF
        problems += pack.write_atomically(out / zip_name(number, full_name), members)
    return problems


def print_gradebook(path: Path, names: list[str]) -> None:
    """The gradebook's main columns, one line per student."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(SHOWN) + [f"{name}_total" for name in names] + ["total", "max_total", "flags"]
    widths = {c: max(len(c), *(len(r.get(c, "")) for r in rows)) for c in columns}
    print("  ".join(f"{c:<{widths[c]}}" for c in columns))
    for row in rows:
        print("  ".join(f"{row.get(c, ''):<{widths[c]}}" for c in columns))


def run(root: Path, jobs: list[str]) -> int:
    names = release.mastered_assignments()
    if release.main(["--out", str(root / "release"), *names]) != 0:
        return 1
    problems = pack_students(root / "release", names, root / "submissions")
    if problems:
        for problem in problems:
            print(f"hw3 demo: {problem}", file=sys.stderr)
        return 1
    graded = root / "graded"
    code = grade.main([str(root / "submissions"), "--out", str(graded), "--release", str(root / "release"), *jobs])
    if code != 0:
        return code
    print()
    print_gradebook(graded / grade.GRADEBOOK, names)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="hw3 demo", description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="where to build, submit and grade (default: a temporary folder)")
    parser.add_argument("--jobs", type=int, help="passed to hw3 grade (default: number of cores)")
    args = parser.parse_args(argv)
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    if args.workdir:
        code = run(args.workdir, jobs)
        if code == 0:
            print(f"\nfiles: {args.workdir}/release (hw3 release), {args.workdir}/submissions (the two zips), "
                  f"{args.workdir}/graded (gradebook.csv, feedback/)")
        return code
    with tempfile.TemporaryDirectory(prefix="hw3-demo-") as tmp:
        code = run(Path(tmp), jobs)
        if code == 0:
            print(f"\nfiles: {tmp} (temporary, deleted now; keep them with --workdir DIR)")
        return code
