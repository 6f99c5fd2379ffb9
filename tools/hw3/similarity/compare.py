"""Scoring pairs of submissions, and each submission against the known sources.

Fingerprints found in the starter code were dropped when the regions were built; for pairs, those
held by more than `max_common` submissions are dropped here: the natural solution many students
reach on their own is not evidence (`clusters.py` groups what is dropped, so a solution copied by
many still shows). A pair's score on a question is its shared fingerprints over the smaller
answer's (containment, which a copy padded with extra code cannot escape); its overall score is
all shared fingerprints over the sum, across questions, of the smaller answer's, so a one-line
answer weighs little. A pair is flagged on its overall score, on one answer almost wholly
contained in the other, or on outputs that only the two share, some of them run-specific.
A submission is scored against a known source (`sources.py`) the same way, question by question,
with every fingerprint kept however many classmates hold it, and flagged `source:<name>` on the
same thresholds.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field

from hw3.similarity.sources import Source
from hw3.similarity.stubs import OTHER, Stub
from hw3.similarity.submissions import IMAGE, RUN, TEXT, WIDGET, Region, Submission

COMMON_FRACTION = 0.1  # a fingerprint held by more than this share of the class is boilerplate...
COMMON_MIN = 4  # ...or by more than this many submissions, whichever is larger (MOSS's -m is 10)
FLAG_SCORE = 0.5  # pooled containment from which a pair is flagged...
FLAG_MIN_SHARED = 8  # ...when it also shares this many fingerprints (about 25 tokens, three lines)
FLAG_QUESTION_SCORE = (
    0.8  # one answer this much contained in the other also flags, when it is long enough
)
FLAG_QUESTION_MIN_SHARED = (
    20  # to share this many fingerprints: a 3-line answer is often the same by necessity
)
FLAG_MIN_OUTPUTS = 3  # output lines, images or widget ids shared by two students alone...
# ...of which this many timings or rates: each carries few bits (a rate to 2 decimals at a similar speed, an
# elapsed time), so among the ~45,000 pairs of a class of 300 some pairs share two or three by chance; four not
FLAG_MIN_RUN_SPECIFIC = 4
# one shared progress-bar widget id (a random UUID of its run) is enough on its own


@dataclass
class Pair:
    """Evidence that submissions `a` and `b` (indices) share work."""

    a: int
    b: int
    questions: dict[str, tuple[int, float]] = field(
        default_factory=dict
    )  # key -> (shared, containment)
    shared: int = 0
    score: float = 0.0
    outputs_shared: int = 0
    outputs_score: float = 0.0
    outputs_run_specific: int = 0  # of the shared outputs, those no honest rerun repeats
    flags: list[str] = field(default_factory=list)
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
    flag: str = ""  # `source:<name>` when a flag threshold is crossed
    evidence: str = ""


def default_max_common(count: int) -> int:
    """Submissions a fingerprint may appear in before it counts as boilerplate."""
    return max(COMMON_MIN, math.ceil(COMMON_FRACTION * count))


def index_pairs(sets: list[set], max_common: int) -> tuple[Counter, list[int], set]:
    """(shared counts per pair (i, j), each item's kept size, the items dropped as common).

    Builds the inverted index item -> holders once, so only pairs that share something are touched.
    """
    holders: dict = {}
    for owner, items in enumerate(sets):
        for item in items:
            holders.setdefault(item, []).append(owner)
    common = {item for item, owners in holders.items() if len(owners) > max_common}
    shared: Counter = Counter()
    for item, owners in holders.items():
        if len(owners) > 1 and item not in common:
            shared.update(itertools.combinations(owners, 2))
    sizes = [len(items - common) if common else len(items) for items in sets]
    return shared, sizes, common


def ordered_keys(submissions: list[Submission], stubs: dict[str, Stub]) -> list[str]:
    """Every `assignment:question` seen, in notebook order, OTHER last within each assignment."""
    order = [f"{name}:{q}" for name, stub in stubs.items() for q in [*stub.questions, OTHER]]
    seen = {key for s in submissions for key in s.regions}
    return [key for key in order if key in seen]


def compare(
    submissions: list[Submission], keys: list[str], max_common: int
) -> tuple[list[Pair], dict[str, set]]:
    """Score every pair that shares a kept fingerprint or output unit; strongest first."""
    pairs: dict[tuple[int, int], Pair] = {}
    common: dict[str, set] = {}
    kept_sizes: dict[str, list[int]] = {}
    for key in keys:
        sets = [set(s.regions[key].prints) if key in s.regions else set() for s in submissions]
        shared, kept_sizes[key], common[key] = index_pairs(sets, max_common)
        for (a, b), count in shared.items():
            pair = pairs.setdefault((a, b), Pair(a, b))
            pair.questions[key] = (count, count / min(kept_sizes[key][a], kept_sizes[key][b]))
            pair.shared += count
    for (a, b), pair in pairs.items():
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
    for pair in pairs.values():
        describe(pair, submissions, common)
    ranked = sorted(
        pairs.values(),
        key=lambda p: (-bool(p.flags), -p.score, -p.shared, -p.outputs_shared, p.a, p.b),
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


def describe(pair: Pair, submissions: list[Submission], common: dict[str, set]) -> None:
    """Set the pair's flags and its one-line strongest evidence."""
    a, b = submissions[pair.a], submissions[pair.b]
    parts = []
    code = code_flag(pair.score, pair.shared, pair.questions)
    if code:
        pair.flags.append(code)
    if pair.outputs_shared >= FLAG_MIN_OUTPUTS and (
        pair.outputs_run_specific >= FLAG_MIN_RUN_SPECIFIC
        or any(unit.startswith(WIDGET) for unit in shared_outputs(a, b, common))
    ):
        pair.flags.append("outputs")
    if pair.questions:
        parts.append(strongest(pair.questions))
    if pair.outputs_shared:
        first = a.outputs[shared_outputs(a, b, common)[0]]
        parts.append(
            f"{pair.outputs_shared} shared output(s) ({pair.outputs_run_specific} run-specific), "
            f"e.g. {first[:80]!r}"
        )
    if a.student_number and a.student_number == b.student_number:
        parts.append("same student number: a resubmission?")
    pair.evidence = "; ".join(parts)


def code_flag(score: float, shared: int, questions: dict[str, tuple[int, float]]) -> str:
    """'code' on the overall score, 'question' on one answer almost wholly contained in the other, else ''."""
    if score >= FLAG_SCORE and shared >= FLAG_MIN_SHARED:
        return "code"
    if any(
        containment >= FLAG_QUESTION_SCORE and count >= FLAG_QUESTION_MIN_SHARED
        for count, containment in questions.values()
    ):
        return "question"
    return ""


def strongest(questions: dict[str, tuple[int, float]]) -> str:
    """The question with the strongest shared code, in words."""
    key, (count, score) = max(
        questions.items(), key=lambda item: (item[1][0] * item[1][1], item[1][0])
    )
    return f"{key}: {count} shared fingerprints ({score:.0%} of the smaller answer)"


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


def compare_sources(
    submissions: list[Submission], sources: list[Source], keys: list[str]
) -> list[SourceMatch]:
    """Score every submission against every source, all fingerprints kept; those sharing anything, strongest first."""
    matches = []
    lookups = [
        {key: set(region.prints) for key, region in source_regions(source, keys).items()}
        for source in sources
    ]
    for index, submission in enumerate(submissions):
        for source_index, lookup in enumerate(lookups):
            match, pooled = SourceMatch(index, source_index), 0
            for key, region in submission.regions.items():
                theirs = lookup.get(key)
                if not theirs or not region.prints:
                    continue
                count = len(theirs & region.prints.keys())
                smaller = min(len(theirs), len(region.prints))
                pooled += smaller
                if count:
                    match.questions[key] = (count, count / smaller)
                    match.shared += count
            if not match.shared:
                continue
            match.score = match.shared / pooled
            if code_flag(match.score, match.shared, match.questions):
                match.flag = f"source:{sources[source_index].name}"
            match.evidence = strongest(match.questions)
            matches.append(match)
    return sorted(matches, key=lambda m: (not m.flag, -m.score, -m.shared, m.submission, m.source))
