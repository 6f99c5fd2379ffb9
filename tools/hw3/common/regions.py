"""Where a hand-graded question lives in a released or submitted notebook: its prompt, its answer cells,
and the provided cell that runs a code answer.

otter assign writes each manual question between two Markdown comments: the prompt cell starts with
`<!-- BEGIN QUESTION -->`, and a later provided cell holds `<!-- END QUESTION -->` (followed, in
the same cell, by the next question's BEGIN when two questions touch). Every cell in between is the
student's answer (the cells otter tagged `otter_answer_cell`, and any the student added). A
question answered with code (Apple q7_plot defines `plot_forecast`) is drawn by the first provided
code cell after its END: that cell's figure belongs to the answer too.

Questions are matched to regions in notebook order, the n-th region being the n-th manual
question of the course settings; a submission's region is found by its prompt text (provided
cells are read-only in Jupyter) and, failing that, by position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hw3.common.answers import ANSWER_TAG, SOLUTION_TAG, solution_only

BEGIN = "<!-- BEGIN QUESTION -->"
END = "<!-- END QUESTION -->"


@dataclass
class Region:
    """One manual question in a notebook: its prompt (Markdown), its answer cells and the cell that draws a
    code answer (indices into the notebook's cells)."""

    prompt: str
    cells: list[int] = field(default_factory=list)
    drawn_by: int | None = None


def tags(cell) -> list:
    """A cell's tags ([] when its metadata is malformed: submitted notebooks can hold anything)."""
    metadata = cell.get("metadata")
    value = metadata.get("tags", []) if isinstance(metadata, dict) else []
    return value if isinstance(value, list) else []


def normalised(text: str) -> str:
    return " ".join(text.split())


def find_regions(nb) -> list[Region]:
    """The manual-question regions of a notebook, in order (markers inside answer cells are ignored)."""
    regions: list[Region] = []
    current: Region | None = None
    last_end: dict[int, int] = {}  # region number -> index of the cell holding its END
    for index, cell in enumerate(nb.cells):
        source = cell.get("source", "")
        source = source if isinstance(source, str) else ""
        provided = cell.get("cell_type") == "markdown" and ANSWER_TAG not in tags(cell)
        if current is not None and provided and END in source:
            last_end[len(regions) - 1] = index
            current = None
            source = source.split(END, 1)[1]
        if current is None and provided and BEGIN in source:
            current = Region(normalised_prompt(source.split(BEGIN, 1)[1]))
            regions.append(current)
            continue
        if current is not None:
            current.cells.append(index)
    for number, region in enumerate(regions):
        if number in last_end and any(nb.cells[i].get("cell_type") == "code" for i in region.cells):
            region.drawn_by = next(
                (
                    i
                    for i in range(last_end[number] + 1, len(nb.cells))
                    if nb.cells[i].get("cell_type") == "code"
                    and ANSWER_TAG not in tags(nb.cells[i])
                ),
                None,
            )
    return regions


def normalised_prompt(text: str) -> str:
    """A prompt without the END marker of a question that follows it in the same cell."""
    return text.split(END, 1)[0].strip()


def match(released: list[Region], submitted: list[Region]) -> list[Region | None]:
    """For each released region, the submitted region with the same prompt, else the one at its position
    when the counts agree, else None."""
    by_prompt = {normalised(r.prompt): r for r in submitted}
    same_count = len(released) == len(submitted)
    return [
        by_prompt.get(normalised(r.prompt)) or (submitted[n] if same_count else None)
        for n, r in enumerate(released)
    ]


def clean_solution(source: str) -> str:
    """A reference code answer without otter assign's markers and the student's prompt block."""
    return solution_only(source).rstrip()


def reference_cells(nb, region: Region) -> list[dict]:
    """The cells of a region of the autograder notebook that hold the reference answer (solution-tagged)."""
    return [nb.cells[i] for i in region.cells if SOLUTION_TAG in tags(nb.cells[i])]
