"""The evidence of a hand-graded answer from the real graded run: the otter child, on the Apple reference,
keeps the printed text of the cells the committed rubric names, and the parent turns it into the
record's `outputs` (cell number, capped text, images).

The child is run directly with this checkout's `hw3` in the environment the sandbox gives it (Agg
backend, HW3_GRADING=1), as tests/grading/test_graded_figures.py runs it for the q7 figure.
"""

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from support import REPO

from hw3.common.images import ImageStore
from hw3.grading.auto.assignments import load_assignments
from hw3.grading.auto.notebook import (
    FIGURES_REQUEST,
    evidence_requests,
    figure_requests,
    kept_figures,
    kept_outputs,
    reported_outputs,
    requested_sources,
)
from hw3.grading.auto.results import read_summary
from hw3.grading.hand.course import load_course
from hw3.grading.hand.rubric import load_rubrics

CHILD_TIMEOUT_S = 600
CELL_TIMEOUT_S = 300
EVALUATION_CELL = 25  # "# Just run this cell: the test period in dollars." prints the RMSE table


@pytest.mark.slow
def test_the_graded_run_keeps_the_evidence_cells_printed_numbers(tmp_path):
    assignment = next(a for a in load_assignments(REPO)[0] if a.name == "apple_stock")
    course = load_course(REPO / "reference" / "course.toml")
    lines = load_rubrics(course, ["apple_stock"]).evidence(
        "apple_stock", course.manual["apple_stock"]
    )
    notebook = tmp_path / assignment.notebook
    shutil.copyfile(REPO / "autograder" / "apple_stock" / assignment.notebook, notebook)
    nb = nbformat.read(notebook, as_version=4)
    wanted, evidence = figure_requests(assignment, nb), evidence_requests(nb, lines)
    assert [(region, cell) for region, _, cell in evidence][:1] == [(0, EVALUATION_CELL)]
    sources = requested_sources(wanted, evidence)
    (tmp_path / FIGURES_REQUEST).write_text(json.dumps(sources))
    env = {
        **os.environ,
        "HW3_GRADING": "1",
        "OMP_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "HOME": str(tmp_path / "home"),
        "MPLCONFIGDIR": str(tmp_path / "home" / "mpl"),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hw3.grading.auto.otter_child",
            str(notebook),
            str(assignment.autograder_zip),
            str(tmp_path / "summary.json"),
            "--cell-timeout",
            str(CELL_TIMEOUT_S),
            "--figures",
            str(tmp_path / FIGURES_REQUEST),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    summary = read_summary(tmp_path / "summary.json")
    assert summary is not None and summary["error"] is None, done.stderr[-2000:]
    store = ImageStore(tmp_path / "figures")
    reported = reported_outputs(summary, sources)
    outputs = kept_outputs(store, reported, evidence, len(assignment.regions))
    q9 = outputs[2]
    assert [entry["cell"] for entry in q9] == [EVALUATION_CELL]
    assert "| LSTM        | RMSE $" in q9[0]["text"] and "| persistence | RMSE $" in q9[0]["text"]
    textbook = next(e for e in outputs[1] if e["cell"] != EVALUATION_CELL)
    assert textbook["text"].strip() == "skipped under HW3_GRADING=1"  # the cell skips its work
    q7 = kept_figures(store, {"figures": [reported[s] for _, s in wanted]}, wanted, 3)
    assert len(q7[0]) == 1  # the figure the drawing cell drew, as before
    drawn = next(e for e in outputs[0] if e["cell"] != EVALUATION_CELL)
    assert drawn["images"] == q7[0]  # the drawing cell is evidence too: the same stored image
