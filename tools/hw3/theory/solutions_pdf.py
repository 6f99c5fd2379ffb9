"""`hw3 solutions-pdf`'s API: the reference answers as the solution-day PDF (A4, the handout's title block,
each item's question, answer and rubric), built with pandoc and XeLaTeX.

Steps, in a scratch folder: the document's Markdown (`hw3.theory.solutions_doc`) -> pandoc -> LaTeX ->
XeLaTeX (twice, with `-recorder`, so that the build's `.fls` lists every file it read). XeLaTeX rather
than pdflatex because the answers quote Persian: each run of Arabic-script text is handed to XeTeX as
right-to-left text in Amiri, the Persian font of the students' template, found by file name. The LSTM
diagram is input as PGF, so it is vector graphics set in the document's own fonts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hw3.errors import EXIT_FINDINGS, Hw3Error
from hw3.theory.diagram import save_lstm_diagram
from hw3.theory.handout import HANDOUT_NAME, read_handout
from hw3.theory.rubric import RUBRIC_NAME, read_rubric
from hw3.theory.solutions_doc import solutions_markdown, split_answers
from hw3.theory.texlive import PANDOC_PACKAGE, TEX_PACKAGES, apt_install

ANSWERS_NAME = "answers.md"  # in reference/theory/
DEFAULT_OUT = Path("dist/HW3_theory_solutions.pdf")
DIAGRAM_PGF = "lstm_diagram.pgf"
STEM = "solutions"  # solutions.md -> solutions.tex -> solutions.pdf, .log, .fls
PDF_ENGINE = "xelatex"
INSTALL_HINTS = {
    "pandoc": f"install pandoc (Debian/Ubuntu: {apt_install(PANDOC_PACKAGE)}; "
    "otherwise https://pandoc.org/installing.html)",
    PDF_ENGINE: f"install XeLaTeX and its Persian support from TeX Live (Debian/Ubuntu: "
    f"{apt_install(*TEX_PACKAGES)})",
}
PERSIAN_FONT = "[Script=Arabic, Extension=.ttf, UprightFont=*-Regular, BoldFont=*-Bold]{Amiri}"  # fontspec, by file
LATEX_HEADER = (
    "\\TeXXeTstate=1\n"  # enables \beginR ... \endR (right-to-left typesetting)
    f"\\newfontfamily\\persianfont{PERSIAN_FONT}\n"
    "\\usepackage{pgf}\n"  # the LSTM diagram
    "\\usepackage{tcolorbox}\n"  # the boxes are short: each stays on one page
    "\\newtcolorbox{question}{colback=black!4, colframe=black!35, boxrule=0.4pt, arc=1pt,\n"
    "  left=5pt, right=5pt, top=3pt, bottom=3pt, before skip=6pt, after skip=10pt}\n"
    "\\newtcolorbox{grading}{colback=white, colframe=black!35, boxrule=0pt, leftrule=2pt,\n"
    "  sharp corners, fontupper=\\small, left=6pt, right=0pt, top=2pt, bottom=2pt, before skip=10pt,\n"
    "  after skip=14pt}\n"
    "\\setlength{\\emergencystretch}{2em}\n"  # a long formula or word breaks the line, not the margin
)
PANDOC_OPTIONS = [
    "--from=markdown",
    "--to=latex",
    "--standalone",
    "--variable=papersize:a4",
    "--variable=geometry:margin=2.2cm",
    "--variable=colorlinks=true",
    "--variable=fontsize:11pt",
    "--include-in-header=header.tex",
]
XELATEX = [PDF_ENGINE, "-interaction=nonstopmode", "-halt-on-error", "-recorder"]
XELATEX_RUNS = 2  # the second settles the PDF outline and links
# Arabic-script letters (U+0600-U+06FF) and the zero-width non-joiner, words separated by spaces.
RTL_RUN = re.compile(r"[\u0600-\u06FF\u200C]+(?: +[\u0600-\u06FF\u200C]+)*")
# "Overfull \hbox (67.8pt too wide) in paragraph at lines 284--289" (or "detected at line 1087").
OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\) (.*)$", re.MULTILINE)
OVERFULL_CONTEXT = 120  # characters of LaTeX quoted per overfull line
OVERFULL_LIMIT_PT = 5.0  # a box this much wider than the line shows as text in the margin
ERROR_TAIL_LINES = 15


class MissingTool(Hw3Error):
    """pandoc or XeLaTeX is not installed; the message names the package to install."""


class RenderError(Hw3Error):
    """pandoc or XeLaTeX ran and failed; the message holds the end of its output."""

    exit_code = EXIT_FINDINGS


@dataclass(frozen=True, kw_only=True)
class Build:
    """One build in `folder`: the PDF, XeLaTeX's log and its recorder file (every file it read)."""

    folder: Path
    pdf: Path
    log: Path
    fls: Path

    def overfull(self, limit_pt: float = OVERFULL_LIMIT_PT) -> list[str]:
        """The log's Overfull \\hbox lines above `limit_pt` (a line of the PDF running into the margin),
        each with the LaTeX lines it points to, e.g. "67.8 pt too wide at line 1087: \\nabla_{W_{hh}} ..."."""
        log = self.log.read_text(encoding="utf-8", errors="replace")
        source = self.log.with_suffix(".tex").read_text(encoding="utf-8").splitlines()
        found = []
        for width, where in OVERFULL.findall(log):
            if float(width) > limit_pt:
                lines = [int(n) for n in re.findall(r"\d+", where)] or [0]
                text = " ".join(
                    source[n - 1].strip()
                    for n in range(lines[0], lines[-1] + 1)
                    if 0 < n <= len(source)
                )
                found.append(f"{float(width):g} pt too wide {where}: {text[:OVERFULL_CONTEXT]}")
        return found


def latex_ready_markdown(text: str) -> str:
    """The document with its Persian runs as raw right-to-left LaTeX in the Persian font."""
    return RTL_RUN.sub(lambda m: f"`\\beginR{{\\persianfont {m.group(0)}}}\\endR`{{=latex}}", text)


def _run(command: list[str], folder: Path, what: str) -> None:
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, errors="replace")
    if done.returncode != 0:
        output = (done.stderr.strip() + "\n" + done.stdout.strip()).strip()
        tail = "\n".join(output.splitlines()[-ERROR_TAIL_LINES:])
        raise RenderError(f"{what} exited with {done.returncode}; its last messages:\n{tail}")


def check_tools() -> None:
    """MissingTool unless pandoc and XeLaTeX are on PATH."""
    for tool, hint in INSTALL_HINTS.items():
        if shutil.which(tool) is None:
            raise MissingTool(f"{tool} not found; {hint}")


def build(*, theory: Path, folder: Path) -> Build:
    """Build the solutions PDF from the files in `theory` (reference/theory/) inside `folder`."""
    check_tools()
    answers_path = theory / ANSWERS_NAME
    try:
        answers_text = answers_path.read_text(encoding="utf-8")
    except OSError as error:
        raise RenderError(f"{answers_path}: cannot read the answers ({error.strerror})") from None
    document = solutions_markdown(
        answers=split_answers(answers_text, source=str(answers_path)),
        handout=read_handout(theory / HANDOUT_NAME),
        rubrics=read_rubric(theory / RUBRIC_NAME),
        diagram_pgf=DIAGRAM_PGF,
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{STEM}.md").write_text(latex_ready_markdown(document), encoding="utf-8")
    (folder / "header.tex").write_text(LATEX_HEADER, encoding="utf-8")
    save_lstm_diagram(folder / DIAGRAM_PGF)
    _run(["pandoc", f"{STEM}.md", *PANDOC_OPTIONS, f"--output={STEM}.tex"], folder, "pandoc")
    for _ in range(XELATEX_RUNS):
        _run([*XELATEX, f"{STEM}.tex"], folder, PDF_ENGINE)
    return Build(
        folder=folder,
        pdf=folder / f"{STEM}.pdf",
        log=folder / f"{STEM}.log",
        fls=folder / f"{STEM}.fls",
    )


def solutions_pdf(*, theory: Path, out: Path) -> tuple[Path, list[str]]:
    """Build the PDF and copy it to `out`; returns (out, the lines that run into the margin, see Build)."""
    with tempfile.TemporaryDirectory(prefix="hw3-solutions-") as tmp:
        done = build(theory=theory, folder=Path(tmp))
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(done.pdf, out)
        return out, done.overfull()
