"""Each released notebook through `otter run`: the reference gets full marks, the unchanged student
notebook 0 on every question, and a partly answered one exactly the scores in expected_scores.json."""

import nbformat
import pytest
from support import ASSIGNMENTS, EXPECTED_SCORES, otter_scores, released

from hw3.common import answers


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
