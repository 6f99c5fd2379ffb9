"""Find the answer cells of a released notebook and move answers between notebooks.

`hw3 release` keeps the student and autograder notebooks cell-for-cell parallel: the student copy
tags each answer cell `otter_answer_cell`, the autograder copy tags the same cell
`otter_assign_solution_cell`, and the `grader.check("<question>")` cell that follows names the
question the answer belongs to.
"""
import re

import nbformat

ANSWER_TAGS = ("otter_answer_cell", "otter_assign_solution_cell")
CHECK_CALL = re.compile(r"""grader\.check\(\s*["'](?P<question>[\w-]+)["']\s*\)""")


def is_answer_cell(cell) -> bool:
    """True for a cell that otter assign marked as a student's answer or the reference solution."""
    return any(tag in cell.get("metadata", {}).get("tags", []) for tag in ANSWER_TAGS)


def answer_cells(nb: nbformat.NotebookNode) -> dict[str, list[int]]:
    """Map each question name to the indices of its answer cells, in notebook order."""
    questions: dict[str, list[int]] = {}
    pending: list[int] = []
    for index, cell in enumerate(nb.cells):
        if is_answer_cell(cell):
            pending.append(index)
            continue
        match = CHECK_CALL.search(cell.source) if cell.cell_type == "code" else None
        if match and pending:
            questions.setdefault(match["question"], []).extend(pending)
            pending = []
    return questions


def splice(base: nbformat.NotebookNode, donor: nbformat.NotebookNode, questions) -> nbformat.NotebookNode:
    """Copy of `base` whose answer cells for `questions` come from the parallel notebook `donor`."""
    if len(base.cells) != len(donor.cells):
        raise ValueError("notebooks are not parallel: release them together with `hw3 release`")
    result = nbformat.from_dict(base)
    donor_cells = answer_cells(donor)
    for question in questions:
        for index in donor_cells[question]:
            result.cells[index]["source"] = donor.cells[index].source
    return result
