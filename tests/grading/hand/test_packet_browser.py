"""The grading packet in headless Chromium: a TA grades the synthetic class with the keyboard, downloads
manual_scores.csv, and `hw3 grade --manual` turns it into the final grades.

The packet is opened from file:// (no server, no network) in Debian's chromium-headless-shell, driven
by Playwright's Python client (the system browser, never a downloaded one). Screenshots of a question
page and a theory page, and the final gradebook, are left in the artefacts folder (conftest.py).
"""

import csv
import shutil
from pathlib import Path

import packet_fixtures as pf
import pytest

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # needs_tool below says what to install
    sync_playwright = None
from packet_fixtures import grade_class
from support import needs_tool

BROWSER = shutil.which("chromium-headless-shell")
VIEWPORT = {"width": 1400, "height": 900}
QUESTIONS = [
    "hafez_q8_compare",
    "apple_stock_q7_plot",
    "apple_stock_q8_textbook",
    "apple_stock_q9_persistence",
]
# what the TA types, per student number, in the order the packet lists them (gradebook order)
ORDER = ["4015210001", "4015210002", "4015210003", "4015210004", "4015210009"]
TYPED = {
    "hafez_q8_compare": ["3", "0", "1.5", "0", "0"],
    "apple_stock_q7_plot": ["2", "0", "0.5", "0", "0"],
    "apple_stock_q8_textbook": ["2", "0", "1", "0", "0"],
    "apple_stock_q9_persistence": ["1.5", "0", "0", "0", "0"],
}
THEORY_TYPED = {
    "4015210001": "1",
    "4015210002": "0",
    "4015210003": "0.5",
    "4015210004": "0",
    "4015210009": "0",
}
ITEMS = 20
COMMENT = "Numbers quoted, but the gradient argument is missing."
AUTOMATIC = {
    "4015210001": {"hafez": 27, "apple_stock": 24},
    "4015210003": {"hafez": 9, "apple_stock": 3},
}


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=BROWSER, args=["--no-sandbox", "--disable-gpu"]
    )


def unharmed(page) -> bool:
    """Whether no student payload ran on the page (each one sets window.PWNED)."""
    return page.evaluate("window.PWNED === undefined")


def focused(page) -> tuple[str, str]:
    """(submission, column) of the focused score box, once the page has put the focus in one."""
    page.wait_for_function(
        "document.activeElement && document.activeElement.dataset.col !== undefined"
    )
    return tuple(
        page.evaluate("[document.activeElement.dataset.row, document.activeElement.dataset.col]")
    )


@pytest.fixture(scope="module")
def persian_class(tmp_path_factory):
    needs_tool(
        shutil.which("xelatex") is not None,
        "xelatex not found: apt-get install texlive-xetex texlive-lang-arabic",
    )
    folder = tmp_path_factory.mktemp("browser")
    pdf = pf.persian_pdf(folder / "tex")
    zips, out, _ = grade_class(folder, pdf)
    return folder, zips, out, pdf


def test_a_ta_grades_the_class_in_chromium_and_the_download_merges_into_final_grades(
    persian_class, artefacts
):
    needs_tool(
        BROWSER is not None,
        "no chromium-headless-shell here (apt-get install chromium-headless-shell)",
    )
    needs_tool(
        sync_playwright is not None,
        "no playwright package: pip install playwright (it drives the system browser)",
    )
    folder, zips, out, pdf = persian_class
    stems = {
        number: next(Path(z).stem for z in zips.values() if number in Path(z).name)
        for number in ORDER
    }
    index = (out / "packet" / "index.html").as_uri()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        page = context.new_page()
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(index)
        page.click(f"a[href='questions/{QUESTIONS[0]}.html']")
        # every question page: a score then Enter, student after student; Enter on the last goes to the next question
        for question in QUESTIONS:
            assert page.url.endswith(f"questions/{question}.html") and unharmed(page)
            for number, score in zip(ORDER, TYPED[question]):
                assert focused(page) == (stems[number], question)
                if (
                    question == "apple_stock_q7_plot" and number == ORDER[2]
                ):  # two scored, three to go
                    page.evaluate("window.scrollTo(0, 0)")
                    page.screenshot(path=str(artefacts / "question-apple_stock_q7_plot.png"))
                page.keyboard.type(score)
                if number == ORDER[-1] and question != QUESTIONS[-1]:
                    with page.expect_navigation():
                        page.keyboard.press("Enter")
                else:
                    page.keyboard.press("Enter")
        page.fill(
            f"textarea[data-row='{stems['4015210003']}'][data-col='apple_stock_q9_persistence_comment']",
            COMMENT,
        )
        # an out-of-range score blocks the download and says where
        page.fill(
            f"input[data-row='{stems['4015210002']}'][data-col='apple_stock_q9_persistence']", "7"
        )
        page.click("button.download")
        assert "more than 2" in page.inner_text("#message") and not page.is_hidden("#message")
        page.fill(
            f"input[data-row='{stems['4015210002']}'][data-col='apple_stock_q9_persistence']", "0"
        )
        # theory: the first submission's page, Enter through the twenty items and on to the next student
        page.goto(index)
        page.click("a[href='theory/0001.html']")
        for number in ORDER:
            assert focused(page) == (stems[number], "theory_1.1.1_1") and unharmed(page)
            if number == "4015210001":
                assert page.locator("iframe[src$='.pdf#view=FitH']").count() == 1
                page.keyboard.type("1\n1\n0.5")  # three items scored, the rubric follows the focus
                page.screenshot(path=str(artefacts / "theory-reference.png"))
                page.keyboard.press("Shift+Enter")
                page.keyboard.press("Shift+Enter")
                assert focused(page) == (stems[number], "theory_1.1.1_1")
            for item in range(ITEMS):
                page.keyboard.type(THEORY_TYPED[number])
                if item == ITEMS - 1 and number != ORDER[-1]:
                    with page.expect_navigation():
                        page.keyboard.press("Enter")
                else:
                    page.keyboard.press("Enter")
        # progress survives leaving the pages, and the filter hides what is scored
        page.goto(index)
        assert [page.inner_text(f"[data-progress-col='{q}']") for q in QUESTIONS] == [
            "5 / 5"
        ] * len(QUESTIONS)
        assert page.inner_text(f"[data-progress-row='{stems['4015210003']}']") == "20 / 20"
        page.goto((out / "packet" / "questions" / f"{QUESTIONS[0]}.html").as_uri())
        page.keyboard.press("Escape")
        page.keyboard.press("u")
        assert page.locator("section.card:visible").count() == 0
        with page.expect_download() as download:
            page.click("button.download")
        downloaded = folder / "downloaded.csv"
        download.value.save_as(downloaded)
        assert download.value.suggested_filename == "manual_scores.csv"
        browser.close()
    # nothing left the machine, and the reference's PDF was fetched for its frame (this browser has no PDF viewer)
    assert [url for url in requested if not url.startswith(("file://", "blob:", "data:"))] == []
    assert any(url.startswith((out / "packet" / "pdfs").as_uri()) for url in requested)
    _, _, code = grade_class(folder, pdf, "--manual", str(downloaded))
    assert code == 1  # the zip without hafez.ipynb stays invalid
    shutil.copyfile(out / "final_grades.csv", artefacts / "final_grades.csv")
    with (out / "final_grades.csv").open(newline="", encoding="utf-8") as handle:
        rows = {row["student_number"]: row for row in csv.DictReader(handle)}
    for number in ORDER:
        n = ORDER.index(number)
        hafez = AUTOMATIC.get(number, {}).get("hafez", 0) + float(TYPED["hafez_q8_compare"][n])
        apple = AUTOMATIC.get(number, {}).get("apple_stock", 0) + sum(
            float(TYPED[q][n]) for q in QUESTIONS[1:]
        )
        theory = ITEMS * float(THEORY_TYPED[number])
        row = rows[number]
        assert (
            float(row["hafez_total"]),
            float(row["apple_stock_total"]),
            float(row["theory_total"]),
        ) == (hafez, apple, theory), number
        assert float(row["total"]) == hafez + apple + theory and row["missing"] == ""
    assert rows["4015210001"]["total"] == "79.5"  # 27 + 3, 24 + 5.5, 20
    feedback = (out / "feedback" / f"{stems['4015210003']}.md").read_text(encoding="utf-8")
    assert f"> {COMMENT}" in feedback
