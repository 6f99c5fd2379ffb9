"""The rubric format, one reader for every rubric file: the theory's and each notebook's hand-graded questions.

    reference/<assignment>/rubric.toml   one table per hand-graded question of that notebook (q8_compare)
    reference/theory/rubric.toml         one table per theory item ("1.2.2 (3)")

Format (TOML):

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
positive. What a table's points must add up to is the course's business (`hw3.grading.hand.rubric`
checks it against the course settings); the solutions PDF reads the theory's file as it is.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from hw3.errors import Hw3Error

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

RUBRIC_FILE = "rubric.toml"
ITEM_ID = re.compile(r"^[a-z0-9_]+$")
THEORY_KEYS = frozenset({"items", "mistakes"})
NOTEBOOK_KEYS = THEORY_KEYS | {"evidence", "related"}


class RubricError(Hw3Error):
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

    @property
    def points(self) -> float:
        return sum(item.points for item in self.items)

    def item(self, item_id: str) -> RubricItem | None:
        return next((i for i in self.items if i.id == item_id), None)

    def points_of(self, ids) -> float:
        """The points of the applied `ids` under the rubric as it is now (unknown ids count 0)."""
        return sum(item.points for item in self.items if item.id in set(ids))


def read_file(path: Path) -> dict:
    """The TOML tables of a rubric file; FileNotFoundError passes through (a missing file may be allowed)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise RubricError(f"{path}: not valid TOML ({err}): fix the line it names") from None


def strings(value, where: str, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
        raise RubricError(f"{path}: {where}: give a list of non-empty strings")
    return tuple(s.strip() for s in value)


def read_items(value, where: str, path: Path) -> tuple[RubricItem, ...]:
    """The items of one table, checked: ids, positive points, a text."""
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
    return tuple(items)


def read_table(path: Path, where: str, data, allowed: frozenset) -> Rubric:
    """One table (`where` names it in messages), with only the `allowed` keys."""
    if not isinstance(data, dict):
        raise RubricError(f"{path}: {where}: not a table: write it as the other tables")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RubricError(
            f"{path}: {where}: unknown key {unknown[0]!r}: use {', '.join(sorted(allowed))}"
        )
    return Rubric(
        read_items(data.get("items"), where, path),
        strings(data.get("mistakes", []), f"{where} mistakes", path),
        strings(data.get("evidence", []), f"{where} evidence", path),
        strings(data.get("related", []), f"{where} related", path),
    )
