"""The grader's calibration gate: reference full marks on 3 seeds, every must-fail mutant killed."""
import json

import pytest

from conftest import REPO
from tools import calibrate, mutants, release

GATE_SEEDS = 3


def test_every_mutant_file_parses_and_patches_its_reference():
    import nbformat

    for name in release.mastered_assignments():
        reference = nbformat.read(REPO / "autograder" / name / f"{name}.ipynb", as_version=4)
        catalogue = mutants.load(name)
        assert catalogue, f"{name} has no mutants"
        for mutant in catalogue:
            assert mutant.apply(reference).cells != reference.cells, mutant.slug


def test_seeded_release_changes_only_the_otter_seed(tmp_path):
    import zipfile

    name = release.mastered_assignments()[0]
    root = calibrate.seeded_release(tmp_path, [name], 7)
    original = zipfile.ZipFile(REPO / "autograder" / name / f"{name}-autograder.zip")
    seeded = zipfile.ZipFile(root / "autograder" / name / f"{name}-autograder.zip")
    assert sorted(original.namelist()) == sorted(seeded.namelist())
    for member in original.namelist():
        if member != calibrate.OTTER_CONFIG:
            assert original.read(member) == seeded.read(member), member
    assert json.loads(seeded.read(calibrate.OTTER_CONFIG))["seed"] == 7


@pytest.mark.slow
def test_reference_full_marks_on_three_seeds_every_must_fail_mutant_killed_and_regrading_identical(tmp_path):
    status = calibrate.main(["--seeds", str(GATE_SEEDS), "--out", str(tmp_path), "--jobs", "2"])
    report = json.loads((tmp_path / "calibration.json").read_text())
    assert calibrate.gate_problems(report) == []
    assert status == 0
    for name, result in report["assignments"].items():
        assert len(result["reference_totals"]) == GATE_SEEDS
        assert result["kill_rate"] == 1.0, name
        assert report["regraded_identically"][name], name
