"""`hw3 similarity`'s API: compare a class's zips and write the CSVs and the HTML report; and its benchmark.

Reads the Quera zips (folders searched recursively as `hw3 grade` does) without extracting them,
and compares only what each student wrote (`submissions.py`), by winnowed fingerprints of
normalised tokens (`fingerprints.py`): pairs of submissions and shared run-specific outputs
(`compare.py`), each submission against the known sources (`sources.py`), and the clusters of
code too common for the pairs (`clusters.py`).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

from hw3.errors import Hw3Error
from hw3.grading.auto.intake import find_zips
from hw3.registry import release_registry
from hw3.similarity import report
from hw3.similarity.clusters import find_clusters
from hw3.similarity.compare import (
    UNUSUAL,
    class_counts,
    compare,
    compare_sources,
    default_max_common,
    ordered_keys,
)
from hw3.similarity.evidence import Calibrations, flag_rates
from hw3.similarity.honest import load_corpus
from hw3.similarity.releases import earlier_releases
from hw3.similarity.results import Comparison
from hw3.similarity.sources import against_sources, reference_source
from hw3.similarity.stubs import load_stubs
from hw3.similarity.submissions import load_all

CSV_NAME, HTML_NAME = "similarity.csv", "similarity.html"
SOURCES_CSV_NAME, CLUSTERS_CSV_NAME = "sources.csv", "clusters.csv"
DEFAULT_TOP = 20
DEFAULT_JOBS = 2


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
    starter: list[Path] | None = None,
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
    earlier = earlier_releases(release_root, names, starter)
    stubs, notes = load_stubs(release_root / "student", names, earlier)
    if not stubs:
        raise Hw3Error(
            f"{release_root / 'student'}: holds no released notebook ({', '.join(names)}): "
            "pass --release with the folder `hw3 release` wrote"
        )
    notes += [
        f"{name}: starter code from {len(stub.releases)} release(s) of the notebook "
        f"(the current one, the git history of student/, --starter)"
        for name, stub in stubs.items()
        if len(stub.releases) > 1
    ]
    sources, source_skipped = against_sources(against, stubs, jobs) if against else ([], [])
    reference_found, reference_notes = reference_source(release_root / "autograder", stubs)
    corpus = load_corpus(release_root, stubs, reference_found)
    notes += corpus.notes
    if reference:
        sources = ([reference_found] if reference_found else []) + sources
        notes += reference_notes
    submissions, skipped = load_all(paths, stubs, jobs)
    read_done = time.perf_counter()
    keys = ordered_keys(submissions, stubs)
    limit = max_common if max_common is not None else default_max_common(len(submissions))
    pair_rate, source_rate = flag_rates(len(submissions), len(sources))
    calibrations = Calibrations(
        corpus, keys, class_counts(submissions, keys, corpus, limit), pair_rate, source_rate
    )
    pairs, common = compare(submissions, keys, limit, corpus, calibrations)
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
        corpus=corpus,
        calibrations=calibrations,
    )
    result.matches = compare_sources(submissions, sources, keys, corpus, calibrations)
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


def summary(result: Comparison, out: Path, jobs: int) -> str:
    """The closing lines printed to the terminal."""
    seconds = sum(result.timings.values())
    timing = ", ".join(f"{name} {value:.1f} s" for name, value in result.timings.items())
    flagged = sum(1 for p in result.pairs if p.flags)
    unusual = sum(1 for p in result.pairs if p.verdict == UNUSUAL)
    by_flag = Counter(match.flag for match in result.matches if match.flag)
    matched = len({match.submission for match in result.matches if match.flag})
    lines = [
        f"hw3 similarity: {len(result.submissions)} submissions, {result.pairs_compared} pairs in "
        f"{seconds:.1f} s ({timing}; read on {jobs} worker(s)); {unusual} pair(s) unusually similar, "
        f"{flagged} pair(s) flagged"
    ]
    pairs = result.calibrations.for_pair({}) if result.calibrations else None
    if pairs is not None and pairs.flag is not None:
        dictated = [key for key, stats in result.corpus.stats.items() if stats.dictated]
        lines.append(
            f"calibrated on {len(result.corpus.solutions)} independent solutions "
            f"({pairs.honest_pairs} honest pairs of them, question by question): unusually similar from "
            f"{pairs.unusual:.0f} bits (1 honest pair in 1,000), flagged from {pairs.flag:.0f} bits "
            f"(1 honest student in 1,000); dictated by their TODO, weighing nothing: {', '.join(dictated) or 'none'}"
        )
    else:
        lines.append(
            "not calibrated: too few independent solutions (the reference and reference/variants/): "
            "pairs are ranked, none is flagged on code"
        )
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
