"""The grading packet in headless Chromium: a TA grades the synthetic class with rubric keys, downloads
manual_scores.csv, and `hw3 grade --manual` turns it into the final grades; and one test per defect
issue 27 found in the packet (each reproduced first, then fixed).

The packet is opened from file:// (no server, no network) in Debian's chromium-headless-shell, driven
by Playwright's Python client (the system browser, never a downloaded one). The class is graded with
the course settings copied beside this package's fixture theory rubric (`packet_fixtures`), so no test
depends on the committed theory rubric. Screenshots of a question page (a rubric applied, anonymous,
the evidence panel), a theory page and the final gradebook are left in the artefacts folder.
"""

import csv
import json
import shutil
from pathlib import Path

import packet_fixtures as pf
import pytest
from packet_fixtures import NUMBER_CASES

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # needs_tool below says what to install
    sync_playwright = None
from support import needs_tool

from hw3.common.pdfwrite import one_page_pdf

BROWSER = shutil.which("chromium-headless-shell")
VIEWPORT = {"width": 1400, "height": 900}
SHORT_VIEWPORT = {"width": 1400, "height": 500}  # a laptop with the browser's bars
QUESTIONS = [
    "hafez_q8_compare",
    "apple_stock_q7_plot",
    "apple_stock_q8_textbook",
    "apple_stock_q9_persistence",
]
# the keys a TA presses on each card, per student number (rubric items by number, 0: none applies)
KEYS = {
    "hafez_q8_compare": {"4015210001": "1234", "4015210003": "13"},
    "apple_stock_q7_plot": {"4015210001": "123", "4015210003": "2"},
    "apple_stock_q8_textbook": {"4015210001": "123", "4015210003": "1"},
    "apple_stock_q9_persistence": {"4015210001": "124", "4015210003": "0"},
}
EARNED = {  # what those keys give, from the committed notebook rubrics
    "hafez_q8_compare": {"4015210001": 3, "4015210003": 1},
    "apple_stock_q7_plot": {"4015210001": 2, "4015210003": 0.75},
    "apple_stock_q8_textbook": {"4015210001": 2, "4015210003": 1},
    "apple_stock_q9_persistence": {"4015210001": 1.5, "4015210003": 0},
}
THEORY_KEYS = {"4015210001": "12", "4015210003": "1"}  # fixture theory rubric: two halves per item
THEORY_EARNED = {"4015210001": 1.0, "4015210003": 0.5}
ITEMS = 20
NUMBERS = ["4015210001", "4015210002", "4015210003", "4015210004", "4015210009"]
COMMENT = "Numbers quoted, but the gradient argument is missing."
AUTOMATIC = {
    "4015210001": {"hafez": 27, "apple_stock": 24},
    "4015210003": {"hafez": 9, "apple_stock": 3},
}


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=BROWSER, args=["--no-sandbox", "--disable-gpu"]
    )


def need_browser():
    needs_tool(
        BROWSER is not None,
        "no chromium-headless-shell here (apt-get install chromium-headless-shell)",
    )
    needs_tool(
        sync_playwright is not None,
        "no playwright package: pip install playwright (it drives the system browser)",
    )


def unharmed(page) -> bool:
    """Whether no student payload ran on the page (each one sets window.PWNED)."""
    return page.evaluate("window.PWNED === undefined")


def focused(page) -> tuple[str, str]:
    """(submission, column) of the focused unit (or of the unit holding the focus)."""
    page.wait_for_function("document.activeElement && document.activeElement.closest('.unit')")
    return tuple(
        page.evaluate(
            "(() => { const u = document.activeElement.closest('.unit'); "
            "return [u.dataset.row, u.dataset.col]; })()"
        )
    )


def unit(submission: str, column: str) -> str:
    return f".unit[data-row={json.dumps(submission)}][data-col={json.dumps(column)}]"


def number_of(submission: str) -> str:
    return next(n for n in NUMBERS if n in submission)


def card_order(page) -> list[str]:
    return page.eval_on_selector_all(".card.unit", "els => els.map(e => e.dataset.row)")


def graded(folder: Path, pdf: bytes, *extra: str, keep: bool = False):
    """The class graded with the copied course and fixture theory rubric: (zips, out, code, course)."""
    course = folder / "course" / "course.toml"
    if not course.is_file():
        pf.course_with_theory_rubric(course.parent)
    zips, out, code = pf.grade_class(folder, pdf, "--course", str(course), *extra, keep=keep)
    return zips, out, code, course


@pytest.fixture(scope="module")
def persian_class(tmp_path_factory):
    needs_tool(
        shutil.which("xelatex") is not None,
        "xelatex not found: apt-get install texlive-xetex texlive-lang-arabic",
    )
    folder = tmp_path_factory.mktemp("browser")
    pdf = pf.persian_pdf(folder / "tex")
    zips, out, _, course = graded(folder, pdf)
    return folder, zips, out, pdf


@pytest.fixture
def plain_class(tmp_path):
    """A fresh class with one-page PDFs: (folder, zips, out)."""
    zips, out, _, _ = graded(tmp_path, one_page_pdf("Theory answers of the reference"))
    return tmp_path, zips, out


@pytest.fixture
def browser():
    need_browser()
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def test_a_ta_grades_the_class_with_rubric_keys_in_chromium_and_the_download_merges(
    persian_class, artefacts
):
    need_browser()
    folder, zips, out, pdf = persian_class
    index = (out / "packet" / "index.html").as_uri()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        page = context.new_page()
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(index)
        page.click(f"a[href='questions/{QUESTIONS[0]}.html']")
        # every question page: rubric keys then Enter, card after card; Enter on the last goes on
        for question in QUESTIONS:
            assert page.url.endswith(f"questions/{question}.html") and unharmed(page)
            order = card_order(page)
            assert sorted(number_of(s) for s in order) == NUMBERS
            for n, submission in enumerate(order):
                assert focused(page) == (submission, question)
                page.keyboard.type(KEYS[question].get(number_of(submission), "0"))
                if (
                    question == "apple_stock_q9_persistence"
                    and number_of(submission) == "4015210001"
                ):
                    page.locator(unit(submission, question)).screenshot(
                        path=str(artefacts / "question-card-rubric-evidence.png")
                    )
                    page.screenshot(path=str(artefacts / "question-apple_stock_q9_persistence.png"))
                if n == len(order) - 1 and question != QUESTIONS[-1]:
                    with page.expect_navigation():
                        page.keyboard.press("Enter")
                else:
                    page.keyboard.press("Enter")
        partial = next(s for s in order if number_of(s) == "4015210003")
        page.fill(unit(partial, QUESTIONS[-1]) + " textarea[data-field=comment]", COMMENT)
        # an adjustment past the points blocks the download and says where
        page.fill(unit(partial, QUESTIONS[-1]) + " input[data-field=adjust]", "7")
        page.click("button.download")
        assert "out of range" in page.inner_text("#message") and not page.is_hidden("#message")
        page.fill(unit(partial, QUESTIONS[-1]) + " input[data-field=adjust]", "0")
        # theory: the first submission's page, keys and Enter through the twenty items, then the next
        page.goto(index)
        page.click("a[href='theory/0001.html']")
        for n in range(len(NUMBERS)):
            submission, column = focused(page)
            assert column == "theory_1.1.1_1" and unharmed(page)
            keys = THEORY_KEYS.get(number_of(submission), "0")
            if n == 0:
                assert page.locator("iframe[src$='.pdf#view=FitH']").count() in (0, 1)
            for item in range(ITEMS):
                page.keyboard.type(keys)
                if n == 1 and item == 2:
                    page.screenshot(path=str(artefacts / "theory-page.png"))
                if item == ITEMS - 1 and n != len(NUMBERS) - 1:
                    with page.expect_navigation():
                        page.keyboard.press("Enter")
                else:
                    page.keyboard.press("Enter")
        # progress survives leaving the pages, and the filter hides what is scored
        page.goto(index)
        assert [page.inner_text(f"[data-progress-col='{q}']") for q in QUESTIONS] == [
            "5 / 5"
        ] * len(QUESTIONS)
        page.goto((out / "packet" / "questions" / f"{QUESTIONS[0]}.html").as_uri())
        page.keyboard.press("u")
        assert page.locator("section.card:visible").count() <= 1  # the one holding the focus
        with page.expect_download() as download:
            page.click("button.download")
        downloaded = folder / "downloaded.csv"
        download.value.save_as(downloaded)
        assert download.value.suggested_filename == "manual_scores.csv"
        browser.close()
    # nothing left the machine
    assert [url for url in requested if not url.startswith(("file://", "blob:", "data:"))] == []
    _, _, code, _ = graded(folder, pdf, "--manual", str(downloaded))
    assert code == 1  # the zip without hafez.ipynb stays invalid
    shutil.copyfile(out / "final_grades.csv", artefacts / "final_grades.csv")
    with (out / "final_grades.csv").open(newline="", encoding="utf-8") as handle:
        rows = {row["student_number"]: row for row in csv.DictReader(handle)}
    for number in NUMBERS:
        hafez = AUTOMATIC.get(number, {}).get("hafez", 0) + EARNED[QUESTIONS[0]].get(number, 0)
        apple = AUTOMATIC.get(number, {}).get("apple_stock", 0) + sum(
            EARNED[q].get(number, 0) for q in QUESTIONS[1:]
        )
        theory = ITEMS * THEORY_EARNED.get(number, 0)
        row = rows[number]
        got = (
            float(row["hafez_total"]),
            float(row["apple_stock_total"]),
            float(row["theory_total"]),
        )
        assert got == (hafez, apple, theory), number
        assert float(row["total"]) == hafez + apple + theory and row["missing"] == ""
    assert rows["4015210001"]["total"] == "79.5"  # 27 + 3, 24 + 5.5, 20
    feedback = next((out / "feedback").glob("*4015210003*.md")).read_text(encoding="utf-8")
    assert f"> {COMMENT}" in feedback and "- Reports the three validation perplexities" in feedback


def open_question(page, out: Path, question: str = QUESTIONS[0]):
    page.goto((out / "packet" / "questions" / f"{question}.html").as_uri())
    focused(page)


def test_j_after_esc_moves_to_the_next_card_and_never_types_into_a_box(plain_class, browser):
    _, _, out = plain_class
    page = browser.new_page(viewport=VIEWPORT)
    open_question(page, out)
    order = card_order(page)
    for _ in range(3):  # score three cards in the comment-free way: a rubric key, then Enter
        page.keyboard.press("1")
        page.keyboard.press("Enter")
    page.keyboard.press("a")  # into the fourth card's adjustment box, then out again
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    assert focused(page) == (order[4], QUESTIONS[0])
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert focused(page) == (order[2], QUESTIONS[0])
    values = page.eval_on_selector_all("input[data-field=adjust]", "els => els.map(e => e.value)")
    assert values == [""] * len(order)  # no "j" or "k" typed anywhere
    page.evaluate(
        "document.activeElement.blur()"
    )  # nothing focused: j starts from the last card used
    page.keyboard.press("j")
    assert focused(page) == (order[3], QUESTIONS[0])


def test_the_browser_reads_numbers_exactly_as_the_scores_file_does(plain_class, browser):
    _, _, out = plain_class
    page = browser.new_page(viewport=VIEWPORT)
    open_question(page, out)
    got = page.evaluate("cases => cases.map(t => window.HW3.number(t).value)", list(NUMBER_CASES))
    assert dict(zip(NUMBER_CASES, got)) == NUMBER_CASES
    first = card_order(page)[0]
    box = unit(first, QUESTIONS[0]) + " input[data-field=adjust]"
    page.fill(box, "-1")
    assert "out of range" in page.get_attribute(box, "title")  # a number, not "not a number"
    page.fill(box, "۰٫۵")
    assert page.inner_text(unit(first, QUESTIONS[0]) + " output.total") == "0.5 / 3"


def test_clicking_a_box_that_holds_a_value_selects_it_so_typing_replaces_it(plain_class, browser):
    _, _, out = plain_class
    page = browser.new_page(viewport=VIEWPORT)
    open_question(page, out)
    first = card_order(page)[0]
    box = unit(first, QUESTIONS[0]) + " input[data-field=adjust]"
    page.click(box)
    page.keyboard.type("0.5")
    page.click(box)  # the box still has the focus: the click used to place the caret (0.51)
    page.keyboard.type("1")
    assert page.input_value(box) == "1"
    page.click(unit(first, QUESTIONS[0]) + " h2")
    page.click(box)
    page.keyboard.type("0.25")
    assert page.input_value(box) == "0.25"


def test_the_page_opens_with_the_first_cards_header_in_view(plain_class, browser):
    _, _, out = plain_class
    page = browser.new_page(viewport=SHORT_VIEWPORT)  # q7's first card is taller than the window
    for question in QUESTIONS:
        open_question(page, out, question)
        page.wait_for_timeout(200)
        bar = page.evaluate("document.querySelector('header.bar').getBoundingClientRect().bottom")
        header = page.evaluate("document.querySelector('.card h2').getBoundingClientRect().top")
        assert header >= bar, question
        for _ in card_order(page)[1:]:  # and so does every card the keys move to, tall or not
            page.keyboard.press("j")
            top = page.evaluate(
                "document.activeElement.closest('.card').querySelector('h2').getBoundingClientRect().top"
            )
            assert top >= bar, question


def test_a_resubmitted_answer_shows_changed_since_scored_and_counts_as_unscored(
    plain_class, browser
):
    folder, zips, out = plain_class
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    open_question(page, out)
    partial = Path(zips["partial"]).stem
    page.click(unit(partial, QUESTIONS[0]) + " button[data-item=winner]")
    assert page.inner_text(f"[data-progress-col='{QUESTIONS[0]}']") == "1 / 5"
    nbs = {  # the student resubmits the same zip name with another q8 answer
        "hafez": pf.with_answers(pf.read("autograder", "hafez"), "hafez", texts={0: "Changed."}),
        "apple_stock": pf.read("student", "apple_stock"),
    }
    pf.fx.write_zip(zips["partial"], pf.members(nbs, one_page_pdf("Partial answers")))
    graded(folder, b"", keep=True)
    open_question(page, out)
    card = page.locator(unit(partial, QUESTIONS[0]))
    assert "stale" in card.get_attribute("class") and "scored" not in card.get_attribute("class")
    assert card.locator(".stale").is_visible() and "changed since scored" in card.inner_text()
    assert (
        page.inner_text(f"[data-progress-col='{QUESTIONS[0]}']") == "0 / 5 (1 changed since scored)"
    )
    page.check("#unscored")
    assert card.is_visible()
    card.locator("button[data-action=keep]").click()  # the TA checked it: the marks stand
    assert "scored" in card.get_attribute("class")
    assert page.inner_text(f"[data-progress-col='{QUESTIONS[0]}']") == "1 / 5"


def test_cards_show_pseudonyms_until_the_switch_shows_names_on_every_page(plain_class, browser):
    _, zips, out = plain_class
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    open_question(page, out)
    who = page.eval_on_selector_all(".card .who", "els => els.map(e => e.textContent)")
    assert all(w.startswith("Student ") for w in who) and not any("Reference" in w for w in who)
    page.check("#show-names")
    other = context.new_page()
    other.goto((out / "packet" / "index.html").as_uri())
    names = other.eval_on_selector_all("[data-who]", "els => els.map(e => e.textContent)")
    assert any("4015210001 · Reference" in n for n in names)
    other.uncheck("#show-names")
    page.reload()
    who = page.eval_on_selector_all(".card .who", "els => els.map(e => e.textContent)")
    assert all(w.startswith("Student ") and "·" not in w for w in who)


def test_a_csv_loaded_into_the_packet_fills_blanks_and_keeps_what_differs(plain_class, browser):
    folder, zips, out = plain_class
    reference, partial = (Path(zips[r]).stem for r in ("reference", "partial"))
    records = list(csv.reader((out / "manual_scores.csv").open(encoding="utf-8")))
    header = records[0]
    for record in records[1:]:
        if record[0] in (reference, partial):
            record[header.index("hafez_q8_compare_rubric")] = "perplexities gradient_paths"
            record[header.index("hafez_q8_compare_comment")] = "from the other TA"
    other = folder / "other_ta.csv"
    with other.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(records)
    page = browser.new_page(viewport=VIEWPORT)
    open_question(page, out)
    page.click(unit(partial, QUESTIONS[0]) + " button[data-item=winner]")  # this TA's own mark
    page.goto((out / "packet" / "index.html").as_uri())
    page.set_input_files("#load", str(other))
    page.wait_for_function("!document.getElementById('message').hidden")
    message = page.inner_text("#message")
    assert "loaded 1 mark(s)" in message and "1 cell(s) already held a different mark" in message
    open_question(page, out)
    assert page.inner_text(unit(reference, QUESTIONS[0]) + " output.total") == "2 / 3"
    assert page.inner_text(unit(partial, QUESTIONS[0]) + " output.total") == "0.5 / 3"
