"""The apple_stock assignment: its answer cells and stubs in both released notebooks."""

import re

import nbformat
from support import EXPECTED_SCORES, released

from hw3.common import answers

NAME = "apple_stock"
EXPECTED = EXPECTED_SCORES[NAME]


def read(kind):
    return nbformat.read(released(kind, NAME), as_version=4)


def test_every_graded_question_has_an_answer_cell_in_both_notebooks():
    for kind in ("student", "autograder"):
        assert set(answers.answer_cells(read(kind))) >= set(EXPECTED["max"]), kind


def test_student_notebook_stubs_raise_by_question_name():
    stubs = [
        cell.source
        for cell in read("student").cells
        if "otter_answer_cell" in cell.metadata.get("tags", [])
    ]
    named = set(re.findall(r'NotImplementedError\("(q\d_\w+):', "\n".join(stubs)))
    assert named >= set(EXPECTED["max"]) | {"q7_plot"}
