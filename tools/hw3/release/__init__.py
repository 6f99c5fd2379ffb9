"""`hw3 release`: turn the reference masters into `student/` and `autograder/` with otter assign.

API: `release(repo=..., names=..., out=...) -> ReleaseResult`; `cli.release_main` is its command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hw3.common.folders import claim
from hw3.project import Repository, is_repository
from hw3.release.assign import ReleaseError, assign_one
from hw3.release.extras import write_student_extras

__all__ = ["ReleaseError", "ReleaseResult", "release"]


@dataclass
class ReleaseResult:
    """The assignments released, the root that received student/ and autograder/, and the student bundle."""

    out: Path
    names: list[str] = field(default_factory=list)
    bundle: Path | None = None


def release(
    *, repo: Repository, names: list[str] | None = None, out: Path | None = None
) -> ReleaseResult:
    """Release `names` (default: every mastered assignment) of `repo` into `out` (default: the repository).

    student/<name>/ and autograder/<name>/ are replaced; outside a repository only in a folder an
    earlier release made (`hw3.common.folders`).
    """
    out = out or repo.root
    if not is_repository(out):
        claim(out, "release")
    names = list(names) if names else repo.mastered_assignments()
    missing = [name for name in names if not repo.master(name).is_file()]
    if missing:
        raise ReleaseError(f"{repo.master(missing[0])} is missing: check the assignment name")
    result = ReleaseResult(out)
    for name in names:
        assign_one(repo, name, out)
        result.names.append(name)
    result.bundle = write_student_extras(repo, out)
    return result
