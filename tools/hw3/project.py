"""Where the course repository is: found from an explicit `--repo` or by walking up from the current folder.

Never inferred from where this package is installed, so `pip install .`, `pipx install .` and
`pip install -e .` behave alike, and a TA can work from any folder by naming the repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hw3.errors import Hw3Error
from hw3.registry import Registry, load_registry

PROJECT_NAME = "dl-hw3"
NAME_LINE = re.compile(
    rf'^name\s*=\s*"{PROJECT_NAME}"\s*$', re.MULTILINE
)  # in [project]; tomllib needs 3.11


class RepositoryNotFound(Hw3Error):
    """No course repository at or above the folder given."""


def is_repository(folder: Path) -> bool:
    """Whether `folder` holds this project's pyproject.toml."""
    try:
        text = (folder / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return NAME_LINE.search(text) is not None


@dataclass(frozen=True)
class Repository:
    """The course repository and the folders every verb reads."""

    root: Path

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    @property
    def mutants(self) -> Path:
        return self.reference / "mutants"

    @property
    def variants(self) -> Path:
        return self.reference / "variants"

    @property
    def theory(self) -> Path:
        return self.reference / "theory"

    @property
    def student(self) -> Path:
        return self.root / "student"

    @property
    def autograder(self) -> Path:
        return self.root / "autograder"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def master(self, name: str) -> Path:
        """The Otter Assign master of assignment `name`."""
        return self.reference / name / f"{name}.ipynb"

    def registry(self) -> Registry:
        """The assignments declared in `reference/<name>/assignment.toml`, read afresh, in course order."""
        return load_registry(self.reference)

    def mastered_assignments(self) -> list[str]:
        """The declared assignments whose master notebook exists, in course order."""
        return [name for name in self.registry().names if self.master(name).is_file()]


def find_repository(
    explicit: Path | None = None, start: Path | None = None, option: str = "--repo DIR"
) -> Repository:
    """The repository at `explicit`, else the nearest folder at or above `start` (default: the current
    folder) holding this project's pyproject.toml; RepositoryNotFound names the fix (the verb's `option`)."""
    if explicit is not None:
        if not is_repository(explicit):
            raise RepositoryNotFound(
                f"{explicit}: not the DL HW3 repository (no pyproject.toml of {PROJECT_NAME}): "
                "pass the folder you cloned"
            )
        return Repository(explicit.resolve())
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_repository(folder):
            return Repository(folder)
    raise RepositoryNotFound(
        f"{here}: not inside the DL HW3 repository: run from your clone or pass {option}"
    )
