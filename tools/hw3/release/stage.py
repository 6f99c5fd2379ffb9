"""`hw3 release --stage-data`: each master's data written beside it, for running otter assign by hand.

otter assign reads the files a master's `files:` names from the master's folder, and those files are
generated or kept elsewhere (`[[data]]` of `assignment.toml`). Staged, they make
`otter assign reference/<name>/<name>.ipynb OUT` run on the master as it stands; the staged copies
are ignored by git (`reference/*/data/`). The grading-budget marker of `autograder_files:` is
committed beside the master, so it needs no staging.
"""

from __future__ import annotations

from pathlib import Path

from hw3.project import Repository
from hw3.release.assign import ReleaseError, stage_data


def stage_beside_masters(*, repo: Repository, names: list[str] | None = None) -> list[Path]:
    """Write the data files of `names` (default: every declared assignment with a master) beside their
    masters, `reference/<name>/<path>`; the files written."""
    registry = repo.registry()
    unknown = sorted(set(names or ()) - set(registry.names))
    if unknown:
        raise ReleaseError(
            f"unknown assignment {unknown[0]!r}: the declared ones are {', '.join(registry.names)}"
        )
    wanted = set(names) if names else set(repo.mastered_assignments())
    written = []
    for declaration in registry:
        if declaration.name in wanted:
            folder = repo.master(declaration.name).parent
            stage_data(repo, declaration, folder)
            written += [folder / data.path for data in declaration.data]
    return written
