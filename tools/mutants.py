"""Wrong solutions ("mutants"): one readable patch of one answer of a reference notebook.

A mutant file `tests/mutants/<assignment>/<slug>.txt` reads:

    question: q2_batches            (or `provided`: a mistake in a provided cell)
    must_fail: yes
    why: targets not shifted; the model learns to copy the character it is given
    --- reference
    <lines exactly as they stand in the reference answer>
    +++ mutant
    <the lines that replace them>
"""
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools.answers import answer_cells, is_answer_cell

MUTANTS_DIR = Path(__file__).resolve().parent.parent / "tests" / "mutants"
PROVIDED = "provided"
REFERENCE_MARK, MUTANT_MARK = "--- reference\n", "+++ mutant\n"


class MutantError(ValueError):
    """A mutant file is malformed or no longer matches the reference notebook."""


@dataclass(frozen=True)
class Mutant:
    """One student mistake as a text substitution inside one question's answer cells."""
    assignment: str
    slug: str
    question: str
    must_fail: bool
    why: str
    reference: str
    replacement: str

    def apply(self, notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
        """Copy of the reference `notebook` with this mistake patched into its answer."""
        result = nbformat.from_dict(notebook)
        if self.question == PROVIDED:
            cells = [i for i, c in enumerate(result.cells) if c.cell_type == "code" and not is_answer_cell(c)]
        else:
            cells = answer_cells(result).get(self.question, [])
        hits = [i for i in cells if self.reference in result.cells[i].source]
        if len(hits) != 1 or result.cells[hits[0]].source.count(self.reference) != 1:
            raise MutantError(f"{self.assignment}/{self.slug}: the reference lines occur {len(hits)} "
                              f"times in {self.question}'s answer; update the mutant file")
        cell = result.cells[hits[0]]
        cell.source = cell.source.replace(self.reference, self.replacement)
        return result


def parse(path: Path) -> Mutant:
    """Read one mutant file (format in the module docstring)."""
    text = path.read_text(encoding="utf-8")
    if REFERENCE_MARK not in text or MUTANT_MARK not in text:
        raise MutantError(f"{path}: needs a '--- reference' and a '+++ mutant' section")
    header, rest = text.split(REFERENCE_MARK, 1)
    reference, replacement = rest.split(MUTANT_MARK, 1)
    fields = dict(line.split(":", 1) for line in header.strip().splitlines())
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    missing = {"question", "must_fail", "why"} - fields.keys()
    if missing:
        raise MutantError(f"{path}: missing {', '.join(sorted(missing))}")
    return Mutant(path.parent.name, path.stem, fields["question"], fields["must_fail"] == "yes",
                  fields["why"], reference.rstrip("\n"), replacement.rstrip("\n"))


def load(assignment: str, root: Path = MUTANTS_DIR) -> list[Mutant]:
    """All mutants of one assignment, sorted by file name."""
    return [parse(path) for path in sorted((root / assignment).glob("*.txt"))]
