"""`hw3 similarity --bench N`: a synthetic class with planted copies, compared and scored.

The class (`synth.write_class`) holds copies of a classmate, of the reference and of an earlier
term's submission, and honest students of two kinds: pool students (composed from the pool's
steps) and variant students (the real independent solutions of `reference/variants/`, which the
screen judges with their own solution left out of its corpus). What counts: every planted copy
found, and on honest students the false alarms, each kind as a rate over its honest pairs with a
one-sided 95 % Wilson upper bound, since no false alarm among n pairs does not mean a rate of 0.
"""

from __future__ import annotations

import itertools
import math
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

from hw3.errors import Hw3Error
from hw3.similarity import synth
from hw3.similarity.compare import FLAGGED, UNUSUAL
from hw3.similarity.results import Comparison
from hw3.similarity.run import DEFAULT_JOBS, DEFAULT_TOP, similarity

CONFIDENCE = 0.95  # of the upper bounds on false-alarm rates


def wilson_upper(hits: int, trials: int, confidence: float = CONFIDENCE) -> float:
    """One-sided upper bound of a binomial rate (Wilson score interval); 1.0 without trials."""
    if trials == 0:
        return 1.0
    z = NormalDist().inv_cdf(confidence)
    rate = hits / trials
    centre = rate + z * z / (2 * trials)
    spread = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials))
    return min(1.0, (centre + spread) / (1 + z * z / trials))


@dataclass
class HonestRate:
    """False alarms on pairs of honest students of one kind, written apart."""

    kind: str
    pairs: int  # honest pairs compared
    flagged: int  # of them, flagged
    unusual: int  # of them, unusually similar (not flagged)

    @property
    def upper(self) -> float:
        return wilson_upper(self.flagged, self.pairs)

    def line(self) -> str:
        return (
            f"{self.kind}: {self.flagged} of {self.pairs:,} honest pairs flagged (rate "
            f"{self.flagged / max(1, self.pairs):.1e}, {CONFIDENCE:.0%} upper bound {self.upper:.1e}), "
            f"{self.unusual} unusually similar"
        )


@dataclass
class BenchResult:
    """A timed synthetic class: the comparison, its CPU seconds, how the planted copies and the independent fared."""

    comparison: Comparison
    cpu_seconds: float
    planted: int  # classmates' notebooks copied
    planted_flagged: int  # of them, flagged as a pair with their original
    source_copies: dict[
        str, tuple[int, int]
    ]  # source -> (students who copied it, of them flagged or clustered)
    false_pairs: int  # flagged pairs of students whose code comes from different origins
    false_sources: int  # source flags on students who did not copy that source
    source_checks: int  # honest students times sources: the chances of a false source flag
    false_clusters: int  # clusters whose members' code comes from different origins
    honest: list[HonestRate]  # per kind of honest student


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (the pool's workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench(
    *,
    size: int,
    out: Path,
    release_root: Path,
    top: int = DEFAULT_TOP,
    max_common: int | None = None,
    jobs: int = DEFAULT_JOBS,
) -> BenchResult:
    """Time `similarity` on a synthetic class of `size` submissions with planted copies (`synth.py`).

    The reference solution and the earlier term's submission the class copies are the known sources.
    """
    if size < 2:
        raise Hw3Error("--bench needs at least 2 submissions")
    with tempfile.TemporaryDirectory(prefix="hw3-similarity-bench-") as tmp:
        started = time.perf_counter()
        planted = synth.write_class(Path(tmp), size, release_root)
        copies = sum(len(files) for files in planted.source_copies.values())
        kinds = list(planted.kinds.values())
        print(
            f"generated {size} synthetic submissions in {time.perf_counter() - started:.1f} s "
            f"({len(planted.pair_copies)} copies of a classmate, {copies} of a known source, "
            f"{kinds.count(synth.POOL)} pool students, {kinds.count(synth.VARIANT)} variant students)"
        )
        cpu_before = cpu_seconds()
        result = similarity(
            paths=sorted(Path(tmp).glob("*.zip")),
            out=out,
            release_root=release_root,
            against=planted.against,
            top=top,
            max_common=max_common,
            jobs=jobs,
        )
        cpu = cpu_seconds() - cpu_before
    return scored(result, planted, cpu)


def honest_rates(result: Comparison, kinds: list[str]) -> list[HonestRate]:
    """False alarms among pool students, and on pairs with a variant student and another honest one."""
    verdicts = {(p.a, p.b): p.verdict for p in result.pairs}
    honest = [i for i, kind in enumerate(kinds) if kind in (synth.POOL, synth.VARIANT)]
    rates = {
        synth.POOL: HonestRate("pool students", 0, 0, 0),
        synth.VARIANT: HonestRate("variant students (real independent solutions)", 0, 0, 0),
    }
    for a, b in itertools.combinations(honest, 2):
        rate = rates[synth.VARIANT if synth.VARIANT in (kinds[a], kinds[b]) else synth.POOL]
        rate.pairs += 1
        found = verdicts.get((a, b), "")
        rate.flagged += found == FLAGGED
        rate.unusual += found == UNUSUAL
    return list(rates.values())


def scored(result: Comparison, planted, cpu: float) -> BenchResult:
    """How `result` fared on the synthetic class `planted` (a synth.SyntheticClass)."""
    names = [s.path.name for s in result.submissions]
    origin = [planted.origins[name] for name in names]
    kinds = [planted.kinds[name] for name in names]
    flagged_pairs = {frozenset((names[p.a], names[p.b])) for p in result.pairs if p.flags}
    hits = sum(1 for a, b in planted.pair_copies if frozenset((a, b)) in flagged_pairs)
    flagged = {(m.submission, result.sources[m.source].name) for m in result.matches if m.flag}
    clustered, false_clusters = {}, 0
    for cluster in result.clusters:
        origins = {origin[index] for index in cluster.members}
        if len(origins) > 1:
            false_clusters += 1
        else:
            only = origins.pop()
            clustered.update((index, only) for index in cluster.members)
    index_of = {name: index for index, name in enumerate(names)}
    caught = {
        source: (
            len(files),
            sum(
                1
                for file in files
                if (index_of[file], source) in flagged or clustered.get(index_of[file]) == source
            ),
        )
        for source, files in planted.source_copies.items()
    }
    false_pairs = sum(1 for p in result.pairs if p.flags and origin[p.a] != origin[p.b])
    false_sources = sum(1 for index, source in flagged if origin[index] != source)
    honest_students = sum(1 for kind in kinds if kind in (synth.POOL, synth.VARIANT))
    return BenchResult(
        result,
        cpu,
        len(planted.pair_copies),
        hits,
        caught,
        false_pairs,
        false_sources,
        honest_students * len(result.sources),
        false_clusters,
        honest_rates(result, kinds),
    )


def bench_lines(timed: BenchResult, load_note: str) -> list[str]:
    """What `hw3 similarity --bench` prints after the comparison's summary."""
    result = timed.comparison
    seconds = sum(result.timings.values())
    caught = ", ".join(
        f"source:{source} {hit} of {count}" for source, (count, hit) in timed.source_copies.items()
    )
    return [
        f"CPU time, this process and its workers: {timed.cpu_seconds:.1f} s (wall time above grows with "
        f"other load on the machine; {load_note}); {result.pairs_compared / max(seconds, 1e-9):,.0f} pairs per "
        "second of wall time",
        f"copies of a classmate flagged with their original: {timed.planted_flagged} of {timed.planted}",
        f"copies of a known source flagged with it or clustered: {caught or 'none planted'}",
        f"false alarms: {timed.false_pairs} flagged pair(s) of different origins, {timed.false_sources} "
        f"source flag(s) on students who did not copy it, {timed.false_clusters} cluster(s) mixing origins",
        *(f"false alarms on {rate.line()}" for rate in timed.honest),
        f"false alarms on known sources: {timed.false_sources} of {timed.source_checks:,} honest student-source "
        f"checks flagged ({CONFIDENCE:.0%} upper bound {wilson_upper(timed.false_sources, timed.source_checks):.1e})",
    ]
