"""Run notebooks the way the grader does: pinned threads, `HW3_GRADING=1`, measured time and memory."""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hw3.errors import EXIT_FINDINGS, Hw3Error

GRADING_ENV = {
    "HW3_GRADING": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}


class RunError(Hw3Error):
    """A notebook or otter process failed; the message holds the tail of its output."""

    exit_code = EXIT_FINDINGS


@dataclass
class Measured:
    """Outcome of one child process: exit status, wall and CPU seconds, peak RSS of it and its children."""

    returncode: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    output: str


def grading_env(grading: bool = True, **extra: str) -> dict:
    """The current environment with threads pinned; `HW3_GRADING=1` unless `grading` is False."""
    env = {**os.environ, **GRADING_ENV, **extra}
    if not grading:
        env.pop("HW3_GRADING")
    return env


def run_measured(cmd: list[str], env: dict, cwd: Path | None = None) -> Measured:
    """Run `cmd` to completion and report wall time and the peak RSS over its process tree.

    Linux's wait4 reports the largest resident set of the child and of every descendant it
    waited for (a Jupyter kernel included).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        proc.returncode,
        time.perf_counter() - start,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        output,
    )


def execute_notebook(notebook: Path, out: Path, env: dict, allow_errors: bool = False) -> Measured:
    """Execute `notebook` in its own folder with nbconvert, saving the executed copy to `out`.

    With `allow_errors` a failing cell is recorded in `out` and execution goes on.
    """
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--ExecutePreprocessor.timeout=-1",
        f"--output={out.resolve()}",
        notebook.name,
    ]
    if allow_errors:
        cmd.insert(-1, "--allow-errors")
    result = run_measured(cmd, env, cwd=notebook.parent)
    if result.returncode != 0:
        raise RunError(f"executing {notebook} failed:\n{result.output[-3000:]}")
    return result


@dataclass
class Graded:
    """Per-question scores and maxima from otter's results.json, and how the run went."""

    scores: dict
    max_scores: dict
    measured: Measured


def otter_run(notebook: Path, autograder_zip: Path, out_dir: Path, env: dict) -> Graded:
    """Grade `notebook` with `otter run` into `out_dir` (results.json).

    Only questions with tests appear; the public-tests summary entry is dropped.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "otter",
        "run",
        "-a",
        str(autograder_zip.resolve()),
        "-o",
        str(out_dir.resolve()),
        "--no-logo",
        str(notebook.resolve()),
    ]
    result = run_measured(cmd, env, cwd=out_dir)
    results_file = out_dir / "results.json"
    if result.returncode != 0 or not results_file.exists():
        raise RunError(f"otter run on {notebook} wrote no results:\n{result.output[-3000:]}")
    tests = [t for t in json.loads(results_file.read_text())["tests"] if "max_score" in t]
    return Graded(
        {t["name"]: t["score"] for t in tests}, {t["name"]: t["max_score"] for t in tests}, result
    )
