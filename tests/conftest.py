"""Shared paths and the otter grading helper for the notebook tests."""
import json
from pathlib import Path

import nbformat
from tools.notebook_run import grading_env, otter_run

REPO = Path(__file__).resolve().parent.parent
EXPECTED_SCORES = json.loads((REPO / "tests" / "fixtures" / "expected_scores.json").read_text())


def released(kind: str, name: str) -> Path:
    """Path of the committed `student` or `autograder` notebook of assignment `name`."""
    return REPO / kind / name / f"{name}.ipynb"


def grade(notebook: nbformat.NotebookNode, name: str, workdir: Path, **env) -> dict:
    """Grade an in-memory notebook with `otter run` and the committed autograder zip."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{name}.ipynb"
    nbformat.write(notebook, path)
    autograder_zip = REPO / "autograder" / name / f"{name}-autograder.zip"
    return otter_run(path, autograder_zip, workdir / "results", grading_env(**env)).scores

