"""`hw3 release`: turn the reference masters into `student/` and `autograder/` with otter assign.

API: `release(repo=..., names=..., out=...) -> ReleaseResult`; `cli.release_main` is its command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hw3.common.folders import claim
from hw3.project import Repository, is_repository
from hw3.registry import REFERENCE_DIR, copy_declarations
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
    """Release `names` (default: every declared assignment with a master) of `repo` into `out` (default:
    the repository), in course order.

    student/<name>/ and autograder/<name>/ are replaced; outside a repository only in a folder an
    earlier release made (`hw3.common.folders`), which also receives the released assignments'
    declarations (`reference/<name>/assignment.toml`), so `hw3 grade` and `hw3 similarity` know them.
    """
    out = out or repo.root
    registry = repo.registry()
    outside = not is_repository(out)
    if outside:
        claim(out, "release")
    unknown = sorted(set(names or ()) - set(registry.names))
    if unknown:
        raise ReleaseError(
            f"unknown assignment {unknown[0]!r}: the declared ones are {', '.join(registry.names)} "
            f"({repo.reference}/<name>/assignment.toml)"
        )
    wanted = set(names) if names else set(repo.mastered_assignments())
    declarations = [d for d in registry if d.name in wanted]
    missing = [d.name for d in declarations if not repo.master(d.name).is_file()]
    if missing:
        raise ReleaseError(f"{repo.master(missing[0])} is missing: check the assignment name")
    result = ReleaseResult(out)
    for declaration in declarations:
        assign_one(repo, declaration, out)
        result.names.append(declaration.name)
    if outside:
        copy_declarations(registry, result.names, out / REFERENCE_DIR)
    result.bundle = write_student_extras(repo, out)
    return result
