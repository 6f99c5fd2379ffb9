"""The graded run's figure and evidence of the hand-graded answers (Apple q7-q9), through the real harness
and sandbox: the notebook draws the figure inline in its sandbox (Agg backend, HW3_GRADING=1), the runner
reports the wanted cells' outputs, and the parent keeps the figure as a sanitised PNG named by its content
and the evidence cells' printed text (what the committed rubric names) in the record's `outputs`.
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
from hw3.grading.auto.notebook import Context, evidence_requests, figure_requests, grade_notebook
from hw3.grading.hand.course import load_course
from hw3.grading.hand.rubric import load_rubrics

EVALUATION_CELL = 25  # "# Just run this cell: the test period in dollars." prints the RMSE table


@pytest.mark.slow
def test_the_graded_run_draws_the_q7_figure_and_keeps_the_evidence_cells_printed_numbers(tmp_path):
    readable = readable_paths(Path(hw3.__file__).parent)
    reason = sandbox.check_bwrap(readable)
    needs_tool(not reason, f"no working bubblewrap sandbox here: {reason}")
    assignment = next(a for a in load_assignments(REPO)[0] if a.name == "apple_stock")
    course = load_course(REPO / "reference" / "course.toml")
    lines = load_rubrics(course, ["apple_stock"]).evidence(
        "apple_stock", course.manual["apple_stock"]
    )
    nb = fx.answered("apple_stock")
    assert [number for number, _ in figure_requests(assignment, nb)] == [
        0,
        0,
    ]  # the answer, the drawing cell
    assert evidence_requests(nb, lines)[:1] == [(0, EVALUATION_CELL - 1)]
    ctx = Context(
        out=tmp_path / "out",
        assignments=[assignment],
        sandbox=sandbox.detect(readable, tmp_path / "etc"),
        limits=Limits(),
        stop=threading.Event(),
        figures=ImageStore(tmp_path / "figures"),
        evidence={"apple_stock": lines},
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
    q9 = result.outputs[2]
    assert [entry["cell"] for entry in q9] == [EVALUATION_CELL]
    assert "| LSTM        | RMSE $" in q9[0]["text"] and "| persistence | RMSE $" in q9[0]["text"]
    textbook = next(e for e in result.outputs[1] if e["cell"] != EVALUATION_CELL)
    assert textbook["text"].strip() == "skipped under HW3_GRADING=1"  # the cell skips its work
    drawn = next(e for e in result.outputs[0] if e["cell"] != EVALUATION_CELL)
    assert drawn["images"] == figures[0]  # the drawing cell is evidence too: the same stored image
