"""The students' LaTeX answer template for the theory part, copied from `reference/theory/`.

The release calls `write_student_template(repo.theory, out_root / "student" / "theory")`. The folder
holds the template only: the LSTM diagram answers item 1.1.2 (1), so students draw their own
(`lstm.pdf` or `lstm.png`, which the template includes when present).
"""

import shutil
from pathlib import Path

TEMPLATE_NAME = "HW3__Solution.tex"


def write_student_template(theory_dir: Path, out_dir: Path) -> list[Path]:
    """Replace `out_dir` by a folder holding only the template from `theory_dir`; returns [template].

    The copy is byte-identical to the source, so the release is reproducible.
    """
    if out_dir.exists():
        shutil.rmtree(out_dir)  # generated folder: a file left from an older release must not ship
    out_dir.mkdir(parents=True)
    template = out_dir / TEMPLATE_NAME
    shutil.copyfile(theory_dir / TEMPLATE_NAME, template)
    return [template]
