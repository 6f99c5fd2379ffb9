"""Scoring pairs of submissions, and each submission against the known sources, in bits of evidence.

Fingerprints found in the starter code of any release were dropped when the regions were built;
for pairs, those held by more than `max_common` submissions are dropped here (`clusters.py` groups
what is dropped, so a solution copied by many still shows). Each shared fingerprint weighs what
it says under independence (`evidence.py`): nothing when an independent correct solution holds it
or its question is dictated, else log2 of how rare it is among every independent answer known.
A pair's evidence is the sum over its questions; it is "unusually similar" past the level that at
most 1 honest pair in 1,000 reaches and flagged `code` past the level that keeps at most 1 honest
student in 1,000 flagged, both calibrated on pairs of independent solutions (`evidence.Calibrations`).
A pair is also flagged `outputs` on outputs that only the two share, some of them run-specific.
Containment (shared fingerprints over the smaller answer's, pooled or per question) is still
reported beside the bits, as a reading aid: it is no verdict, since honest answers to a tightly
specified TODO contain each other. A submission is scored against a known source the same way,
every fingerprint kept however many classmates hold it, and flagged `source:<name>`.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from hw3.similarity.evidence import (
    Calibrations,
    ClassCounts,
    SourceClass,
    Threshold,
    class_tail,
    shared_bits,
    source_class,
    weight,
)
from hw3.similarity.honest import Corpus
from hw3.similarity.sources import Source
from hw3.similarity.stubs import OTHER, Stub
from hw3.similarity.submissions import IMAGE, RUN, TEXT, WIDGET, Region, Submission

COMMON_FRACTION = 0.1  # a fingerprint held by more than this share of the class is boilerplate...
COMMON_MIN = 4  # ...or by more than this many submissions, whichever is larger (MOSS's -m is 10)
FLAG_MIN_OUTPUTS = 3  # output lines, images or widget ids shared by two students alone...
# ...of which this many timings or rates: each carries few bits (a rate to 2 decimals at a similar speed, an
# elapsed time), so among the ~45,000 pairs of a class of 300 some pairs share two or three by chance; four not
FLAG_MIN_RUN_SPECIFIC = 4
# one shared progress-bar widget id (a random UUID of its run) is enough on its own
FLAGGED, UNUSUAL = "flagged", "unusually similar"  # the verdicts, strongest first


@dataclass
class Pair:
    """Evidence that submissions `a` and `b` (indices) share work."""

    a: int
    b: int
    questions: dict[str, tuple[int, float]] = field(
        default_factory=dict
    )  # key -> (shared, containment)
    shared: int = 0
    score: float = 0.0  # pooled containment
    bits: float = 0.0  # evidence, summed over questions
    question_bits: dict[str, float] = field(default_factory=dict)  # key -> evidence
    outputs_shared: int = 0
    outputs_score: float = 0.0
    outputs_run_specific: int = 0  # of the shared outputs, those no honest rerun repeats
    flags: list[str] = field(default_factory=list)
    verdict: str = ""  # FLAGGED, UNUSUAL or ""
    threshold: Threshold | None = None  # the levels this pair was judged against
    evidence: str = ""


@dataclass
class SourceMatch:
    """Evidence that submission `submission` (index) copied from known source `source` (index)."""

    submission: int
    source: int
    questions: dict[str, tuple[int, float]] = field(
        default_factory=dict
    )  # key -> (shared, containment)
    shared: int = 0
    score: float = 0.0
    bits: float = 0.0
    question_bits: dict[str, float] = field(default_factory=dict)
    flag: str = ""  # `source:<name>` when the calibrated threshold is crossed
    verdict: str = ""
    threshold: Threshold | None = None
    evidence: str = ""


@dataclass
class Weigher:
    """Weighs shared fingerprints: the corpus, what the class holds, and who is a corpus solution's author."""

    corpus: Corpus
    counts: ClassCounts

    def excluded(self, *masks: dict[str, int]) -> dict[str, int]:
        """Per key, the corpus solutions left out: the union of `masks`."""
        found: dict[str, int] = defaultdict(int)
        for mask in masks:
            for key, value in mask.items():
                found[key] |= value
        return dict(found)

    def own(self, index: int) -> dict[str, int]:
        """{key: the corpus solutions that are submission `index`'s own answer}, non-empty ones."""
        return {
            key: own[index]
            for key, own in self.counts.own.items()
            if index < len(own) and own[index]
        }

    def pair_bits(self, key: str, values, a: int, b: int, excluded: int) -> dict[int, float]:
        """{fingerprint: bits} of the fingerprints of `key` submissions `a` and `b` share."""
        if not self.corpus.calibrated(key):
            return dict.fromkeys(values, 0.0)
        return shared_bits(
            values,
            self.corpus,
            key,
            excluded,
            self.counts.holders[key],
            frozenset((a, b)),
            self.counts.answered[key] - 2,
        )

    def source_bits(
        self, key: str, values, student: int, excluded: int, view: SourceClass
    ) -> dict[int, float]:
        """{fingerprint: bits} of the fingerprints of `key` a submission shares with a source (near-copies `view`)."""
        if not self.corpus.calibrated(key):
            return dict.fromkeys(values, 0.0)
        me = frozenset((student,))
        return shared_bits(
            values,
            self.corpus,
            key,
            excluded,
            self.counts.holders[key],
            view.near | me,
            view.classmates(self.counts, key, me),
        )

    def source_view(self, source: Source, keys: list[str]) -> SourceClass:
        """Who the source's near-copies are, for weighing the matches with it."""
        regions = source_regions(source, keys)
        prints = {key: frozenset(region.prints) for key, region in regions.items()}
        return source_class(prints, self.corpus, self.counts, source_own(source, keys, self.corpus))


def default_max_common(count: int) -> int:
    """Submissions a fingerprint may appear in before it counts as boilerplate."""
    return max(COMMON_MIN, math.ceil(COMMON_FRACTION * count))


def index_pairs(sets: list[set], max_common: int) -> tuple[Counter, list[int], set]:
    """(shared counts per pair (i, j), each item's kept size, the items dropped as common).

    Builds the inverted index item -> holders once, so only pairs that share something are touched.
    """
    holders = holder_lists(sets)
    common = {item for item, owners in holders.items() if len(owners) > max_common}
    shared: Counter = Counter()
    for item, owners in holders.items():
        if len(owners) > 1 and item not in common:
            shared.update(itertools.combinations(owners, 2))
    sizes = [len(items - common) if common else len(items) for items in sets]
    return shared, sizes, common


def holder_lists(sets: list[set]) -> dict:
    """{item: the indices of the sets holding it, ascending}."""
    holders: dict = {}
    for owner, items in enumerate(sets):
        for item in items:
            holders.setdefault(item, []).append(owner)
    return holders


def ordered_keys(submissions: list[Submission], stubs: dict[str, Stub]) -> list[str]:
    """Every `assignment:question` seen, in notebook order, OTHER last within each assignment."""
    order = [f"{name}:{q}" for name, stub in stubs.items() for q in [*stub.questions, OTHER]]
    seen = {key for s in submissions for key in s.regions}
    return [key for key in order if key in seen]


def class_counts(
    submissions: list[Submission], keys: list[str], corpus: Corpus, max_common: int
) -> ClassCounts:
    """What the class holds per question, and which submissions' answers are corpus solutions."""
    prints = {
        key: [
            frozenset(s.regions[key].prints) if key in s.regions else frozenset()
            for s in submissions
        ]
        for key in keys
    }
    holders = {
        key: {value: frozenset(owners) for value, owners in holder_lists(found).items()}
        for key, found in prints.items()
    }
    answered = {key: sum(1 for p in found if p) for key, found in prints.items()}
    own = {key: [corpus.own(key, p) for p in found] for key, found in prints.items()}
    return ClassCounts(answered, holders, prints, own, max_common)


def group_bits(
    weigher: Weigher, key: str, values: list[int], owners: tuple, excluded: int
) -> float:
    """Bits of the fingerprints `values` of `key` that exactly the submissions `owners` hold, for two of them.

    Held by the two alone, each weighs; held by others too, they are one idiom and weigh once.
    """
    corpus = weigher.corpus
    rare = sum(1 for value in values if not corpus.holders(key, value) & ~excluded)
    if not rare or not corpus.calibrated(key):
        return 0.0
    solutions = (corpus.answered.get(key, 0) & ~excluded).bit_count()
    bits = weight(solutions, weigher.counts.answered[key] - 2, len(owners) - 2)
    return bits * rare if len(owners) == 2 else bits


def add_code_evidence(
    pairs: dict[tuple[int, int], Pair], key: str, weigher: Weigher, common: set
) -> list[int]:
    """Add each pair's shared fingerprints of `key` and their bits; the kept size of each answer."""
    sets = weigher.counts.prints[key]
    own = weigher.counts.own[key]
    by_owners: dict[tuple, list[int]] = defaultdict(list)
    for value, owners in weigher.counts.holders[key].items():
        if len(owners) > 1 and value not in common:
            by_owners[tuple(sorted(owners))].append(value)
    for owners, values in by_owners.items():
        base = group_bits(weigher, key, values, owners, 0)
        for a, b in itertools.combinations(owners, 2):
            pair = pairs.setdefault((a, b), Pair(a, b))
            left_out = own[a] | own[b]
            bits = base if not left_out else group_bits(weigher, key, values, owners, left_out)
            count, _ = pair.questions.get(key, (0, 0.0))
            pair.questions[key] = (count + len(values), 0.0)
            pair.question_bits[key] = pair.question_bits.get(key, 0.0) + bits
    return [len(items - common) if common else len(items) for items in sets]


def compare(
    submissions: list[Submission],
    keys: list[str],
    max_common: int,
    corpus: Corpus | None = None,
    calibrations: Calibrations | None = None,
) -> tuple[list[Pair], dict[str, set]]:
    """Score every pair that shares a kept fingerprint or output unit; strongest first.

    Without a corpus (and its calibrations) no code weighs anything and no pair is flagged on code.
    """
    corpus = corpus or Corpus()
    counts = (
        calibrations.counts if calibrations else class_counts(submissions, keys, corpus, max_common)
    )
    weigher = Weigher(corpus, counts)
    pairs: dict[tuple[int, int], Pair] = {}
    common: dict[str, set] = {}
    kept_sizes: dict[str, list[int]] = {}
    for key in keys:
        common[key] = {v for v, owners in counts.holders[key].items() if len(owners) > max_common}
        kept_sizes[key] = add_code_evidence(pairs, key, weigher, common[key])
    for (a, b), pair in pairs.items():
        for key, (count, _) in pair.questions.items():
            pair.questions[key] = (count, count / min(kept_sizes[key][a], kept_sizes[key][b]))
        pair.shared = sum(count for count, _ in pair.questions.values())
        pair.bits = sum(pair.question_bits.values())
        # pooled over every question, so a one-line answer weighs little and one copied answer still shows
        pooled = sum(min(sizes[a], sizes[b]) for sizes in kept_sizes.values())
        pair.score = pair.shared / pooled if pooled else 0.0
    shared, sizes, common["outputs"] = index_pairs(
        [set(s.outputs) for s in submissions], max_common
    )
    for (a, b), count in shared.items():
        pair = pairs.setdefault((a, b), Pair(a, b))
        pair.outputs_shared = count
        pair.outputs_score = count / max(1, min(sizes[a], sizes[b]))
    run_specific, _, _ = index_pairs(
        [{u for u in s.outputs if is_run_specific(u)} for s in submissions], max_common
    )
    for (a, b), count in run_specific.items():
        pairs[a, b].outputs_run_specific = count
    if calibrations is not None:
        calibrations.class_pairs = class_tail(
            {
                key: [p.question_bits[key] for p in pairs.values() if p.question_bits.get(key)]
                for key in keys
            },
            len(submissions) * (len(submissions) - 1) // 2,
            len(submissions),
        )
    for pair in pairs.values():
        if calibrations is not None:
            pair.threshold = calibrations.for_pair(
                weigher.excluded(weigher.own(pair.a), weigher.own(pair.b))
            )
        describe(pair, submissions, common)
    ranked = sorted(
        pairs.values(),
        key=lambda p: (-bool(p.flags), -p.bits, -p.score, -p.shared, -p.outputs_shared, p.a, p.b),
    )
    return ranked, common


def is_run_specific(unit: str) -> bool:
    """Whether an output unit differs between honest runs (a timing, a rate, a widget id)."""
    return unit.startswith((RUN, WIDGET))


def shared_outputs(a: Submission, b: Submission, common: dict[str, set]) -> list[str]:
    """The output units two submissions share beyond the class's common ones: run-specific first, then text."""
    order = {RUN: 0, WIDGET: 1, TEXT: 2, IMAGE: 3}
    return sorted(
        set(a.outputs) & set(b.outputs) - common["outputs"],
        key=lambda u: (order.get(u[: u.index(":") + 1], 4), u),
    )


def verdict(bits: float, threshold: Threshold | None) -> str:
    """FLAGGED past the threshold's flag level, UNUSUAL past its unusual level, else ''."""
    if threshold is None or threshold.flag is None or bits <= 0:
        return ""
    if bits >= threshold.flag:
        return FLAGGED
    return UNUSUAL if bits >= threshold.unusual else ""


def describe(pair: Pair, submissions: list[Submission], common: dict[str, set]) -> None:
    """Set the pair's flags, verdict and one-line strongest evidence."""
    a, b = submissions[pair.a], submissions[pair.b]
    parts = []
    pair.verdict = verdict(pair.bits, pair.threshold)
    if pair.verdict == FLAGGED:
        pair.flags.append("code")
    if pair.outputs_shared >= FLAG_MIN_OUTPUTS and (
        pair.outputs_run_specific >= FLAG_MIN_RUN_SPECIFIC
        or any(unit.startswith(WIDGET) for unit in shared_outputs(a, b, common))
    ):
        pair.flags.append("outputs")
    if pair.flags:
        pair.verdict = FLAGGED
    if pair.questions:
        parts.append(strongest(pair.questions, pair.question_bits))
    if pair.outputs_shared:
        first = a.outputs[shared_outputs(a, b, common)[0]]
        parts.append(
            f"{pair.outputs_shared} shared output(s) ({pair.outputs_run_specific} run-specific), "
            f"e.g. {first[:80]!r}"
        )
    if a.student_number and a.student_number == b.student_number:
        parts.append("same student number: a resubmission?")
    pair.evidence = "; ".join(parts)


def strongest(questions: dict[str, tuple[int, float]], bits: dict[str, float]) -> str:
    """The question with the strongest shared code (most bits, then most shared), in words."""
    key, (count, score) = max(
        questions.items(), key=lambda item: (bits.get(item[0], 0.0), item[1][0] * item[1][1])
    )
    return (
        f"{key}: {bits.get(key, 0.0):.0f} bits of evidence in {count} shared fingerprints "
        f"({score:.0%} of the smaller answer)"
    )


def source_regions(source: Source, keys: list[str]) -> dict[str, Region]:
    """{key: the source's Region to compare a submission's answer to `key` with}.

    A source with no question of an assignment (an untagged notebook whose functions have other
    names) offers its whole code, `<assignment>:other`, to every question of that assignment.
    """
    regions = {key: region for key, region in source.regions.items() if region.prints}
    found = {}
    for key in keys:
        assignment = key.split(":")[0]
        whole = f"{assignment}:{OTHER}"
        answered = any(k.startswith(f"{assignment}:") and k != whole for k in regions)
        if key in regions:
            found[key] = regions[key]
        elif not answered and whole in regions:
            found[key] = regions[whole]
    return found


def source_own(source: Source, keys: list[str], corpus: Corpus) -> dict[str, int]:
    """{key: the corpus solutions that are the source's own answer} (the reference's is itself)."""
    found = {}
    for key, region in source_regions(source, keys).items():
        mask = corpus.own(key, region.prints)
        if mask:
            found[key] = mask
    return found


def compare_sources(
    submissions: list[Submission],
    sources: list[Source],
    keys: list[str],
    corpus: Corpus | None = None,
    calibrations: Calibrations | None = None,
) -> list[SourceMatch]:
    """Score every submission against every source, all fingerprints kept; those sharing anything, strongest first."""
    corpus = corpus or Corpus()
    counts = calibrations.counts if calibrations else class_counts(submissions, keys, corpus, 0)
    weigher = Weigher(corpus, counts)
    matches = []
    lookups = [
        {key: set(region.prints) for key, region in source_regions(source, keys).items()}
        for source in sources
    ]
    owns = [source_own(source, keys, corpus) for source in sources]
    views = [weigher.source_view(source, keys) for source in sources]
    for index, submission in enumerate(submissions):
        mine = weigher.own(index)
        for source_index, lookup in enumerate(lookups):
            match, pooled = SourceMatch(index, source_index), 0
            left_out = weigher.excluded(mine, owns[source_index])
            for key, region in submission.regions.items():
                theirs = lookup.get(key)
                if not theirs or not region.prints:
                    continue
                both = theirs & region.prints.keys()
                smaller = min(len(theirs), len(region.prints))
                pooled += smaller
                if both:
                    match.questions[key] = (len(both), len(both) / smaller)
                    match.shared += len(both)
                    match.question_bits[key] = sum(
                        weigher.source_bits(
                            key, both, index, left_out.get(key, 0), views[source_index]
                        ).values()
                    )
            if match.shared:
                match.score = match.shared / pooled
                match.bits = sum(match.question_bits.values())
                matches.append(match)
    for source_index, view in enumerate(views):
        if calibrations is not None:
            calibrations.source_views[source_index] = view
            honest = [
                m for m in matches if m.source == source_index and m.submission not in view.near
            ]
            calibrations.class_sources[source_index] = class_tail(
                {
                    key: [m.question_bits[key] for m in honest if m.question_bits.get(key)]
                    for key in keys
                },
                len(submissions) - len(view.near),
                len(submissions) - len(view.near),
            )
    for match in matches:
        if calibrations is not None:
            match.threshold = calibrations.for_source(
                weigher.own(match.submission), match.source, owns[match.source]
            )
        match.verdict = verdict(match.bits, match.threshold)
        if match.verdict == FLAGGED:
            match.flag = f"source:{sources[match.source].name}"
        match.evidence = strongest(match.questions, match.question_bits)
    return sorted(
        matches, key=lambda m: (not m.flag, -m.bits, -m.score, -m.shared, m.submission, m.source)
    )
