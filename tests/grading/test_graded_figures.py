"""The graded run's figure of a hand-graded code answer (Apple q7_plot), through the real harness and sandbox.

The notebook must draw the figure inline in its sandbox (Agg backend, HW3_GRADING=1), the runner report
that cell's outputs, and the parent keep the figure as a sanitised PNG named by its content.
"""

import threading
from pathlib import Path

import grade_fixtures as fx
import pytest
from PIL import Image
from support import REPO, needs_tool

import hw3
from hw3.common.images import ImageStore
from hw3.grading.auto import sandbox
from hw3.grading.auto.allowlist import readable_paths
from hw3.grading.auto.assignments import load_assignments
from hw3.grading.auto.limits import Limits
from hw3.grading.auto.notebook import Context, figure_requests, grade_notebook


@pytest.mark.slow
def test_the_graded_run_draws_the_q7_figure_and_the_parent_keeps_it(tmp_path):
    readable = readable_paths(Path(hw3.__file__).parent)
    reason = sandbox.check_bwrap(readable)
    needs_tool(not reason, f"no working bubblewrap sandbox here: {reason}")
    assignment = next(a for a in load_assignments(REPO)[0] if a.name == "apple_stock")
    nb = fx.answered("apple_stock")
    wanted = figure_requests(assignment, nb)
    assert [number for number, _ in wanted] == [
        0,
        0,
    ]  # plot_forecast's cell and the provided cell drawing it
    ctx = Context(
        out=tmp_path / "out",
        assignments=[assignment],
        sandbox=sandbox.detect(readable, tmp_path / "etc"),
        limits=Limits(),
        stop=threading.Event(),
        figures=ImageStore(tmp_path / "figures"),
    )
    result = grade_notebook(ctx, assignment, fx.notebook_bytes(nb), "0" * 64)
    assert result.status == "ok", result.notes
    figures = result.figures
    assert len(figures[0]) == 1 and figures[1:] == [
        [],
        [],
    ]  # the definition draws nothing, the call does
    with Image.open(tmp_path / "figures" / figures[0][0]) as image:
        assert (
            image.format == "PNG" and image.size[0] > image.size[1] > 100
        )  # two panels side by side
