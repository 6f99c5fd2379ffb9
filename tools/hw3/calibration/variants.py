"""Correct solutions written differently from the reference ("variants"): the grader must give each full marks.

A variant file `reference/variants/<assignment>/<slug>.py` holds the source of every answer code cell
of the assignment (the hand-graded `q7_plot` too), in notebook order; a line `# %% <question>` starts
one cell's source (a question with two answer cells has two blocks of that name). A variant is
spliced into the released student notebook in place of the stubs and graded as a submission.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from hw3.common.answers import answer_cells, is_answer_cell
from hw3.errors import Hw3Error

CELL_MARK = re.compile(r"^# %% (?P<question>[\w-]+)\s*$", re.MULTILINE)


class VariantError(Hw3Error):
    """A variant file is malformed or does not fit the released notebook."""


@dataclass(frozen=True)
class Variant:
    """One correct solution: (question, cell source) pairs in notebook order."""

    assignment: str
    slug: str
    cells: tuple[tuple[str, str], ...]

    def apply(self, student: nbformat.NotebookNode) -> nbformat.NotebookNode:
        """Copy of the released `student` notebook with this variant's sources in its answer cells."""
        result = nbformat.from_dict(student)
        stubs = [i for i, cell in enumerate(result.cells) if is_answer_cell(cell)]
        if len(stubs) != len(self.cells):
            raise VariantError(
                f"{self.assignment}/{self.slug}: {len(self.cells)} cells in the variant, "
                f"{len(stubs)} answer code cells in the released notebook"
            )
        named = {
            index: question
            for question, indices in answer_cells(result).items()
            for index in indices
        }
        for index, (question, source) in zip(stubs, self.cells):
            if named.get(index, question) != question:
                raise VariantError(
                    f"{self.assignment}/{self.slug}: the cell for {question} stands where the "
                    f"released notebook has {named[index]}'s"
                )
            result.cells[index].source = source
        return result


def parse(path: Path) -> Variant:
    """Read one variant file (format in the module docstring)."""
    text = path.read_text(encoding="utf-8")
    marks = list(CELL_MARK.finditer(text))
    if not marks:
        raise VariantError(f"{path}: no '# %% <question>' line: each answer cell starts with one")
    cells = tuple(
        (mark["question"], text[mark.end() : end].strip("\n") + "\n")
        for mark, end in zip(marks, [m.start() for m in marks[1:]] + [len(text)])
    )
    return Variant(path.parent.name, path.stem, cells)


def load_variants(root: Path, assignment: str) -> list[Variant]:
    """All variants of one assignment under `root` (the repository's reference/variants/), sorted by file name."""
    return [parse(path) for path in sorted((root / assignment).glob("*.py"))]
