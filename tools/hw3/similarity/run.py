"""`hw3 similarity`'s API: compare a class's zips and write the CSVs and the HTML report; and its benchmark.

Reads the Quera zips (folders searched recursively as `hw3 grade` does) without extracting them,
and compares only what each student wrote (`submissions.py`), by winnowed fingerprints of
normalised tokens (`fingerprints.py`): pairs of submissions and shared run-specific outputs
(`compare.py`), each submission against the known sources (`sources.py`), and the clusters of
code too common for the pairs (`clusters.py`).
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hw3.errors import Hw3Error
from hw3.grading.auto.intake import find_zips
from hw3.registry import release_registry
from hw3.similarity import report
from hw3.similarity.clusters import find_clusters
from hw3.similarity.compare import compare, compare_sources, default_max_common, ordered_keys
from hw3.similarity.results import Comparison
from hw3.similarity.sources import against_sources, reference_source
from hw3.similarity.stubs import load_stubs
from hw3.similarity.submissions import load_all

CSV_NAME, HTML_NAME = "similarity.csv", "similarity.html"
SOURCES_CSV_NAME, CLUSTERS_CSV_NAME = "sources.csv", "clusters.csv"
DEFAULT_TOP = 20
DEFAULT_JOBS = 2


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
    false_clusters: int  # clusters whose members' code comes from different origins


def zip_paths(inputs: list[Path], out: Path | None = None) -> list[Path]:
    """The zips named by `inputs`, found as `hw3 grade` finds them; Hw3Error when there is none at all."""
    paths = find_zips(list(inputs), out)
    if not paths:
        raise Hw3Error(
            f"{', '.join(map(str, inputs))}: holds no .zip files: "
            "give the folder the Quera zips were downloaded to"
        )
    return paths


def similarity(
    *,
    paths: list[Path],
    out: Path,
    release_root: Path,
    reference: bool = True,
    against: list[Path] | None = None,
    top: int = DEFAULT_TOP,
    max_common: int | None = None,
    jobs: int = DEFAULT_JOBS,
) -> Comparison:
    """Compare the zips at `paths` with each other and with the known sources, and write the report to `out`.

    The release under `release_root` (its declared assignments, `student/` and `autograder/`) gives
    the starter code to subtract. Known sources: the reference solution of `autograder/` (unless
    `reference` is false) and the zips and notebooks under `against`. Writes similarity.csv,
    sources.csv, clusters.csv and similarity.html.
    """
    started = time.perf_counter()
    names = release_registry(release_root).names
    stubs, notes = load_stubs(release_root / "student", names)
    if not stubs:
        raise Hw3Error(
            f"{release_root / 'student'}: holds no released notebook ({', '.join(names)}): "
            "pass --release with the folder `hw3 release` wrote"
        )
    sources, source_skipped = against_sources(against, stubs, jobs) if against else ([], [])
    if reference:
        reference_found, reference_notes = reference_source(release_root / "autograder", stubs)
        sources = ([reference_found] if reference_found else []) + sources
        notes += reference_notes
    submissions, skipped = load_all(paths, stubs, jobs)
    read_done = time.perf_counter()
    keys = ordered_keys(submissions, stubs)
    limit = max_common if max_common is not None else default_max_common(len(submissions))
    pairs, common = compare(submissions, keys, limit)
    compare_done = time.perf_counter()
    result = Comparison(
        submissions=submissions,
        skipped=skipped,
        notes=notes,
        keys=keys,
        pairs=pairs,
        common=common,
        max_common=limit,
        pairs_compared=len(submissions) * (len(submissions) - 1) // 2,
        sources=sources,
        source_skipped=source_skipped,
    )
    result.matches = compare_sources(submissions, sources, keys)
    sources_done = time.perf_counter()
    result.clusters = find_clusters(submissions, keys, common, sources)
    clusters_done = time.perf_counter()
    result.timings = {
        "read": read_done - started,
        "compare": compare_done - read_done,
        "sources": sources_done - compare_done,
        "clusters": clusters_done - sources_done,
        "report": 0.0,
    }
    out.mkdir(parents=True, exist_ok=True)
    report.write_csv(out / CSV_NAME, result)
    report.write_sources_csv(out / SOURCES_CSV_NAME, result)
    report.write_clusters_csv(out / CLUSTERS_CSV_NAME, result)
    report.write_html(out / HTML_NAME, result, top)
    result.timings["report"] = time.perf_counter() - clusters_done
    return result


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
    from hw3.similarity import synth

    if size < 2:
        raise Hw3Error("--bench needs at least 2 submissions")
    with tempfile.TemporaryDirectory(prefix="hw3-similarity-bench-") as tmp:
        started = time.perf_counter()
        planted = synth.write_class(Path(tmp), size, release_root)
        copies = sum(len(files) for files in planted.source_copies.values())
        print(
            f"generated {size} synthetic submissions in {time.perf_counter() - started:.1f} s "
            f"({len(planted.pair_copies)} copies of a classmate, {copies} of a known source)"
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


def scored(result: Comparison, planted, cpu: float) -> BenchResult:
    """How `result` fared on the synthetic class `planted` (a synth.SyntheticClass)."""
    names = [s.path.name for s in result.submissions]
    origin = [planted.origins[name] for name in names]
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
    return BenchResult(
        result,
        cpu,
        len(planted.pair_copies),
        hits,
        caught,
        false_pairs,
        false_sources,
        false_clusters,
    )


def summary(result: Comparison, out: Path, jobs: int) -> str:
    """The closing lines printed to the terminal."""
    seconds = sum(result.timings.values())
    timing = ", ".join(f"{name} {value:.1f} s" for name, value in result.timings.items())
    flagged = sum(1 for p in result.pairs if p.flags)
    by_flag = Counter(match.flag for match in result.matches if match.flag)
    matched = len({match.submission for match in result.matches if match.flag})
    lines = [
        f"hw3 similarity: {len(result.submissions)} submissions, {result.pairs_compared} pairs in "
        f"{seconds:.1f} s ({timing}; read on {jobs} worker(s)); {flagged} pair(s) flagged"
    ]
    sources = ", ".join(source.name for source in result.sources) or "none"
    counts = (
        f" ({', '.join(f'{flag} {count}' for flag, count in by_flag.items())})" if by_flag else ""
    )
    sizes = (
        f" of {', '.join(str(len(c.members)) for c in result.clusters)} submissions"
        if result.clusters
        else ""
    )
    lines.append(
        f"known sources ({sources}): {matched} submission(s) flagged{counts}; "
        f"{len(result.clusters)} cluster(s){sizes}"
    )
    lines += [f"skipped {file}: {why}" for file, why in result.skipped]
    lines += [f"skipped source {file}: {why}" for file, why in result.source_skipped]
    lines.append(
        f"wrote {out / CSV_NAME}, {out / SOURCES_CSV_NAME}, {out / CLUSTERS_CSV_NAME} and {out / HTML_NAME}"
    )
    return "\n".join(lines)


def load_note() -> str:
    return f"load average now {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPU(s)"
