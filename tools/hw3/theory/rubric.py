"""The theory rubric as the solutions PDF reads it: `reference/theory/rubric.toml`, one table per item.

The format is `hw3.common.rubric`'s (the grading packet reads the same file, held to the course's
points, through `hw3.grading.hand.rubric`).
"""

from __future__ import annotations

from pathlib import Path

from hw3.common.rubric import RUBRIC_FILE, THEORY_KEYS, Rubric, RubricError, read_file, read_table

RUBRIC_NAME = RUBRIC_FILE  # in reference/theory/

__all__ = ["RUBRIC_NAME", "Rubric", "RubricError", "read_rubric"]


def read_rubric(path: Path) -> dict[str, Rubric]:
    """Item name -> Rubric, in file order; RubricError when the file is missing or malformed."""
    try:
        data = read_file(path)
    except OSError as error:
        raise RubricError(f"{path}: cannot read the rubric ({error.strerror})") from None
    return {
        item: read_table(path, f'["{item}"]', table, THEORY_KEYS) for item, table in data.items()
    }
