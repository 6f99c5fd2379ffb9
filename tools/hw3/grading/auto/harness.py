"""The trusted side of grading one notebook: `python -m hw3.grading.auto.harness PARENT_PID` (job on stdin,
result on stdout).

The notebook runs in the sandbox (`runner.py`, through `session.py` and `sandbox.py`); this
process, outside it, holds the tests. Each test function runs here with the names of the student's
globals as its arguments; its probes (`testfiles.py`) run in the student's kernel and send back plain
data (`codec.py`); the assertions, the expected values and the points never leave this process. A
kernel that patches otter, the comparison functions or the grader's files changes nothing but the
data it sends, and that data earns points only when it is what a correct solution sends.
Before the tests, the canaries (`canaries.py`) look for a tampered kernel.

The parent (`notebook.py`) starts one harness per notebook, so tests that seed torch's global
generator never share it with another notebook graded at the same time.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hw3.grading.auto import canaries, codec, protocol
from hw3.grading.auto.limits import Limits
from hw3.grading.auto.sandbox import Sandbox, die_with_parent
from hw3.grading.auto.session import TIME_RAN_OUT, Execution, ProbeError, Session, StudentRaised
from hw3.grading.auto.testfiles import TestFile, TestFileError, read_test_files

MAX_MESSAGE_CHARS = 4000  # of one test's message; the student sees less (results.cut_message)
MAX_STUDENT_TEXT = 300  # of what the student's code raised, quoted in a message
METRICS_LOG_VAR = (
    "HW3_METRICS_LOG"  # threshold tests append their measured values here (hw3 calibrate)
)


@dataclass(kw_only=True)
class Job:
    """What to grade: the cleaned notebook, its tests, where its data is, and how to confine it."""

    notebook: str  # nbformat JSON text, cleaned and seeded (clean.py)
    name: str  # e.g. hafez.ipynb
    autograder_zip: str
    tests_dir: str  # where the tests run (they read data/...): the released student folder
    data_dir: str | None = None  # the released data folder, read-only in the sandbox
    report: list[int] = field(default_factory=list)  # cells whose outputs to bring back
    sandbox: dict = field(default_factory=dict)  # a Sandbox as a dict
    limits: dict = field(default_factory=dict)  # a Limits as a dict
    metrics_log: str = ""
    fonts: list[str] = field(
        default_factory=list
    )  # the TA's matplotlib font lists, to save the kernel ~2 s


@dataclass
class CaseResult:
    """One test case: passed or not, the test's message, and what the student's code raised (quoted)."""

    passed: bool
    message: str = ""
    student_text: str = ""


@dataclass
class HarnessResult:
    """What grading one notebook gave; `cells`' texts, `outputs` and `student_text` are the sandbox's."""

    status: str = "ok"  # ok | timeout (a cell, or the whole notebook) | error
    error: str = ""  # for the TA
    cells: list[dict] = field(default_factory=list)
    stopped: dict | None = None
    outputs: dict[str, list] = field(default_factory=dict)
    questions: dict[str, dict] = field(default_factory=dict)  # name -> score, max_score, cases
    tampered: list[str] = field(default_factory=list)
    exceeded: str = ""  # memory | processes: the sandbox was stopped for it
    out_of_time: bool = False  # the whole notebook's --timeout ran out
    peak_memory_mb: float = 0.0
    log: str = ""  # the runner's log tail, for the TA


def font_lists(paths: list[str]) -> dict[str, str]:
    """{file name: text} of matplotlib's font lists (`fontlist-*.json`) that can be read."""
    fonts = {}
    for path in map(Path, paths):
        try:
            fonts[path.name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return fonts


def preload(files: dict[str, TestFile]) -> threading.Thread:
    """Import the packages the tests import in a background thread, started while the notebook runs.

    The notebook's kernel uses one core; importing torch here takes about a second of the other one
    that the first test would otherwise wait for. Join the thread before the tests run."""
    packages = sorted(set().union(*(test_file.packages for test_file in files.values())))

    def import_all():
        for package in packages:
            try:
                importlib.import_module(package)
            except Exception:  # noqa: BLE001 - the test that imports it reports the failure
                pass

    thread = threading.Thread(target=import_all, daemon=True)
    thread.start()
    return thread


def run_case(function, params: tuple[str, ...]) -> CaseResult:
    """Call one test function with the student's names; it passed unless it raised."""
    try:
        function(*(codec.Name(p) for p in params))
        return CaseResult(True)
    except StudentRaised as err:
        return CaseResult(
            False, "your code raised an exception", f"{err.kind}: {err.text}"[:MAX_STUDENT_TEXT]
        )
    except ProbeError as err:
        return CaseResult(False, str(err)[:MAX_MESSAGE_CHARS])
    except AssertionError as err:
        return CaseResult(False, (str(err) or "a check failed")[:MAX_MESSAGE_CHARS])
    except Exception as err:  # noqa: BLE001 - a check met data it cannot handle: the case fails
        return CaseResult(False, f"{type(err).__name__}: {err}"[:MAX_MESSAGE_CHARS])


def run_tests(files: dict[str, TestFile]) -> dict[str, dict]:
    """Every case of every question in the zip's order; a question scores its passed cases' points."""
    questions = {}
    for question, test_file in files.items():
        results = [run_case(case.function, case.params) for case in test_file.cases]
        questions[question] = {
            "score": sum(case.points for case, r in zip(test_file.cases, results) if r.passed),
            "max_score": test_file.points,
            "cases": [asdict(r) for r in results],
        }
    return questions


def final_status(result: HarnessResult, execution: Execution, broken: str) -> str:
    """error (the sandbox failed or was stopped), timeout (a cell or the notebook), else ok."""
    if result.status == "error" or result.exceeded:
        return "error"
    if broken == TIME_RAN_OUT:
        return "timeout"
    if execution.stopped:
        return "timeout" if execution.stopped["why"] == "killed" else "error"
    return "timeout" if any(cell["status"] == "timeout" for cell in execution.cells) else "ok"


def grade(job: Job) -> HarnessResult:
    """Run the notebook in the sandbox, then the canaries and every test against it."""
    limits = Limits(**job.limits)
    result, execution = HarnessResult(), Execution()
    if job.metrics_log:
        os.environ[METRICS_LOG_VAR] = job.metrics_log
    session = Session(
        box=Sandbox(**job.sandbox),
        limits=limits,
        data_dir=Path(job.data_dir) if job.data_dir else None,
    )
    try:
        files = read_test_files(job.autograder_zip, session.remote)
        imports = preload(files)
        execution = session.run_notebook(
            name=job.name, notebook=job.notebook, report=job.report, fonts=font_lists(job.fonts)
        )
        imports.join()
        os.chdir(job.tests_dir)
        result.tampered = canaries.run(session.remote)
        result.questions = run_tests(files)
    except protocol.ProtocolError as err:
        if session.broken != TIME_RAN_OUT:
            result.status, result.error = (
                "error",
                f"the sandbox stopped answering while the notebook ran ({err})",
            )
    except TestFileError as err:
        result.status, result.error = "error", str(err)
    finally:
        result.log = session.close()
        result.exceeded = session.confined.exceeded
        result.peak_memory_mb = round(session.confined.peak_mb, 1)
    result.cells, result.stopped = execution.cells, execution.stopped
    result.outputs = {str(index): outputs for index, outputs in execution.outputs.items()}
    result.out_of_time = session.broken == TIME_RAN_OUT
    result.status = final_status(result, execution, session.broken)
    if result.exceeded and not result.error:
        result.error = f"stopped: the notebook went past its {result.exceeded} limit"
    return result


def main() -> int:
    die_with_parent(int(sys.argv[1]))
    job = Job(**json.loads(sys.stdin.buffer.read()))
    sys.stdout.write(json.dumps(asdict(grade(job))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
