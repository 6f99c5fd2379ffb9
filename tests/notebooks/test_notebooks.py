"""Each released notebook through `otter run`: the reference gets full marks, the unchanged student
notebook 0 on every question, and a partly answered one exactly the scores in expected_scores.json;
the training cells save one progress bar; the student README says what the notebooks say of public tests."""

import re
import shutil

import nbclient
import nbformat
import pytest
from support import ASSIGNMENTS, EXPECTED_SCORES, REPOSITORY, otter_scores, released

from hw3.common import answers
from hw3.common.notebook_run import grading_env


def read(kind, name):
    return nbformat.read(released(kind, name), as_version=4)


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_reference_scores_full_marks(name, tmp_path):
    assert otter_scores(read("autograder", name), name, tmp_path) == EXPECTED_SCORES[name]["max"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_unchanged_student_notebook_scores_zero(name, tmp_path):
    assert otter_scores(read("student", name), name, tmp_path) == {
        q: 0 for q in EXPECTED_SCORES[name]["max"]
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_partial_notebook_scores_exactly_as_expected(name, tmp_path):
    expected = EXPECTED_SCORES[name]["partial"]
    partial = answers.splice(read("student", name), read("autograder", name), expected["answered"])
    assert otter_scores(partial, name, tmp_path) == expected["scores"]


# the cell that trains each notebook's model, and its outputs under the grading budget: the lines it
# prints, the plot and one progress bar (an ipywidgets display updated in place)
TRAINING_CELLS = {
    "hafez": "losses = train_lm(",
    "apple_stock": "forecaster, history = train_model(",
}
MAX_TRAINING_OUTPUTS = 10
# a text progress bar, "37%|███▋      | 74/200": saved as one output per refresh
TEXT_BAR = re.compile(r"\d+%\|")
WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRAINING_CELLS))
def test_training_cell_saves_its_progress_bar_as_one_output(name, tmp_path, monkeypatch):
    nb = read("autograder", name)
    last = next(
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and TRAINING_CELLS[name] in c.source
    )
    nb.cells = nb.cells[: last + 1]
    shutil.copytree(released("autograder", name).parent / "data", tmp_path / "data")
    # otter's grader.check reads its tests from the notebook file beside the one executed
    shutil.copy(released("autograder", name), tmp_path)
    for key, value in grading_env().items():
        monkeypatch.setenv(key, value)
    nbclient.NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = nb.cells[last].outputs
    texts = ["".join(o.get("text", "")) for o in outputs if o.output_type == "stream"]
    assert not [t for t in texts if TEXT_BAR.search(t)], (
        f"{name}: the training bar was saved as text, one output per refresh: use tqdm.auto"
    )
    assert sum(WIDGET in o.get("data", {}) for o in outputs) == 1, f"{name}: one progress bar"
    assert len(outputs) <= MAX_TRAINING_OUTPUTS, (
        f"{name}: the training cell saved {len(outputs)} outputs: {[o.output_type for o in outputs]}"
    )


def test_student_readme_and_notebooks_say_the_same_of_public_tests():
    said = "checks your code on one small published example and its message shows the value it expected"
    readme = " ".join((REPOSITORY.root / "reference" / "STUDENT_README.md").read_text().split())
    intros = {name: " ".join(read("student", name).cells[1].source.split()) for name in ASSIGNMENTS}
    assert said in readme, "reference/STUDENT_README.md: say what the notebooks say of public tests"
    for name, intro in intros.items():
        assert "one small published example" in intro and "shows the value it expected" in intro, (
            name
        )
