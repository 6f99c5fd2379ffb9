"""Reading a folder of Quera zips safely: find them, and take only the notebooks out, in memory.

Shared by `hw3 grade` and `hw3 similarity`, on top of `hw3.common.safezip`: nothing is extracted
to disk, the caps are checked before anything is inflated, and an unsafe member path or a symlink
refuses the whole zip.
"""

from __future__ import annotations

import os
import zipfile
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from hw3.common.folders import inside
from hw3.common.safezip import (
    READ_ERRORS,
    MemberError,
    directory_refusal,
    file_refusal,
    is_symlink,
    locate_members,
    read_member,
    unsafe_reason,
)
from hw3.errors import Hw3Error
from hw3.submission.rules import max_bytes, required_files

ASK_AGAIN = "ask the student for the Quera zip again"


class IntakeError(Hw3Error):
    """A path to read zips from is wrong; the message names it and the fix."""


def find_zips(paths: list[Path], out: Path | None = None) -> list[Path]:
    """Every `.zip` under the folders in `paths` (recursively) and each file named, once, none under `out`."""
    found, seen = [], set()
    skip = out.resolve() if out is not None else None
    for path in paths:
        if not path.exists():
            raise IntakeError(
                f"{path}: no such file or folder: give the folder the Quera zips were downloaded to"
            )
        if path.is_file():
            candidates = [path]
        else:
            candidates = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if Path(root, d).resolve() != skip)
                candidates += [Path(root, f) for f in sorted(files) if f.lower().endswith(".zip")]
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved in seen or (skip is not None and inside(resolved, skip)):
                continue
            seen.add(resolved)
            found.append(candidate)
    return found


def unsafe_archive(infos: list[zipfile.ZipInfo], names: list[str]) -> str:
    """Why an opened zip's directory must not be read further, or ''; `names` are the notebooks wanted."""
    refused = directory_refusal(infos, ", ".join(dict.fromkeys(required_files(names))))
    if refused:
        return refused
    for info in infos:
        reason = unsafe_reason(info.filename)
        if reason or is_symlink(info):
            return f"entry {info.filename!r} {reason or 'is a symbolic link'}: {ASK_AGAIN}, built with submit.py"
    twice = sorted(name for name, count in Counter(i.filename for i in infos).items() if count > 1)
    if twice:  # which copy a reader takes depends on the reader: grade none of them
        return f"entry {twice[0]!r} appears {Counter(i.filename for i in infos)[twice[0]]} times: {ASK_AGAIN}"
    return ""


class ZipNotebooks(NamedTuple):
    """What `read_notebooks` found: bytes by notebook name, why each other one could not be read, and
    why the whole zip was refused ('' when it was not)."""

    datas: dict[str, bytes]
    missing: dict[str, str]
    refused: str


def read_notebooks(path: Path, names: list[str]) -> ZipNotebooks:
    """The notebooks `names` of the zip at `path`, read in memory under the caps (see ZipNotebooks)."""
    try:
        refused = file_refusal(path, ", ".join(dict.fromkeys(required_files(names))))
        if refused:
            return ZipNotebooks({}, {}, f"{refused}: {ASK_AGAIN}")
        with zipfile.ZipFile(path) as zf:
            refused = unsafe_archive(zf.infolist(), names)
            if refused:
                return ZipNotebooks({}, {}, refused)
            located = locate_members(zf, names)
            datas, missing = {}, {}
            for name in names:
                if name not in located:
                    missing[name] = f"{name} is not in the zip (at its root or in one folder)"
                    continue
                try:
                    datas[name] = read_member(zf, located[name], max_bytes(name))
                except MemberError as err:
                    missing[name] = str(err)
            return ZipNotebooks(datas, missing, "")
    except READ_ERRORS as err:
        return ZipNotebooks({}, {}, f"the zip cannot be read ({type(err).__name__}): {ASK_AGAIN}")
