"""Writing files so that a reader never sees half of one: a temporary file beside it, then a rename.

Standard library only (and Python 3.8 syntax): the students' `submit.py` writes its zip with it.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, content: str | bytes) -> Path:
    """Write `content` (text as UTF-8) to `path` through a temporary file and an atomic rename.

    The temporary file is removed when writing fails, so nothing partial is ever left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
