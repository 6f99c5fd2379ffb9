"""`hw3 solutions-pdf`'s API: render reference/theory/answers.md to PDF with pandoc and XeLaTeX.

XeLaTeX rather than pdflatex because the answers quote Persian: each run of Arabic-script text is
handed to XeTeX as right-to-left text in Amiri, the Persian font of the students' template (TeX Live
ships it, so it is found by file name wherever XeLaTeX runs). The SVG figure is swapped for
a PNG drawn by `hw3.theory.diagram`, since LaTeX cannot include SVG.
"""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from hw3.errors import EXIT_FINDINGS, Hw3Error
from hw3.theory.diagram import save_lstm_diagram

ANSWERS_NAME = "answers.md"  # in reference/theory/
DEFAULT_OUT = Path("dist/HW3_theory_solutions.pdf")
DIAGRAM_SVG, DIAGRAM_PNG = "lstm_diagram.svg", "lstm_diagram.png"
PDF_ENGINE = "xelatex"
INSTALL_HINTS = {
    "pandoc": "install pandoc (Debian/Ubuntu: apt-get install pandoc; otherwise https://pandoc.org/installing.html)",
    PDF_ENGINE: "install XeLaTeX and its Persian support from TeX Live (Debian/Ubuntu: apt-get install "
    "texlive-xetex texlive-lang-arabic)",
}
PERSIAN_FONT = "[Script=Arabic, Extension=.ttf, UprightFont=*-Regular, BoldFont=*-Bold]{Amiri}"  # fontspec, by file
LATEX_HEADER = (
    "\\TeXXeTstate=1\n"  # enables \beginR ... \endR (right-to-left typesetting)
    f"\\newfontfamily\\persianfont{PERSIAN_FONT}\n"
    "\\usepackage{float}\n\\floatplacement{figure}{H}\n"  # the figure stays in its section
)
DIAGRAM_WIDTH = "75%"
PANDOC_OPTIONS = [
    "--from=markdown",
    f"--pdf-engine={PDF_ENGINE}",
    "--variable=geometry:margin=2.2cm",
    "--variable=colorlinks=true",
    "--include-in-header=header.tex",
]
# Arabic-script letters (U+0600-U+06FF) and the zero-width non-joiner, words separated by spaces.
RTL_RUN = re.compile(r"[\u0600-\u06FF\u200C]+(?: +[\u0600-\u06FF\u200C]+)*")
ERROR_TAIL_LINES = 15


def latex_ready_markdown(text: str) -> str:
    """answers.md as pandoc should see it: Persian runs as raw right-to-left LaTeX, PNG figure."""
    text = RTL_RUN.sub(lambda m: f"`\\beginR{{\\persianfont {m.group(0)}}}\\endR`{{=latex}}", text)
    return text.replace(f"]({DIAGRAM_SVG})", f"]({DIAGRAM_PNG}){{width={DIAGRAM_WIDTH}}}")


def render(answers: Path, out: Path) -> subprocess.CompletedProcess:
    """Run pandoc in a scratch folder holding the rewritten Markdown, the header and the PNG."""
    with tempfile.TemporaryDirectory(prefix="hw3-solutions-") as tmp:
        work = Path(tmp)
        (work / "answers.md").write_text(
            latex_ready_markdown(answers.read_text(encoding="utf-8")), encoding="utf-8"
        )
        (work / "header.tex").write_text(LATEX_HEADER, encoding="utf-8")
        save_lstm_diagram(work / DIAGRAM_PNG)
        out.parent.mkdir(parents=True, exist_ok=True)
        return subprocess.run(
            ["pandoc", "answers.md", *PANDOC_OPTIONS, f"--output={out.resolve()}"],
            cwd=work,
            capture_output=True,
            text=True,
        )


class MissingTool(Hw3Error):
    """pandoc or XeLaTeX is not installed; the message names the package to install."""


class RenderError(Hw3Error):
    """pandoc ran and failed; the message holds the end of its output."""

    exit_code = EXIT_FINDINGS


def solutions_pdf(*, answers: Path, out: Path) -> Path:
    """Render `answers` (Markdown with LaTeX math) to the PDF `out`; MissingTool or RenderError otherwise."""
    for tool, hint in INSTALL_HINTS.items():
        if shutil.which(tool) is None:
            raise MissingTool(f"{tool} not found; {hint}")
    result = render(answers, out)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-ERROR_TAIL_LINES:])
        raise RenderError(f"pandoc exited with {result.returncode}; its last messages:\n{tail}")
    return out
