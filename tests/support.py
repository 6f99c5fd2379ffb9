"""Shared paths and helpers of the tests: the repository under test, expected scores, otter runs."""

import json
from pathlib import Path

import nbformat

from hw3.common.notebook_run import grading_env, otter_run
from hw3.common.pdfwrite import one_page_pdf
from hw3.project import Repository

REPO = Path(__file__).resolve().parent.parent
REPOSITORY = Repository(REPO)
ASSIGNMENTS = (
    REPOSITORY.registry().names
)  # declared in reference/<name>/assignment.toml, course order
NOTEBOOKS = REPOSITORY.registry().notebooks  # what a submission holds beside the PDF
EXPECTED_SCORES = json.loads((REPO / "tests" / "fixtures" / "expected_scores.json").read_text())
PDF = one_page_pdf("Theory answers")  # the smallest PDF the submission rules accept


def released(kind: str, name: str) -> Path:
    """Path of the committed `student` or `autograder` notebook of assignment `name`."""
    return REPO / kind / name / f"{name}.ipynb"


def otter_scores(notebook: nbformat.NotebookNode, name: str, workdir: Path, **env) -> dict:
    """Grade an in-memory notebook with `otter run` and the committed autograder zip; its scores."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{name}.ipynb"
    nbformat.write(notebook, path)
    autograder_zip = REPO / "autograder" / name / f"{name}-autograder.zip"
    return otter_run(path, autograder_zip, workdir / "results", grading_env(**env)).scores


def needs_tool(available: bool, why: str) -> None:
    """Skip with `why` when a tool is missing outside CI; under CI=true fail instead (.ci/run installs every tool)."""
    import os

    import pytest

    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (CI=true: .ci/run must install it)")
    pytest.skip(why)


def venv_on_these_packages(folder: Path) -> Path:
    """A virtualenv in `folder` with its own pip (ensurepip, offline) that sees the packages of the
    interpreter running the tests, even when that interpreter is itself a virtualenv (a venv's
    `system_site_packages` reaches only the base interpreter's); returns its bin folder."""
    import site
    import sys
    import venv

    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(folder)
    python = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (folder / "lib" / python / "site-packages" / "_tested_interpreter.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n"
    )
    return folder / "bin"
