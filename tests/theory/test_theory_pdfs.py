"""The theory PDFs, built for real and read back: the students' template compiles with XeLaTeX in both of
its modes and numbers the items like the handout, a filled copy shows Persian in reading order beside
English with figures and a box that runs over a page, and `hw3 solutions-pdf` is a solution-day document:
A4, the handout's title block, each question above its answer and its rubric under it, no internal
paths or commands, no line in the margin, and the LSTM diagram as vector graphics in the document's fonts.

Reading back: `pdftotext` keeps the reading order of right-to-left lines, so a Persian sentence that was
typeset left to right by mistake comes back with its words reversed and is not found.
"""

import re
import shutil
import subprocess
import time
import unicodedata

import pytest
from support import REPOSITORY, needs_tool
from theory.handout import ITEMS as HANDOUT_ITEMS

from hw3 import cli
from hw3.theory.diagram import save_lstm_diagram
from hw3.theory.handout import HANDOUT_NAME, read_handout
from hw3.theory.rubric import RUBRIC_NAME, read_rubric
from hw3.theory.solutions_pdf import ANSWERS_NAME, OVERFULL, OVERFULL_LIMIT_PT, build
from hw3.theory.template import TEMPLATE_NAME
from hw3.theory.texlive import TEX_PACKAGES, apt_install

pytestmark = pytest.mark.slow  # XeLaTeX and pandoc builds (seconds each)

TEMPLATE = REPOSITORY.theory / TEMPLATE_NAME
ITEMS = [f"{group} ({n})" for group, n in HANDOUT_ITEMS]  # as the PDFs print them
PDF_TOOLS = ("xelatex", "pdftotext", "pdfinfo", "pdftoppm", "pdfimages", "pdffonts")
TEX_FILES = (
    "xepersian.sty",
    "Amiri-Regular.ttf",
)  # texlive-lang-arabic (Amiri via fonts-hosny-amiri)
INSTALL = apt_install(*TEX_PACKAGES, "pandoc", "poppler-utils")
XELATEX_TIMEOUT_S = 180
PNG_DPI = 80
EMPTY_TEMPLATE_PAGES = 8  # twenty prompts, each with an empty 4 cm box that never leaves its prompt
ENGLISH_ONLY = ("\n\\persiantrue\n", "\n\\persianfalse\n")  # the switch at the top of the template
LATEX_LABEL = re.compile(r"\\newlabel\{q:(\d\.\d\.\d)-(\d)\}\{\{([^}]*)\}")
# A heading: a line that starts with an item number and a capital (the answer's title) or nothing else
# (the template's prompt comes on the next line); text that happens to start a line with a
# cross-reference ("1.1.4 (1) writes ...") goes on in lower case.
HEADING = re.compile(r"^(\d\.\d\.\d \(\d\))(?: [A-Z]|$)", re.MULTILINE)
PLACEHOLDER = "Your drawing of the LSTM cell"  # the empty slot of 1.1.2 (1)
BIDI_CONTROLS = dict.fromkeys(
    range(0x202A, 0x202F)
)  # LRE, RLE, PDF, LRO, RLO, as pdftotext adds them
ARABIC_LETTERS = {
    "\u064a": "\u06cc",
    "\u0643": "\u06a9",
}  # NFKC gives Arabic yeh and kaf, Persian text has ی and ک
ZWNJ = "\u200c"  # pdftotext drops the zero-width non-joiner

# A filled template: one Persian and one English answer on page 1, a figure inside a box, the student's
# own LSTM drawing, and an answer long enough to continue on the next page.
PERSIAN_SENTENCE = (
    "گرادیان در شبکه بازگشتی در هر گام در یک ماتریس ضرب می‌شود"  # one line, no punctuation
)
PERSIAN_ANSWER = (
    PERSIAN_SENTENCE + ".\n\n"
    "این ژاکوبین $\\operatorname{diag}(\\phi') W_{hh}$ است. اگر این ضرب‌ها بردار را کوچک کنند گرادیان به "
    "صورت نمایی محو می‌شود و اگر بزرگ کنند منفجر می‌شود. عمق شبکه بازشده برابر طول دنباله است. سلول "
    "\\lr{LSTM} با مسیر جمعی این مشکل را کم می‌کند."
)
ENGLISH_ANSWER = (
    "\\begin{latin}\nEach factor is $\\partial h(k)/\\partial h(k-1) = \\operatorname{diag}(\\tanh'(a(k)))\\,W_{hh}$, "
    "so the norm of the product is at most $\\sigma_{\\max}(W_{hh})^{T-t}$ and vanishes exponentially when the "
    "largest singular value is below one.\n\\end{latin}"
)
ENGLISH_SENTENCE = "so the norm of the product is at most"
FIGURE_CAPTION = "The cell again, inside an answer"
FIGURE_ANSWER = (
    "\\begin{figure}[htbp]\n\\centering\\includegraphics[width=0.3\\linewidth]{figure.png}\n"
    f"\\caption{{\\lr{{{FIGURE_CAPTION}}}}}\n\\end{{figure}}"
)
LONG_FIRST, LONG_LAST = "First sentence of the long answer.", "Last sentence of the long answer."
LONG_SENTENCES = 120  # about 70 lines of text: more than one page holds
LONG_ANSWER = (
    "\\begin{latin}\n"
    + LONG_FIRST
    + " BPTT unrolls the network and backpropagates through it." * LONG_SENTENCES
    + "\n"
    + LONG_LAST
    + "\n\\end{latin}"
)
FILLED = {
    "1.1.1-1": PERSIAN_ANSWER,
    "1.1.1-2": ENGLISH_ANSWER,
    "1.1.2-2": FIGURE_ANSWER,
    "1.1.4-1": LONG_ANSWER,
}
IMAGES_IN_FILLED = 2  # lstm.png in the 1.1.2 (1) slot, figure.png in the 1.1.2 (2) box

SOLUTIONS_PERSIAN_SENTENCE = "صبحانه نان و شیر خوردم"  # quoted in 1.2.3 (2)
SOLUTIONS_LAST_WORDS = "high-rank RNN language model"  # the end of the reference list
A4_POINTS = (595.28, 841.89)  # pdfinfo's page size, rounded to 0.01 pt
QUESTION_WORDS = 12  # the first words of each handout question, found after its heading in the PDF
GRADED_LINE = "How it is graded"
# What means nothing to a student on solution day: the repository's paths, test names, hw3 commands.
INTERNAL = re.compile(r"\bhw3 [a-z]|tests/|reference/|tools/|\.py\b|pytest|test_[a-z]")
DIAGRAM_TEXT = ("LSTM cell", "tanh")  # set as text by the PDF's fonts, so pdftotext finds them
DOCUMENT_FONTS = re.compile(
    r"^[A-Z]{6}\+(LMRoman|LMMono|LMSans|LatinModernMath|Amiri)"
)  # subset prefix


def normalised(text: str) -> str:
    """pdftotext output and source text made comparable: letters, not presentation forms, one space."""
    text = unicodedata.normalize("NFKC", text).translate(BIDI_CONTROLS)
    for arabic, persian in ARABIC_LETTERS.items():
        text = text.replace(arabic, persian)
    return " ".join(text.replace(ZWNJ, "").split())


def pages_text(pdf) -> list[str]:
    """The normalised text of each page, in reading order."""
    done = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return [normalised(page) for page in done.stdout.split("\f")[:-1]]


def headings(pdf) -> list[str]:
    """The item numbers that head a line, in page order. In the order the PDF draws its text (-raw): a
    long run-in heading next to a right-to-left answer can come out of pdftotext's layout mode
    mid-line."""
    done = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return HEADING.findall(done.stdout.replace("\f", "\n"))


def page_count(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def image_count(pdf) -> int:
    """Images placed in the PDF (their transparency masks, listed as "smask", not counted)."""
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    )
    return sum(
        line.split()[2] == "image" for line in listing.stdout.splitlines()[2:]
    )  # after two header lines


def first_page_png(pdf):
    """Render page 1 for a reviewer; returns the PNG's path."""
    stem = pdf.with_name(f"{pdf.stem}-page1")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(PNG_DPI),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
        capture_output=True,
    )
    png = stem.with_suffix(".png")
    assert png.read_bytes().startswith(b"\x89PNG")
    return png


def require_tex():
    missing = [tool for tool in PDF_TOOLS if shutil.which(tool) is None]
    if shutil.which("kpsewhich"):
        missing += [
            name
            for name in TEX_FILES
            if not subprocess.run(
                ["kpsewhich", name], capture_output=True, text=True
            ).stdout.strip()
        ]
    needs_tool(not missing, f"{', '.join(missing)} not found: {INSTALL}")


def xelatex(folder):
    """One XeLaTeX run on the template in `folder`: (completed process, seconds)."""
    start = time.perf_counter()
    done = subprocess.run(
        ["xelatex", "-interaction=nonstopmode", "-halt-on-error", TEMPLATE_NAME],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=XELATEX_TIMEOUT_S,
    )
    return done, time.perf_counter() - start


def fill(template: str, item: str, answer: str) -> str:
    """The template with `answer` in place of the empty space of item `item` ("1.1.1-1")."""
    box = re.compile(
        r"(\\question\{" + re.escape(item) + r"\}.*?\\begin\{answer\}.*?)\\answerspace", re.DOTALL
    )
    filled, count = box.subn(lambda match: match.group(1) + answer, template, count=1)
    assert count == 1, f"no empty answer box for {item}"
    return filled


@pytest.mark.parametrize("english_only", [False, True], ids=["persian", "english-only"])
def test_empty_template_compiles_with_xelatex_and_numbers_items_like_the_handout(
    tmp_path, report_pdf, english_only
):
    require_tex()
    text = TEMPLATE.read_text(encoding="utf-8")
    if english_only:
        assert text.count(ENGLISH_ONLY[0]) == 1, "the template has no \\persiantrue switch"
        text = text.replace(*ENGLISH_ONLY)
    (tmp_path / TEMPLATE_NAME).write_text(text, encoding="utf-8")
    done, seconds = xelatex(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    pdf = tmp_path / "HW3__Solution.pdf"
    labels = LATEX_LABEL.findall((tmp_path / "HW3__Solution.aux").read_text(encoding="utf-8"))
    assert [f"{group} ({n})" for group, n, _ in labels] == ITEMS
    assert all(number == f"{group}\\ ({n})" for group, n, number in labels)
    assert headings(pdf) == ITEMS
    assert PLACEHOLDER in " ".join(pages_text(pdf)), (
        "1.1.2 (1) has no empty slot for the student's drawing"
    )
    pages = page_count(pdf)
    assert pages == EMPTY_TEMPLATE_PAGES
    report_pdf(
        f"template-{'english' if english_only else 'persian'}-empty",
        pdf,
        first_page_png(pdf),
        pages,
        seconds,
    )


def test_filled_template_shows_persian_in_reading_order_beside_english_figures_and_long_answers(
    tmp_path, report_pdf
):
    require_tex()
    text = TEMPLATE.read_text(encoding="utf-8")
    for item, answer in FILLED.items():
        text = fill(text, item, answer)
    (tmp_path / TEMPLATE_NAME).write_text(text, encoding="utf-8")
    save_lstm_diagram(tmp_path / "lstm.png")  # stands in for the student's own drawing
    save_lstm_diagram(tmp_path / "figure.png")
    done, seconds = xelatex(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    pdf = tmp_path / "HW3__Solution.pdf"
    pages = pages_text(pdf)
    assert normalised(PERSIAN_SENTENCE) in pages[0], (
        "the Persian answer is not on page 1 in reading order"
    )
    assert ENGLISH_SENTENCE in pages[0], "the English answer is not on page 1"
    assert FIGURE_CAPTION in " ".join(pages)
    assert image_count(pdf) == IMAGES_IN_FILLED
    assert PLACEHOLDER not in " ".join(pages), "lstm.png was not put in the slot of 1.1.2 (1)"
    first = next(n for n, page in enumerate(pages) if LONG_FIRST in page)
    last = next(n for n, page in enumerate(pages) if LONG_LAST in page)
    assert last > first, "the long answer did not continue on the next page"
    assert headings(pdf) == ITEMS
    assert len(pages) > EMPTY_TEMPLATE_PAGES
    report_pdf("template-filled", pdf, first_page_png(pdf), len(pages), seconds)


def test_template_under_pdflatex_stops_with_the_xelatex_hint(tmp_path):
    needs_tool(shutil.which("pdflatex") is not None, f"pdflatex not found: {INSTALL}")
    shutil.copyfile(TEMPLATE, tmp_path / TEMPLATE_NAME)
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", TEMPLATE_NAME],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=XELATEX_TIMEOUT_S,
    )
    assert done.returncode != 0 and not (tmp_path / "HW3__Solution.pdf").exists()
    assert "needs XeLaTeX" in " ".join(done.stdout.split())


def words(text: str) -> list[str]:
    """Lower-case words and numbers, for comparing Markdown with pdftotext's output."""
    return re.findall(r"[a-z0-9]+", text.lower())


def page_fonts(pdf, page: int) -> list[str]:
    """pdffonts' line (name, type, encoding, ...) of each font page `page` uses."""
    listing = subprocess.run(
        ["pdffonts", "-f", str(page), "-l", str(page), str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    )
    return listing.stdout.splitlines()[2:]  # after two header lines


@pytest.fixture(scope="module")
def solutions(tmp_path_factory):
    """The solutions PDF built by `hw3 solutions-pdf`, with its build folder (the XeLaTeX log) and time."""
    require_tex()
    needs_tool(shutil.which("pandoc") is not None, f"pandoc not found: {INSTALL}")
    folder = tmp_path_factory.mktemp("solutions")
    pdf = folder / "solutions.pdf"
    start = time.perf_counter()
    assert cli.main(["solutions-pdf", "--out", str(pdf)]) == 0
    seconds = time.perf_counter() - start
    return pdf, build(theory=REPOSITORY.theory, folder=folder / "build"), seconds


def test_solutions_pdf_renders_every_answer_persian_in_reading_order_and_the_references(
    solutions, report_pdf
):
    pdf, _, seconds = solutions
    pages = pages_text(pdf)
    assert headings(pdf) == ITEMS, f"{ANSWERS_NAME}: the item headings are missing or out of order"
    assert normalised(SOLUTIONS_PERSIAN_SENTENCE) in " ".join(pages), (
        "the Persian quote is not in reading order"
    )
    assert len(pages) == page_count(pdf) and SOLUTIONS_LAST_WORDS in pages[-1], (
        "the PDF does not end with the references"
    )
    report_pdf("solutions", pdf, first_page_png(pdf), len(pages), seconds)


def test_solutions_pdf_is_a4_with_the_handouts_title_block(solutions):
    pdf, _, _ = solutions
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(width, 2), round(height, 2)) == A4_POINTS
    handout = read_handout(REPOSITORY.theory / HANDOUT_NAME)
    first = pages_text(pdf)[0]
    for field in (handout.course, handout.homework, handout.semester, handout.instructor):
        assert field in first, f"the title block lacks {field!r}"


def test_solutions_pdf_puts_the_handouts_question_above_each_answer_and_its_rubric_under_it(
    solutions,
):
    pdf, _, _ = solutions
    text = " ".join(words(" ".join(pages_text(pdf))))
    handout = read_handout(REPOSITORY.theory / HANDOUT_NAME)
    rubrics = read_rubric(REPOSITORY.theory / RUBRIC_NAME)
    position = 0
    for item in handout.items:
        heading = text.index(" ".join(words(item.name)), position)
        question = text.index(" ".join(words(item.text)[:QUESTION_WORDS]), heading)
        graded = text.index(" ".join(words(GRADED_LINE)), question)
        # the criterion with the longest run of words before any formula, its first words
        plain = max((c.text.split("$")[0] for c in rubrics[item.name].items), key=len)
        assert " ".join(words(plain)[:QUESTION_WORDS]) in text[graded:], item.name
        position = graded
    assert " ".join(pages_text(pdf)).count(GRADED_LINE) == len(handout.items)


def test_solutions_pdf_quotes_no_internal_path_test_or_command(solutions):
    pdf, _, _ = solutions
    found = INTERNAL.findall(" ".join(pages_text(pdf)))
    assert found == [], f"the solutions PDF quotes {found}"


def test_solutions_pdf_has_no_line_running_into_the_margin(solutions):
    _, done, _ = solutions
    log = done.log.read_text(encoding="utf-8", errors="replace")
    widths = [float(width) for width, _ in OVERFULL.findall(log)]
    assert [w for w in widths if w > OVERFULL_LIMIT_PT] == [], done.overfull()


def test_solutions_pdf_draws_the_lstm_diagram_as_vector_graphics_in_its_own_fonts(solutions):
    pdf, _, _ = solutions
    assert image_count(pdf) == 0, "the diagram is a raster image"
    pages = pages_text(pdf)
    page = next(n for n, text in enumerate(pages, start=1) if all(t in text for t in DIAGRAM_TEXT))
    fonts = page_fonts(pdf, page)
    assert fonts and all(DOCUMENT_FONTS.match(font) for font in fonts), fonts
    assert not any("Type 3" in font for font in fonts)


def test_template_has_no_line_running_into_the_margin(tmp_path):
    require_tex()
    shutil.copyfile(TEMPLATE, tmp_path / TEMPLATE_NAME)
    done, _ = xelatex(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    log = (tmp_path / "HW3__Solution.log").read_text(encoding="utf-8", errors="replace")
    assert [float(w) for w, _ in OVERFULL.findall(log) if float(w) > OVERFULL_LIMIT_PT] == []
