"""The theory rubric, `reference/theory/rubric.toml`: one table per item, keyed by the handout's name.

    ["1.2.2 (3)"]
    items = [
      { id = "formula", points = 0.5, text = "States PPL = exp of the mean negative log-likelihood ..." },
      { id = "meaning", points = 0.5, text = "Interprets it: ..." },
    ]
    mistakes = ["Mean of per-chunk perplexities instead of exp of the mean NLL", ...]

`id` is `[a-z0-9_]+` and unique within its item, `points` positive, `text` one sentence; `mistakes` a
list of sentences (the format shared with the notebooks' rubrics).
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

RUBRIC_NAME = "rubric.toml"  # in reference/theory/
ID = re.compile(r"[a-z0-9_]+")


class RubricError(Hw3Error):
    """rubric.toml is missing or malformed; the message names the file, the item and the fix."""


@dataclass(frozen=True, kw_only=True)
class Criterion:
    """One rubric item: what earns `points`."""

    id: str
    points: float
    text: str


@dataclass(frozen=True, kw_only=True)
class Rubric:
    """The rubric of one theory item ("1.1.1 (1)")."""

    item: str
    criteria: list[Criterion]
    mistakes: list[str]

    @property
    def points(self) -> float:
        return sum(c.points for c in self.criteria)


def _criterion(raw, where: str) -> Criterion:
    if not isinstance(raw, dict) or set(raw) != {"id", "points", "text"}:
        raise RubricError(f"{where}: each of items is {{ id = ..., points = ..., text = ... }}")
    ident, points, text = raw["id"], raw["points"], raw["text"]
    if not isinstance(ident, str) or not ID.fullmatch(ident):
        raise RubricError(f"{where}: id {ident!r} must be lower case letters, digits and _")
    if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
        raise RubricError(f"{where}: {ident} needs positive points, got {points!r}")
    if not isinstance(text, str) or not text.strip():
        raise RubricError(f"{where}: {ident} needs a text saying what earns its points")
    return Criterion(id=ident, points=float(points), text=text.strip())


def read_rubric(path: Path) -> dict[str, Rubric]:
    """Item name -> Rubric, in file order; RubricError when the file is missing or malformed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RubricError(f"{path}: cannot read the rubric ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise RubricError(f"{path}: not valid TOML ({error})") from None
    rubrics = {}
    for item, table in data.items():
        where = f'{path}: ["{item}"]'
        if (
            not isinstance(table, dict)
            or set(table) - {"items", "mistakes"}
            or "items" not in table
        ):
            raise RubricError(f"{where}: give items = [...] and mistakes = [...] only")
        criteria = [_criterion(raw, where) for raw in table["items"]]
        ids = [c.id for c in criteria]
        if len(set(ids)) != len(ids):
            raise RubricError(f"{where}: ids must be unique within an item, got {ids}")
        mistakes = table.get("mistakes", [])
        if not isinstance(mistakes, list) or not all(isinstance(m, str) for m in mistakes):
            raise RubricError(f"{where}: mistakes is a list of sentences")
        rubrics[item] = Rubric(item=item, criteria=criteria, mistakes=mistakes)
    return rubrics
