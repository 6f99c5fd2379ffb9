"""The course settings file, `reference/course.toml`: the handout's points of every part.

Format (TOML; see the committed file for the comments instructors read):

    [parts]                    # points of each notebook as the handout gives them
    hafez = 30
    [manual.<assignment>]      # hand-graded questions of that notebook, in notebook order
    q8_compare = 3
    [theory]
    answers = "theory/answers.md"   # reference answers, one "### 1.1.1 (1) ..." heading per item
    [theory.points]            # points per theory item, named as the handout numbers them
    "1.1.1 (1)" = 1

Points are positive numbers. `check_release` compares the parts with what a release grades
automatically: automatic points + hand-graded points = the part's total.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from hw3.errors import Hw3Error
from hw3.project import ASSIGNMENTS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

COURSE_FILE = "course.toml"  # in the repository's reference/ folder
ITEM_NAME = re.compile(r"^\d\.\d\.\d \(\d+\)$")  # "1.1.1 (1)"
QUESTION_NAME = re.compile(r"^[A-Za-z_][\w]*$")
THEORY = "theory"
TOLERANCE = 1e-9


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


def load_course(path: Path) -> Course:
    """The settings in `path`; CourseError (one line naming the key) when anything is missing or wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(
            f"{path}: no course settings file: pass --course FILE or restore "
            f"reference/{COURSE_FILE}"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise CourseError(f"{path}: not valid TOML ({err}): fix the line it names") from None
    parts = {}
    for name, value in table(data, "parts", path).items():
        if name not in ASSIGNMENTS:
            raise CourseError(
                f"{path}: [parts] {name}: not a notebook of this homework "
                f"(one of {', '.join(ASSIGNMENTS)})"
            )
        parts[name] = points(value, f"[parts] {name}", path)
    manual: dict[str, dict[str, float]] = {}
    for name, questions in data.get("manual", {}).items():
        if name not in parts or not isinstance(questions, dict):
            raise CourseError(
                f"{path}: [manual.{name}]: not a part listed in [parts]: fix the table's name"
            )
        for question, value in questions.items():
            if not QUESTION_NAME.match(question):
                raise CourseError(
                    f"{path}: [manual.{name}] {question}: not a question name like q8_compare"
                )
            manual.setdefault(name, {})[question] = points(
                value, f"[manual.{name}] {question}", path
            )
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
    return Course(path, parts, manual, theory, (path.parent / answers).resolve())


def check_release(course: Course, automatic: dict[str, float]) -> None:
    """CourseError unless, for every graded notebook (`automatic`: assignment -> its autograded points),
    the course lists it and its automatic plus hand-graded points make its total."""
    for name, auto in automatic.items():
        if name not in course.parts:
            raise CourseError(
                f"{course.path}: [parts] has no {name}: add its total as the handout gives it"
            )
        manual = course.manual_points(name)
        if abs(auto + manual - course.parts[name]) > TOLERANCE:
            raise CourseError(
                f"{course.path}: [parts] {name} = {course.parts[name]:g}, but the release grades "
                f"{auto:g} points automatically and [manual.{name}] adds {manual:g}: make them agree "
                "(or run hw3 release after editing the master)"
            )
