"""What the student tree gets beside the notebooks, and the bundle of everything a student receives.

The theory template, the student README and `submit.py` (the standard-library-only packer and
checker, generated from `hw3 pack`/`hw3 check`'s code) go into `student/`; the whole student tree is
then zipped reproducibly into `dist/HW3_student_release.zip` (not committed).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hw3.common.zipwrite import write_deterministic_zip
from hw3.project import Repository
from hw3.submission.standalone import SCRIPT_NAME, write_submit_script
from hw3.theory.template import write_student_template

STUDENT_README_NAME = "STUDENT_README.md"  # in reference/
STUDENT_BUNDLE = Path("dist") / "HW3_student_release.zip"
BUNDLE_ROOT = "HW3"


def write_student_extras(repo: Repository, out_root: Path) -> Path:
    """Theory template, README and submit.py into `out_root/student/`, then the bundle of the whole student tree."""
    student = out_root / "student"
    write_student_template(repo.theory, student / "theory")
    shutil.copyfile(repo.reference / STUDENT_README_NAME, student / "README.md")
    write_submit_script(student / SCRIPT_NAME, notebooks=repo.registry().notebooks)
    members = {
        f"{BUNDLE_ROOT}/{p.relative_to(student).as_posix()}": p.read_bytes()
        for p in sorted(student.rglob("*"))
        if p.is_file()
    }
    return write_deterministic_zip(out_root / STUDENT_BUNDLE, members)
