"""`hw3 pack`'s API: build the Quera submission zip from the homework's notebooks and the theory PDF.

Every problem is collected first, one line each with its fix; the zip is written only when there is
none, atomically and deterministically (sorted entries, 1980-01-01 mtimes, deflate).

Standard library only (and Python 3.8 syntax): the students' `submit.py` packs with this module.
"""

from __future__ import annotations

import filecmp
import hashlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from hw3.common.atomic import write_atomic
from hw3.common.zipwrite import deterministic_zip_bytes
from hw3.submission.rules import (
    MAX_ZIP_BYTES,
    PDF_NAME,
    check_identity,
    check_notebook_bytes,
    check_pdf_bytes,
    max_bytes,
    mb,
    zip_name,
)

THEORY_FOLDER = "theory"  # of the unzipped student release, beside one folder per notebook


@dataclass
class PackResult:
    """The zip written (None when there were problems), the files in it and every problem found."""

    path: Path | None
    members: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    pdf_pages: int | None = None

    def manifest(self) -> list[str]:
        """One line per member, sorted: name, size in bytes, sha256."""
        width = max(len(name) for name in self.members)
        return [
            f"  {name:<{width}}  {len(data):>10} B  sha256 {hashlib.sha256(data).hexdigest()}"
            for name, data in sorted(self.members.items())
        ]

    def refusal(self) -> list[str]:
        """Why nothing was written: every problem, then `N problem(s); nothing written`."""
        return self.problems + [f"{len(self.problems)} problem(s); nothing written"]

    def report(self) -> list[str]:
        """What a written zip holds: the manifest, then `wrote PATH (size, sha256; PDF pages)`."""
        archive = self.path.read_bytes()
        return self.manifest() + [
            f"wrote {self.path} ({len(archive)} B, sha256 {hashlib.sha256(archive).hexdigest()}; "
            f"{PDF_NAME}: {self.pdf_pages} page(s)); upload it to Quera as is"
        ]


def release_folder(name: str) -> str:
    """The folder of the unzipped student release that keeps file `name`: `<stem>/` for a notebook
    (`hafez/hafez.ipynb`), `theory/` for the PDF."""
    return THEORY_FOLDER if name == PDF_NAME else PurePosixPath(name).stem


def near_names(folder: Path, name: str) -> list[str]:
    """Files in `folder` that look like a misnamed `name` (`hafez (1).ipynb`, `Hafez.ipynb`)."""
    stem, suffix = Path(name).stem.lower(), Path(name).suffix.lower()
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() == suffix
        and p.name != name
        and p.stem.lower().startswith(stem)
    )


def locate_source(name: str, folder: Path, flag: str) -> tuple[Path | None, list[str]]:
    """(path, []) of one file to pack: `folder/name`, or `folder/<release_folder(name)>/name` as in the
    unzipped student release; (None, [problem]) when neither exists or both do with different contents."""
    places = [folder / name, folder / release_folder(name) / name]
    found = [place for place in places if place.exists()]
    if len(found) == 2 and not (
        all(place.is_file() for place in found) and filecmp.cmp(*found, shallow=False)
    ):
        return None, [
            f"{name}: two different copies, {found[0]} and {found[1]}: delete the stale one or pass {flag}"
        ]
    if found:
        return found[0], []
    near = [
        (place.parent.relative_to(folder) / other).as_posix()
        for place in places
        for other in near_names(place.parent, name)
    ]
    fix = f"rename {near[0]!r} to {name!r}" if near else f"save it in one of them or pass {flag}"
    return None, [f"{name}: not found at {places[0]} or {places[1]}: {fix}"]


def read_source(name: str, path: Path, flag: str) -> tuple[bytes | None, list[str]]:
    """(bytes, []) of one file to pack, or (None, [problem]) when it is missing, not a file or too big."""
    if not path.exists():
        near = near_names(path.parent, name)
        fix = f"rename {near[0]!r} to {name!r}" if near else f"save it there or pass {flag}"
        return None, [f"{name}: not found at {path}: {fix}"]
    if not path.is_file():
        return None, [f"{name}: {path} is not a file: pass the file itself with {flag}"]
    size = path.stat().st_size
    if size > max_bytes(name):
        return None, [
            f"{name}: {path} is {mb(size)} (limit {mb(max_bytes(name))}): make it smaller"
        ]
    return path.read_bytes(), []


def source_bytes(
    name: str, folder: Path, explicit: Path | None, flag: str
) -> tuple[bytes | None, list[str]]:
    """(bytes, []) of one file to pack, from `explicit` when given, else located in `folder`; or (None, [problem])."""
    path, problems = (explicit, []) if explicit is not None else locate_source(name, folder, flag)
    return (None, problems) if problems else read_source(name, path, flag)


def pack(
    *,
    student_number: str,
    full_name: str,
    notebooks: tuple[str, ...],
    source: Path = Path("."),
    pdf: Path | None = None,
    out: Path = Path("."),
    allow_unanswered: bool = False,
    allow_errors: bool = False,
) -> PackResult:
    """Check the homework's `notebooks` (course order) found in `source` and the PDF (default: found in
    `source`, see locate_source), then write `out/DL_HW3__<number>__<name>.zip`; nothing is written when
    any problem is found."""
    result = PackResult(None, problems=check_identity(student_number, full_name))
    for name in notebooks:
        data, found = source_bytes(name, source, None, "--from DIR")
        result.problems += found or check_notebook_bytes(
            name, data, notebooks, allow_unanswered, allow_errors
        )
        result.members[name] = data
    data, found = source_bytes(PDF_NAME, source, pdf, "--pdf PATH")
    if not found:
        found, result.pdf_pages = check_pdf_bytes(data)
    result.problems += found
    result.members[PDF_NAME] = data
    target = out / zip_name(student_number, full_name)
    if out.exists() and not out.is_dir():
        result.problems.append(f"--out {out}: is a file, not a folder: pass a folder")
    elif target.is_dir():
        result.problems.append(f"--out {out}: holds a folder named like the zip: move it away")
    if result.problems:
        return result
    archive = deterministic_zip_bytes(result.members)
    if len(archive) > MAX_ZIP_BYTES:
        result.problems.append(
            f"{target.name}: would be {mb(len(archive))} (limit {mb(MAX_ZIP_BYTES)}): "
            "shrink the PDF or clear huge outputs (large images, long printouts)"
        )
        return result
    try:
        result.path = write_atomic(target, archive)
    except OSError as err:
        result.problems.append(
            f"{target.name}: cannot be written ({err.strerror or err}): "
            "free some disk space or pass another --out"
        )
    return result
