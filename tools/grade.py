"""`hw3 grade`: grade a folder of Quera zips into a gradebook, sandboxed, in parallel, resumable.

    hw3 grade PATH... --out DIR [--jobs N] [--timeout SEC] [--cell-timeout SEC] [--force]

Every `.zip` under the PATHs gets one row of `DIR/gradebook.csv` and one `DIR/feedback/<stem>.md`,
whatever happens to it. Only the two notebooks are read from a zip (in memory, capped, unsafe
paths refused) and each is graded by `otter run` in a sandbox (tools/sandbox.py) with a memory cap,
a whole-notebook timeout and a per-cell timeout (tools/otter_child.py). Results are kept per zip
content hash in `DIR/.state/`, so a rerun, even after `kill -9`, grades only what is missing.

Row status, the worst of its notebooks': `ok`; `invalid` (zip refused, notebook missing or
unreadable: 0); `timeout` (a cell interrupted: partial scores; or the notebook stopped at
--timeout: 0); `error` (otter or the kernel died: 0).
"""
import argparse
import csv
import fcntl
import hashlib
import io
import json
import os
import shutil
import statistics
import stat
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools import feedback, integrity, sandbox
from tools.intake import IntakeError, find_zips, read_notebooks
from tools.autograder_info import AutograderError, AutograderInfo, read_autograder
from tools.release import ASSIGNMENTS, REPO_ROOT
from tools.submission import (
    LOOSE_ZIP_NAME_RE,
    ZIP_NAME_RE,
    check_identity,
    check_otter_metadata,
    check_zip_name,
    inspect_zip,
    parse_notebook,
    suggest_full_name,
    suggest_student_number,
)

DEFAULT_TIMEOUT_S = 900  # per notebook; the references grade in ~30-60 s on 2 cores
DEFAULT_CELL_TIMEOUT_S = 300  # a training cell at the grading budget takes seconds
STATUSES = ("ok", "invalid", "timeout", "error")  # rising severity: a row shows its worst notebook's
SKIPPED = "skipped"
STATE_VERSION = 1
GRADEBOOK = "gradebook.csv"
FEEDBACK_DIR = "feedback"
LOG_DIR = "logs"
STATE_DIR = ".state"
SCRATCH_DIR = ".scratch"
LOCK_FILE = ".lock"
MAX_SUMMARY_BYTES = 8 * 1024 * 1024
MAX_METRICS_BYTES = 64 * 1024
LOG_TAIL_BYTES = 64 * 1024
HASH_CHUNK = 1024 * 1024
SHORT_HASH = 12
CELL_HEAD = 40
KERNEL_DIED = "DeadKernelError"
OTTER_DOCKER_HINT = "grade in containers with `otter grade` (Docker) instead: see README, Grading (TAs)"


class GradeError(RuntimeError):
    """A problem that stops the whole run; the message is one line naming the fix."""


@dataclass
class Assignment:
    """One notebook to grade: its autograder zip, what the tests hold, and the released student copy."""
    name: str
    autograder_zip: Path
    info: AutograderInfo
    released: nbformat.NotebookNode
    order: list[str]  # question names in notebook order

    @property
    def notebook(self) -> str:
        return f"{self.name}.ipynb"


@dataclass
class Context:
    """Everything a grading worker needs; read-only once the run starts."""
    out: Path
    assignments: list[Assignment]
    sandbox: sandbox.Sandbox
    timeout: int
    cell_timeout: int
    memory_mb: int
    font_cache: Path | None
    stop: threading.Event  # set on Ctrl-C: running notebooks are killed, no new ones start


# ---------------------------------------------------------------- inputs


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


def identity(file_name: str) -> tuple[str, str]:
    """(student number, full name) from a zip's name, recovered from a near miss when possible."""
    exact = ZIP_NAME_RE.match(file_name)
    if exact:
        return exact["student_number"], exact["full_name"]
    loose = LOOSE_ZIP_NAME_RE.match(file_name)
    if loose:
        number, name = suggest_student_number(loose[1]), suggest_full_name(loose[2])
        if not check_identity(number, name):
            return number, name
    return "", ""


def question_order(nb: nbformat.NotebookNode, names) -> list[str]:
    """Question names in the order their `grader.check` cells appear, then any others sorted."""
    from tools.answers import CHECK_CALL

    seen = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            for match in CHECK_CALL.finditer(cell.source):
                if match["question"] in names and match["question"] not in seen:
                    seen.append(match["question"])
    return seen + sorted(set(names) - set(seen))


def load_assignments(release_root: Path) -> tuple[list[Assignment], list[str]]:
    """The assignments whose autograder zip exists under `release_root`, and one warning per skipped one."""
    found, warnings = [], []
    for name in ASSIGNMENTS:
        autograder_zip = release_root / "autograder" / name / f"{name}-autograder.zip"
        student_nb = release_root / "student" / name / f"{name}.ipynb"
        if not autograder_zip.is_file():
            warnings.append(f"{name}: {autograder_zip} is missing: {name}.ipynb is not graded (run hw3 release)")
            continue
        if not student_nb.is_file():
            raise GradeError(f"{student_nb} is missing (needed for the integrity flags): run hw3 release")
        info = read_autograder(autograder_zip)
        try:
            released = nbformat.read(student_nb, as_version=4)
        except (OSError, ValueError, nbformat.ValidationError) as err:
            raise GradeError(f"{student_nb}: cannot be read ({type(err).__name__}): run hw3 release") from None
        found.append(Assignment(name, autograder_zip.resolve(), info, released,
                                question_order(released, info.questions)))
    if not found:
        raise GradeError(f"no autograder zip under {release_root / 'autograder'}: run hw3 release, or pass --release")
    return found, warnings


# ---------------------------------------------------------------- reading a zip


# ---------------------------------------------------------------- grading one notebook


def empty_result(status: str, notes: list[str], flags=()) -> dict:
    """A notebook result with no scores."""
    return {"status": status, "scores": {}, "passed": {}, "messages": {}, "notes": notes,
            "flags": list(flags), "seconds": 0.0}


def lenient_notebook(name: str, data: bytes) -> nbformat.NotebookNode | None:
    """The notebook in `data`, or None when it is not nbformat 4 JSON at all.

    A notebook that only breaks the schema (an nbformat 4.4 file with cell ids, say) is still
    graded, as otter reads it too; `hw3 check`'s stricter line is in the row's problems already.
    """
    nb, _ = parse_notebook(name, data)
    if nb is not None:
        return nb
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(raw, dict) or raw.get("nbformat") != 4 or not isinstance(raw.get("cells"), list):
        return None
    try:
        nb = nbformat.from_dict(raw)
        for cell in nb.cells:
            if not isinstance(cell.get("source"), str):
                cell["source"] = "".join(cell.get("source") or [])
            cell.setdefault("cell_type", "raw")
        nb.setdefault("metadata", nbformat.from_dict({}))
        return nb
    except (TypeError, AttributeError, ValueError):
        return None


def read_summary(path: Path) -> dict | None:
    """The child's summary JSON, or None; it is untrusted, so no links, a size cap, and a shape check."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        data = handle.read(MAX_SUMMARY_BYTES + 1)
    if len(data) > MAX_SUMMARY_BYTES:
        return None
    try:
        summary = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(summary, dict) or not isinstance(summary.get("questions", {}), dict):
        return None
    return summary


def read_metrics(path: Path) -> list[dict]:
    """The values threshold tests measured (`HW3_METRICS_LOG`), for `hw3 calibrate`.

    Written from inside the student's process, so only well-formed entries are kept and they never
    affect a score.
    """
    entries = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace")[:MAX_METRICS_BYTES].splitlines()
    except OSError:
        return entries
    for line in lines:
        try:
            entry = json.loads(line)
            if entry["pass_if"] in ("below", "above"):
                entries.append({"metric": str(entry["metric"])[:200], "value": float(entry["value"]),
                                "limit": float(entry["limit"]), "pass_if": entry["pass_if"]})
        except (ValueError, KeyError, TypeError):
            continue
    return entries


def number(value, low: float, high: float) -> float:
    """`value` as a float clamped to [low, high]; `low` when it is not a finite number."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return low
    return min(max(value, low), high) if value == value else low


def scrub(text: str, info: AutograderInfo) -> str:
    """`text` without any line that quotes a hidden test's source.

    What the grader reads back comes from the student's kernel, which can read the tests; this
    keeps their source out of the feedback unless it is disguised on purpose.
    """
    kept = [line for line in text.splitlines() if not any(secret in line for secret in info.hidden_lines)]
    return "\n".join(kept)


def scores_from_summary(summary: dict, info: AutograderInfo) -> tuple[dict, dict, dict]:
    """(scores, passed, messages) per question of `info`, validated against the tests: unknown
    questions dropped, scores clamped to [0, points], messages kept only for public cases and scrubbed."""
    scores, passed, messages = {}, {}, {}
    for name, question in info.questions.items():
        got = summary["questions"].get(name)
        if not isinstance(got, dict):
            scores[name] = 0.0
            continue
        scores[name] = number(got.get("score"), 0.0, question.points)
        flags, texts = got.get("passed"), got.get("messages")
        if isinstance(flags, list) and len(flags) == len(question.cases):
            passed[name] = [flag is True for flag in flags]
            texts = texts if isinstance(texts, list) and len(texts) == len(flags) else [None] * len(flags)
            messages[name] = [scrub(text, info) if isinstance(text, str) and not case.hidden else None
                              for case, text in zip(question.cases, texts)]
    return scores, passed, messages


def cell_number(submitted: nbformat.NotebookNode, source: str) -> str:
    """`cell 5 ('for epoch in ...')` for the submitted code cell that otter ran as `source`."""
    for number_, cell in enumerate(submitted.cells, start=1):
        body = cell.source.strip() if cell.cell_type == "code" else ""
        if body and body in source:
            head = body.splitlines()[0][:CELL_HEAD]
            return f"cell {number_} ({head!r})"
    return "a cell"


def error_note(notebook: str, error: str) -> str:
    """One line for the student about a notebook whose grading stopped (the raw error is for the TA only)."""
    if KERNEL_DIED in error:
        return (f"{notebook}: the kernel died while grading (os._exit, a crash, or memory past the cap): "
                "scored 0; run the notebook top to bottom locally to find the cell")
    return f"{notebook}: grading stopped with an error: scored 0; run the notebook top to bottom locally"


def keep_log(ctx: Context, log: Path, key: str, assignment: Assignment) -> str:
    """Copy the tail of a failed run's log to DIR/logs/ and return its path relative to DIR."""
    target = ctx.out / LOG_DIR / f"{key[:SHORT_HASH]}-{assignment.name}.log"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with log.open("rb") as handle:
            handle.seek(max(0, log.stat().st_size - LOG_TAIL_BYTES))
            target.write_bytes(handle.read())
    except OSError:
        return ""
    return str(target.relative_to(ctx.out))


def child_command(notebook: Path, assignment: Assignment, summary: Path, ctx: Context) -> list[str]:
    """The command that grades one notebook inside the sandbox (tools/otter_child.py)."""
    bootstrap = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
                 "from tools.otter_child import main; sys.exit(main(sys.argv[1:]))")
    cmd = [sys.executable, "-c", bootstrap, str(REPO_ROOT), str(notebook), str(assignment.autograder_zip),
           str(summary), "--cell-timeout", str(ctx.cell_timeout)]
    if ctx.font_cache:
        cmd += ["--font-cache", str(ctx.font_cache)]
    return cmd


def grade_notebook(ctx: Context, assignment: Assignment, data: bytes, key: str) -> dict:
    """Grade one notebook's bytes: integrity flags, then otter in the sandbox; a result dict."""
    name = assignment.notebook
    nb = lenient_notebook(name, data)
    if nb is None:
        return empty_result("invalid", [f"{name}: cannot be read as a notebook (see the problems above): scored 0"])
    metadata = check_otter_metadata(name, nb)
    try:
        flags = integrity.notebook_flags(assignment.released, nb, assignment.info.test_builtins,
                                         assignment.info.seed_variable)
    except Exception:  # noqa: BLE001 - malformed cells the checker cannot walk; otter may still grade them
        flags = ["unreadable-cells"]
    if metadata:  # otter writes no results for a notebook of another assignment
        return empty_result("invalid", [f"{metadata[0]}: scored 0"], flags)
    scratch = ctx.out / SCRATCH_DIR / f"{key[:SHORT_HASH]}-{assignment.name}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        notebook = scratch / name
        notebook.write_bytes(data)
        summary_path = scratch / "summary.json"
        log = scratch / "otter.log"
        outcome = sandbox.run_confined(child_command(notebook, assignment, summary_path, ctx),
                                       sandbox=ctx.sandbox, scratch=scratch, timeout=ctx.timeout,
                                       memory_mb=ctx.memory_mb, log_path=log, stop=ctx.stop)
        if outcome.timed_out:
            result = empty_result("timeout", [f"{name}: still running after {ctx.timeout} s (--timeout): "
                                              "stopped and scored 0"], flags)
        else:
            summary = read_summary(summary_path)
            if summary is None:
                result = empty_result("error", [f"{name}: the grader exited ({outcome.returncode}) without "
                                                "results: scored 0"], flags)
            elif summary.get("error"):
                result = empty_result("error", [error_note(name, str(summary["error"]))], flags)
                result["detail"] = f"{name}: otter: {scrub(str(summary['error']), assignment.info)[:300]}"
            else:
                scores, passed, messages = scores_from_summary(summary, assignment.info)
                interrupted = summary.get("interrupted")
                interrupted = [s for s in interrupted if isinstance(s, str)] if isinstance(interrupted, list) else []
                notes = [f"{name}: {cell_number(nb, s)} ran past {ctx.cell_timeout} s (--cell-timeout) and was "
                         "interrupted; the cells after it still ran" for s in interrupted[:3]]
                result = {"status": "timeout" if interrupted else "ok", "scores": scores, "passed": passed,
                          "messages": messages, "notes": notes, "flags": flags, "seconds": 0.0,
                          "metrics": read_metrics(scratch / sandbox.METRICS_LOG_NAME)}
        result["seconds"] = round(outcome.seconds, 1)
        if result["status"] in ("error", "timeout"):
            kept = keep_log(ctx, log, key, assignment)
            if kept:
                result["log"] = kept
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def grade_zip(ctx: Context, path: Path, key: str) -> dict:
    """The state record of one submission: its content problems and one result per assignment."""
    problems = inspect_zip(path, allow_unanswered=True)
    naming = set(check_zip_name(path.name))
    record = {"version": STATE_VERSION, "sha256": key,
              "autograders": {a.name: a.info.sha256 for a in ctx.assignments},
              "sandboxed": ctx.sandbox.enabled,
              "problems": [p for p in problems if p not in naming], "notebooks": {}}
    datas, missing, refused = read_notebooks(path, [a.notebook for a in ctx.assignments])
    for assignment in ctx.assignments:
        name = assignment.notebook
        if ctx.stop.is_set():
            raise KeyboardInterrupt
        if refused:
            result = empty_result("invalid", [f"{name}: not graded, {refused}: scored 0"])
        elif name not in datas:
            result = empty_result("invalid", [f"{missing.get(name, name + ' is missing')}: scored 0"])
        else:
            result = grade_notebook(ctx, assignment, datas[name], key)
        record["notebooks"][assignment.name] = result
    if ctx.stop.is_set():  # killed half-way: not a result to keep
        raise KeyboardInterrupt
    return record


# ---------------------------------------------------------------- state, rows, files


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and an atomic rename: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def failed_record(ctx: Context, key: str, why: str) -> dict:
    """A record (not saved, so the next run retries) for a zip whose grading failed inside hw3 grade."""
    return {"version": STATE_VERSION, "sha256": key, "autograders": {}, "sandboxed": ctx.sandbox.enabled,
            "problems": [], "notebooks": {a.name: empty_result("error", [f"{a.notebook}: not graded, {why}: "
                                                                          "rerun hw3 grade"])
                                          for a in ctx.assignments}}


def load_state(ctx: Context, key: str) -> dict | None:
    """The saved record of a zip content hash, if it was graded with these autograder zips."""
    path = ctx.out / STATE_DIR / f"{key}.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    current = {a.name: a.info.sha256 for a in ctx.assignments}
    if record.get("version") != STATE_VERSION or record.get("autograders") != current:
        return None
    return record


def worst(statuses) -> str:
    """The most severe status among `statuses` (ok when there are none)."""
    ranked = [s for s in statuses if s in STATUSES]
    return max(ranked, key=STATUSES.index, default="ok")


def columns(assignments: list[Assignment]) -> list[str]:
    """The gradebook's header."""
    cols = ["file", "student_number", "full_name", "status", "total", "max_total"]
    cols += [f"{name}_total" for name in ASSIGNMENTS]
    for assignment in assignments:
        cols += [f"{assignment.name}_{q}" for q in assignment.order]
    cols += [f"{name}_status" for name in ASSIGNMENTS]
    return cols + ["flags", "problems", "seconds", "sha256"]


def make_row(path: Path, record: dict, assignments: list[Assignment]) -> dict:
    """One gradebook row from a zip's path and its state record.

    `_submission_problems` (not a column) keeps the naming and layout problems apart for the feedback.
    """
    number_, full_name = identity(path.name)
    submission_problems = check_zip_name(path.name) + record["problems"]
    row = {"file": str(path), "student_number": number_, "full_name": full_name,
           "_submission_problems": submission_problems}
    problems = list(submission_problems)
    flags = [] if record.get("sandboxed") else ["unsandboxed"]
    total = max_total = 0.0
    statuses = []
    for name in ASSIGNMENTS:
        row[f"{name}_status"], row[f"{name}_total"] = SKIPPED, ""
    for assignment in assignments:
        result = record["notebooks"].get(assignment.name) or empty_result("error", ["not graded"])
        scores = result["scores"]
        got = sum(scores.get(q, 0.0) for q in assignment.order)
        possible = sum(assignment.info.questions[q].points for q in assignment.order)
        for q in assignment.order:
            row[f"{assignment.name}_{q}"] = f"{scores.get(q, 0.0):g}"
        row[f"{assignment.name}_total"] = f"{got:g}"
        row[f"{assignment.name}_status"] = result["status"]
        statuses.append(result["status"])
        total, max_total = total + got, max_total + possible
        problems += [note for note in result["notes"] if note not in problems]
        if result.get("detail"):
            problems.append(result["detail"])
        if result.get("log"):
            problems.append(f"{assignment.notebook}: grader log in {result['log']}")
        flags += [f"{assignment.name}:{flag}" for flag in result["flags"]]
    row.update(status=worst(statuses), total=f"{total:g}", max_total=f"{max_total:g}", flags="; ".join(flags),
               problems=" | ".join(problems),
               seconds=f"{sum(r.get('seconds', 0.0) for r in record['notebooks'].values()):.1f}",
               sha256=record["sha256"][:SHORT_HASH])
    return row


def feedback_stems(paths: list[Path]) -> dict[Path, str]:
    """File stem per zip for its feedback file; a stem shared by several zips (in different folders)
    gets a short hash of the zip's path added, stable across runs."""
    counts = {}
    for path in paths:
        counts[path.stem] = counts.get(path.stem, 0) + 1
    return {path: path.stem if counts[path.stem] == 1 else
            f"{path.stem}-{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]}" for path in paths}


def write_feedback(ctx: Context, path: Path, stem: str, record: dict, row: dict) -> None:
    """DIR/feedback/<stem>.md for one zip."""
    notebooks = [(a.name, a.info, record["notebooks"].get(a.name, empty_result("error", [])))
                 for a in ctx.assignments]
    graded = {a.name for a in ctx.assignments}
    notebooks += [(name, None, empty_result(SKIPPED, [])) for name in ASSIGNMENTS if name not in graded]
    text = feedback.render(path.name, row["student_number"], row["full_name"], row["_submission_problems"], notebooks,
                           float(row["total"]), float(row["max_total"]))
    write_atomic(ctx.out / FEEDBACK_DIR / f"{stem}.md", text)


def write_gradebook(ctx: Context, rows: list[dict]) -> None:
    """DIR/gradebook.csv, atomically replaced."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(ctx.assignments), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(ctx.out / GRADEBOOK, buffer.getvalue())


# ---------------------------------------------------------------- summary


def summary_lines(ctx: Context, rows: list[dict], records: dict[str, dict]) -> list[str]:
    """Counts by status, mean and median per question, and the hidden test failed most often."""
    counts = {status: sum(r["status"] == status for r in rows) for status in STATUSES}
    lines = [f"{len(rows)} submission(s): " + ", ".join(f"{n} {s}" for s, n in counts.items())]
    if not rows:
        return lines
    width = max(len(f"{a.name}_{q}") for a in ctx.assignments for q in a.order)
    lines.append(f"{'question':<{width}}  {'mean':>6}  {'median':>6}  {'max':>5}")
    for assignment in ctx.assignments:
        for q in assignment.order:
            values = [float(r[f"{assignment.name}_{q}"]) for r in rows]
            lines.append(f"{assignment.name + '_' + q:<{width}}  {statistics.mean(values):6.2f}  "
                         f"{statistics.median(values):6.2f}  {assignment.info.questions[q].points:5g}")
    failed, ran = {}, {}
    for record in records.values():
        for assignment in ctx.assignments:
            result = record["notebooks"].get(assignment.name, {})
            for q, flags in result.get("passed", {}).items():
                for case, passed in zip(assignment.info.questions[q].cases, flags):
                    if case.hidden:
                        label = f"{assignment.name} {q} {case.name}"
                        ran[label] = ran.get(label, 0) + 1
                        failed[label] = failed.get(label, 0) + (not passed)
    if failed and max(failed.values()) > 0:
        label = min(failed, key=lambda k: (-failed[k], k))
        lines.append(f"hidden test failed most: {label} (failed by {failed[label]} of {ran[label]} graded)")
    return lines


# ---------------------------------------------------------------- main


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="hw3 grade", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="zips, or folders searched for *.zip")
    parser.add_argument("--out", type=Path, required=True, help="folder for gradebook.csv, feedback/ and the state")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="notebooks graded at once (default: number of cores)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_S,
                        help=f"seconds one notebook may take in all; then it scores 0 (default {DEFAULT_TIMEOUT_S})")
    parser.add_argument("--cell-timeout", type=int, default=DEFAULT_CELL_TIMEOUT_S,
                        help=f"seconds one cell may run before it is interrupted (default {DEFAULT_CELL_TIMEOUT_S})")
    parser.add_argument("--memory", type=int, default=sandbox.DEFAULT_MEMORY_MB, metavar="MB",
                        help=f"address-space cap of each grading process (default {sandbox.DEFAULT_MEMORY_MB})")
    parser.add_argument("--force", action="store_true", help="regrade zips already graded")
    parser.add_argument("--release", type=Path, default=REPO_ROOT,
                        help="folder holding student/ and autograder/ (default: the repository)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="do not use bubblewrap even when it works (rows are flagged unsandboxed)")
    parser.add_argument("--extract-only", action="store_true",
                        help="only write each zip's notebooks (read safely) to DIR/notebooks/<assignment>/<zip stem>.ipynb, "
                             "for `otter grade` (Docker) or Gradescope")
    args = parser.parse_args(argv)
    for option in ("jobs", "timeout", "cell_timeout", "memory"):
        if getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be at least 1")
    return args


def font_cache() -> Path | None:
    """matplotlib's cache folder of the TA, whose font list the sandbox reuses, if it exists."""
    base = os.environ.get("MPLCONFIGDIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matplotlib"
    return Path(base) if Path(base).is_dir() else None


def exposed_paths(assignments: list[Assignment], cache: Path | None) -> list[Path]:
    """What the sandboxed grader must read even where its folder is hidden: Python, the tools, the autograders."""
    import site

    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), REPO_ROOT / "tools",
             Path(sys.executable).resolve().parent}
    paths |= {Path(p) for p in site.getsitepackages() + [site.getusersitepackages()]}
    paths |= {a.autograder_zip for a in assignments}
    if cache:
        paths.add(cache)
    return sorted(p.resolve() for p in paths if p.exists())


def acquire_lock(out: Path):
    """An exclusive lock on DIR for this run (released by the kernel even after kill -9)."""
    handle = (out / LOCK_FILE).open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise GradeError(f"{out}: another hw3 grade is writing there: wait for it or choose another --out") from None
    return handle


def extract_only(paths: list[Path], out: Path, assignments: list[Assignment]) -> int:
    """Write the notebooks of every zip to DIR/notebooks/<assignment>/<stem>.ipynb; print what could not be."""
    stems = feedback_stems(paths)
    written = 0
    for path in paths:
        datas, missing, refused = read_notebooks(path, [a.notebook for a in assignments])
        if refused:
            print(f"{path}: refused, {refused}: nothing written")
        for assignment in assignments:
            data = datas.get(assignment.notebook)
            if data is None:
                if not refused:
                    print(f"{path}: {missing.get(assignment.notebook, assignment.notebook + ' is missing')}")
                continue
            target = out / "notebooks" / assignment.name / f"{stems[path]}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written += 1
    print(f"hw3 grade: {written} notebook(s) from {len(paths)} zip(s) in {out / 'notebooks'}/")
    return 0


def run(args) -> int:
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    lock = acquire_lock(out)
    try:
        try:
            paths = find_zips(args.paths, out)
        except IntakeError as err:
            raise GradeError(str(err)) from None
        if not paths:
            raise GradeError(f"no .zip files under {', '.join(map(str, args.paths))}: check the paths")
        assignments, skipped = load_assignments(args.release.resolve())
        for warning in skipped:
            print(f"hw3 grade: warning: {warning}", file=sys.stderr)
        if args.extract_only:
            return extract_only(paths, out, assignments)
        hidden = [out] + [p if p.is_dir() else p.parent for p in args.paths]
        cache = font_cache()
        box = sandbox.detect(hide=hidden, expose=exposed_paths(assignments, cache), disabled=args.no_sandbox)
        ctx = Context(out.resolve(), assignments, box, args.timeout, args.cell_timeout, args.memory, cache,
                      threading.Event())
        shutil.rmtree(out / SCRATCH_DIR, ignore_errors=True)  # left by a run that was killed
        keys = {path: sha256_file(path) or f"unreadable-{hashlib.sha256(str(path).encode()).hexdigest()}"
                for path in paths}
        records = {} if args.force else {k: r for k in set(keys.values()) if (r := load_state(ctx, k))}
        todo = sorted({k for k in keys.values() if k not in records})
        done = sum(keys[p] in records for p in paths)
        print(f"hw3 grade: {len(paths)} zip(s): {done} already graded (kept; --force regrades), "
              f"{len(paths) - done} to grade with {args.jobs} job(s)", file=sys.stderr)
        if todo and not box.enabled:
            print(f"hw3 grade: warning: not sandboxed ({box.reason}): student code runs with your permissions "
                  f"and every row is flagged unsandboxed; install bubblewrap (apt-get install bubblewrap) or "
                  f"{OTTER_DOCKER_HINT}", file=sys.stderr)
        stems = feedback_stems(paths)
        by_key = {}
        for path in paths:
            by_key.setdefault(keys[path], []).append(path)

        def publish() -> list[dict]:
            rows = [make_row(p, records[keys[p]], assignments) for p in paths if keys[p] in records]
            write_gradebook(ctx, rows)
            return rows

        from tqdm import tqdm

        pool = ThreadPoolExecutor(max_workers=args.jobs)
        try:
            with tqdm(total=len(todo), unit="zip", desc="grading", disable=None, file=sys.stderr) as bar:
                futures = {pool.submit(grade_zip, ctx, by_key[key][0], key): key for key in todo}
                for future in as_completed(futures):
                    key = futures[future]
                    try:
                        record = future.result()
                        write_atomic(ctx.out / STATE_DIR / f"{key}.json", json.dumps(record))
                    except Exception as err:  # noqa: BLE001 - a bug or a full disk costs one row, not the run
                        record = failed_record(ctx, key, f"internal error ({type(err).__name__}: {err})")
                    records[key] = record
                    for path in by_key[key]:
                        write_feedback(ctx, path, stems[path], record, make_row(path, record, assignments))
                    publish()
                    bar.update(1)
        except KeyboardInterrupt:
            ctx.stop.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        rows = publish()
        for path in paths:
            write_feedback(ctx, path, stems[path], records[keys[path]], make_row(path, records[keys[path]], assignments))
        for line in summary_lines(ctx, rows, {keys[p]: records[keys[p]] for p in paths}):
            print(line)
        print(f"gradebook: {out / GRADEBOOK}\nfeedback:  {out / FEEDBACK_DIR}/")
        return 0
    finally:
        shutil.rmtree(out / SCRATCH_DIR, ignore_errors=True)
        lock.close()


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except (GradeError, AutograderError) as err:
        print(f"hw3 grade: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # the output folder: permissions, a full disk
        print(f"hw3 grade: {err.filename or args.out}: {err.strerror or err}: check that --out is writable "
              "and has free space", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hw3 grade: interrupted; run the same command again to finish (graded zips are kept)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
