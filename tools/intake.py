"""Reading a folder of Quera zips safely: find them, and take only the notebooks out, in memory.

Shared by `hw3 grade` and `hw3 similarity`. Nothing is extracted to disk: the entry count and
directory size are checked from the end record before the directory is parsed, the declared
uncompressed total before any member is read, every member path (an unsafe one or a symlink refuses
the whole zip), and each notebook inflates under a cap.
"""
import os
import stat
import zipfile
import zlib
from pathlib import Path

from tools.sandbox import inside
from tools.submission import (
    MAX_DIRECTORY_BYTES,
    MAX_MEMBERS,
    MAX_UNCOMPRESSED_BYTES,
    SubmissionError,
    end_record,
    locate_members,
    max_bytes,
    mb,
    read_member,
    sniff,
    too_many_entries,
    unsafe_reason,
)

READ_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError, RuntimeError)


class IntakeError(ValueError):
    """A path to read zips from is wrong; the message names it and the fix."""


def find_zips(paths: list[Path], out: Path | None = None) -> list[Path]:
    """Every `.zip` under the folders in `paths` (recursively) plus files named directly, each once, none under `out`."""
    found, seen = [], set()
    skip = out.resolve() if out is not None else None
    for path in paths:
        if not path.exists():
            raise IntakeError(f"{path}: no such file or folder: give the folder the Quera zips were downloaded to")
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


def refusal(path: Path) -> str:
    """Why the file at `path` must not be opened as a zip at all, or ''."""
    size = path.stat().st_size
    if size == 0:
        return "the file is empty (0 bytes): ask the student for the Quera zip again"
    end = end_record(path)
    if end is None:
        with path.open("rb") as handle:
            head = handle.read(8)
        return f"not a zip file (it looks like {sniff(head)}): ask the student for the Quera zip"
    if end[0] > MAX_MEMBERS or end[1] > MAX_DIRECTORY_BYTES:
        return too_many_entries(end[0], f" in a {end[1]} B directory")
    return ""


def unsafe_archive(infos: list[zipfile.ZipInfo]) -> str:
    """Why an opened zip's directory must not be read further, or ''."""
    if len(infos) > MAX_MEMBERS:
        return too_many_entries(len(infos))
    if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED_BYTES:
        return f"the zip expands past {mb(MAX_UNCOMPRESSED_BYTES)} uncompressed (a zip bomb?): ask for a zip of the three files"
    for info in infos:
        reason = unsafe_reason(info.filename)
        if reason or stat.S_ISLNK(info.external_attr >> 16):
            return f"entry {info.filename!r} {reason or 'is a symbolic link'}: ask the student to rebuild the zip with hw3 pack"
    return ""


def read_notebooks(path: Path, names: list[str]) -> tuple[dict[str, bytes], dict[str, str], str]:
    """({notebook: bytes}, {notebook: why it could not be read}, why the whole zip is refused or '')."""
    try:
        refused = refusal(path)
        if refused:
            return {}, {}, refused
        with zipfile.ZipFile(path) as zf:
            refused = unsafe_archive(zf.infolist())
            if refused:
                return {}, {}, refused
            located = locate_members(zf, names)
            datas, missing = {}, {}
            for name in names:
                if name not in located:
                    missing[name] = f"{name} is not in the zip (at its root or in one folder)"
                    continue
                try:
                    datas[name] = read_member(zf, located[name], max_bytes(name))
                except SubmissionError as err:
                    missing[name] = str(err)
            return datas, missing, ""
    except READ_ERRORS as err:
        return {}, {}, f"the zip cannot be read ({type(err).__name__}): ask the student for the Quera zip again"
