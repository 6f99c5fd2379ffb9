"""Where a benchmarked notebook runs: a folder holding the notebook and a copy of its data, as in the release."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat


def stage_notebook(nb: nbformat.NotebookNode, folder: Path, data: Path, name: str) -> Path:
    """Write `nb` as `folder/<name>.ipynb` beside a copy of the `data` folder; return the notebook's path."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(data, folder / "data", dirs_exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path
