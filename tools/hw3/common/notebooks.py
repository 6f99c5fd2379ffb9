"""Notebooks as nbformat NotebookNodes, parsed by the one reader in `hw3.common.nbjson`.

`parse` is strict (what the submission rules accept), `parse_lenient` accepts what otter can
still run (an nbformat 4 file that breaks the schema elsewhere), and `read` loads a trusted file
of this repository.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import rwbase

from hw3.common import nbjson


def to_node(raw: dict) -> nbformat.NotebookNode:
    """A notebook dict as a NotebookNode, multi-line strings (sources, outputs) joined as nbformat does."""
    nb = rwbase.rejoin_lines(nbformat.from_dict(raw))
    for cell in nb.cells:
        cell["source"] = nbjson.joined(cell.get("source"))
    return nb


def parse(name: str, data: bytes) -> tuple[nbformat.NotebookNode | None, list[str]]:
    """(notebook, []) for a well-formed nbformat 4 notebook, else (None, [one problem line])."""
    raw, problems = nbjson.parse_strict(name, data)
    return (to_node(raw), []) if raw is not None else (None, problems)


def parse_lenient(name: str, data: bytes) -> tuple[nbformat.NotebookNode | None, list[str]]:
    """(notebook, []) for anything nbformat 4 with a list of cells (schema slips repaired), else (None, [problem])."""
    raw, problems = nbjson.parse_lenient(name, data)
    return (to_node(raw), []) if raw is not None else (None, problems)


def read(path: Path) -> nbformat.NotebookNode:
    """A notebook file of this repository (a master, a release): trusted, so nbformat's own reader."""
    return nbformat.read(path, as_version=4)
