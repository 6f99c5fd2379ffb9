"""Reading untrusted zips without extracting them: caps first, then members streamed into memory.

Standard library only (and Python 3.8 syntax): `hw3 release` copies this module into the
students' `submit.py`. The entry count and directory size are read from the end record before
zipfile parses the directory, the declared uncompressed total before any member is read, every
member path is checked for escapes, and each member inflates under a cap.
"""

from __future__ import annotations

import re
import stat
import struct
import zipfile
import zlib
from pathlib import Path

MB = 1024 * 1024
MAX_MEMBERS = 32  # three files plus room to name a student's extras; far below any zip bomb
MAX_DIRECTORY_BYTES = (
    MAX_MEMBERS * 1024
)  # a central directory entry is 46 B plus name, extra and comment
MAX_UNCOMPRESSED_BYTES = 120 * MB  # both notebooks and the PDF at their size limits still fit
READ_CHUNK = 64 * 1024
ENCRYPTED_FLAG = 0x1  # general purpose bit 0 of a zip entry
ZIP_MAGIC = b"PK\x03\x04"
EOCD_SIGNATURE = b"PK\x05\x06"
EOCD_FORMAT = (
    "<4s4H2LH"  # signature, disk, cd disk, entries on disk, entries total, cd size, offset, comment
)
EOCD_MAX_TAIL = 22 + 65535  # the end record plus the longest zip comment
MACOS_FOLDER = "__MACOSX"
READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    ValueError,
    EOFError,
    NotImplementedError,
    RuntimeError,
)
FILE_SIGNATURES = (  # what a file that should be a zip, PDF or notebook really is, for messages
    (ZIP_MAGIC, "a zip/DOCX file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"{\\rtf", "an RTF file"),
    (b"\xd0\xcf\x11\xe0", "an old Word file"),
    (b"%PDF", "a PDF"),
)


class MemberError(ValueError):
    """A member cannot be read safely; the message is one problem line naming the fix."""


def mb(size: int) -> str:
    """Size in MB for messages: `12.3 MB`."""
    return f"{size / MB:.1f} MB"


def sniff(data: bytes) -> str:
    """What the first bytes say a file is, for messages: 'a PNG image', or 'an unknown file'."""
    for magic, kind in FILE_SIGNATURES:
        if data.startswith(magic):
            return kind
    return "an unknown file"


def unsafe_reason(member: str) -> str | None:
    """Why a member path could escape or clobber on extraction (absolute, `..`, backslash, drive), or None."""
    if "\\" in member:
        return "contains a backslash"
    if member.startswith("/"):
        return "is an absolute path"
    if re.match(r"^[A-Za-z]:", member):
        return "starts with a drive letter"
    if ".." in member.split("/"):
        return "climbs out of the zip with '..'"
    return None


def end_record(path: Path) -> tuple[int, int] | None:
    """(entry count, central directory bytes) from the zip's end record, without parsing the directory.

    None when no end record is found (not a zip). Zip64 archives report 0xFFFF / 0xFFFFFFFF here,
    which are over the caps anyway. zipfile parses as many bytes as the directory size says, whatever
    the count, so both are capped.
    """
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - EOCD_MAX_TAIL))
        tail = handle.read()
    at = tail.rfind(EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < struct.calcsize(EOCD_FORMAT):
        return None
    fields = struct.unpack_from(EOCD_FORMAT, tail, at)
    return fields[4], fields[5]


def too_many_entries(count: int, where: str, keep: str) -> str:
    """The problem line of a zip with too many entries or too large a directory; `keep` names what belongs in it."""
    return (
        f"the zip holds {count} entries{where} (limits {MAX_MEMBERS} entries, {MAX_DIRECTORY_BYTES} B "
        f"of directory; a zip bomb?): zip only {keep}"
    )


def file_refusal(path: Path, keep: str) -> str:
    """Why the file at `path` must not be opened as a zip at all (empty, not a zip, too many entries), or ''."""
    if path.stat().st_size == 0:
        return "the file is empty (0 bytes)"
    end = end_record(path)
    if end is None:
        with path.open("rb") as handle:
            head = handle.read(8)
        return f"not a zip file (it looks like {sniff(head)})"
    if end[0] > MAX_MEMBERS or end[1] > MAX_DIRECTORY_BYTES:
        return too_many_entries(end[0], f" in a {end[1]} B directory", keep)
    return ""


def directory_refusal(infos: list, keep: str) -> str:
    """Why an opened zip's directory must not be read further (count or declared size over a cap), or ''.

    The end record can understate the count: zipfile reads the directory by size.
    """
    if len(infos) > MAX_MEMBERS:
        return too_many_entries(len(infos), "", keep)
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        return (
            f"the zip declares {mb(total)} uncompressed (limit {mb(MAX_UNCOMPRESSED_BYTES)}; a zip bomb?): "
            f"zip only {keep}"
        )
    return ""


def is_symlink(info: zipfile.ZipInfo) -> bool:
    """Whether a member is stored as a symbolic link (unix mode bits in the external attributes)."""
    return stat.S_ISLNK(info.external_attr >> 16)


def read_member(zf: zipfile.ZipFile, name: str, cap: int) -> bytes:
    """The bytes of member `name`, streamed into memory and never more than `cap` bytes.

    Raises MemberError (one problem line) when the member is missing, encrypted, declares or
    inflates to more than `cap` bytes, or is corrupt.
    """
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise MemberError(f"{name}: missing from the zip") from None
    if info.flag_bits & ENCRYPTED_FLAG:
        raise MemberError(f"{name}: is password-protected: zip it again without a password")
    if info.file_size > cap:
        raise MemberError(
            f"{name}: declares {mb(info.file_size)} uncompressed (limit {mb(cap)}): "
            "make it smaller and zip it again"
        )
    chunks, size = [], 0
    try:
        with zf.open(info) as stream:
            # the declared size can lie: count what actually inflates
            chunk = stream.read(READ_CHUNK)
            while chunk:
                size += len(chunk)
                if size > cap:
                    raise MemberError(f"{name}: inflates past {mb(cap)} (limit): zip it again")
                chunks.append(chunk)
                chunk = stream.read(READ_CHUNK)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as err:
        raise MemberError(f"{name}: is corrupt in the zip ({err}): zip it again") from None
    return b"".join(chunks)


def locate_members(zf: zipfile.ZipFile, names) -> dict:
    """{expected name: member path} for each of `names` found at the zip's root, or else in ONE nested folder.

    A name is found in a folder only when exactly one folder one level down holds it (`__MACOSX/`
    aside); names found nowhere, or ambiguously, are left out.
    """
    members = [m for m in zf.namelist() if not m.endswith("/") and unsafe_reason(m) is None]
    found = {}
    for name in names:
        if name in members:
            found[name] = name
            continue
        nested = {
            m
            for m in members
            if m.count("/") == 1 and m.endswith("/" + name) and not m.startswith(MACOS_FOLDER + "/")
        }
        if len(nested) == 1:
            found[name] = nested.pop()
    return found
