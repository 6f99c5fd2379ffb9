"""The course settings: `reference/course.toml` (the theory) and each notebook's points and hand-graded
questions, declared in `reference/<name>/assignment.toml` (`hw3.registry`).

Format of course.toml (TOML; see the committed file for the comments instructors read):

    [theory]
    answers = "theory/answers.md"   # reference answers, one "### 1.1.1 (1) ..." heading per item
    [theory.points]            # points per theory item, named as the handout numbers them
    "1.1.1 (1)" = 1

Points are positive numbers. `check_release` compares each notebook's declared points with what a
release grades automatically: automatic points + hand-graded points = the notebook's points.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hw3.errors import Hw3Error
from hw3.registry import DECLARATION, Registry, load_registry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

COURSE_FILE = "course.toml"  # in the repository's reference/ folder
ITEM_NAME = re.compile(r"^\d\.\d\.\d \(\d+\)$")  # "1.1.1 (1)"
THEORY = "theory"
TOLERANCE = 1e-9
MOVED = ("parts", "manual")  # course.toml tables now declared per assignment


class CourseError(Hw3Error):
    """The course settings file is missing, unreadable or inconsistent; the message names the key and the fix."""


@dataclass(frozen=True)
class Course:
    """The handout's points: per notebook its total and hand-graded questions, per theory item its points."""

    path: Path
    parts: dict[str, float]  # assignment -> total points of the notebook
    manual: dict[str, dict[str, float]]  # assignment -> {question: points}, notebook order
    theory: dict[str, float]  # "1.1.1 (1)" -> points, handout order
    answers: Path  # the theory reference answers (Markdown)
    declarations: dict[str, Path] = field(default_factory=dict)  # assignment -> its assignment.toml

    @property
    def theory_total(self) -> float:
        return sum(self.theory.values())

    def manual_points(self, assignment: str) -> float:
        return sum(self.manual.get(assignment, {}).values())


def points(value, where: str, path: Path) -> float:
    """A positive number from the file, or CourseError naming `where`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not value > 0
        or value == float("inf")
    ):
        raise CourseError(f"{path}: {where} = {value!r}: give a positive number of points")
    return float(value)


def table(data: dict, key: str, path: Path) -> dict:
    value = data.get(key)
    if not isinstance(value, dict):
        raise CourseError(
            f"{path}: no [{key}] table: restore it from the repository's reference/{COURSE_FILE}"
        )
    return value


def load_course(path: Path, registry: Registry | None = None) -> Course:
    """The course settings: the theory from `path`, each notebook's points and hand-graded questions from
    `registry` (default: the assignments declared beside `path`, `*/assignment.toml`); CourseError or
    RegistryError (one line naming the file and the key) when anything is missing or wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(
            f"{path}: no course settings file: pass --course FILE or restore "
            f"reference/{COURSE_FILE}"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise CourseError(f"{path}: not valid TOML ({err}): fix the line it names") from None
    moved = [key for key in MOVED if key in data]
    if moved:
        raise CourseError(
            f"{path}: [{moved[0]}]: each notebook's points and hand-graded questions now live in "
            f"reference/<name>/{DECLARATION} (points = ..., [manual]): move them there"
        )
    registry = registry if registry is not None else load_registry(path.parent)
    theory_table = table(data, THEORY, path)
    theory = {}
    for item, value in table(theory_table, "points", path).items():
        if not ITEM_NAME.match(item):
            raise CourseError(
                f'{path}: [theory.points] "{item}": name items as the handout does, like "1.1.1 (1)"'
            )
        theory[item] = points(value, f'[theory.points] "{item}"', path)
    if not theory:
        raise CourseError(f"{path}: [theory.points] lists no item: list the handout's theory items")
    answers = theory_table.get("answers")
    if not isinstance(answers, str) or not answers:
        raise CourseError(
            f'{path}: [theory] answers: give the reference answers file, like "theory/answers.md"'
        )
    return Course(
        path=path,
        parts={d.name: d.points for d in registry},
        manual={d.name: dict(d.manual) for d in registry if d.manual},
        theory=theory,
        answers=(path.parent / answers).resolve(),
        declarations={d.name: d.file for d in registry},
    )


def check_release(course: Course, automatic: dict[str, float]) -> None:
    """CourseError unless, for every graded notebook (`automatic`: assignment -> its autograded points),
    the course declares it and its automatic plus hand-graded points make its declared points."""
    for name, auto in automatic.items():
        if name not in course.parts:
            raise CourseError(
                f"{course.path}: no assignment {name} is declared beside it: declare it in "
                f"reference/{name}/{DECLARATION} with its points as the handout gives them"
            )
        manual = course.manual_points(name)
        if abs(auto + manual - course.parts[name]) > TOLERANCE:
            where = course.declarations.get(name, course.path)
            raise CourseError(
                f"{where}: points = {course.parts[name]:g}, but the release grades {auto:g} points "
                f"of {name} automatically and [manual] adds {manual:g}: make them agree (or run hw3 "
                "release after editing the master)"
            )
