"""Find the answer cells of a released notebook and move answers between notebooks.

otter assign tags each code cell a student answers `otter_answer_cell` in the student copy and
`otter_assign_solution_cell` in the autograder copy; the `grader.check("<question>")` cell that
follows names the question. Autograded questions have the same answer cells in both copies, so
answers move between them by position within the question. (Written questions have no check
cell and are not listed.) The names otter gives these tags and markers are defined here, once.
"""

import re

import nbformat

ANSWER_TAG = "otter_answer_cell"  # a student's answer cell, in the student copy
SOLUTION_TAG = (
    "otter_assign_solution_cell"  # the same cell holding the solution, in the autograder copy
)
ANSWER_TAGS = (ANSWER_TAG, SOLUTION_TAG)
CHECK_CALL = re.compile(r"""grader\.check\(\s*["'](?P<question>[\w-]+)["']\s*\)""")
# what otter assign leaves in a solution cell of the autograder copy: its solution markers and the
# student's prompt, kept as a string block
SOLUTION_MARKER = re.compile(r"^[ \t]*# (?:BEGIN|END) SOLUTION.*\n?", re.MULTILINE)
PROMPT_BLOCK = re.compile(
    r'^[ \t]*""" # BEGIN PROMPT.*?""" # END PROMPT[^\n]*\n?', re.MULTILINE | re.DOTALL
)


def solution_only(source: str) -> str:
    """An autograder cell's source without otter's solution markers and the student prompt."""
    return SOLUTION_MARKER.sub("", PROMPT_BLOCK.sub("", source))


def is_answer_cell(cell) -> bool:
    """True for a code cell that otter assign marked as a student's answer or the reference solution."""
    tags = cell.get("metadata", {}).get("tags", [])
    return cell.cell_type == "code" and any(tag in tags for tag in ANSWER_TAGS)


def answer_cells(nb: nbformat.NotebookNode) -> dict[str, list[int]]:
    """Map each autograded question to the indices of its answer code cells, in notebook order."""
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


def splice(
    base: nbformat.NotebookNode, donor: nbformat.NotebookNode, questions
) -> nbformat.NotebookNode:
    """Copy of `base` whose answer cells for `questions` take their source from `donor`."""
    result = nbformat.from_dict(base)
    base_cells, donor_cells = answer_cells(base), answer_cells(donor)
    for question in questions:
        if len(base_cells.get(question, [])) != len(donor_cells.get(question, [])):
            raise ValueError(
                f"{question}: the notebooks differ in answer cells; release them together"
            )
        for base_index, donor_index in zip(base_cells[question], donor_cells[question]):
            result.cells[base_index]["source"] = donor.cells[donor_index].source
    return result
