"""A submitted notebook made fit to run: metadata reduced to what the release has, otter's calls inert, seeds set.

otter reads instructions from a notebook's metadata (`metadata.otter.tests` of a cell becomes code
it runs, a cell tagged `otter_ignore` is skipped), so a submission's metadata is hostile input. Each
cell keeps only the metadata keys the released notebook uses (`deletable`, `editable`, `tags`) and
only the tags the release uses (`otter_answer_cell`); the notebook's own metadata becomes the
release's. Every removal is a flag (`cleaned-metadata(...)`). `clean` serves both routes: the
notebooks `hw3 grade --extract-only` writes for otter, and the ones the sandbox runs.

For the sandbox (`for_runner`), the released cells that only call otter (`grader = otter.Notebook(...)`,
`grader.check(...)`, `grader.check_all()`) become `pass` (the call kept as a comment): the tests run
outside the kernel, so they would only repeat the public tests inside it. Like otter's own grading,
every code cell then starts by setting the seed variable to the autograder's value (`rng_seed = 42`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat

OTTER_CALL = re.compile(
    r"^\s*(#[^\n]*\n\s*)*(import otter\s*\n\s*)?"
    r"(grader\s*=\s*otter\.Notebook\([^()]*\)|grader\.check\([^()]*\)|grader\.check_all\(\))\s*$"
)
MAX_FLAG_ITEMS = 6


@dataclass(frozen=True)
class Cleaned:
    """The cleaned notebook and the flags that say what was removed."""

    nb: nbformat.NotebookNode
    flags: list[str]


def allowed_metadata(released: nbformat.NotebookNode) -> tuple[set[str], set[str]]:
    """(cell metadata keys, tags) that the released notebook's cells use."""
    keys, tags = set(), set()
    for cell in released.cells:
        metadata = cell.get("metadata", {})
        keys |= set(metadata)
        tags |= {t for t in metadata.get("tags", []) if isinstance(t, str)}
    return keys, tags


def clean(submitted: nbformat.NotebookNode, released: nbformat.NotebookNode) -> Cleaned:
    """A copy of `submitted` with the release's notebook metadata and only the release's cell metadata."""
    nb = nbformat.from_dict(submitted)
    keys, tags = allowed_metadata(released)
    removed: list[str] = []
    for cell in nb.cells:
        metadata = cell.get("metadata", {})
        for key in sorted(set(metadata) - keys):
            removed.append(str(key)[:40])
            del metadata[key]
        cell_tags = metadata.get("tags")
        if cell_tags is not None:
            kept = (
                [t for t in cell_tags if isinstance(t, str) and t in tags]
                if isinstance(cell_tags, list)
                else []
            )
            removed += [
                f"tag {str(t)[:40]}"
                for t in (cell_tags if isinstance(cell_tags, list) else [cell_tags])
                if t not in kept
            ]
            metadata["tags"] = kept
    if submitted.get("metadata", {}).get("otter") != released.metadata.get("otter"):
        removed.append("notebook otter")
    nb.metadata = nbformat.from_dict(dict(released.metadata))
    unique = sorted(set(removed))
    flags = [
        f"cleaned-metadata({','.join(unique[:MAX_FLAG_ITEMS])}{',...' if len(unique) > MAX_FLAG_ITEMS else ''})"
    ]
    return Cleaned(nb, flags if unique else [])


def for_runner(
    nb: nbformat.NotebookNode,
    released: nbformat.NotebookNode,
    seed_variable: str | None,
    seed: int | None,
) -> str:
    """The notebook text the sandbox runs: released otter-only cells inert, every code cell seeded."""
    nb = nbformat.from_dict(nb)
    otter_cells = {
        c.source.strip()
        for c in released.cells
        if c.cell_type == "code" and OTTER_CALL.match(c.source)
    }
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.source.strip() in otter_cells:
            call = cell.source.strip().splitlines()[-1]
            cell.source = f"pass  # {call}: grading runs the tests outside the sandbox"
        elif seed_variable and seed is not None and not cell.source.startswith("%%"):
            cell.source = f"{seed_variable} = {seed}\n{cell.source}"
    return nbformat.writes(nb)
