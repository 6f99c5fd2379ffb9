"""The grader's calibration gate: reference full marks on 3 seeds, every must-fail mutant killed."""

import json

import pytest
from support import REPO, REPOSITORY

from hw3.calibration import calibrate
from hw3.calibration.mutants import load_mutants

GATE_SEEDS = 3


def test_every_mutant_file_parses_and_patches_its_reference():
    import nbformat

    for name in REPOSITORY.mastered_assignments():
        reference = nbformat.read(REPO / "autograder" / name / f"{name}.ipynb", as_version=4)
        catalogue = load_mutants(REPOSITORY.mutants, name)
        assert catalogue, f"{name} has no mutants"
        for mutant in catalogue:
            assert mutant.apply(reference).cells != reference.cells, mutant.slug


def test_seeded_release_changes_only_the_otter_seed(tmp_path):
    import zipfile

    name = REPOSITORY.mastered_assignments()[0]
    root = calibrate.seeded_release(REPO, tmp_path, [name], 7)
    original = zipfile.ZipFile(REPO / "autograder" / name / f"{name}-autograder.zip")
    seeded = zipfile.ZipFile(root / "autograder" / name / f"{name}-autograder.zip")
    assert sorted(original.namelist()) == sorted(seeded.namelist())
    for member in original.namelist():
        if member != calibrate.OTTER_CONFIG:
            assert original.read(member) == seeded.read(member), member
    assert json.loads(seeded.read(calibrate.OTTER_CONFIG))["seed"] == 7


def test_report_records_the_versions_it_ran_on_and_fails_on_one_the_zips_do_not_pin():
    from hw3.calibration.environment import installed_versions, zip_pins
    from hw3.calibration.report import markdown

    names = REPOSITORY.mastered_assignments()
    pins = {n: zip_pins(REPO / "autograder" / n / f"{n}-autograder.zip") for n in names}
    here = installed_versions()
    report = calibrate.CalibrationReport([42], {}, environment=here, pins=pins)
    assert report.problems() == []  # this machine has the pinned versions (.ci/run installs them)
    assert f"torch {here['torch']}" in markdown(report)
    assert json.loads(report.to_json())["environment"] == here
    other = calibrate.CalibrationReport([42], {}, environment=here | {"numpy": "1.26.4"}, pins=pins)
    assert [
        p for p in other.problems() if "calibrated on numpy 1.26.4" in p and "pins numpy==" in p
    ]


@pytest.mark.slow
def test_reference_full_marks_on_three_seeds_every_must_fail_mutant_killed_and_regrading_identical(
    tmp_path,
):
    seeds = [calibrate.GRADING_SEED] + list(range(GATE_SEEDS - 1))
    report = calibrate.calibrate(repo=REPOSITORY, seeds=seeds, out=tmp_path, jobs=2)
    assert report.problems() == []
    for name, result in report.assignments.items():
        assert len(result.reference_totals) == GATE_SEEDS
        assert result.kill_rate == 1.0, name
        assert result.regraded_identically, name
