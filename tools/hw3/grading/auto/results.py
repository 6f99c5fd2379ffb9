"""What grading one submission produced: per notebook a `NotebookResult`, per zip a `SubmissionRecord`.

A notebook's result is built from its harness's report (`results_from_harness`). The harness is
trusted and its verdicts are taken as they are (scores still validated against the autograder's
own questions); what it quotes from the sandbox (the cells' exceptions, what the student's code
raised in a test) is capped and kept apart from the grader's own sentences: it reaches the feedback
quoted and marked as the student's, and never the gradebook's `problems` column as prose.
Records are saved as JSON in the run's state folder (`state.py`).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import nbformat

from hw3.grading.auto import integrity
from hw3.grading.auto.limits import Limits

STATUSES = (
    "ok",
    "invalid",
    "timeout",
    "error",
)  # rising severity: a row shows its worst notebook's
SKIPPED = "skipped"
RECORD_VERSION = 4
MAX_METRICS_BYTES = 64 * 1024
MAX_METRIC_NAME = 200
MAX_MESSAGE_LINES = 6  # of a public test's failure message shown to the student...
MAX_MESSAGE_CHARS = 400  # ...and at most this many characters of them; the TA's log keeps it all
MAX_STUDENT_CHARS = 160  # of an exception message from the student's code, quoted
MAX_RAISED = 5  # cells whose exception is quoted
MAX_INTERRUPTED_NOTES = 3
CELL_HEAD = 40
ENCODED_RUN = re.compile(
    r"[A-Za-z0-9+/=]{40,}|[0-9A-Fa-f]{32,}"
)  # base64/32 or hex: no word is this long
ENCODED_MARKER = "[encoded data removed]"
LONG_MESSAGE_FLAG = "long-message"
TAMPERED_FLAG = "tampered"


@dataclass
class NotebookResult:
    """One graded notebook: status, per-question scores, per-case pass/fail and public messages, notes
    for the student (the grader's own words), what the student's code raised (`raised`, `student_texts`:
    the student's words, shown quoted), integrity flags, seconds, measured threshold values, TA-only
    details, and the figures and evidence outputs the graded run produced for the hand-graded questions."""

    status: str
    scores: dict[str, float] = field(default_factory=dict)
    passed: dict[str, list[bool]] = field(default_factory=dict)
    messages: dict[str, list[str | None]] = field(
        default_factory=dict
    )  # public cases: cut for the student
    student_texts: dict[str, list[str | None]] = field(
        default_factory=dict
    )  # what the code raised, per case
    notes: list[str] = field(default_factory=list)
    raised: list[dict] = field(
        default_factory=list
    )  # {"cell", "kind", "exception"} of each cell that raised
    flags: list[str] = field(default_factory=list)
    seconds: float = 0.0
    metrics: list[dict] = field(default_factory=list)
    detail: str = ""  # the raw error, for the TA's gradebook only
    log: str = ""  # the kept log of a failed run, relative to the output folder
    full_messages: dict[str, list[str | None]] = field(
        default_factory=dict
    )  # uncut public messages, TA only
    withheld: dict[str, float] = field(
        default_factory=dict
    )  # scores set aside when a canary tripped
    peak_memory_mb: float = 0.0
    # per hand-graded region of the released notebook, the graded run's figures of its code answer:
    # file names in DIR/.state/figures/ (sanitised, named by content hash), for the grading packet
    figures: list[list[str]] = field(default_factory=list)
    # per manual-question region, the graded run's outputs of the cells its rubric names as evidence:
    # [{"cell": 1-based cell number in the submission, "text": capped text, "images": [names as above]}]
    outputs: list[list[dict]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict) -> "NotebookResult":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class SubmissionRecord:
    """Everything graded for one zip content (its sha256): the rules' problems and one result per notebook."""

    sha256: str
    autograders: dict[str, str]  # assignment -> autograder zip sha256 it was graded with
    sandboxed: bool
    problems: list[str] = field(default_factory=list)
    notebooks: dict[str, NotebookResult] = field(default_factory=dict)
    pdf_pages: int | None = None  # of the theory PDF, when the zip holds a readable one
    version: int = RECORD_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "SubmissionRecord | None":
        """The record in `text`, or None when it is unreadable or of another version."""
        try:
            data = json.loads(text)
            if data.get("version") != RECORD_VERSION:
                return None
            data["notebooks"] = {
                k: NotebookResult.from_json(v) for k, v in data["notebooks"].items()
            }
            return cls(**data)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def worst(statuses) -> str:
    """The most severe status among `statuses` (ok when there are none)."""
    ranked = [s for s in statuses if s in STATUSES]
    return max(ranked, key=STATUSES.index, default="ok")


def read_metrics(path: Path) -> list[dict]:
    """The values threshold tests measured (`HW3_METRICS_LOG`, written by the harness), for `hw3 calibrate`."""
    entries = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace")[:MAX_METRICS_BYTES].splitlines()
    except OSError:
        return entries
    for line in lines:
        try:
            entry = json.loads(line)
            if entry["pass_if"] in ("below", "above"):
                entries.append(
                    {
                        "metric": str(entry["metric"])[:MAX_METRIC_NAME],
                        "value": float(entry["value"]),
                        "limit": float(entry["limit"]),
                        "pass_if": entry["pass_if"],
                    }
                )
        except (ValueError, KeyError, TypeError):
            continue
    return entries


def clamp(value, low: float, high: float) -> float:
    """`value` as a float clamped to [low, high]; `low` when it is not a finite number."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return low
    return min(max(value, low), high) if value == value else low


def cut_message(text: str) -> tuple[str, bool]:
    """(what the student may see of a public test's message, whether anything was cut): runs that look
    like encoded data become a marker, then at most MAX_MESSAGE_LINES lines and MAX_MESSAGE_CHARS characters.

    A message may quote values the student's code returned; this keeps them short."""
    shown = ENCODED_RUN.sub(ENCODED_MARKER, text)
    lines = shown.splitlines()
    cut = shown != text or len(lines) > MAX_MESSAGE_LINES or len(shown) > MAX_MESSAGE_CHARS
    shown = "\n".join(lines[:MAX_MESSAGE_LINES])[:MAX_MESSAGE_CHARS]
    return (shown + "\n[message cut: the grader keeps the rest]" if cut else shown), cut


def was_cut(full: dict[str, list[str | None]]) -> bool:
    """Whether any public message had to be cut for the student."""
    return any(
        cut_message(text)[1] for texts in full.values() for text in texts if text is not None
    )


def student_words(text) -> str:
    """A text from the student's process, one line, capped (shown quoted, never as the grader's)."""
    line = " ".join(str(text).split())
    return line if len(line) <= MAX_STUDENT_CHARS else line[: MAX_STUDENT_CHARS - 1] + "…"


def cell_name(nb: nbformat.NotebookNode, index: int) -> str:
    """`cell 5 ('for epoch in ...')` for the submitted cell at `index`."""
    if not 0 <= index < len(nb.cells):
        return "a cell"
    lines = nb.cells[index].get("source", "").strip().splitlines()
    return f"cell {index + 1} ({lines[0][:CELL_HEAD]!r})" if lines else f"cell {index + 1}"


def question_results(report: dict, assignment, result: NotebookResult) -> None:
    """Scores, pass/fail, public messages and quoted student texts of each question, checked against the
    autograder's own questions (unknown ones dropped, scores clamped to each question's points)."""
    questions = report.get("questions") if isinstance(report.get("questions"), dict) else {}
    for name, question in assignment.info.questions.items():
        got = questions.get(name)
        if not isinstance(got, dict) or not isinstance(got.get("cases"), list):
            result.scores[name] = 0.0
            continue
        result.scores[name] = clamp(got.get("score"), 0.0, question.points)
        cases = got["cases"]
        if len(cases) != len(question.cases):
            continue
        result.passed[name] = [bool(c.get("passed")) for c in cases]
        result.student_texts[name] = [
            student_words(c["student_text"]) if c.get("student_text") else None for c in cases
        ]
        result.full_messages[name] = [
            None if case.hidden else str(c.get("message", ""))
            for case, c in zip(question.cases, cases)
        ]
        result.messages[name] = [
            cut_message(m)[0] if m is not None else None for m in result.full_messages[name]
        ]


def cell_results(
    report: dict, nb: nbformat.NotebookNode, name: str, limits: Limits, result: NotebookResult
) -> None:
    """Notes on interrupted cells and a stopped kernel; the cells that raised, their exceptions quoted."""
    cells = [c for c in report.get("cells", []) if isinstance(c, dict)]
    interrupted = [c["index"] for c in cells if c.get("status") == "timeout"]
    result.notes += [
        f"{name}: {cell_name(nb, i)} ran past {limits.cell_timeout} s (--cell-timeout) and was interrupted; "
        "the cells after it still ran"
        for i in interrupted[:MAX_INTERRUPTED_NOTES]
    ]
    stopped = report.get("stopped")
    if isinstance(stopped, dict):
        where = cell_name(nb, stopped.get("index", -1))
        if stopped.get("why") == "killed":
            result.notes.append(
                f"{name}: {where} ran past {limits.cell_timeout} s (--cell-timeout) and ignored the interrupt: "
                "the kernel was stopped, so no later cell ran and the tests that need them failed"
            )
        else:
            result.notes.append(
                f"{name}: the kernel died in {where} (os._exit, a crash, or memory past the cap): "
                "no later cell ran and the tests that need them failed"
            )
    for cell in [c for c in cells if c.get("status") == "error"][:MAX_RAISED]:
        index = cell.get("index", -1)
        answer = 0 <= index < len(nb.cells) and integrity.is_answer(nb.cells[index])
        result.raised.append(
            {
                "cell": cell_name(nb, index),
                "kind": "your answer" if answer else "a provided cell",
                "exception": student_words(
                    f"{cell.get('ename', '')}: {cell.get('evalue', '')}".strip(": ")
                ),
            }
        )


def results_from_harness(
    report: dict | None,
    assignment,
    nb: nbformat.NotebookNode,
    flags: list[str],
    limits: Limits,
    metrics: Path,
) -> NotebookResult:
    """The NotebookResult of one harness report (None: the harness gave none)."""
    name = assignment.notebook
    if report is None:
        return NotebookResult(
            "error", notes=[f"{name}: the grader stopped without a result: scored 0"], flags=flags
        )
    status = report.get("status") if report.get("status") in STATUSES else "error"
    result = NotebookResult(status, flags=list(flags), detail=str(report.get("error", ""))[:300])
    result.peak_memory_mb = clamp(report.get("peak_memory_mb"), 0.0, 1e9)
    exceeded = report.get("exceeded")
    if exceeded == "memory":
        result.notes.append(f"{name}: stopped: it used more than {limits.memory_mb} MB (--memory)")
    elif exceeded == "processes":
        result.notes.append(f"{name}: stopped: it started more than {limits.processes} processes")
    elif report.get("out_of_time"):
        result.notes.append(
            f"{name}: still running after {limits.timeout} s (--timeout): stopped; the tests that had not run failed"
        )
    elif status == "error" and result.detail:
        result.notes.append(
            f"{name}: grading stopped with an error; run the notebook top to bottom locally"
        )
    cell_results(report, nb, name, limits, result)
    question_results(report, assignment, result)
    tampered = sorted({str(t)[:40] for t in report.get("tampered", []) if isinstance(t, str)})
    if tampered:
        result.flags.append(f"{TAMPERED_FLAG}({','.join(tampered)})")
        result.withheld, result.scores = result.scores, {q: 0.0 for q in result.scores}
        result.notes.append(
            f"{name}: the automatic score is withheld for review: the notebook changed how "
            "the grader's checks behave in its kernel"
        )
    result.metrics = read_metrics(metrics)
    return result
