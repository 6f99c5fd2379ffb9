"""The rubrics of a course's hand-graded questions and theory items, read beside the course settings.

The format is `hw3.common.rubric`'s. Here each table is held to the course: a table per hand-graded
question (and per theory item), its items adding up to that question's points exactly. A missing
rubric file leaves its questions without items (the TA enters a number); a file that exists must be
complete and right, or `load_rubrics` raises RubricError naming the key and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hw3.common.rubric import (
    NOTEBOOK_KEYS,
    RUBRIC_FILE,
    THEORY_KEYS,
    Rubric,
    RubricError,
    RubricItem,
    read_file,
    read_table,
)
from hw3.grading.auto.notebook import cells_holding_line
from hw3.grading.hand.course import THEORY, TOLERANCE, Course

__all__ = [
    "RUBRIC_FILE",
    "Rubric",
    "RubricError",
    "RubricItem",
    "Rubrics",
    "check_evidence",
    "load_rubrics",
]


@dataclass
class Rubrics:
    """Every rubric of a course: (part, key) -> Rubric, with the files read and the ones missing."""

    tables: dict[tuple[str, str], Rubric] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)

    def get(self, part: str, key: str) -> Rubric:
        return self.tables.get((part, key), Rubric())

    def evidence(self, assignment: str, questions) -> list[list[str]]:
        """Per hand-graded question of `assignment` (in `questions` order), its evidence lines."""
        return [list(self.get(assignment, q).evidence) for q in questions]


def rubric_path(course: Course, part: str) -> Path:
    """Where the rubric of `part` (an assignment, or "theory") lives: beside the course settings."""
    return course.path.parent / part / RUBRIC_FILE


def course_table(path: Path, part: str, key: str, data, total: float) -> Rubric:
    """One table, read, with its items adding up to the course's `total` points for it."""
    where = f"[{key!r}]" if part == THEORY else f"[{key}]"
    rubric = read_table(path, where, data, THEORY_KEYS if part == THEORY else NOTEBOOK_KEYS)
    if abs(rubric.points - total) > TOLERANCE:
        raise RubricError(
            f"{path}: {where}: the items add up to {rubric.points:g} points, but the course settings give "
            f"{total:g}: make them agree"
        )
    return rubric


def load_rubrics(course: Course, assignments: list[str]) -> Rubrics:
    """The rubrics of the graded `assignments`' hand-graded questions and of the theory items."""
    rubrics = Rubrics()
    parts = {a: course.manual.get(a, {}) for a in assignments if course.manual.get(a)}
    parts[THEORY] = course.theory
    for part, questions in parts.items():
        path = rubric_path(course, part)
        try:
            data = read_file(path)
        except FileNotFoundError:
            rubrics.missing.append(path)
            continue
        extra = [key for key in data if key not in questions]
        if extra:
            raise RubricError(
                f"{path}: [{extra[0]}]: not a hand-graded question of {part} in {course.path.name}: "
                "fix the name or remove the table"
            )
        absent = [key for key in questions if key not in data]
        if absent:
            raise RubricError(f"{path}: no table for {absent[0]!r}: add its items")
        for key, total in questions.items():
            rubrics.tables[(part, key)] = course_table(path, part, key, data[key], total)
        rubrics.files.append(path)
    return rubrics


def check_evidence(rubrics: Rubrics, assignments) -> None:
    """RubricError unless every evidence line names exactly one code cell of the released notebook and
    every related question is an autograded question of that notebook."""
    for assignment in assignments:
        for (part, key), rubric in rubrics.tables.items():
            if part != assignment.name:
                continue
            path = f"{part}/{RUBRIC_FILE} [{key}]"
            for line in rubric.evidence:
                count = len(cells_holding_line(assignment.released, line))
                if count != 1:
                    raise RubricError(
                        f"{path} evidence {line!r}: matches {count} code cells of the released "
                        f"{assignment.notebook}: quote one whole line that only that cell holds"
                    )
            for name in rubric.related:
                if name not in assignment.order:
                    raise RubricError(
                        f"{path} related {name!r}: not an autograded question of "
                        f"{assignment.notebook} (one of {', '.join(assignment.order)})"
                    )
