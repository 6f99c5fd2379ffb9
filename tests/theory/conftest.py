"""The theory PDFs the tests build: page counts and build seconds printed at the end of the run (where
CI's log shows them), and with HW3_REVIEW_DIR set, each PDF and a PNG of its first page kept there."""

import os
import shutil
from pathlib import Path

import pytest

REVIEW_DIR_VAR = "HW3_REVIEW_DIR"
BUILT = pytest.StashKey[list]()


@pytest.fixture
def report_pdf(request):
    """report_pdf(name, pdf, first_page_png, pages, seconds): record one built PDF (and keep it for review)."""

    def report(name: str, pdf: Path, first_page_png: Path, pages: int, seconds: float) -> None:
        request.config.stash.setdefault(BUILT, []).append((name, pages, seconds))
        review = os.environ.get(REVIEW_DIR_VAR)
        if review:
            Path(review).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(pdf, Path(review) / f"{name}.pdf")
            shutil.copyfile(first_page_png, Path(review) / f"{name}-page1.png")

    return report


def pytest_terminal_summary(terminalreporter, config):
    built = config.stash.get(BUILT, [])
    if built:
        terminalreporter.write_sep("-", "theory PDFs built")
        for name, pages, seconds in built:
            terminalreporter.write_line(f"{name}: {pages} pages in {seconds:.1f} s")
