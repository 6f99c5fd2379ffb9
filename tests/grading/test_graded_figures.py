"""The graded run's figure of a hand-graded code answer (Apple q7_plot): the real otter child, on the reference.

The child is run directly with this checkout's `hw3` (the sandboxed route runs the installed one), in
the environment the sandbox gives it (Agg backend, HW3_GRADING=1): it must draw the figure inline,
and the parent must keep it as a sanitised PNG named by its content.
"""

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from PIL import Image
from support import REPO

from hw3.common.images import ImageStore
from hw3.grading.auto.assignments import load_assignments
from hw3.grading.auto.notebook import FIGURES_REQUEST, figure_requests, kept_figures
from hw3.grading.auto.results import read_summary

CHILD_TIMEOUT_S = 600
CELL_TIMEOUT_S = 300


@pytest.mark.slow
def test_the_graded_run_draws_the_q7_figure_and_the_parent_keeps_it(tmp_path):
    assignment = next(a for a in load_assignments(REPO)[0] if a.name == "apple_stock")
    notebook = tmp_path / assignment.notebook
    shutil.copyfile(REPO / "autograder" / "apple_stock" / assignment.notebook, notebook)
    nb = nbformat.read(notebook, as_version=4)
    wanted = figure_requests(assignment, nb)
    assert [number for number, _ in wanted] == [
        0,
        0,
    ]  # plot_forecast's cell and the provided cell drawing it
    (tmp_path / FIGURES_REQUEST).write_text(json.dumps([source for _, source in wanted]))
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
    assert summary is not None and summary["error"] is None, (
        done.stdout[-2000:] + done.stderr[-2000:]
    )
    assert [len(images) for images in summary["figures"]] == [
        0,
        1,
    ]  # the definition draws nothing, the call does
    figures = kept_figures(
        ImageStore(tmp_path / "figures"), summary, wanted, len(assignment.regions)
    )
    assert len(figures[0]) == 1 and figures[1:] == [[], []]
    with Image.open(tmp_path / "figures" / figures[0][0]) as image:
        assert (
            image.format == "PNG" and image.size[0] > image.size[1] > 100
        )  # two panels side by side
