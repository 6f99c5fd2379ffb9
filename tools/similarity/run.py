"""`hw3 similarity`'s API: compare a class's zips and write the CSV and the HTML report; and its benchmark.

Reads the Quera zips (folders searched recursively as `hw3 grade` does) without extracting them,
and compares only what each student wrote (`submissions.py`), by winnowed fingerprints of
normalised tokens (`fingerprints.py`) and shared run-specific outputs (`compare.py`).
"""
from __future__ import annotations

import os
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hw3.grading.intake import find_zips
from hw3.project import ASSIGNMENTS
from hw3.similarity import report
from hw3.similarity.compare import Comparison, compare, default_max_common, ordered_keys
from hw3.similarity.stubs import UsageError, load_stubs
from hw3.similarity.submissions import load_all

CSV_NAME, HTML_NAME = "similarity.csv", "similarity.html"
DEFAULT_TOP = 20
DEFAULT_JOBS = 2


@dataclass
class BenchResult:
    """A timed synthetic class: the comparison, the CPU seconds it took, and how many planted copies ranked on top."""
    comparison: Comparison
    cpu_seconds: float
    planted: int
    planted_on_top: int


def zip_paths(inputs: list[Path], out: Path | None = None) -> list[Path]:
    """The zips named by `inputs`, found as `hw3 grade` finds them; UsageError when there is none at all."""
    paths = find_zips(list(inputs), out)
    if not paths:
        raise UsageError(f"{', '.join(map(str, inputs))}: holds no .zip files: "
                         "give the folder the Quera zips were downloaded to")
    return paths


def similarity(*, paths: list[Path], out: Path, release_dir: Path, top: int = DEFAULT_TOP,
               max_common: int | None = None, jobs: int = DEFAULT_JOBS) -> Comparison:
    """Compare the zips at `paths` against each other and write OUT/similarity.csv and OUT/similarity.html."""
    started = time.perf_counter()
    stubs, notes = load_stubs(release_dir)
    if not stubs:
        raise UsageError(f"{release_dir}: holds no released notebook ({', '.join(ASSIGNMENTS)}): "
                         "pass --release with the student/ folder of `hw3 release`")
    submissions, skipped = load_all(paths, stubs, jobs)
    read_done = time.perf_counter()
    keys = ordered_keys(submissions, stubs)
    limit = max_common if max_common is not None else default_max_common(len(submissions))
    pairs, common = compare(submissions, keys, limit)
    compare_done = time.perf_counter()
    result = Comparison(submissions, skipped, notes, keys, pairs, common, limit,
                        len(submissions) * (len(submissions) - 1) // 2)
    out.mkdir(parents=True, exist_ok=True)
    report.write_csv(out / CSV_NAME, result)
    result.timings = {"read": read_done - started, "compare": compare_done - read_done, "report": 0.0}
    report.write_html(out / HTML_NAME, result, top)
    result.timings["report"] = time.perf_counter() - compare_done
    return result


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (the pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench(*, size: int, out: Path, release_dir: Path, autograder_dir: Path, top: int = DEFAULT_TOP,
          max_common: int | None = None, jobs: int = DEFAULT_JOBS) -> BenchResult:
    """Time `similarity` on a synthetic class of `size` submissions with planted copies (`synth.py`)."""
    from hw3.similarity import synth
    if size < 2:
        raise UsageError("--bench needs at least 2 submissions")
    with tempfile.TemporaryDirectory(prefix="hw3-similarity-bench-") as tmp:
        started = time.perf_counter()
        planted = synth.write_class(Path(tmp), size, release_dir, autograder_dir)
        print(f"generated {size} synthetic submissions in {time.perf_counter() - started:.1f} s "
              f"({len(planted)} planted copies)")
        cpu_before = cpu_seconds()
        result = similarity(paths=sorted(Path(tmp).glob("*.zip")), out=out, release_dir=release_dir, top=top,
                            max_common=max_common, jobs=jobs)
        cpu = cpu_seconds() - cpu_before
    top_pairs = {frozenset((result.submissions[p.a].path.name, result.submissions[p.b].path.name))
                 for p in result.pairs[: len(planted)]}
    hits = sum(1 for a, b in planted if frozenset((a, b)) in top_pairs)
    return BenchResult(result, cpu, len(planted), hits)


def summary(result: Comparison, out: Path, jobs: int) -> str:
    """The closing lines printed to the terminal."""
    seconds = sum(result.timings.values())
    flagged = sum(1 for p in result.pairs if p.flags)
    lines = [f"hw3 similarity: {len(result.submissions)} submissions, {result.pairs_compared} pairs in "
             f"{seconds:.1f} s (read {result.timings['read']:.1f} s on {jobs} worker(s), compare "
             f"{result.timings['compare']:.1f} s, report {result.timings['report']:.1f} s); {flagged} pair(s) flagged"]
    lines += [f"skipped {file}: {why}" for file, why in result.skipped]
    lines.append(f"wrote {out / CSV_NAME} and {out / HTML_NAME}")
    return "\n".join(lines)


def load_note() -> str:
    return f"load average now {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPU(s)"
