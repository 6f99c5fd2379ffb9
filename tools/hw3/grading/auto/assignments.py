"""The notebooks a release grades: each one's autograder zip, what its tests hold, and the released student copy.

The assignments are those the release declares (`reference/<name>/assignment.toml` under its root,
`hw3.registry`), in course order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import nbformat

from hw3.common.answers import CHECK_CALL
from hw3.common.regions import Region, find_regions
from hw3.errors import Hw3Error
from hw3.grading.auto.autograder_info import AutograderInfo, read_autograder
from hw3.registry import Registry, release_registry


class ReleaseMissing(Hw3Error):
    """The release folder lacks what grading needs; the message names it and the fix."""


@dataclass
class Assignment:
    """One notebook to grade: its autograder zip, what the tests hold, and the released student copy."""

    name: str
    autograder_zip: Path
    info: AutograderInfo
    released: nbformat.NotebookNode
    order: list[str]  # question names in notebook order
    student_dir: Path  # the released student folder: the notebook, its data/
    registry: Registry  # every assignment the release declares, this one included, in course order

    @property
    def notebook(self) -> str:
        return f"{self.name}.ipynb"

    @property
    def max_points(self) -> float:
        return sum(self.info.questions[q].points for q in self.order)

    @cached_property
    def regions(self) -> list[Region]:
        """The hand-graded questions' regions in the released student notebook, in order."""
        return find_regions(self.released)


def declared(assignments: list[Assignment]) -> tuple[str, ...]:
    """Every assignment the release declares, in course order, graded or skipped (one gradebook column each)."""
    return assignments[0].registry.names if assignments else ()


def submission_notebooks(assignments: list[Assignment]) -> tuple[str, ...]:
    """The notebooks a submission to this release holds: one per declared assignment, in course order."""
    return assignments[0].registry.notebooks if assignments else ()


def question_order(nb: nbformat.NotebookNode, names) -> list[str]:
    """Question names in the order their `grader.check` cells appear, then any others sorted."""
    seen = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            for match in CHECK_CALL.finditer(cell.source):
                if match["question"] in names and match["question"] not in seen:
                    seen.append(match["question"])
    return seen + sorted(set(names) - set(seen))


def load_assignments(release_root: Path) -> tuple[list[Assignment], list[str]]:
    """The declared assignments whose autograder zip exists under `release_root`, and one warning per
    skipped one."""
    registry = release_registry(release_root)
    found, warnings = [], []
    for name in registry.names:
        autograder_zip = release_root / "autograder" / name / f"{name}-autograder.zip"
        student_nb = release_root / "student" / name / f"{name}.ipynb"
        if not autograder_zip.is_file():
            warnings.append(
                f"{name}: {autograder_zip} is missing: {name}.ipynb is not graded (run hw3 release)"
            )
            continue
        if not student_nb.is_file():
            raise ReleaseMissing(
                f"{student_nb} is missing (needed for the integrity flags): run hw3 release"
            )
        info = read_autograder(autograder_zip)
        try:
            released = nbformat.read(student_nb, as_version=4)
        except (OSError, ValueError, nbformat.ValidationError) as err:
            raise ReleaseMissing(
                f"{student_nb}: cannot be read ({type(err).__name__}): run hw3 release"
            ) from None
        found.append(
            Assignment(
                name=name,
                autograder_zip=autograder_zip.resolve(),
                info=info,
                released=released,
                order=question_order(released, info.questions),
                student_dir=student_nb.parent.resolve(),
                registry=registry,
            )
        )
    if not found:
        raise ReleaseMissing(
            f"no autograder zip under {release_root / 'autograder'}: run hw3 release, or pass --release"
        )
    return found, warnings
