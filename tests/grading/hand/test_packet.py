"""The grading packet of the synthetic class: one page per hand-graded question and per submission, offline,
student content inert, images and PDFs stored once each."""

import base64
import html
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import packet_fixtures as pf
import pytest
from packet_fixtures import grade_class
from PIL import Image

from hw3.common.images import ImageStore
from hw3.grading.auto.notebook import kept_figures
from hw3.grading.auto.runner import MAX_TEXT_CHARS, reported
from hw3.grading.cli import grade_main
from hw3.grading.hand.anonymous import anonymous_order
from hw3.grading.hand.packet import CSP
from hw3.submission.rules import zip_name

QUESTION_PAGES = [
    "hafez_q8_compare",
    "apple_stock_q7_plot",
    "apple_stock_q8_textbook",
    "apple_stock_q9_persistence",
]
PACKET_SCRIPTS = {"../sheet.js", "../packet.js", "sheet.js", "packet.js"}
RESOURCE_ATTRIBUTES = {("img", "src"), ("script", "src"), ("link", "href"), ("iframe", "src")}


class Page(HTMLParser):
    """The tags of a page: every (tag, attributes), and the text of its inline scripts."""

    def __init__(self, text: str):
        super().__init__()
        self.tags, self.inline_scripts, self.in_script = [], [], False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.in_script = tag == "script"

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.inline_scripts.append(data)

    def resources(self):
        return [
            (tag, attrs[name])
            for tag, attrs in self.tags
            for t, name in RESOURCE_ATTRIBUTES
            if tag == t and name in attrs
        ]


def pages(out: Path) -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in (out / "packet").rglob("*.html")}


def row_of(role: str, zips) -> str:
    """The data-row attribute of a submission's units, as the page writes it."""
    return f'data-row="{html.escape(Path(zips[role]).stem)}"'


def card(out: Path, question: str, role: str, zips) -> str:
    """The HTML of one student's card on a question page (found by its submission, not shown on it)."""
    text = (out / "packet" / "questions" / f"{question}.html").read_text(encoding="utf-8")
    cards = re.split(r'<section class="card unit"', text)[1:]
    return next(c for c in cards if row_of(role, zips) in c)


def theory_page(out: Path, role: str, zips) -> str:
    return next(
        text
        for path in (out / "packet" / "theory").glob("[0-9]*.html")
        if row_of(role, zips) in (text := path.read_text(encoding="utf-8"))
    )


def test_packet_has_a_page_per_question_and_per_submission_that_load_nothing_from_outside(
    graded_class,
):
    zips, out = graded_class
    packet = out / "packet"
    assert sorted(p.stem for p in (packet / "questions").iterdir()) == sorted(QUESTION_PAGES)
    assert len(list((packet / "theory").glob("[0-9]*.html"))) == len(zips)
    for path, text in pages(out).items():
        for tag, url in Page(text).resources():
            target = (path.parent / url.split("#")[0]).resolve()
            assert not re.match(r"^[a-z]+:", url) and target.is_file(), (path.name, tag, url)
            assert packet.resolve() in target.parents, (path.name, url)


def test_student_content_is_escaped_and_only_the_packets_scripts_run(graded_class):
    zips, out = graded_class
    for path, text in pages(out).items():
        page = Page(text)
        assert page.inline_scripts == [], path.name
        assert {attrs["src"] for tag, attrs in page.tags if tag == "script"} <= PACKET_SCRIPTS, (
            path.name
        )
        assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")], (
            path.name
        )
        assert not [
            a
            for tag, a in page.tags
            if tag == "a" and a.get("href", "").lower().startswith("javascript")
        ]
        assert f'content="{CSP}"' in text.replace("&#39;", "'"), path.name
    hostile = card(out, "apple_stock_q8_textbook", "hostile", zips)
    assert (
        "&lt;script&gt;window.PWNED = 1&lt;/script&gt;" in hostile
        and "[click me](javascript:" in hostile
    )
    assert (
        "198.51.100.7/track.png not shown" in hostile
        and "huge.png not shown: over 16 megapixels" in hostile
    )
    code = card(out, "apple_stock_q7_plot", "hostile", zips)
    assert "# &lt;/pre&gt;&lt;script&gt;window.PWNED = 4&lt;/script&gt;" in code
    assert "image/png: over 16 megapixels" in code
    svgs = [
        (out / "packet" / "questions" / url).resolve()
        for _, url in Page(hostile + code).resources()
        if url.endswith(".svg")
    ]
    assert svgs and all(
        "PWNED" not in svg.read_text() and "<rect" in svg.read_text() for svg in svgs
    )
    assert "<img src=x" not in (out / "packet" / "index.html").read_text()


def test_q7_shows_the_students_saved_plot_and_the_graded_runs_figure(graded_class):
    zips, out = graded_class
    reference = card(out, "apple_stock_q7_plot", "reference", zips)
    assert "drawn by the provided cell, as saved by the student" in reference
    assert reference.count("drawn when graded (HW3_GRADING budget)") == 1
    shown = [
        (out / "packet" / "questions" / url).resolve() for _, url in Page(reference).resources()
    ]
    pixels = {Image.open(path).convert("RGB").tobytes() for path in shown}
    expected = {
        Image.open(io.BytesIO(png)).convert("RGB").tobytes()
        for png in (pf.STUDENT_FIGURE, pf.GRADED_FIGURE)
    }
    assert pixels == expected
    assert "no figure from the graded run" in card(out, "apple_stock_q7_plot", "unchanged", zips)


def test_written_answers_render_with_persian_and_tables_and_unanswered_or_missing_ones_are_said(
    graded_class,
):
    zips, out = graded_class
    partial = card(out, "hafez_q8_compare", "partial", zips)
    assert pf.PERSIAN_PHRASE in partial and "<table>" in partial and 'dir="auto"' in partial
    assert 'href="https://example.org/notes" rel="noopener noreferrer nofollow"' in card(
        out, "apple_stock_q8_textbook", "partial", zips
    )
    assert "unanswered: the answer cells are as released" in card(
        out, "hafez_q8_compare", "unchanged", zips
    )
    assert "hafez.ipynb is not in the zip" in card(out, "hafez_q8_compare", "apple_only", zips)
    assert (
        "Reference answer" in (out / "packet" / "questions" / "hafez_q8_compare.html").read_text()
    )


def test_a_pdf_is_embedded_once_and_a_file_that_is_not_a_pdf_never(graded_class):
    zips, out = graded_class
    hostile = theory_page(out, "hostile", zips)
    assert (
        '<iframe src="../pdfs' not in hostile
        and "is not a PDF" in hostile
        and "never opened in the browser" in hostile
    )
    assert "HW3__Solution.pdf is not in the zip" in theory_page(out, "apple_only", zips)
    reference = theory_page(out, "reference", zips)
    url = re.search(
        r'<iframe src="(\.\./pdfs/[0-9a-f]+\.pdf)#view=FitH" loading="lazy"', reference
    ).group(1)
    assert (out / "packet" / "theory" / url).read_bytes().startswith(b"%PDF")
    assert (
        len(list((out / "packet" / "pdfs").iterdir())) == 3
    )  # reference, unchanged and partial each differ


def test_identical_submissions_share_their_images_and_pdf(tmp_path):
    files = pf.members(pf.reference_notebooks(), pf.one_page_pdf("same answers"))
    for number in range(3):
        pf.fx.write_zip(tmp_path / "subs" / zip_name(f"401521000{number}", "Copy"), files)
    with pytest.MonkeyPatch.context() as patch:
        from hw3.grading.auto import notebook
        from hw3.grading.cli import grade_main

        patch.setattr(notebook, "run_harness", pf.fake_harness())
        assert (
            grade_main(
                [
                    str(tmp_path / "subs"),
                    "--out",
                    str(tmp_path / "out"),
                    "--release",
                    str(pf.REPO),
                    "--no-sandbox",
                    "--jobs",
                    "1",
                ]
            )
            == 0
        )
    packet = tmp_path / "out" / "packet"
    assert len(list((packet / "pdfs").iterdir())) == 1
    # the student's plot, the graded run's plot, the rubric's LSTM diagram
    assert sorted(p.suffix for p in (packet / "images").iterdir()) == [".png", ".png", ".svg"]


def test_rebuilding_keeps_the_packets_id_and_a_foreign_packet_folder_is_refused_before_grading(
    tmp_path, capsys
):
    zips, out, _ = grade_class(tmp_path / "one", pf.one_page_pdf("x"))
    first = (out / "packet" / "sheet.js").read_text()
    _, _, code = grade_class(tmp_path / "one", pf.one_page_pdf("x"))
    assert code == 1 and (out / "packet" / "sheet.js").read_text() == first
    identity = json.loads(first.split("=", 1)[1].rstrip(";\n"))["id"]
    assert re.fullmatch(r"[0-9a-f]{32}", identity)
    foreign = tmp_path / "two" / "out" / "packet"
    foreign.mkdir(parents=True)
    (foreign / "notes.txt").write_text("mine")
    capsys.readouterr()
    _, _, code = grade_class(tmp_path / "two", pf.one_page_pdf("x"))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "was not made by hw3" in err[0]
    assert (
        not (tmp_path / "two" / "out" / "gradebook.csv").exists()
        and (foreign / "notes.txt").exists()
    )


def test_only_real_capped_figures_reported_by_the_sandbox_are_kept(tmp_path):
    good = base64.b64encode(pf.GRADED_FIGURE).decode()
    wanted = [(0, 4), (0, 5), (1, 9)]
    outputs = {
        "4": [{"mime": "text/html", "data": "<script>"}, {"mime": "image/png", "data": "!!"}],
        "5": [{"mime": "image/png", "data": good}, "junk"],
        "9": [{"mime": "image/png"}],
    }
    store = ImageStore(tmp_path)
    figures = kept_figures(store, outputs, wanted, 2)
    assert figures[1] == [] and len(figures[0]) == 1 and (tmp_path / figures[0][0]).is_file()
    assert kept_figures(store, {"4": "lots"}, wanted, 2) == [[], []]
    assert kept_figures(store, {}, wanted, 2) == [[], []]


def test_the_runner_reports_the_outputs_of_a_cell_within_its_caps():
    cell = nbformat.v4.new_code_cell(
        "plot_forecast(x)",
        outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="RMSE 2.5\n" * 1000),
            *(
                nbformat.v4.new_output("display_data", data={"image/png": "A" * size})
                for size in (10, 10**8, 20)
            ),
            nbformat.v4.new_output(
                "display_data", data={"text/html": "<b>x</b>", "text/plain": "<Figure>"}
            ),
        ],
    )
    kept = reported(cell)
    assert kept[0] == {"text": ("RMSE 2.5\n" * 1000)[:MAX_TEXT_CHARS]}
    assert [len(o["data"]) for o in kept if "mime" in o] == [10, 20]  # the huge image is dropped
    assert kept[-1] == {"text": "<Figure>"}


def test_pages_show_pseudonyms_in_a_keyed_order_and_names_only_live_in_sheet_js(graded_class):
    zips, out = graded_class
    sheet = json.loads((out / "packet" / "sheet.js").read_text().split("=", 1)[1].rstrip(";\n"))
    names = {r["submission"]: r["pseudonym"] for r in sheet["rows"]}
    assert len(set(names.values())) == len(names) and all(
        re.fullmatch(r"Student [A-Z2-9]{4}", n) for n in names.values()
    )
    for path, text in pages(out).items():
        for identity in ("4015210001", "4015210003", "Partial", "AppleOnly"):
            shown = re.sub(r'data-[a-z-]+="[^"]*"', "", text)  # attributes, for the script
            assert identity not in shown, (path.name, identity)
    page = (out / "packet" / "questions" / "hafez_q8_compare.html").read_text()
    order = re.findall(r'<section class="card unit"[^>]*data-row="([^"]*)"', page)
    assert [html.unescape(s) for s in order] == anonymous_order(sheet["id"], list(names))
    for submission, pseudonym in names.items():
        assert f'data-who="{html.escape(submission)}">{pseudonym}</span>' in page


def test_evidence_shows_the_cells_outputs_from_both_runs_and_the_related_automatic_scores(
    graded_class,
):
    zips, out = graded_class
    reference = card(out, "apple_stock_q9_persistence", "reference", zips)
    assert "cell 25 <code># Just run this cell: the test period in dollars.</code>" in reference
    assert "saved by the student" in reference and html.escape(pf.GRADED_TEXT.strip()) in reference
    assert '<span class="auto">q6_evaluate 5 / 5</span>' in reference
    unchanged = card(out, "apple_stock_q9_persistence", "unchanged", zips)
    assert '<span class="auto">q6_evaluate 0 / 5</span>' in unchanged
    missing = card(out, "hafez_q8_compare", "apple_only", zips)
    assert '<span class="auto">q6_perplexity not graded / 5</span>' in missing


def test_each_card_carries_its_answers_hash_and_the_rubrics_items(graded_class):
    zips, out = graded_class
    partial, unchanged = (card(out, "hafez_q8_compare", r, zips) for r in ("partial", "unchanged"))
    hashes = [re.search(r'data-hash="([0-9a-f]{12})"', c).group(1) for c in (partial, unchanged)]
    assert hashes[0] != hashes[1]
    assert [i for i in re.findall(r'data-item="([a-z_]+)"', partial)] == [
        "perplexities",
        "parameters",
        "winner",
        "gradient_paths",
    ]


def test_tex_in_answers_and_reference_answers_is_mathml_and_dollars_as_money_stay_text(
    graded_class,
):
    _, out = graded_class
    page = (out / "packet" / "questions" / "hafez_q8_compare.html").read_text()
    assert '<math display="inline" xmlns="http://www.w3.org/1998/Math/MathML">' in page
    assert "$H(E+H)+2H$" not in page
    textbook = (out / "packet" / "questions" / "apple_stock_q8_textbook.html").read_text()
    assert "the training period's $14–$92" in textbook


def test_the_index_names_the_real_output_folder_and_the_packet_folder_is_refused_as_out(
    graded_class, capsys
):
    zips, out = graded_class
    index = (out / "packet" / "index.html").read_text()
    assert f"--out {out} --manual manual_scores.csv" in index and "this folder" not in index
    before = sorted(p for p in (out / "packet").rglob("*"))
    capsys.readouterr()
    code = grade_main(
        [str(Path(zips["reference"]).parent), "--out", str(out / "packet"), "--no-sandbox"]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and f"pass --out {out} (the folder that holds" in err[0]
    assert sorted(p for p in (out / "packet").rglob("*")) == before


def test_rubric_texts_with_tex_show_as_mathml_beside_the_theory_pages(tmp_path):
    course = pf.course_with_theory_rubric(tmp_path / "course")
    _, out, _ = grade_class(tmp_path, pf.one_page_pdf("x"), "--course", str(course))
    rubric = (out / "packet" / "theory" / "rubric.html").read_text(encoding="utf-8")
    assert rubric.count('<ol class="rubric-list">') == len(pf.load_course(course).theory)
    item = rubric.split('id="item-1-2-2-3"')[1].split("</ol>")[0]
    assert 'Definition is right (<span class="math inline"><math' in item and "$p" not in item
    theory = (out / "packet" / "theory" / "0001.html").read_text(encoding="utf-8")
    assert theory.count('class="rubric-item" data-item="definition"') == len(
        pf.load_course(course).theory
    )
