"""The submission rules, shared by `hw3 pack`, `hw3 check` and the grader.

A submission is one zip named `DL_HW3__[StudentNumber]__[FullName].zip` holding, at its root and
nothing else, `hafez.ipynb`, `apple_stock.ipynb` (executed, otter metadata intact) and
`HW3__Solution.pdf`. Every `check_*` function and `inspect_zip` is pure of side effects and returns
a list of problems, one line each, naming the file and the fix; an empty list means valid. Zips are
read from their central directory and members are streamed into memory with a cap, never extracted.
"""
import difflib
import json
import re
import stat
import struct
import unicodedata
import warnings
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import nbformat

NOTEBOOKS = ("hafez.ipynb", "apple_stock.ipynb")
PDF_NAME = "HW3__Solution.pdf"
REQUIRED_FILES = NOTEBOOKS + (PDF_NAME,)
ZIP_NAME_RE = re.compile(r"^DL_HW3__(?P<student_number>[0-9]{7,12})__(?P<full_name>[A-Z][A-Za-z]*)\.zip$")
ZIP_NAME_FORMAT = "DL_HW3__{student_number}__{full_name}.zip"
ZIP_NAME_EXAMPLE = "DL_HW3__401521234__AliMomen.zip"
LOOSE_ZIP_NAME_RE = re.compile(r"^DL[_ -]?HW[_ -]?3[_ -]+(.+?)[_ -]+(.+?)\.zip$", re.IGNORECASE)  # to suggest a fix
STUDENT_NUMBER_RE = re.compile(r"^[0-9]{7,12}$")
FULL_NAME_RE = re.compile(r"^[A-Z][A-Za-z]*$")
QUESTION_RE = re.compile(r"^\s*(q\d+\w*)\s*:")
REPORTED_NOT_IMPLEMENTED_RE = re.compile(r"NotImplementedError: (q\d+\w*)\s*:")  # in a printed test report
OTTER_LOG = ".OTTER_LOG"
MACOS_FOLDER = "__MACOSX"

MB = 1024 * 1024
MAX_PDF_BYTES = 20 * MB
MAX_ZIP_BYTES = 50 * MB
MAX_NOTEBOOK_BYTES = 40 * MB
MAX_UNCOMPRESSED_BYTES = 120 * MB  # both notebooks and the PDF at their limits still fit
MAX_MEMBERS = 32  # three files plus room to name a student's extras; far below any zip bomb
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 1024  # a central directory entry is 46 B plus name, extra and comment
READ_CHUNK = 64 * 1024
ENCRYPTED_FLAG = 0x1  # general purpose bit 0 of a zip entry
ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF"
PDF_EOF = b"%%EOF"
PDF_EOF_WINDOW = 4096  # %%EOF must sit near the end; further back means a truncated file
EOCD_SIGNATURE = b"PK\x05\x06"
EOCD_FORMAT = "<4s4H2LH"  # signature, disk, cd disk, entries on disk, entries total, cd size, offset, comment
EOCD_MAX_TAIL = 22 + 65535  # the end record plus the longest zip comment
SOURCE_PREVIEW = 40
RUN_ALL = "run Kernel > Restart & Run All and save"
FILE_SIGNATURES = (  # what a file that should be a PDF or notebook really is, for the message
    (ZIP_MAGIC, "a zip/DOCX file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"{\\rtf", "an RTF file"),
    (b"\xd0\xcf\x11\xe0", "an old Word file"),
    (PDF_MAGIC, "a PDF"),
)


class SubmissionError(ValueError):
    """A member cannot be read safely; the message is one problem line naming the fix."""


def mb(size: int) -> str:
    """Size in MB for messages: `12.3 MB`."""
    return f"{size / MB:.1f} MB"


def suggest_full_name(full_name: str) -> str:
    """CamelCase ASCII spelling of a name ("ali momen" -> "AliMomen", "José" -> "Jose"); may be ''."""
    ascii_name = unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z]+", ascii_name)
    return "".join(word[0].upper() + (word[1:].lower() if word[1:].isupper() else word[1:]) for word in words)


def suggest_student_number(student_number: str) -> str:
    """Student number in ASCII digits only ("401 521-234" or Persian digits -> "401521234")."""
    return "".join(str(unicodedata.digit(ch)) for ch in student_number if unicodedata.digit(ch, None) is not None)


def check_identity(student_number: str, full_name: str) -> list[str]:
    """Problems with the student number (7-12 ASCII digits) and full name (CamelCase ASCII letters)."""
    problems = []
    if not STUDENT_NUMBER_RE.match(student_number):
        fixed = suggest_student_number(student_number)
        hint = f"use {fixed!r}" if STUDENT_NUMBER_RE.match(fixed) else "use your 7-12 digit student number"
        problems.append(f"student number {student_number!r}: must be 7-12 digits 0-9 only: {hint}")
    if not FULL_NAME_RE.match(full_name):
        fixed = suggest_full_name(full_name)
        hint = f"use {fixed!r}" if FULL_NAME_RE.match(fixed) else "write it in English letters, e.g. 'AliMomen'"
        problems.append(f"full name {full_name!r}: must be CamelCase English letters, no spaces: {hint}")
    return problems


def zip_name(student_number: str, full_name: str) -> str:
    """The submission's file name: `DL_HW3__401521234__AliMomen.zip`."""
    return ZIP_NAME_FORMAT.format(student_number=student_number, full_name=full_name)


def check_zip_name(name: str) -> list[str]:
    """Problems with a zip's file name; when its parts can be read back, the fix names the right one."""
    if ZIP_NAME_RE.match(name):
        return []
    parts = LOOSE_ZIP_NAME_RE.match(name)
    if parts:
        student_number = suggest_student_number(parts[1])
        full_name = suggest_full_name(parts[2])
        if not check_identity(student_number, full_name):
            return [f"wrong file name: rename it to {zip_name(student_number, full_name)!r} (double underscores)"]
    return [f"wrong file name: it must be DL_HW3__[StudentNumber]__[FullName].zip with double underscores, "
            f"e.g. {ZIP_NAME_EXAMPLE!r}: rename it (hw3 pack names it for you)"]


def sniff(data: bytes) -> str:
    """What the first bytes say a file is, for messages: 'a PNG image', or 'an unknown file'."""
    for magic, kind in FILE_SIGNATURES:
        if data.startswith(magic):
            return kind
    return "an unknown file"


def check_pdf_bytes(data: bytes) -> list[str]:
    """Problems with the theory answers: a real, complete PDF of at most MAX_PDF_BYTES."""
    if not data:
        return [f"{PDF_NAME}: is empty: export your theory answers to PDF again"]
    problems = []
    if len(data) > MAX_PDF_BYTES:
        problems.append(f"{PDF_NAME}: is {mb(len(data))} (limit {mb(MAX_PDF_BYTES)}): "
                        "compress the images or export at a lower resolution")
    if not data.startswith(PDF_MAGIC):
        problems.append(f"{PDF_NAME}: is not a PDF (it looks like {sniff(data)}): "
                        "export your answers as PDF; renaming the file is not enough")
    elif PDF_EOF not in data[-PDF_EOF_WINDOW:]:
        problems.append(f"{PDF_NAME}: is truncated (no %%EOF at the end): export or download it again")
    return problems


def output_text(output: nbformat.NotebookNode) -> str:
    """The printed text of a saved cell output: stream text, or its text/plain and text/html data."""
    data = output.get("data", {})
    return "\n".join(str(part) for part in (output.get("text", ""), data.get("text/plain", ""), data.get("text/html", "")))


def unanswered_questions(nb: nbformat.NotebookNode) -> list[str]:
    """Question names whose stub still raises NotImplementedError in a saved output, in notebook order.

    Found in a cell's own error (a message that does not start with a question name counts as 'an
    unnamed question') and in printed test reports, such as `grader.check("q2_batches")` showing
    `NotImplementedError: q2_batches: make_batches`.
    """
    names = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if is_not_implemented(output):
                found = QUESTION_RE.match(output.get("evalue", ""))
                found_names = [found[1] if found else "an unnamed question"]
            else:
                found_names = REPORTED_NOT_IMPLEMENTED_RE.findall(output_text(output))
            for name in found_names:
                if name not in names:
                    names.append(name)
    return names


def is_not_implemented(output: nbformat.NotebookNode) -> bool:
    """Whether a saved cell output is a NotImplementedError, the mark of an unanswered stub."""
    return output.get("output_type") == "error" and output.get("ename") == "NotImplementedError"


def never_run_cells(nb: nbformat.NotebookNode, allow_unanswered: bool) -> tuple[list[str], int]:
    """(first lines of the non-empty code cells without an execution count, count of non-empty code cells).

    With allow_unanswered, cells after the first NotImplementedError are not counted: Run All stops there.
    """
    never_run, total = [], 0
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        total += 1
        if cell.get("execution_count") is None:
            never_run.append(cell.source.strip().splitlines()[0][:SOURCE_PREVIEW])
        if allow_unanswered and any(is_not_implemented(output) for output in cell.get("outputs", [])):
            break
    return never_run, total


def parse_notebook(name: str, data: bytes) -> tuple[nbformat.NotebookNode | None, list[str]]:
    """(notebook, []) for a valid nbformat v4 notebook, else (None, [one problem])."""
    fix = "save it from Jupyter again (File > Save) or download the released notebook and copy your answers"
    if not data:
        return None, [f"{name}: is empty: {fix}"]
    if data.startswith(ZIP_MAGIC):
        return None, [f"{name}: is a zip (otter's export zip?), not a notebook: put the .ipynb file itself"]
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [f"{name}: is not UTF-8 text (it looks like {sniff(data)}): {fix}"]
    except json.JSONDecodeError as err:
        return None, [f"{name}: is not valid JSON (line {err.lineno}: {err.msg}): {fix}"]
    except RecursionError:
        return None, [f"{name}: is not valid JSON (nested too deeply): {fix}"]
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        version = raw.get("nbformat") if isinstance(raw, dict) else None
        return None, [f"{name}: is not an nbformat 4 notebook (nbformat={version!r}): {fix}"]
    with warnings.catch_warnings():
        # missing cell ids (nbformat 4.5) only warn; the notebook still runs and grades
        warnings.simplefilter("ignore")
        try:
            nbformat.validate(nbformat.from_dict(raw))
        except nbformat.ValidationError as err:
            return None, [f"{name}: is not a valid notebook ({str(err.message)[:80]}): {fix}"]
        # parsed again through nbformat, which joins multi-line sources into strings
        return nbformat.reads(data.decode("utf-8"), as_version=nbformat.NO_CONVERT), []


def check_otter_metadata(name: str, nb: nbformat.NotebookNode) -> list[str]:
    """Problems with `metadata.otter.assignment_name`, which must equal the file's stem."""
    expected = PurePosixPath(name).stem
    otter = nb.metadata.get("otter")
    got = otter.get("assignment_name") if isinstance(otter, dict) else None
    if got == expected:
        return []
    if got is None:
        return [f"{name}: has no otter metadata (not the released notebook?): "
                f"copy your answers into the released {name} and submit that"]
    if f"{got}.ipynb" in NOTEBOOKS:
        return [f"{name}: holds the {got} notebook: save that one as {got}.ipynb and put your {expected} notebook here"]
    return [f"{name}: belongs to otter assignment {got!r}, not {expected!r}: "
            f"copy your answers into the released {name} and submit that"]


def check_notebook_bytes(name: str, data: bytes, allow_unanswered: bool = False) -> list[str]:
    """Problems with one notebook: valid nbformat v4 JSON, ours (otter assignment name = file stem),
    executed (every non-empty code cell has an execution count) and answered (no output still shows a
    stub's NotImplementedError; with allow_unanswered those, and the cells Run All skipped after the
    first of them, are accepted).
    """
    nb, problems = parse_notebook(name, data)
    if nb is None:
        return problems
    problems += check_otter_metadata(name, nb)
    never_run, total = never_run_cells(nb, allow_unanswered)
    if never_run and len(never_run) == total:
        problems.append(f"{name}: was never run (no code cell has an execution count): {RUN_ALL}")
    elif never_run:
        problems.append(f"{name}: {len(never_run)} of {total} code cells never ran "
                        f"(first: {never_run[0]!r}): {RUN_ALL}")
    if not allow_unanswered:
        problems += [f"{name}: {question} is unanswered (its output still shows NotImplementedError): "
                     f"answer it, {RUN_ALL}; or pass --allow-unanswered to submit without it"
                     for question in unanswered_questions(nb)]
    return problems


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


def max_bytes(name: str) -> int:
    """The size cap of one required file: MAX_PDF_BYTES for the PDF, MAX_NOTEBOOK_BYTES for a notebook."""
    return MAX_PDF_BYTES if name == PDF_NAME else MAX_NOTEBOOK_BYTES


def read_member(zf: zipfile.ZipFile, name: str, cap: int) -> bytes:
    """The bytes of member `name`, streamed into memory and never more than `cap` bytes.

    Raises SubmissionError (one problem line) when the member is missing, encrypted, declares or
    inflates to more than `cap` bytes, or is corrupt.
    """
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise SubmissionError(f"{name}: missing from the zip") from None
    if info.flag_bits & ENCRYPTED_FLAG:
        raise SubmissionError(f"{name}: is password-protected: zip it again without a password")
    if info.file_size > cap:
        raise SubmissionError(f"{name}: declares {mb(info.file_size)} uncompressed (limit {mb(cap)}): "
                              "make it smaller or rebuild the zip with hw3 pack")
    chunks, size = [], 0
    try:
        with zf.open(info) as stream:
            # the declared size can lie: count what actually inflates
            while chunk := stream.read(READ_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise SubmissionError(f"{name}: inflates past {mb(cap)} (limit): rebuild the zip with hw3 pack")
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as err:
        raise SubmissionError(f"{name}: is corrupt in the zip ({err}): rebuild the zip with hw3 pack") from None
    return b"".join(chunks)


def locate_members(zf: zipfile.ZipFile, names=NOTEBOOKS) -> dict[str, str]:
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
        nested = {m for m in members if m.count("/") == 1 and m.endswith("/" + name)
                  and not m.startswith(MACOS_FOLDER + "/")}
        if len(nested) == 1:
            found[name] = nested.pop()
    return found


def layout_problems(files: list[str], base: str) -> list[str]:
    """Missing, duplicate and extra files relative to folder `base` ('' for the root), one line each.

    A missing file with an extra of the same extension beside it gets 'rename X to Y' instead of two lines.
    """
    problems = []
    relative = [f[len(base):] for f in files if f.startswith(base)]
    for name in sorted(set(relative)):
        if relative.count(name) > 1:
            problems.append(f"{base + name}: appears {relative.count(name)} times in the zip: keep one")
    extras = sorted({f for f in files if not (f.startswith(base) and f[len(base):] in REQUIRED_FILES)})
    for name in REQUIRED_FILES:
        if name in relative:
            continue
        candidates = [e for e in extras if e.startswith(base) and "/" not in e[len(base):]
                      and PurePosixPath(e).suffix.lower() == PurePosixPath(name).suffix.lower()]
        best = max(candidates, key=lambda e: difflib.SequenceMatcher(None, e.lower(), (base + name).lower()).ratio(),
                   default=None)
        if best is None:
            problems.append(f"{base + name}: missing from the zip: add it")
        else:
            problems.append(f"{best}: rename it to {name} (names are exact and case-sensitive)")
            extras.remove(best)
    folders = {}
    for extra in extras:
        top = extra.split("/")[0]
        if top == OTTER_LOG:
            problems.append(f"{OTTER_LOG}: remove it: submit the notebooks themselves, not otter's export zip")
        elif "/" not in extra:
            problems.append(f"{extra}: extra file: remove it (the zip holds only {', '.join(REQUIRED_FILES)})")
        else:
            folders.setdefault(top, []).append(extra)
    for top, inside in sorted(folders.items()):
        why = " (macOS metadata)" if top == MACOS_FOLDER else ""
        problems.append(f"{top}/: extra folder{why} with {len(inside)} file(s): remove it; hw3 pack builds a clean zip")
    return problems


def inspect_zip(path, allow_unanswered: bool = False) -> list[str]:
    """Every problem with a submission zip on disk, one line each, never raising for bad input.

    Checks the file name, size, entry count and directory size (before parsing the directory), the
    declared uncompressed total (before reading any member), member paths, the layout (exactly
    REQUIRED_FILES at the root: nested folder, missing, duplicate, extra files), then streams the
    notebooks and the PDF into memory with caps and applies check_notebook_bytes and
    check_pdf_bytes. Nothing is extracted to disk.
    """
    path = Path(path)
    if not path.exists():
        return ["no such file: check the path"]
    if not path.is_file():
        return ["not a file (a directory?): give the path of the .zip itself"]
    problems = check_zip_name(path.name)
    size = path.stat().st_size
    if size == 0:
        return problems + ["empty file (0 bytes): build it again with hw3 pack"]
    if size > MAX_ZIP_BYTES:
        problems.append(f"the zip is {mb(size)} (limit {mb(MAX_ZIP_BYTES)}): shrink the PDF or clear huge outputs")
    end = end_record(path)
    if end is None:
        with path.open("rb") as handle:
            head = handle.read(8)
        return problems + [f"not a zip file (it looks like {sniff(head)}): build it with hw3 pack"]
    count, directory_bytes = end
    if count > MAX_MEMBERS or directory_bytes > MAX_DIRECTORY_BYTES:
        return problems + [too_many_entries(count, f" in a {directory_bytes} B directory")]
    try:
        with zipfile.ZipFile(path) as zf:
            return problems + zip_problems(zf, allow_unanswered)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        return problems + [f"the zip cannot be read ({err}): build it again with hw3 pack"]


def too_many_entries(count: int, where: str = "") -> str:
    """The problem line of a zip with too many entries or too large a directory."""
    return (f"the zip holds {count} entries{where} (limits {MAX_MEMBERS} entries, {MAX_DIRECTORY_BYTES} B "
            f"of directory; a zip bomb?): zip only {', '.join(REQUIRED_FILES)}")


def zip_problems(zf: zipfile.ZipFile, allow_unanswered: bool) -> list[str]:
    """Problems of an open zip's members and contents; see inspect_zip."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        # the end record can understate the count: zipfile reads the directory by size
        return [too_many_entries(len(infos))]
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        return [f"the zip declares {mb(total)} uncompressed (limit {mb(MAX_UNCOMPRESSED_BYTES)}; a zip bomb?): "
                "rebuild it with hw3 pack"]
    problems = []
    files = []
    for info in infos:
        reason = unsafe_reason(info.filename)
        if reason:
            problems.append(f"{info.filename}: unsafe path, {reason}: zip the files themselves with hw3 pack")
        elif stat.S_ISLNK(info.external_attr >> 16):
            problems.append(f"{info.filename}: is a symbolic link: put the real file in the zip")
        elif not info.is_dir():
            files.append(info.filename)
    if not files and not problems:
        return ["the zip holds no files: build it again with hw3 pack"]
    located = locate_members(zf, REQUIRED_FILES)
    base = ""
    if not any(name in files for name in REQUIRED_FILES) and located:
        base = next(iter(located.values())).split("/")[0] + "/"
        problems.append(f"{base}: the files are inside a folder: zip the three files themselves, not their folder")
    problems += layout_problems(files, base)
    for name in REQUIRED_FILES:
        member = base + name
        if member not in files:
            continue
        try:
            data = read_member(zf, member, max_bytes(name))
        except SubmissionError as err:
            problems.append(str(err))
            continue
        if name == PDF_NAME:
            problems += check_pdf_bytes(data)
        else:
            problems += check_notebook_bytes(name, data, allow_unanswered)
    return problems
