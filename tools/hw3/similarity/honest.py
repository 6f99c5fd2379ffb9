"""Independent correct solutions (the corpus): what honest answers share without anyone copying.

The corpus is every correct solution written apart from the others: the release's reference
solution and the variants of `reference/variants/<name>/*.py` (each written from the student
release alone, full marks under `hw3 calibrate`; format in `hw3.calibration.variants`), each spliced
into the released notebook and read like a submission, starter code of every release subtracted.
Per question it holds each solution's fingerprints.

A fingerprint an independent solution holds is canonical: honest students write it without
copying. A question is dictated when most of every answer is canonical: the median solution has
at least DICTATED_SHARE of its fingerprints in another solution (the TODO names the lines, as
`self.rnn = nn.LSTM(...)`). A corpus solution whose answer to a question is a submission's own
(SAME_ANSWER of their fingerprints alike) is not independent of it, and is left out when that
submission is judged (`Corpus.own`).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from hw3.calibration.variants import VariantError, load_variants
from hw3.similarity.sources import Source
from hw3.similarity.stubs import OTHER, Stub
from hw3.similarity.submissions import notebook_regions

REFERENCE_SOLUTION = "reference"
DICTATED_SHARE = (
    2 / 3
)  # median share of a solution's fingerprints found in another: the TODO dictates it
SAME_ANSWER = 0.9  # Jaccard of two answers' fingerprints from which they are one text
MIN_SOLUTIONS = (
    3  # a question answered by fewer solutions cannot be calibrated: its code weighs nothing
)


@dataclass(frozen=True)
class Solution:
    """One independent correct solution: its name and its fingerprints per `assignment:question`."""

    name: str
    prints: dict[str, frozenset]


@dataclass
class QuestionStats:
    """What the corpus says about one question (the report's table)."""

    solutions: int  # solutions answering it
    fingerprints: int  # distinct fingerprints among them
    canonical_fraction: float  # of those, the share held by two solutions or more
    median_share: float  # median over solutions of the share of its fingerprints another one holds
    dictated: bool


@dataclass
class Corpus:
    """The independent solutions of every assignment compared, and per question who holds what."""

    solutions: list[Solution] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # key -> fingerprint -> bit mask of the solutions holding it (bit i: solutions[i])
    masks: dict[str, dict[int, int]] = field(default_factory=dict)
    answered: dict[str, int] = field(
        default_factory=dict
    )  # key -> mask of the solutions answering it
    stats: dict[str, QuestionStats] = field(default_factory=dict)

    def add(self, solution: Solution) -> None:
        bit = 1 << len(self.solutions)
        self.solutions.append(solution)
        for key, prints in solution.prints.items():
            self.answered[key] = self.answered.get(key, 0) | bit
            masks = self.masks.setdefault(key, {})
            for value in prints:
                masks[value] = masks.get(value, 0) | bit

    def holders(self, key: str, value: int) -> int:
        """Mask of the solutions holding fingerprint `value` of `key`."""
        return self.masks.get(key, {}).get(value, 0)

    def calibrated(self, key: str) -> bool:
        """Whether `key`'s code weighs: enough solutions answer it and its answers are not dictated.

        Code outside the graded questions' cells (`<assignment>:other`) always weighs: what no
        independent solution writes there (a notebook without ungraded answers, a student's own
        cells) is weighed by the class alone.
        """
        if key.endswith(f":{OTHER}"):
            return True
        stats = self.stats.get(key)
        return stats is not None and stats.solutions >= MIN_SOLUTIONS and not stats.dictated

    def own(self, key: str, prints) -> int:
        """Mask of the solutions whose answer to `key` is this one (SAME_ANSWER of their fingerprints alike)."""
        found, prints = 0, set(prints)
        if not prints:
            return 0
        for index, solution in enumerate(self.solutions):
            theirs = solution.prints.get(key)
            if theirs and len(prints & theirs) >= SAME_ANSWER * len(prints | theirs):
                found |= 1 << index
        return found

    def names(self, mask: int) -> list[str]:
        return [s.name for i, s in enumerate(self.solutions) if mask >> i & 1]

    def summarise(self) -> None:
        """Fill `stats`: per question the canonical fraction and whether it is dictated."""
        for key, answered in self.answered.items():
            holders = self.masks[key]
            members = [s for s in self.solutions if key in s.prints]
            shared = {value for value, mask in holders.items() if mask.bit_count() >= 2}
            shares = [
                len(s.prints[key] & shared) / len(s.prints[key]) for s in members if s.prints[key]
            ]
            median = statistics.median(shares) if shares else 0.0
            self.stats[key] = QuestionStats(
                solutions=answered.bit_count(),
                fingerprints=len(holders),
                canonical_fraction=len(shared) / len(holders) if holders else 0.0,
                median_share=median,
                dictated=len(shares) >= 2 and median >= DICTATED_SHARE,
            )


def answer_prints(regions) -> dict[str, frozenset]:
    """{key: fingerprints} of every region, `<assignment>:other` included: it holds the answers to
    ungraded questions (as apple_stock's q7_plot), which independent solutions write too."""
    return {key: frozenset(region.prints) for key, region in regions.items()}


def load_corpus(release_root: Path, stubs: dict[str, Stub], reference: Source | None) -> Corpus:
    """The corpus of the assignments in `stubs`: `reference` (the reference solution as a Source, or None)
    and the variants under `release_root/reference/variants/`, with notes on what is missing."""
    corpus = Corpus()
    if reference is not None:
        corpus.add(Solution(REFERENCE_SOLUTION, answer_prints(reference.regions)))
    root = release_root / "reference" / "variants"
    for name, stub in stubs.items():
        released = release_root / "student" / name / f"{name}.ipynb"
        student = nbformat.read(released, as_version=4)
        try:
            found = load_variants(root, name) if (root / name).is_dir() else []
        except VariantError as err:
            corpus.notes.append(f"{err}: the variants of {name} were left out of the corpus")
            found = []
        added = 0
        for variant in found:
            try:
                regions, _ = notebook_regions(name, variant.apply(student), stub)
            except VariantError as err:
                corpus.notes.append(f"{err}: left out of the corpus")
                continue
            corpus.add(Solution(f"{name}/{variant.slug}", answer_prints(regions)))
            added += 1
        if added < MIN_SOLUTIONS - 1:
            corpus.notes.append(
                f"{name}: {added} correct variant(s) in {root / name}: with fewer than "
                f"{MIN_SOLUTIONS - 1} besides the reference its code cannot be weighed, and no pair is "
                "flagged on it"
            )
    corpus.summarise()
    return corpus
