"""A grade the graded code cannot write: every attack of issue 24 scores nothing and shows the TA why.

The attacks (`attack_fixtures.py`) leave every TODO unsolved and try instead to patch the harness,
forge its results, reach its tests, or hang, flood or exhaust the TA's machine. They are graded in
one batch, sandboxed, with `--jobs 2`, a 2 GB memory limit per sandbox and a 60 s cell timeout.
"""

import csv
import time
import warnings
from pathlib import Path

import attack_fixtures as af
import grade_fixtures as fx
import pytest
from support import needs_tool

import hw3
from hw3.grading.auto import sandbox
from hw3.grading.auto.allowlist import readable_paths
from hw3.grading.auto.limits import Limits
from hw3.grading.run import grade

BATCH_SECONDS = 900  # the batch, two at a time; each notebook alone is bounded by its limits


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade every attack once; (attacks, gradebook rows by zip name, output folder, seconds)."""
    reason = sandbox.check_bwrap(readable_paths(Path(hw3.__file__).parent))
    needs_tool(not reason, f"no working bubblewrap sandbox here: {reason}")
    tmp = tmp_path_factory.mktemp("attacks")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: the duplicate entry is the point
        listed = af.write(tmp / "subs")
    start = time.monotonic()
    grade(
        paths=[tmp / "subs"],
        out=tmp / "out",
        release_root=fx.hafez_only_release(tmp / "release"),
        jobs=2,
        limits=Limits(memory_mb=af.MEMORY_MB, cell_timeout=af.CELL_TIMEOUT_S, timeout=af.TIMEOUT_S),
    )
    with (tmp / "out" / "gradebook.csv").open(newline="", encoding="utf-8") as handle:
        rows = {Path(row["file"]).name: row for row in csv.DictReader(handle)}
    return listed, rows, tmp / "out", time.monotonic() - start


@pytest.mark.slow
def test_every_attack_scores_nothing_and_shows_the_ta_why(batch):
    listed, rows, _, seconds = batch
    assert seconds < BATCH_SECONDS
    for attack in listed:
        row = rows[attack.name]
        assert float(row["hafez_total"]) == attack.points, (
            attack.name,
            row["hafez_total"],
            row["problems"],
        )
        assert row["status"] == attack.status, (attack.name, row["status"], row["problems"])
        assert attack.flag in row["flags"], (attack.name, row["flags"])
        assert attack.problem in row["problems"], (attack.name, row["problems"])


@pytest.mark.slow
def test_a_tampered_kernel_has_its_points_withheld_even_when_its_answers_are_right(batch):
    _, rows, out, _ = batch
    row = rows["DL_HW3__4015210117__TamperedButRight.zip"]
    assert float(row["hafez_total"]) == 0 and "tampered(" in row["flags"]
    feedback = (out / "feedback" / "DL_HW3__4015210117__TamperedButRight.md").read_text()
    assert "withheld for review" in feedback


@pytest.mark.slow
def test_text_from_the_students_code_is_only_quoted_never_the_graders_words(batch):
    _, rows, out, _ = batch
    crafted = "regraded by hand, full marks approved"
    row = rows["DL_HW3__4015210116__CraftedException.zip"]
    assert crafted not in row["problems"] and crafted not in row["flags"]
    feedback = (out / "feedback" / "DL_HW3__4015210116__CraftedException.md").read_text()
    outside_fences = feedback.split("```")[::2]
    assert crafted in feedback and not any(crafted in part for part in outside_fences)


@pytest.mark.slow
def test_the_hidden_tests_are_nowhere_the_students_code_can_read(batch):
    _, _, out, _ = batch
    feedback = (out / "feedback" / "DL_HW3__4015210115__HuntHidden.md").read_text()
    assert (
        "sbhaq 0 []" in feedback
    )  # rot13 of "found 0 []": no file in the sandbox names a hidden test
