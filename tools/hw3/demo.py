"""`hw3 demo`: release into a scratch folder, submit the reference and the unchanged notebooks as two students,
grade them with `hw3 grade`, and print the gradebook.

In DIR it writes `release/` (hw3 release), `submissions/` (two Quera zips: `DL_HW3__4000000001__Reference.zip`
holds the reference solutions, `DL_HW3__4000000002__Unchanged.zip` the student notebooks as released) and
`graded/` (gradebook.csv and feedback/).
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hw3.common.pdfwrite import one_page_pdf
from hw3.common.zipwrite import write_deterministic_zip
from hw3.errors import EXIT_FINDINGS, EXIT_OK, run_verb
from hw3.grading.run import GradeRun, grade
from hw3.project import Repository, find_repository
from hw3.release import release
from hw3.submission.rules import PDF_NAME, zip_name

STUDENTS = (("4000000001", "Reference", "autograder"), ("4000000002", "Unchanged", "student"))
SHOWN = ("student_number", "full_name", "status")


@dataclass
class DemoRun:
    """Where the demo wrote its release, submissions and grading, and the grading run itself."""

    workdir: Path
    names: list[str]
    graded: GradeRun


def write_submissions(release_root: Path, names: list[str], out: Path) -> list[Path]:
    """One zip per demo student in `out`: the released notebooks of its kind and a one-page PDF."""
    paths = []
    for number, full_name, kind in STUDENTS:
        members = {
            f"{name}.ipynb": (release_root / kind / name / f"{name}.ipynb").read_bytes()
            for name in names
        }
        members[PDF_NAME] = one_page_pdf(f"Theory answers of {full_name}")
        paths.append(write_deterministic_zip(out / zip_name(number, full_name), members))
    return paths


def demo(*, repo: Repository, workdir: Path, jobs: int = os.cpu_count() or 1) -> DemoRun:
    """Release, submit and grade in `workdir` (see the module docstring)."""
    released = release(repo=repo, out=workdir / "release")
    write_submissions(released.out, released.names, workdir / "submissions")
    graded = grade(
        paths=[workdir / "submissions"],
        out=workdir / "graded",
        release_root=released.out,
        jobs=jobs,
    )
    return DemoRun(workdir, released.names, graded)


def gradebook_table(path: Path, names: list[str]) -> list[str]:
    """The gradebook's main columns, one line per student."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(SHOWN) + [f"{name}_total" for name in names] + ["total", "max_total", "flags"]
    widths = {c: max(len(c), *(len(r.get(c, "")) for r in rows)) for c in columns}
    return ["  ".join(f"{c:<{widths[c]}}" for c in columns)] + [
        "  ".join(f"{row.get(c, ''):<{widths[c]}}" for c in columns) for row in rows
    ]


def demo_main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="hw3 demo",
        description="Build the release in a scratch folder and grade the reference and the "
        "unchanged student notebooks.",
        epilog="Writes DIR/release, DIR/submissions (two zips) and DIR/graded "
        "(gradebook.csv, feedback/), then prints the gradebook. Exit 0 both graded as expected, 1 otherwise, "
        "2 usage or setup error.",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where to build, submit and grade (default: a temporary folder)",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="passed to hw3 grade (default: cores)"
    )
    parser.add_argument(
        "--repo", type=Path, default=None, help="the course repository (default: found from here)"
    )
    args = parser.parse_args(argv)

    def run_in(workdir: Path) -> int:
        run = demo(repo=find_repository(args.repo), workdir=workdir, jobs=args.jobs)
        print(
            "\n".join(run.graded.summary + [""] + gradebook_table(run.graded.gradebook, run.names))
        )
        return EXIT_OK if run.graded.all_ok else EXIT_FINDINGS

    def body() -> int:
        if args.workdir:
            code = run_in(args.workdir)
            print(
                f"\nfiles: {args.workdir}/release (hw3 release), {args.workdir}/submissions (the two zips), "
                f"{args.workdir}/graded (gradebook.csv, feedback/)"
            )
            return code
        with tempfile.TemporaryDirectory(prefix="hw3-demo-") as tmp:
            code = run_in(Path(tmp))
            print(f"\nfiles: {tmp} (temporary, deleted now; keep them with --workdir DIR)")
            return code

    return run_verb("hw3 demo", body)
