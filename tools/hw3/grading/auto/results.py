"""What grading one submission produced, and the reading of the sandboxed child's untrusted summary.

The child (`otter_child`) runs as untrusted as the student's code, so its summary is only data:
read without following links and under a size cap, validated against the autograder's own
questions, scores clamped to each question's points, and public messages scrubbed of any line that
quotes a hidden test. Records are saved as JSON in the run's state folder (`state.py`).
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from hw3.grading.auto.autograder_info import AutograderInfo

STATUSES = (
    "ok",
    "invalid",
    "timeout",
    "error",
)  # rising severity: a row shows its worst notebook's
SKIPPED = "skipped"
RECORD_VERSION = 3
MAX_SUMMARY_BYTES = 8 * 1024 * 1024
MAX_METRICS_BYTES = 64 * 1024
MAX_METRIC_NAME = 200
MAX_MESSAGE_LINES = 6  # of a public test's failure message shown to the student...
MAX_MESSAGE_CHARS = 400  # ...and at most this many characters of them; the TA's log keeps it all
ENCODED_RUN = re.compile(
    r"[A-Za-z0-9+/=]{40,}|[0-9A-Fa-f]{32,}"
)  # base64/32 or hex: no word is this long
ENCODED_MARKER = "[encoded data removed]"
LONG_MESSAGE_FLAG = "long-message"


@dataclass
class NotebookResult:
    """One graded notebook: status, per-question scores, per-case pass/fail and public messages, notes
    for the student, integrity flags, seconds, measured threshold values, TA-only details, and the
    figures and evidence outputs the graded run produced for the hand-graded questions."""

    status: str
    scores: dict[str, float] = field(default_factory=dict)
    passed: dict[str, list[bool]] = field(default_factory=dict)
    messages: dict[str, list[str | None]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    seconds: float = 0.0
    metrics: list[dict] = field(default_factory=list)
    detail: str = ""  # the raw error, for the TA's gradebook only
    log: str = ""  # the kept log of a failed run, relative to the output folder
    full_messages: dict[str, list[str | None]] = field(
        default_factory=dict
    )  # uncut public messages, TA only
    # per manual-question region of the released notebook, the graded run's figures of its code answer:
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


def scrub(text: str, info: AutograderInfo) -> str:
    """`text` without any line that quotes a hidden test's source.

    What the grader reads back comes from the student's kernel, which can read the tests; this
    keeps their source out of the feedback unless it is disguised on purpose.
    """
    kept = [
        line
        for line in text.splitlines()
        if not any(secret in line for secret in info.hidden_lines)
    ]
    return "\n".join(kept)


def cut_message(text: str) -> tuple[str, bool]:
    """(what the student may see of a public test's message, whether anything was cut): runs that look
    like encoded data become a marker, then at most MAX_MESSAGE_LINES lines and MAX_MESSAGE_CHARS characters.

    Student code can raise anything from a function a public test calls; the grader says only
    what a test says, so nothing a notebook read or computed travels back as a long payload.
    """
    shown = ENCODED_RUN.sub(ENCODED_MARKER, text)
    lines = shown.splitlines()
    cut = shown != text or len(lines) > MAX_MESSAGE_LINES or len(shown) > MAX_MESSAGE_CHARS
    shown = "\n".join(lines[:MAX_MESSAGE_LINES])[:MAX_MESSAGE_CHARS]
    return (shown + "\n[message cut: the grader keeps the rest]" if cut else shown), cut


def scores_from_summary(summary: dict, info: AutograderInfo) -> tuple[dict, dict, dict, dict]:
    """(scores, passed, messages, full messages) per question of `info`, validated against the tests:
    unknown questions dropped, scores clamped to [0, points], messages kept only for public cases,
    scrubbed, and cut for the student (`cut_message`); the full ones are for the TA."""
    scores, passed, messages, full = {}, {}, {}, {}
    for name, question in info.questions.items():
        got = summary["questions"].get(name)
        if not isinstance(got, dict):
            scores[name] = 0.0
            continue
        scores[name] = clamp(got.get("score"), 0.0, question.points)
        flags, texts = got.get("passed"), got.get("messages")
        if isinstance(flags, list) and len(flags) == len(question.cases):
            passed[name] = [flag is True for flag in flags]
            texts = (
                texts
                if isinstance(texts, list) and len(texts) == len(flags)
                else [None] * len(flags)
            )
            full[name] = [
                scrub(text, info) if isinstance(text, str) and not case.hidden else None
                for case, text in zip(question.cases, texts)
            ]
            messages[name] = [
                cut_message(text)[0] if text is not None else None for text in full[name]
            ]
    return scores, passed, messages, full


def was_cut(full: dict[str, list[str | None]]) -> bool:
    """Whether any public message had to be cut for the student."""
    return any(
        cut_message(text)[1] for texts in full.values() for text in texts if text is not None
    )
