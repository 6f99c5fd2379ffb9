"""A grading run's output folder: its lock, and the saved record of every zip content graded there.

Records are kept per zip content hash in `DIR/.state/` (with the figures they name in
`DIR/.state/figures/`), so a rerun, even after `kill -9`, grades only what is missing, and an
identical zip downloaded twice is graded once. A record only counts when it was graded with the
same autograder zips.
"""

from __future__ import annotations

from pathlib import Path

import filelock

from hw3.common.atomic import write_atomic
from hw3.errors import Hw3Error
from hw3.grading.auto.results import SubmissionRecord

STATE_DIR = ".state"
LOCK_FILE = ".lock"
FIGURES_DIR = (
    "figures"  # in STATE_DIR: the graded runs' figures of hand-graded answers, by content hash
)


class FolderBusy(Hw3Error):
    """Another `hw3 grade` holds the output folder."""


def lock_folder(out: Path) -> filelock.FileLock:
    """An acquired exclusive lock on `out` for this run (the kernel releases it even after kill -9)."""
    lock = filelock.FileLock(out / LOCK_FILE, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise FolderBusy(
            f"{out}: another hw3 grade is writing there: wait for it or choose another --out"
        ) from None
    return lock


def record_path(out: Path, key: str) -> Path:
    return out / STATE_DIR / f"{key}.json"


def load_record(out: Path, key: str, autograders: dict[str, str]) -> SubmissionRecord | None:
    """The saved record of zip content `key`, if it was graded with these autograder zips."""
    try:
        record = SubmissionRecord.from_json(record_path(out, key).read_text(encoding="utf-8"))
    except OSError:
        return None
    return record if record is not None and record.autograders == autograders else None


def save_record(out: Path, record: SubmissionRecord) -> None:
    write_atomic(record_path(out, record.sha256), record.to_json())
