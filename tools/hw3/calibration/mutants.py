"""Wrong solutions ("mutants"): readable patches of a reference notebook, one student mistake each.

A mutant file `reference/mutants/<assignment>/<slug>.txt` reads:

    question: q2_batches            (the answer the mistake is in; `provided` for a provided cell)
    must_fail: yes                  (no: a fair grader may pass it; `why` says why)
    why: targets not shifted; the model learns to copy the character it is given
    caught_by: q2_batches, q6_perplexity     (optional: questions that must lose points)
    loses_only_in: q2_batches       (optional: every other question must keep full points)
    fails: q2_batches: test_a, q2_batches: test_b   (optional: exactly the hidden tests that must fail,
                                     so each lost point names its real cause)
    --- reference
    <lines exactly as they stand in the reference notebook, once>
    +++ mutant
    <the lines that replace them>

and may hold several `--- reference` / `+++ mutant` pairs when one mistake touches several places.
"""

from dataclasses import dataclass
from pathlib import Path

import nbformat

from hw3.errors import Hw3Error

REFERENCE_MARK, MUTANT_MARK = "--- reference\n", "+++ mutant\n"
REQUIRED_FIELDS = {"question", "must_fail", "why"}


class MutantError(Hw3Error):
    """A mutant file is malformed or no longer matches the reference notebook."""


@dataclass(frozen=True)
class Mutant:
    """One student mistake as text substitutions in a reference notebook's code cells."""

    assignment: str
    slug: str
    question: str
    must_fail: bool
    why: str
    caught_by: tuple
    edits: tuple  # ((reference lines, replacement lines), ...)
    loses_only_in: tuple = ()
    fails: tuple = ()  # "question: test name" of every hidden test that must fail, when given

    def apply(self, notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
        """Copy of the reference `notebook` with this mistake patched in."""
        result = nbformat.from_dict(notebook)
        for old, new in self.edits:
            hits = [c for c in result.cells if c.cell_type == "code" and old in c.source]
            if len(hits) != 1 or hits[0].source.count(old) != 1:
                raise MutantError(
                    f"{self.assignment}/{self.slug}: the reference lines occur "
                    f"{sum(c.source.count(old) for c in hits)} times, not once: update the mutant file"
                )
            hits[0].source = hits[0].source.replace(old, new)
        return result


def parse(path: Path) -> Mutant:
    """Read one mutant file (format in the module docstring)."""
    text = path.read_text(encoding="utf-8")
    header, *blocks = text.split(REFERENCE_MARK)
    if not blocks or any(MUTANT_MARK not in block for block in blocks):
        raise MutantError(f"{path}: needs '--- reference' / '+++ mutant' sections")
    fields = {
        k.strip(): v.strip()
        for k, v in (line.split(":", 1) for line in header.strip().splitlines())
    }
    missing = REQUIRED_FIELDS - fields.keys()
    if missing:
        raise MutantError(f"{path}: missing {', '.join(sorted(missing))}")
    edits = tuple(
        tuple(part.rstrip("\n") for part in block.split(MUTANT_MARK, 1)) for block in blocks
    )

    def listed(key: str) -> tuple:
        return tuple(item.strip() for item in fields.get(key, "").split(",") if item.strip())

    return Mutant(
        path.parent.name,
        path.stem,
        fields["question"],
        fields["must_fail"] == "yes",
        fields["why"],
        listed("caught_by"),
        edits,
        listed("loses_only_in"),
        listed("fails"),
    )


def load_mutants(root: Path, assignment: str) -> list[Mutant]:
    """All mutants of one assignment under `root` (the repository's reference/mutants/), sorted by file name."""
    return [parse(path) for path in sorted((root / assignment).glob("*.txt"))]
