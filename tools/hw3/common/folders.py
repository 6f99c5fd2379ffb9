"""Folders a verb writes: containment checks, and the rule that no verb deletes what it did not create.

A verb that clears or replaces what is in its output folder first claims the folder: a new or
empty folder gets a marker file naming the verb; a folder with that marker was made by an earlier
run and may be cleared; any other non-empty folder is refused with one line naming it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hw3.errors import Hw3Error

MARKER = ".hw3-owned"


class FolderNotOurs(Hw3Error):
    """A non-empty output folder that hw3 did not create."""


def inside(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies below it (both as given: resolve them first if needed)."""
    return path == folder or folder in path.parents


def claim(folder: Path, verb: str) -> Path:
    """Make `folder` this verb's output folder: create it (with the marker) when new or empty, accept it
    when an earlier run left the marker, refuse it otherwise."""
    if folder.exists() and not folder.is_dir():
        raise FolderNotOurs(
            f"{folder}: is a file: give hw3 {verb} a folder (it is created if missing)"
        )
    marker = folder / MARKER
    if folder.is_dir() and any(folder.iterdir()) and not marker.is_file():
        raise FolderNotOurs(
            f"{folder}: is not empty and was not made by hw3: give hw3 {verb} a new or empty folder "
            "(nothing in it was changed)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    if not marker.is_file():
        marker.write_text(f"made by hw3 {verb}: hw3 may clear this folder\n", encoding="utf-8")
    return folder


def clear_claimed(folder: Path, verb: str) -> Path:
    """Claim `folder`, then empty it of everything an earlier run wrote; returns it, holding only the marker."""
    claim(folder, verb)
    for item in folder.iterdir():
        if item.name == MARKER:
            continue
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item)
        else:
            item.unlink()
    return folder
