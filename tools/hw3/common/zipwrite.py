"""Reproducible zip files: sorted entries, the 1980 epoch as every mtime, unix modes, deflate level 9.

Standard library only (and Python 3.8 syntax): the students' `submit.py` builds its zip with it.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hw3.common.atomic import write_atomic

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can store: no build time leaks in
DEFAULT_MODE = 0o644 << 16  # rw-r--r-- in the unix half of external_attr
UNIX = 3  # create_system: the same bytes whichever OS writes the zip
COMPRESS_LEVEL = 9


def deterministic_zip_bytes(
    members: dict[str, bytes], modes: dict[str, int] | None = None
) -> bytes:
    """The zip of `members` (archive name -> content); `modes` keeps given external attributes."""
    modes = modes or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = modes.get(name, DEFAULT_MODE)
            info.create_system = UNIX
            zf.writestr(info, members[name], compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def write_deterministic_zip(
    path: Path, members: dict[str, bytes], modes: dict[str, int] | None = None
) -> Path:
    """Write the zip of `members` to `path` atomically (see deterministic_zip_bytes)."""
    return write_atomic(path, deterministic_zip_bytes(members, modes))
