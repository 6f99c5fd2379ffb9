"""The grading environment the autograder zips install is the one the thresholds were calibrated on:
grading-requirements.txt's pins reach every zip, the release refuses a master that drifts from them,
`hw3 release --stage-data` makes plain `otter assign` possible, and the student README pins the
otter-grader the tests use."""

import re
import shutil
import zipfile

import nbformat
import pytest
import yaml
from support import ASSIGNMENTS, REPO, REPOSITORY

from hw3.calibration.environment import PINNED, zip_pins
from hw3.release.cli import release_main
from hw3.release.otter_config import (
    GRADING_REQUIREMENTS,
    AssignmentConfigError,
    check_pins,
    grading_pins,
    stage_autograder_files,
)

CPU_INDEX = "--extra-index-url=https://download.pytorch.org/whl/cpu"
PIP_INSTALL = re.compile(r"pip install ([^`\n]+)")


def test_grading_requirements_pin_each_package_the_thresholds_depend_on():
    pinned = grading_pins(REPO)
    assert set(PINNED) <= set(pinned)
    assert all(pinned[p].startswith("==") for p in PINNED), pinned
    assert CPU_INDEX in (REPO / GRADING_REQUIREMENTS).read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_autograder_zip_installs_the_grading_requirements_from_the_cpu_index(name):
    path = REPO / "autograder" / name / f"{name}-autograder.zip"
    wanted = grading_pins(REPO)
    assert zip_pins(path) == {p: wanted[p] for p in PINNED}
    with zipfile.ZipFile(path) as zf:
        environment = yaml.safe_load(zf.read("environment.yml"))
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert CPU_INDEX in pip
    check_pins(REPOSITORY.master(name), REPO)  # the master agrees with the file


def master_with_requirements(tmp_path, requirements):
    master = tmp_path / "toy" / "toy.ipynb"
    master.parent.mkdir(parents=True)
    config = yaml.safe_dump(
        {"name": "toy", "requirements": requirements, "autograder_files": ["HW3_GRADING"]}
    )
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_raw_cell("# ASSIGNMENT CONFIG\n" + config)]
    )
    nbformat.write(nb, master)
    return master


def test_release_refuses_a_master_whose_pin_differs_from_grading_requirements(tmp_path):
    master = master_with_requirements(tmp_path, ["torch==2.0.0", "numpy==2.4.6", "matplotlib"])
    with pytest.raises(AssignmentConfigError, match=r"torch==2\.0\.0.*pins torch=="):
        check_pins(master, REPO)
    unpinned = master_with_requirements(tmp_path / "b", ["torch"])
    with pytest.raises(AssignmentConfigError, match=r"torch \(unpinned\)"):
        check_pins(unpinned, REPO)
    check_pins(
        master_with_requirements(tmp_path / "c", ["matplotlib"]), REPO
    )  # nothing pinned listed


def test_autograder_files_are_staged_from_the_masters_folder_or_named_when_missing(tmp_path):
    master = master_with_requirements(tmp_path, [])
    with pytest.raises(AssignmentConfigError, match="HW3_GRADING.*restore it"):
        stage_autograder_files(master, tmp_path / "stage")
    (master.parent / "HW3_GRADING").write_text("marker")
    assert stage_autograder_files(master, tmp_path / "stage") == [
        tmp_path / "stage" / "HW3_GRADING"
    ]


def test_stage_data_writes_each_masters_files_beside_it(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(REPO / "reference", root / "reference", ignore=shutil.ignore_patterns("data"))
    shutil.copytree(REPO / "data", root / "data")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    assert release_main(["apple_stock", "--stage-data", "--repo", str(root)]) == 0
    staged = root / "reference" / "apple_stock" / "data" / "aapl_daily.csv"
    assert staged.read_bytes() == (REPO / "data" / "aapl_daily.csv").read_bytes()
    assert not (root / "reference" / "hafez" / "data").exists()  # only the one asked for
    assert "/reference/*/data/" in (REPO / ".gitignore").read_text().splitlines()


def test_student_readme_pins_the_otter_grader_the_tests_use():
    pin = re.search(r'"(otter-grader==[^"]+)"', (REPO / "pyproject.toml").read_text()).group(1)
    installs = PIP_INSTALL.findall((REPO / "reference" / "STUDENT_README.md").read_text())
    otter = [word for line in installs for word in line.split() if word.startswith("otter-grader")]
    assert otter and all(word == pin for word in otter), (pin, otter)
