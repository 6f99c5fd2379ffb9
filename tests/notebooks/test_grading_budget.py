"""The grading budget is keyed on signals this project controls (README, "Grading budget"): HW3_GRADING=1
in the environment (hw3 grade) or the file HW3_GRADING beside the notebook (the autograder zip's, for
otter run, otter grade and Gradescope). When otter's seed says it is grading and neither is there, the
setup cell raises instead of training silently at the student budget.

The fast tests run each master's setup cell as otter and the tools would; the slow ones run plain
`otter run` (no HW3_GRADING) on both references and read the budget from the executed notebook that
`otter run --pickle-results` keeps, and re-grade a student's `grader.export()` zip the same way.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile

import dill
import pytest
from support import ASSIGNMENTS, EXPECTED_SCORES, REPO, REPOSITORY

from hw3.common.zipwrite import write_deterministic_zip
from hw3.release.otter_config import assignment_config

MARKER = "HW3_GRADING"  # the file name, and the environment variable's
SIGNAL_LINE = "GRADING = os.environ.get"  # the setup cell is the cell that sets GRADING
OTTER_RUN_TIMEOUT_S = 900
THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

# Runs one master's setup cell under each condition, each in a fresh namespace (the kernel's globals)
# and its own folder; prints {case: GRADING, or "raised <type>: <message>"} as JSON.
CASES = r"""
import json, os, sys, tempfile
source, seed, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def run(namespace, *, seeded=False, variable=False, file=False):
    os.environ.pop(marker, None)
    if variable:
        os.environ[marker] = "1"
    folder = tempfile.mkdtemp()
    os.chdir(folder)
    if file:
        open(marker, "w").close()
    try:
        exec((f"rng_seed = {seed}\n" if seeded else "") + source, namespace)  # otter prepends the seed
    except RuntimeError as err:
        return f"raised RuntimeError: {err}"
    return namespace["GRADING"]
student = {}
found = {
    "student": run(student),
    "student reruns the cell": run(student, seeded=True),
    "hw3 grade": run({}, variable=True),
    "hw3 grade, otter seeding": run({}, seeded=True, variable=True),
    "otter with its zip's marker": run({}, seeded=True, file=True),
    "otter without the marker": run({}, seeded=True),
}
import torch
found["threads under the grading budget"] = torch.get_num_threads()
print(json.dumps(found))
"""


def setup_source(notebook) -> str:
    cells = [c for c in notebook.cells if c.cell_type == "code" and SIGNAL_LINE in c.source]
    assert len(cells) == 1, "one setup cell sets GRADING"
    return cells[0].source


def run_setup_cases(name: str) -> dict:
    import nbformat

    master = REPOSITORY.master(name)
    seed = assignment_config(master)["seed"]["autograder_value"]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CASES,
            setup_source(nbformat.read(master, as_version=4)),
            str(seed),
            MARKER,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **THREADS},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_setup_cell_uses_the_grading_budget_only_on_a_signal_and_raises_when_otter_grades_without_one(
    name,
):
    found = run_setup_cases(name)
    assert found["student"] is False
    assert found["student reruns the cell"] is False  # a kernel that ran it before is not otter
    assert found["hw3 grade"] is True
    assert found["hw3 grade, otter seeding"] is True
    assert found["otter with its zip's marker"] is True
    assert found["otter without the marker"].startswith("raised RuntimeError: otter is grading")
    assert MARKER in found["otter without the marker"]
    assert found["threads under the grading budget"] == 1


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_masters_list_the_committed_marker_and_their_autograder_zips_carry_it(name):
    config = assignment_config(REPOSITORY.master(name))
    assert MARKER in config["autograder_files"]
    assert (REPOSITORY.master(name).parent / MARKER).is_file()
    with zipfile.ZipFile(REPO / "autograder" / name / f"{name}-autograder.zip") as zf:
        assert f"files/{MARKER}" in zf.namelist()  # otter copies files/* beside the graded notebook
    assert not (REPO / "student" / name / MARKER).exists(), "students never get the marker"


def plain_otter_run(name: str, autograder_zip, folder, submission=None) -> tuple[dict, list, float]:
    """`otter run` as an otter user runs it (no HW3_GRADING, threads pinned) on `submission` (default: a
    copy of the committed autograder notebook). Returns (results.json's scores, the setup cell's
    outputs, seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    if submission is None:
        submission = folder / f"{name}.ipynb"
        submission.write_bytes((REPO / "autograder" / name / f"{name}.ipynb").read_bytes())
    (folder / "out").mkdir()
    env = {k: v for k, v in os.environ.items() if k != MARKER} | THREADS
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "otter", "run", "-a", str(autograder_zip), "-o", "out", "-p"]
        + ["--no-logo", str(submission)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=OTTER_RUN_TIMEOUT_S,
    )
    seconds = time.monotonic() - start
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    tests = json.loads((folder / "out" / "results.json").read_text())["tests"]
    scores = {t["name"]: t["score"] for t in tests if "max_score" in t}
    with (folder / "results.pkl").open("rb") as handle:  # written by this test's own otter run
        executed = dill.load(handle).notebook
    setup = [c for c in executed.cells if c.cell_type == "code" and SIGNAL_LINE in c.source]
    return scores, setup[0].outputs, seconds


def stream_text(outputs) -> str:
    return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_plain_otter_run_grades_the_reference_at_the_grading_budget_with_full_marks(name, tmp_path):
    autograder_zip = REPO / "autograder" / name / f"{name}-autograder.zip"
    scores, setup, seconds = plain_otter_run(name, autograder_zip, tmp_path)
    printed = stream_text(setup)
    print(f"otter run {name} reference: {printed.strip()} ({seconds:.0f} s)")
    assert "grading budget" in printed, printed
    assert "grading budget: False" not in printed and "student budget" not in printed, printed
    assert scores == EXPECTED_SCORES[name]["max"]


@pytest.mark.slow
def test_otter_grading_with_a_zip_that_lost_its_marker_raises_in_the_setup_cell(tmp_path):
    name = "apple_stock"  # the shorter notebook; both run the same setup-cell check (test above)
    source = REPO / "autograder" / name / f"{name}-autograder.zip"
    with zipfile.ZipFile(source) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist() if i.filename != f"files/{MARKER}"}
    stripped = write_deterministic_zip(tmp_path / f"{name}-autograder.zip", members)
    scores, setup, _ = plain_otter_run(name, stripped, tmp_path / "run")
    errors = [o for o in setup if o.get("output_type") == "error"]
    assert errors and errors[0]["ename"] == "RuntimeError" and MARKER in errors[0]["evalue"]
    assert sum(scores.values()) < sum(EXPECTED_SCORES[name]["max"].values())


@pytest.mark.slow
def test_a_students_grader_export_zip_regrades_to_full_marks_under_plain_otter_run(tmp_path):
    import grade_fixtures as fx
    import nbformat

    from hw3.common import answers

    name = "apple_stock"
    student = tmp_path / "student"
    shutil.copytree(REPO / "student" / name, student)
    answered = answers.splice(
        fx.read("student", name), fx.read("autograder", name), list(EXPECTED_SCORES[name]["max"])
    )
    nbformat.write(answered, student / f"{name}.ipynb")
    export = (
        f"import otter; otter.Notebook({name + '.ipynb'!r}).export(pdf=False, display_link=False)"
    )
    done = subprocess.run(
        [sys.executable, "-c", export], cwd=student, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (exported,) = student.glob(f"{name}_*.zip")  # grader.export()'s <name>_<timestamp>.zip
    autograder_zip = REPO / "autograder" / name / f"{name}-autograder.zip"
    scores, setup, _ = plain_otter_run(name, autograder_zip, tmp_path / "run", exported)
    assert "grading budget" in stream_text(setup) and "student budget" not in stream_text(setup)
    assert scores == EXPECTED_SCORES[name]["max"]
