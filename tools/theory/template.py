"""The students' LaTeX answer template for the theory part, copied from `reference/theory/`.

The release calls `write_student_template(repo.theory, Path("student/theory"))`.
"""
import shutil
from pathlib import Path

from hw3.theory.diagram import save_lstm_diagram

TEMPLATE_NAME = "HW3__Solution.tex"
DIAGRAM_PNG_NAME = "lstm_diagram.png"  # pdflatex cannot read the SVG, so students get a PNG


def write_student_template(theory_dir: Path, out_dir: Path) -> list[Path]:
    """Copy the LaTeX template from `theory_dir` into `out_dir` and draw the LSTM diagram next to it as PNG.

    Returns [template, diagram]; both are byte-identical across runs.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    template = out_dir / TEMPLATE_NAME
    shutil.copyfile(theory_dir / TEMPLATE_NAME, template)
    return [template, save_lstm_diagram(out_dir / DIAGRAM_PNG_NAME)]
