"""`hw3 grade`'s API: grade a folder of Quera zips into a gradebook, sandboxed, in parallel, resumable.

Every `.zip` under the paths gets one gradebook row and one feedback file, whatever happens to it
(`gradebook.py`). Only the notebooks are read from a zip (in memory, capped, unsafe paths and
duplicate entries refused: `intake.py`); each is cleaned (`clean.py`) and run in a sandbox while its
tests run outside it, in a trusted harness that computes every verdict (`notebook.py`,
`harness.py`), under the `Limits` of time, memory, processes and disk. Records are kept per zip
content hash (`state.py`), so a rerun grades only what is missing.

With the course settings (`course`), the run also writes the grading packet of the hand-graded
questions and the theory PDFs and an empty DIR/manual_scores.csv, and with a filled scores file
(`manual`) the final grades and the class report (`hw3.grading.hand.workflow`).

Row status, the worst of its notebooks': `ok`; `invalid` (zip refused, notebook missing or
unreadable: 0); `timeout` (a cell interrupted: partial scores; or the notebook stopped at
--timeout: 0); `error` (the kernel died, the sandbox passed a limit, or grading failed).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

import hw3
from hw3.common.folders import MARKER, clear_claimed
from hw3.common.images import ImageStore
from hw3.common.notebooks import parse_lenient
from hw3.errors import Hw3Error
from hw3.grading.auto import sandbox
from hw3.grading.auto.allowlist import readable_paths
from hw3.grading.auto.assignments import load_assignments
from hw3.grading.auto.clean import clean
from hw3.grading.auto.gradebook import (
    FEEDBACK_DIR,
    GRADEBOOK,
    Row,
    feedback_stems,
    hand_pending,
    make_row,
    summary_lines,
    write_feedback,
    write_gradebook,
)
from hw3.grading.auto.intake import find_zips, read_notebooks
from hw3.grading.auto.limits import Limits
from hw3.grading.auto.notebook import SCRATCH_DIR, Context, failed_record, grade_zip
from hw3.grading.auto.results import SubmissionRecord
from hw3.grading.auto.state import FIGURES_DIR, STATE_DIR, load_record, lock_folder, save_record
from hw3.grading.hand.course import Course
from hw3.grading.hand.packet import refuse_packet_folder
from hw3.grading.hand.workflow import HandResult, finish, forget_merge, prepare

HASH_CHUNK = 1024 * 1024
SANDBOX_ETC = "etc"  # the generated passwd and group, in the scratch root
OTTER_DOCKER_HINT = (
    "grade in containers with `otter grade` (Docker) instead: see README, Grading (TAs)"
)


@dataclass
class GradeRun:
    """What one `grade` call produced: per zip its record and row, the files written, and warnings."""

    out: Path
    records: dict[Path, SubmissionRecord] = field(default_factory=dict)
    rows: dict[Path, Row] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    already_graded: int = 0
    sandboxed: bool = False
    hand: HandResult | None = None  # the packet, and the merge when scores were given

    @property
    def gradebook(self) -> Path:
        return self.out / GRADEBOOK

    @property
    def all_ok(self) -> bool:
        return all(row.values["status"] == "ok" for row in self.rows.values())


@dataclass
class Extracted:
    """What `extract` wrote: the notebook files, and one line per notebook that could not be."""

    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes ('' when it cannot be read)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def content_key(path: Path) -> str:
    """The key a zip's record is kept under: its content hash, or a stand-in for an unreadable file."""
    return sha256_file(path) or f"unreadable-{hashlib.sha256(str(path).encode()).hexdigest()}"


def font_lists() -> list[Path]:
    """matplotlib's font lists in the TA's cache, which each kernel gets a copy of (saves ~2 s a notebook)."""
    base = (
        os.environ.get("MPLCONFIGDIR")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matplotlib"
    )
    return sorted(Path(base).glob("fontlist-*.json")) if Path(base).is_dir() else []


def extract(*, paths: list[Path], out: Path, release_root: Path) -> Extracted:
    """Write the notebooks of every zip to OUT/notebooks/<assignment>/<stem>.ipynb (read safely, metadata
    cleaned as for grading), for the container routes (`otter grade`, Gradescope)."""
    assignments, _ = load_assignments(release_root.resolve())
    zips = find_zips(paths, out)
    stems = feedback_stems(zips)
    result = Extracted()
    for path in zips:
        datas, missing, refused = read_notebooks(path, [a.notebook for a in assignments])
        if refused:
            result.skipped.append(f"{path}: refused, {refused}: nothing written")
        for assignment in assignments:
            data = datas.get(assignment.notebook)
            if data is None:
                if not refused:
                    result.skipped.append(
                        f"{path}: {missing.get(assignment.notebook, assignment.notebook + ' is missing')}"
                    )
                continue
            nb, _ = parse_lenient(assignment.notebook, data)
            if nb is None:
                result.skipped.append(f"{path}: {assignment.notebook} cannot be read as a notebook")
                continue
            target = out / "notebooks" / assignment.name / f"{stems[path]}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(nbformat.writes(clean(nb, assignment.released).nb), encoding="utf-8")
            result.written.append(target)
    return result


class Reporter:
    """What `grade` tells its caller as it goes; the CLI prints it, the API itself never does."""

    def started(self, *, zips: int, already_graded: int, jobs: int, warnings: list[str]) -> None:
        """Before any zip is graded: how many there are, how many are kept, and the run's warnings."""

    def graded(self, path: Path) -> None:
        """One zip (and every identical copy) is graded and its row written."""

    def finished(self) -> None:
        """Every zip is graded (or the run was interrupted)."""


def grade(
    *,
    paths: list[Path],
    out: Path,
    release_root: Path,
    jobs: int = os.cpu_count() or 1,
    limits: Limits | None = None,
    force: bool = False,
    use_sandbox: bool = True,
    reporter: Reporter | None = None,
    course: Course | None = None,
    manual: list[Path] | None = None,
) -> GradeRun:
    """Grade every zip under `paths` into `out` (gradebook.csv, feedback/, state); see the module docstring.

    Zips already graded there with the same autograders are kept unless `force`. With `course`,
    also the grading packet and the empty scores file; with `manual` (scores files, needs `course`),
    the merge of them all, and without it the last merge again (`hw3.grading.hand.workflow`).
    Raises Hw3Error (nothing graded) for a bad path, a missing release, a busy output folder, course
    settings that disagree with the release, or a scores file with any problem.
    """
    if manual and course is None:
        raise Hw3Error(
            f"{manual[0]}: merging scores needs the course settings: pass --course FILE "
            "(reference/course.toml of the repository)"
        )
    reporter = reporter or Reporter()
    limits = limits or Limits()
    out = out.resolve()
    refuse_packet_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = lock_folder(out)
    try:
        zips = find_zips(paths, out)
        if not zips:
            raise Hw3Error(f"no .zip files under {', '.join(map(str, paths))}: check the paths")
        assignments, warnings = load_assignments(release_root.resolve())
        stems = feedback_stems(zips)
        hand = (
            prepare(
                course=course,
                manual=manual,
                out=out,
                assignments=assignments,
                zips=zips,
                stems=stems,
            )
            if course is not None
            else None
        )
        scratch_root = clear_claimed(out / SCRATCH_DIR, "grade")  # what a killed run left
        box = sandbox.detect(
            readable_paths(Path(hw3.__file__).parent),
            scratch_root / SANDBOX_ETC,
            disabled=not use_sandbox,
        )
        ctx = Context(
            out=out,
            assignments=assignments,
            sandbox=box,
            limits=limits,
            stop=threading.Event(),
            figures=ImageStore(out / STATE_DIR / FIGURES_DIR) if hand is not None else None,
            font_lists=tuple(font_lists()),
            evidence=hand.evidence(assignments) if hand is not None else {},
        )
        run = GradeRun(out, warnings=warnings, sandboxed=box.enabled)
        keys = {path: content_key(path) for path in zips}
        versions = {a.name: a.info.sha256 for a in assignments}
        records = (
            {}
            if force
            else {k: r for k in set(keys.values()) if (r := load_record(out, k, versions))}
        )
        todo = sorted({k for k in keys.values() if k not in records})
        run.already_graded = sum(keys[p] in records for p in zips)
        if todo and not box.enabled:
            run.warnings.append(
                f"not sandboxed ({box.reason}): student code runs with your permissions and every "
                f"row is flagged unsandboxed; install bubblewrap (apt-get install bubblewrap) or "
                f"{OTTER_DOCKER_HINT}"
            )
        if hand is None:
            run.warnings += forget_merge(out, "this run has no course settings")
        reporter.started(
            zips=len(zips), already_graded=run.already_graded, jobs=jobs, warnings=run.warnings
        )
        by_key: dict[str, list[Path]] = {}
        for path in zips:
            by_key.setdefault(keys[path], []).append(path)

        by_hand = hand_pending(assignments, course.theory_total if course is not None else None)

        def publish(key_paths) -> None:
            for path in key_paths:
                run.records[path] = records[keys[path]]
                run.rows[path] = make_row(path, run.records[path], assignments)
                write_feedback(
                    out,
                    assignments,
                    path,
                    stems[path],
                    run.records[path],
                    run.rows[path],
                    by_hand=by_hand,
                )
            write_gradebook(out, assignments, [run.rows[p] for p in zips if p in run.rows])

        publish([p for p in zips if keys[p] in records])
        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            futures = {pool.submit(grade_zip, ctx, by_key[key][0], key): key for key in todo}
            for future in as_completed(futures):
                key = futures[future]
                try:
                    records[key] = future.result()
                    save_record(out, records[key])
                except Exception as err:  # noqa: BLE001 - a bug or a full disk costs one row, not the run
                    records[key] = failed_record(
                        ctx, key, f"internal error ({type(err).__name__}: {err})"
                    )
                publish(by_key[key])
                reporter.graded(by_key[key][0])
        except KeyboardInterrupt:
            ctx.stop.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            reporter.finished()
        run.summary = summary_lines(
            assignments, [run.rows[p] for p in zips], [run.records[p] for p in zips]
        )
        if hand is not None:
            run.hand = finish(
                hand,
                out=out,
                state=out / STATE_DIR,
                assignments=assignments,
                zips=zips,
                records=run.records,
                rows=run.rows,
                release_root=release_root.resolve(),
            )
        return run
    finally:
        if (out / SCRATCH_DIR / MARKER).is_file():
            shutil.rmtree(out / SCRATCH_DIR, ignore_errors=True)
        lock.release()


__all__ = [
    "Extracted",
    "FEEDBACK_DIR",
    "GradeRun",
    "Limits",
    "Reporter",
    "extract",
    "grade",
]
