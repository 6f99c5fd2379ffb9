"""Rubrics of the hand-graded questions and theory items, read from the rubric files beside the course settings.

    reference/<assignment>/rubric.toml   one table per hand-graded question of that notebook (q8_compare)
    reference/theory/rubric.toml         one table per theory item ("1.2.2 (3)")

Format (TOML, read with tomllib):

    ["1.2.2 (3)"]
    items = [
      { id = "formula", points = 0.5, text = "States PPL = exp of the mean NLL per predicted token" },
      { id = "meaning", points = 0.5, text = "Interprets it: the effective number of equal choices" },
    ]
    mistakes = ["Mean of per-chunk perplexities instead of exp of the mean NLL"]
    evidence = ["COMPARE_STEPS = 600"]   # notebook questions only: a line of each released cell whose
                                         # outputs the packet shows beside the answer
    related = ["q6_evaluate"]            # notebook questions only: autograded questions shown beside it

`id` is short and stable (`[a-z0-9_]+`, unique in its table): grades are kept as the ids applied, so
an item's points or text can change later and every grade that applied it follows. `points` are
positive and a table's items add up to the question's points in the course settings exactly.
A missing rubric file leaves its questions without items (the TA enters a number); a file that
exists must be complete and right, or `load_rubrics` raises RubricError naming the key and the fix.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hw3.grading.auto.notebook import cells_holding_line
from hw3.grading.hand.course import THEORY, TOLERANCE, Course, CourseError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

RUBRIC_FILE = "rubric.toml"
ITEM_ID = re.compile(r"^[a-z0-9_]+$")
NOTEBOOK_KEYS = {"items", "mistakes", "evidence", "related"}
THEORY_KEYS = {"items", "mistakes"}


class RubricError(CourseError):
    """A rubric file that cannot be used; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class RubricItem:
    """One thing that earns points: its stable id, its points and what a TA checks."""

    id: str
    points: float
    text: str


@dataclass(frozen=True)
class Rubric:
    """The rubric of one question or theory item (empty when its file is missing)."""

    items: tuple[RubricItem, ...] = ()
    mistakes: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()  # lines identifying released cells (notebook questions)
    related: tuple[str, ...] = ()  # autograded questions of the same notebook

    def item(self, item_id: str) -> RubricItem | None:
        return next((i for i in self.items if i.id == item_id), None)

    def points_of(self, ids) -> float:
        """The points of the applied `ids` under the rubric as it is now (unknown ids count 0)."""
        return sum(item.points for item in self.items if item.id in set(ids))


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


def strings(value, where: str, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
        raise RubricError(f"{path}: {where}: give a list of non-empty strings")
    return tuple(s.strip() for s in value)


def read_items(value, where: str, path: Path, total: float) -> tuple[RubricItem, ...]:
    """The items of one table, checked: ids, positive points, text, and points adding up to `total`."""
    if not isinstance(value, list) or not value:
        raise RubricError(
            f'{path}: {where}: give items = [{{ id = "...", points = ..., text = "..." }}]'
        )
    items, seen = [], set()
    for number, entry in enumerate(value, start=1):
        here = f"{where} item {number}"
        if not isinstance(entry, dict) or set(entry) != {"id", "points", "text"}:
            raise RubricError(
                f"{path}: {here}: write it as {{ id = ..., points = ..., text = ... }}"
            )
        item_id, points, text = entry["id"], entry["points"], entry["text"]
        if not isinstance(item_id, str) or not ITEM_ID.match(item_id):
            raise RubricError(f"{path}: {here}: id {item_id!r}: use lower-case letters, digits, _")
        if item_id in seen:
            raise RubricError(f"{path}: {here}: id {item_id!r} is used twice: ids must be unique")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points < 1e6:
            raise RubricError(
                f"{path}: {here} ({item_id}): points = {points!r}: give a positive number"
            )
        if not isinstance(text, str) or not text.strip():
            raise RubricError(
                f"{path}: {here} ({item_id}): text is empty: say what earns the points"
            )
        seen.add(item_id)
        items.append(RubricItem(item_id, float(points), " ".join(text.split())))
    got = sum(i.points for i in items)
    if abs(got - total) > TOLERANCE:
        raise RubricError(
            f"{path}: {where}: the items add up to {got:g} points, but the course settings give "
            f"{total:g}: make them agree"
        )
    return tuple(items)


def read_table(path: Path, part: str, key: str, data, total: float) -> Rubric:
    where = f"[{key!r}]" if part == THEORY else f"[{key}]"
    allowed = THEORY_KEYS if part == THEORY else NOTEBOOK_KEYS
    if not isinstance(data, dict):
        raise RubricError(f"{path}: {where}: not a table: write it as the other tables")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RubricError(
            f"{path}: {where}: unknown key {unknown[0]!r}: use {', '.join(sorted(allowed))}"
        )
    return Rubric(
        read_items(data.get("items"), where, path, total),
        strings(data.get("mistakes", []), f"{where} mistakes", path),
        strings(data.get("evidence", []), f"{where} evidence", path),
        strings(data.get("related", []), f"{where} related", path),
    )


def load_rubrics(course: Course, assignments: list[str]) -> Rubrics:
    """The rubrics of the graded `assignments`' hand-graded questions and of the theory items."""
    rubrics = Rubrics()
    parts = {a: course.manual.get(a, {}) for a in assignments if course.manual.get(a)}
    parts[THEORY] = course.theory
    for part, questions in parts.items():
        path = rubric_path(course, part)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            rubrics.missing.append(path)
            continue
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise RubricError(f"{path}: not valid TOML ({err}): fix the line it names") from None
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
            rubrics.tables[(part, key)] = read_table(path, part, key, data[key], total)
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
