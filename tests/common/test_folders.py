"""No verb deletes what it did not create: output folders are claimed with a marker before anything is cleared."""

import pytest
from support import REPO

from hw3.calibration.cli import calibrate_main
from hw3.common.folders import MARKER, FolderNotOurs, claim, clear_claimed
from hw3.grading.cli import grade_main
from hw3.release.cli import release_main


def precious_folder(tmp_path):
    """A non-empty folder a TA made (course notes), which no verb may clear."""
    folder = tmp_path / "course"
    (folder / "notes").mkdir(parents=True)
    (folder / "notes" / "week1.md").write_text("my notes")
    (folder / "grades.xlsx").write_bytes(b"PK spreadsheet")
    return folder


def untouched(folder) -> bool:
    return (
        (folder / "notes" / "week1.md").read_text() == "my notes"
        and (folder / "grades.xlsx").exists()
        and not (folder / MARKER).exists()
    )


def test_a_new_or_empty_folder_is_claimed_and_can_be_cleared_again(tmp_path):
    folder = claim(tmp_path / "new", "calibrate")
    assert (folder / MARKER).is_file()
    (folder / "calibration.json").write_text("{}")
    (folder / "releases" / "seed-42").mkdir(parents=True)
    assert sorted(p.name for p in clear_claimed(folder, "calibrate").iterdir()) == [MARKER]
    (tmp_path / "empty").mkdir()
    assert (claim(tmp_path / "empty", "release") / MARKER).is_file()


def test_a_non_empty_folder_hw3_did_not_make_is_refused_and_kept(tmp_path):
    folder = precious_folder(tmp_path)
    with pytest.raises(FolderNotOurs, match="not made by hw3"):
        clear_claimed(folder, "calibrate")
    assert untouched(folder)
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(FolderNotOurs, match="is a file"):
        claim(tmp_path / "a-file", "calibrate")


def test_calibrate_out_refuses_a_folder_it_did_not_create(tmp_path, capsys):
    folder = precious_folder(tmp_path)
    assert calibrate_main(["--out", str(folder), "--repo", str(REPO)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(folder) in err[0] and untouched(folder)


def test_release_out_refuses_a_folder_it_did_not_create(tmp_path, capsys):
    folder = precious_folder(tmp_path)
    assert release_main(["hafez", "--out", str(folder), "--repo", str(REPO)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(folder) in err[0] and untouched(folder)


def test_grade_keeps_a_scratch_folder_it_did_not_create(tmp_path, capsys):
    out = tmp_path / "graded"
    theirs = out / ".scratch"
    (theirs / "notes").mkdir(parents=True)
    (theirs / "notes" / "week1.md").write_text("my notes")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "DL_HW3__4015210001__A.zip").write_bytes(b"not a zip")
    assert grade_main([str(tmp_path / "subs"), "--out", str(out), "--release", str(REPO)]) == 2
    assert "not made by hw3" in capsys.readouterr().err
    assert (theirs / "notes" / "week1.md").read_text() == "my notes"
