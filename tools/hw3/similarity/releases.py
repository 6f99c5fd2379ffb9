"""Every released version of each notebook: whatever a student may have started from.

A cell provided in any release is starter code. A student who downloaded the notebook before a
mid-term fix keeps that release's provided cells, which differ from today's; two such students
must not look alike for it. The versions are: the release's `student/<name>/<name>.ipynb`, each
earlier version of that file in the git history of the release folder (when it is in a git work
tree), and every `<name>.ipynb` in the folders and zips passed with `--starter` (a course page's
earlier downloads). Zips are read member by member with the grader's caps, never extracted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from hw3.common.safezip import (
    MACOS_FOLDER,
    READ_ERRORS,
    MemberError,
    mb,
    read_member,
    unsafe_reason,
)
from hw3.errors import Hw3Error
from hw3.submission.rules import MAX_NOTEBOOK_BYTES

CHECKPOINTS = ".ipynb_checkpoints"  # Jupyter's autosaves: not a release
GIT_TIMEOUT_S = 60


@dataclass(frozen=True)
class Release:
    """One released version of a notebook: where it came from (for notes) and its bytes."""

    origin: str
    data: bytes


def git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run git in `cwd` and return the completed process (bytes), whatever its exit status."""
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT_S, check=False
    )


def git_versions(release_root: Path, name: str) -> list[Release]:
    """Every committed version of `student/<name>/<name>.ipynb` under `release_root`, newest first.

    Empty when git is missing or the folder is not in a git work tree (an unpacked release).
    """
    path = release_root / "student" / name / f"{name}.ipynb"
    if shutil.which("git") is None or not path.parent.is_dir():
        return []
    top = git(["rev-parse", "--show-toplevel"], path.parent)
    if top.returncode != 0:
        return []
    root = Path(top.stdout.decode().strip())
    relative = path.resolve().relative_to(root.resolve()).as_posix()
    log = git(["log", "--format=%H", "--", relative], root)
    if log.returncode != 0:
        raise Hw3Error(
            f"{root}: git log of {relative} failed ({log.stderr.decode().strip()[:200]}): "
            "repair the repository or pass --starter with the earlier releases"
        )
    versions = []
    for commit in log.stdout.decode().split():
        shown = git(["show", f"{commit}:{relative}"], root)
        if shown.returncode == 0:  # not 0 where the commit deleted the file: nothing was released
            versions.append(Release(f"git {commit[:10]}", shown.stdout))
    return versions


def notebook_release(path: Path) -> Release:
    """One released notebook file, refused when larger than a notebook may be."""
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise Hw3Error(
            f"{path}: larger than a notebook may be ({mb(MAX_NOTEBOOK_BYTES)}): "
            "pass --starter the released notebooks"
        )
    return Release(str(path), path.read_bytes())


def folder_versions(folder: Path, names) -> dict[str, list[Release]]:
    """{assignment: the `<name>.ipynb` files anywhere under `folder`}, checkpoints left out."""
    wanted = {f"{name}.ipynb": name for name in names}
    found: dict[str, list[Release]] = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in (CHECKPOINTS, MACOS_FOLDER))
        for file in sorted(files):
            if file in wanted:
                found.setdefault(wanted[file], []).append(notebook_release(Path(root, file)))
    return found


def zip_versions(path: Path, names) -> dict[str, list[Release]]:
    """{assignment: the `<name>.ipynb` members of the zip at `path`}, read with the grader's caps."""
    wanted = {f"{name}.ipynb": name for name in names}
    found: dict[str, list[Release]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                base = info.filename.rstrip("/").rsplit("/", 1)[-1]
                parts = info.filename.split("/")
                if (
                    base not in wanted
                    or info.is_dir()
                    or CHECKPOINTS in parts
                    or MACOS_FOLDER in parts
                    or unsafe_reason(info.filename)
                ):
                    continue
                data = read_member(zf, info.filename, MAX_NOTEBOOK_BYTES)
                found.setdefault(wanted[base], []).append(Release(f"{path}:{info.filename}", data))
    except (*READ_ERRORS, MemberError) as err:
        raise Hw3Error(
            f"{path}: cannot be read as a zip of released notebooks ({err}): pass the release's zip or folder"
        ) from None
    return found


def starter_versions(paths: list[Path], names) -> dict[str, list[Release]]:
    """{assignment: its notebooks in the folders and zips given with --starter}; Hw3Error on a bad path."""
    found: dict[str, list[Release]] = {}
    for path in paths:
        if not path.exists():
            raise Hw3Error(
                f"{path}: no such file or folder: give --starter earlier release folders or zips"
            )
        if path.is_dir():
            more = folder_versions(path, names)
        elif path.suffix.lower() == ".zip":
            more = zip_versions(path, names)
        elif path.suffix.lower() == ".ipynb" and path.stem in names:
            more = {path.stem: [notebook_release(path)]}
        else:
            raise Hw3Error(
                f"{path}: is neither a folder, a .zip nor a released notebook "
                f"({', '.join(f'{n}.ipynb' for n in names)}): give --starter earlier releases"
            )
        if not any(more.values()):
            raise Hw3Error(
                f"{path}: holds none of {', '.join(f'{n}.ipynb' for n in names)}: "
                "give --starter the folder or zip of an earlier release"
            )
        for name, releases in more.items():
            found.setdefault(name, []).extend(releases)
    return found


def earlier_releases(
    release_root: Path, names, starter: list[Path] | None = None
) -> dict[str, list[Release]]:
    """{assignment: every other released version of its notebook}: the git history of `student/` and --starter's,
    each distinct version once."""
    given = starter_versions(starter or [], names)
    found = {}
    for name in names:
        seen, versions = set(), []
        for release in git_versions(release_root, name) + given.get(name, []):
            if release.data not in seen:
                seen.add(release.data)
                versions.append(release)
        found[name] = versions
    return found
