"""`pip install .` (not editable) gives a working `hw3` that finds the release it is told about, from any folder."""

import csv
import subprocess
from pathlib import Path

import grade_fixtures as fx
import pytest
from support import ASSIGNMENTS, PDF, REPO, venv_on_these_packages

from hw3.submission.rules import PDF_NAME

INSTALL_TIMEOUT_S = 600


@pytest.mark.slow
def test_non_editable_install_grades_the_demo_class_from_another_folder(tmp_path):
    env_dir = tmp_path / "venv"
    # torch, otter... come from this Python; pip is the venv's own, and it builds the package in
    # isolation with the build requirements of pyproject.toml from the package index, so nothing else
    # of this interpreter (setuptools, wheel) is needed.
    python = venv_on_these_packages(env_dir) / "python"
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", str(REPO)],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    where = subprocess.run(
        [python, "-c", "import hw3; print(hw3.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert Path(where.stdout.strip()).is_relative_to(env_dir), (
        where.stdout
    )  # the installed copy, not this checkout
    elsewhere = tmp_path / "ta-home"
    subs = elsewhere / "downloads"
    for number, name, kind in (
        ("4000000001", "Reference", "autograder"),
        ("4000000002", "Unchanged", "student"),
    ):
        members = {f"{n}.ipynb": (REPO / kind / n / f"{n}.ipynb").read_bytes() for n in ASSIGNMENTS}
        fx.write_zip(subs / f"DL_HW3__{number}__{name}.zip", members | {PDF_NAME: PDF})
    hw3 = env_dir / "bin" / "hw3"
    outside = subprocess.run(
        [hw3, "grade", "downloads", "--out", "graded"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert (
        outside.returncode == 2 and "--release" in outside.stderr
    )  # no repository here: it says what to pass
    graded = subprocess.run(
        [hw3, "grade", "downloads", "--out", "graded", "--release", str(REPO), "--jobs", "2"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    with (elsewhere / "graded" / "gradebook.csv").open(newline="") as handle:
        rows = {row["full_name"]: row for row in csv.DictReader(handle)}
    assert rows["Reference"]["total"] == rows["Reference"]["max_total"] != "0"
    assert rows["Unchanged"]["total"] == "0"
