"""The synthetic class graded once per module by the stand-in grader, and where reviewers' artefacts go."""

import os
from pathlib import Path

import packet_fixtures as pf
import pytest

from hw3.common.pdfwrite import one_page_pdf

ARTEFACTS_VAR = "HW3_ARTEFACTS"


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """The class with a plain one-page PDF for the reference: (zips by role, output folder)."""
    zips, out, code = pf.grade_class(
        tmp_path_factory.mktemp("class"), one_page_pdf("Theory answers of the reference")
    )
    assert code == 1  # the zip without hafez.ipynb is invalid
    return zips, out


@pytest.fixture
def artefacts(tmp_path) -> Path:
    """Where a test leaves what a reviewer opens: $HW3_ARTEFACTS/packet when set, else the test's tmp folder."""
    folder = (
        Path(os.environ[ARTEFACTS_VAR]) / "packet"
        if os.environ.get(ARTEFACTS_VAR)
        else tmp_path / "artefacts"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder
