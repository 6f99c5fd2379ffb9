"""Bits of evidence that shared code was copied, and the thresholds calibrated on independent solutions.

Two submissions share fingerprint f of question q. How surprising is that if they worked apart?
- Not at all (0 bits) when q is dictated or uncalibrated (`honest.Corpus.calibrated`), or f is
  canonical: an independent correct solution of the corpus holds it (their own answers aside).
- Otherwise log2(1 / p), p the add-one estimate of the share of independent answers holding f, over
  every independent answer known: the n corpus solutions (none holds f) and the M other
  classmates (m hold it): p = (m + 1) / (M + n + 2). A fingerprint half the class holds is 1 bit.
- Fingerprints other classmates hold too are one idiom when the same classmates hold them: a
  statement a third of the class writes is one choice, however many fingerprints long. So shared
  fingerprints are grouped by the set of other classmates holding them; a group weighs once, its
  heaviest fingerprint's bits, spread over its fingerprints. Fingerprints no one else holds weigh
  each their own: how much two answers alone share is what copying leaves.
A submission and a known source are weighed the same way, n the corpus solutions other than the
source, and the classmates counted but for the source's near-copies (those holding NEAR_COPY of the
source's fingerprints no other independent solution writes): a leak copied by half the class is
still rare code, while an idiom half the class writes, and the source too, is not. A comparison's
evidence is the sum over the fingerprints it shares, in every question.

Calibration, from two estimates of what honest pairs share; the higher threshold applies.
- Independent solutions: any two corpus solutions are an honest pair, written apart (for a source
  that is itself a corpus solution, as the reference is, the pairs with it as the source; for any
  other source, either one as the source). Judged exactly as two students are (the corpus without
  them, this class's holders), they give per question the evidence honest pairs reach.
- The class itself: nearly all of its pairs are honest, so the evidence its pairs reach per
  question, zeros included, is the other estimate (against a source: its students, but for the
  source's near-copies), from CLASS_ESTIMATE_MIN students on: in a smaller class one copy would be
  much of its own yardstick.
An honest pair is modelled as one value per question, drawn independently question by question; the
exact distribution of the sum (a convolution in BIN-bit steps, each value rounded up) gives each
threshold as the least evidence that no more than its rate of honest pairs reach:
- "unusually similar": UNUSUAL_PAIR_RATE of honest pairs (1 in 1,000);
- "flagged": FLAG_STUDENT_RATE of honest students flagged with anyone, so per pair that rate over
  the N - 1 classmates (over the sources, for a submission against known sources).
A handful of copies among the class's pairs moves its estimate little: a sum reaches the flag level
only when several questions draw a copy's value at once.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from hw3.similarity.honest import Corpus

BIN = 0.25  # bits per step of the honest distribution
UNUSUAL_PAIR_RATE = 1e-3  # "unusually similar": as similar as at most 1 honest pair in 1,000
FLAG_STUDENT_RATE = 1e-3  # "flagged": at most 1 honest student in 1,000 flagged
NEAR_COPY = (
    0.75  # share of a source's own rare fingerprints its near-copy holds (honest ones: under 0.5)
)
NEAR_COPY_MIN = 20  # rare fingerprints a source needs before anyone counts as its near-copy
CLASS_ESTIMATE_MIN = (
    30  # students from which the class's own pairs are an estimate (each weighs 1/N in it)
)
NOBODY: frozenset = frozenset()


def weight(solutions: int, classmates: int, holding: int) -> float:
    """Bits of one fingerprint no corpus solution holds: log2((M + n + 2) / (m + 1))."""
    return math.log2((classmates + solutions + 2) / (holding + 1))


def shared_bits(
    values,
    corpus: Corpus,
    key: str,
    excluded: int,
    holders: dict[int, frozenset],
    aside: frozenset,
    classmates: int,
) -> dict[int, float]:
    """{fingerprint: its bits} of the fingerprints of `key` two answers share (see the module docstring).

    Canonical: a corpus solution outside mask `excluded` holds it. The other classmates holding a
    fingerprint are its `holders` less those `aside` (the two compared, a source's near-copies), out
    of `classmates`.
    """
    groups: dict[frozenset, list[int]] = defaultdict(list)
    found = {}
    for value in values:
        if corpus.holders(key, value) & ~excluded:
            found[value] = 0.0
        else:
            groups[holders.get(value, NOBODY) - aside].append(value)
    solutions = (corpus.answered.get(key, 0) & ~excluded).bit_count()
    for others, members in groups.items():
        bits = weight(solutions, classmates, len(others))
        share = bits if others == NOBODY else bits / len(members)
        found.update((value, share) for value in members)
    return found


@dataclass
class ClassCounts:
    """What the class holds, per question: for the weights and the calibration."""

    answered: dict[str, int]  # key -> submissions answering it
    holders: dict[str, dict[int, frozenset]]  # key -> fingerprint -> the submissions holding it
    prints: dict[
        str, list[frozenset]
    ]  # key -> each submission's fingerprints (empty if unanswered)
    own: dict[
        str, list[int]
    ]  # key -> each submission's own corpus solutions (`Corpus.own`), as masks
    max_common: int  # pairs ignore fingerprints held by more submissions

    def twins(self, key: str, solutions: int) -> frozenset:
        """The submissions whose answer to `key` is one of the corpus solutions in mask `solutions`."""
        return frozenset(i for i, own in enumerate(self.own[key]) if own & solutions)


@dataclass
class SourceClass:
    """The classmates a match with one source is weighed against: all but the source's near-copies."""

    near: frozenset  # submissions that are near-copies of the source

    def classmates(self, counts: ClassCounts, key: str, student: frozenset) -> int:
        """Classmates counted for `key`: those answering it, but for the near-copies and `student`."""
        answering = {i for i, found in enumerate(counts.prints[key]) if found}
        return len(answering - self.near - student)

    def others(self, counts: ClassCounts, key: str, value: int, student: frozenset) -> frozenset:
        """The classmates counted holding `value`."""
        return counts.holders[key].get(value, NOBODY) - self.near - student


def source_class(
    prints: dict[str, frozenset], corpus: Corpus, counts: ClassCounts, own: dict[str, int]
) -> SourceClass:
    """The near-copies of a source with fingerprints `prints` (key -> set) whose own corpus solutions are `own`."""
    rare = {
        key: frozenset(v for v in found if not corpus.holders(key, v) & ~own.get(key, 0))
        for key, found in prints.items()
        if key in counts.prints
    }
    near = set()
    if sum(len(found) for found in rare.values()) >= NEAR_COPY_MIN:
        students = len(next(iter(counts.prints.values()), []))
        for student in range(students):
            held = [
                (len(found & counts.prints[key][student]), len(found))
                for key, found in rare.items()
                if counts.prints[key][student]
            ]
            total = sum(size for _, size in held)
            if total and sum(count for count, _ in held) >= NEAR_COPY * total:
                near.add(student)
    return SourceClass(frozenset(near))


@dataclass
class Threshold:
    """The calibrated levels of one kind of comparison, and the honest values behind them."""

    unusual: (
        float | None
    )  # bits from which a comparison is "unusually similar"; None: not calibrated
    flag: float | None  # bits from which it is flagged
    flag_rate: float  # the share of honest comparisons allowed past `flag`
    honest: dict[str, list[float]] = field(default_factory=dict)  # key -> honest values (corpus)
    tails: list[np.ndarray] = field(
        default_factory=list
    )  # tail[k]: share with at least k * BIN bits
    levels: dict[str, tuple[float, float]] = field(
        default_factory=dict
    )  # estimate -> (unusual, flag)

    def honest_share(self, bits: float) -> float | None:
        """At most this share of honest comparisons reach `bits`, by the higher estimate (None: not calibrated)."""
        if not self.tails:
            return None
        index = math.ceil(bits / BIN)
        return max(float(tail[index]) if index < len(tail) else 0.0 for tail in self.tails)

    @property
    def honest_pairs(self) -> int:
        """Honest pairs of solutions measured, summed over questions."""
        return sum(len(values) for values in self.honest.values())


CORPUS_ESTIMATE, CLASS_ESTIMATE = "independent solutions", "the class's own pairs"


def pmf(values: list[float], total: int | None = None) -> np.ndarray:
    """Distribution over BIN-bit steps (rounded up) of `values`, padded with zeros to `total` values."""
    bins = [math.ceil(v / BIN - 1e-9) for v in values]
    found = np.bincount(bins, minlength=1).astype(float) if bins else np.zeros(1)
    found[0] += (total or len(values)) - len(values)
    return found / found.sum()


def honest_tail(pmfs: list[np.ndarray]) -> np.ndarray:
    """tail[k] = P(sum >= k * BIN) when each key contributes one value drawn from its distribution, independently."""
    total = np.ones(1)
    for found in pmfs:
        total = np.convolve(total, found)
    return total[::-1].cumsum()[::-1]


def levels(tail: np.ndarray, flag_rate: float) -> tuple[float, float]:
    """(unusual, flag): the least bits that at most UNUSUAL_PAIR_RATE and `flag_rate` of honest pairs reach."""

    def level(rate: float) -> float:
        below = tail <= rate
        return (int(np.argmax(below)) if below.any() else len(tail)) * BIN

    return level(UNUSUAL_PAIR_RATE), level(flag_rate)


def threshold(values: dict[str, list[float]], flag_rate: float) -> Threshold:
    """The thresholds from the corpus's honest values of each key; uncalibrated when there are none."""
    values = {key: found for key, found in values.items() if found}
    if not values:
        return Threshold(None, None, flag_rate, values)
    tail = honest_tail([pmf(found) for found in values.values()])
    unusual, flag = levels(tail, flag_rate)
    return Threshold(unusual, flag, flag_rate, values, [tail], {CORPUS_ESTIMATE: (unusual, flag)})


def class_tail(bits: dict[str, list[float]], comparisons: int, students: int) -> np.ndarray | None:
    """The class's own estimate: per key the bits of the comparisons sharing something, out of `comparisons`
    among `students` students; None below CLASS_ESTIMATE_MIN students."""
    found = [pmf(values, comparisons) for values in bits.values() if values]
    return honest_tail(found) if found and students >= CLASS_ESTIMATE_MIN else None


def combined(corpus: Threshold, tail: np.ndarray | None) -> Threshold:
    """`corpus`'s thresholds raised to the class's own estimate where that is higher."""
    if corpus.flag is None or tail is None:
        return corpus
    unusual, flag = levels(tail, corpus.flag_rate)
    return Threshold(
        max(corpus.unusual, unusual),
        max(corpus.flag, flag),
        corpus.flag_rate,
        corpus.honest,
        [*corpus.tails, tail],
        {**corpus.levels, CLASS_ESTIMATE: (unusual, flag)},
    )


def solution_pairs(corpus: Corpus, key: str, excluded: int) -> list[tuple[int, int]]:
    """Every two corpus solutions answering `key`, those in mask `excluded` aside."""
    members = [
        i
        for i in range(len(corpus.solutions))
        if corpus.answered.get(key, 0) >> i & 1 and not excluded >> i & 1
    ]
    return list(itertools.combinations(members, 2))


def rare_shared(corpus: Corpus, key: str, i: int, j: int, gone: int) -> list[int]:
    """The fingerprints solutions i and j share that no other solution (outside `gone`) holds."""
    shared = corpus.solutions[i].prints[key] & corpus.solutions[j].prints[key]
    return [value for value in shared if not corpus.holders(key, value) & ~gone]


def calibrate_pairs(
    corpus: Corpus, keys: list[str], counts: ClassCounts, excluded: dict[str, int], flag_rate: float
) -> Threshold:
    """The pairs' Threshold, with the corpus solutions in `excluded` (key -> mask) left out."""
    values: dict[str, list[float]] = {}
    for key in keys:
        if not corpus.calibrated(key):
            continue
        left_out, found = excluded.get(key, 0), []
        holders = counts.holders[key]
        for i, j in solution_pairs(corpus, key, left_out):
            gone = left_out | 1 << i | 1 << j
            twins = counts.twins(key, 1 << i | 1 << j)  # classmates whose answer is i's or j's
            rare = [
                value
                for value in rare_shared(corpus, key, i, j, gone)
                if len(holders.get(value, NOBODY) - twins) + 2 <= counts.max_common
            ]  # the pairs ignore what more than max_common hold
            bits = shared_bits(
                rare, corpus, key, gone, holders, twins, counts.answered[key] - len(twins)
            )
            found.append(sum(bits.values()))
        values[key] = found
    return threshold(values, flag_rate)


def source_pairs(corpus: Corpus, key: str, excluded: int, source: int) -> list[tuple[int, int]]:
    """(student, source) corpus solutions of `key`, those in mask `excluded` aside.

    A source that is itself a corpus solution (mask `source`, as the reference is) is the source of
    every pair: how much independent solutions share with it is its own yardstick, since a TODO
    written from the reference draws honest answers toward it more than toward one another. Any
    other source: every two solutions, either one as the source.
    """
    if source & ~excluded:
        return [
            (student, own)
            for own in range(len(corpus.solutions))
            if source >> own & 1 and not excluded >> own & 1
            for student in range(len(corpus.solutions))
            if student != own
            and corpus.answered.get(key, 0) >> student & 1
            and not (excluded | source) >> student & 1
        ]
    return [pair for i, j in solution_pairs(corpus, key, excluded) for pair in ((i, j), (j, i))]


def calibrate_sources(
    corpus: Corpus,
    keys: list[str],
    counts: ClassCounts,
    excluded: dict[str, int],
    flag_rate: float,
    source: dict[str, int] | None = None,
) -> Threshold:
    """The source matches' Threshold: corpus solutions as student and source (`source_pairs`), those in
    `excluded` (key -> mask) left out; `source` (key -> mask): the corpus solutions the source is."""
    views: dict[int, SourceClass] = {}
    values: dict[str, list[float]] = {}
    for key in keys:
        if not corpus.calibrated(key):
            continue
        left_out, found = excluded.get(key, 0), []
        for student, own in source_pairs(corpus, key, left_out, (source or {}).get(key, 0)):
            gone = left_out | 1 << student | 1 << own
            rare = rare_shared(corpus, key, student, own, gone)
            if own not in views:
                solution = corpus.solutions[own]
                mask = {k: 1 << own for k in solution.prints}
                views[own] = source_class(solution.prints, corpus, counts, mask)
            view, twins = views[own], counts.twins(key, 1 << student)
            bits = shared_bits(
                rare,
                corpus,
                key,
                gone,
                counts.holders[key],
                view.near | twins,
                view.classmates(counts, key, twins),
            )
            found.append(sum(bits.values()))
        values[key] = found
    return threshold(values, flag_rate)


@dataclass
class Calibrations:
    """Thresholds per set of left-out corpus solutions (usually none), each computed once, raised to the
    class's own estimate (`class_pairs`, and per source `class_sources`, set by `compare`)."""

    corpus: Corpus
    keys: list[str]
    counts: ClassCounts
    pair_rate: float
    source_rate: float
    class_pairs: np.ndarray | None = None
    class_sources: dict[int, np.ndarray | None] = field(default_factory=dict)
    source_views: dict[int, SourceClass] = field(default_factory=dict)  # source -> its near-copies
    pairs: dict[tuple, Threshold] = field(default_factory=dict)
    sources: dict[tuple, Threshold] = field(default_factory=dict)

    def for_pair(self, excluded: dict[str, int]) -> Threshold:
        """The pairs' thresholds with the corpus solutions `excluded` (key -> mask) left out."""
        signature = tuple(sorted((k, m) for k, m in excluded.items() if m))
        if signature not in self.pairs:
            corpus = calibrate_pairs(
                self.corpus, self.keys, self.counts, dict(signature), self.pair_rate
            )
            self.pairs[signature] = combined(corpus, self.class_pairs)
        return self.pairs[signature]

    def for_source(
        self, excluded: dict[str, int], source: int | None = None, own: dict[str, int] | None = None
    ) -> Threshold:
        """The thresholds of matches with known source number `source` (None: any), the student's
        corpus solutions `excluded` left out; `own`: the corpus solutions the source is (key -> mask)."""
        own = {k: m for k, m in (own or {}).items() if m}
        signature = (
            source,
            tuple(sorted((k, m) for k, m in excluded.items() if m)),
            tuple(sorted(own.items())),
        )
        if signature not in self.sources:
            corpus = calibrate_sources(
                self.corpus, self.keys, self.counts, dict(signature[1]), self.source_rate, own
            )
            self.sources[signature] = combined(corpus, self.class_sources.get(source))
        return self.sources[signature]


def flag_rates(class_size: int, sources: int) -> tuple[float, float]:
    """(per pair, per submission and source) rates that keep FLAG_STUDENT_RATE of honest students flagged."""
    return FLAG_STUDENT_RATE / max(1, class_size - 1), FLAG_STUDENT_RATE / max(1, sources)
