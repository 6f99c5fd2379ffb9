"""The submission rules, shared by `hw3 pack`, `hw3 check`, the grader and the students' `submit.py`.

A submission is one zip named `DL_HW3__[StudentNumber]__[FullName].zip` holding, at its root and
nothing else, the homework's notebooks (`notebooks`: `<name>.ipynb` of every assignment the
registry declares, in course order; executed, otter metadata intact, no traceback in their saved
outputs, no stub left unanswered) and `HW3__Solution.pdf` (a PDF with at least one page). Every
`check_*` function and `inspect_zip` is pure of side effects and returns a list of problems, one
line each, naming the file and the fix; an empty list means valid. Zips are read from their
central directory and members are streamed into memory with a cap, never extracted.

Standard library only (and Python 3.8 syntax): `hw3 release` pastes this module, with the others
`hw3.submission.submit_cli` imports, into the students' `submit.py` (the notebook names written in
as a literal), so both tools apply the same rules. pypdf counts the PDF's pages where it is
installed (it is a dependency of `hw3`); elsewhere the page objects are counted in the file itself,
compressed object streams included. No problem line may depend on the Python version (an
exception's class name, say): the lines must match.
"""

from __future__ import annotations

import difflib
import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from hw3.common.nbjson import joined, parse_strict
from hw3.common.safezip import (
    MACOS_FOLDER,
    MB,
    READ_ERRORS,
    MemberError,
    directory_refusal,
    file_refusal,
    is_symlink,
    locate_members,
    mb,
    read_member,
    sniff,
    unsafe_reason,
)

PDF_NAME = "HW3__Solution.pdf"
ZIP_NAME_RE = re.compile(
    r"^DL_HW3__(?P<student_number>[0-9]{7,12})__(?P<full_name>[A-Z][A-Za-z]*)\.zip$"
)
ZIP_NAME_FORMAT = "DL_HW3__{student_number}__{full_name}.zip"
ZIP_NAME_EXAMPLE = "DL_HW3__401521234__AliMomen.zip"
LOOSE_ZIP_NAME_RE = re.compile(
    r"^DL[_ -]?HW[_ -]?3[_ -]+(.+?)[_ -]+(.+?)\.zip$", re.IGNORECASE
)  # to suggest a fix
STUDENT_NUMBER_RE = re.compile(r"^[0-9]{7,12}$")
FULL_NAME_RE = re.compile(r"^[A-Z][A-Za-z]*$")
QUESTION_RE = re.compile(r"^\s*(q\d+\w*)\s*:")
REPORTED_NOT_IMPLEMENTED_RE = re.compile(
    r"NotImplementedError: (q\d+\w*)\s*:"
)  # in a printed test report
OTTER_LOG = ".OTTER_LOG"
MAX_PDF_BYTES = 20 * MB
MAX_ZIP_BYTES = 50 * MB
MAX_NOTEBOOK_BYTES = 40 * MB
PDF_MAGIC = b"%PDF"
PDF_EOF = b"%%EOF"
PDF_EOF_WINDOW = 4096  # %%EOF must sit near the end; further back means a truncated file
PDF_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
MAX_INFLATED_PDF_BYTES = 64 * MB  # object streams inflated while counting pages without pypdf
SOURCE_PREVIEW = 40
RUN_ALL = "run Kernel > Restart & Run All and save"
REBUILD = "build the zip again with submit.py (or hw3 pack)"
ALLOW_ERRORS, ALLOW_UNANSWERED = "--allow-errors", "--allow-unanswered"


def required_files(notebooks) -> tuple:
    """Every file a submission holds: the notebooks, in course order, then the theory PDF."""
    return tuple(notebooks) + (PDF_NAME,)


@dataclass
class Inspection:
    """What checking one submission zip found: its problems and, when the PDF could be read, its pages."""

    problems: list = field(default_factory=list)
    pdf_pages: int | None = None


# ---------------------------------------------------------------- names


def suggest_full_name(full_name: str) -> str:
    """CamelCase ASCII spelling of a name ("ali momen" -> "AliMomen", "José" -> "Jose"); may be ''."""
    ascii_name = unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z]+", ascii_name)
    return "".join(
        word[0].upper() + (word[1:].lower() if word[1:].isupper() else word[1:]) for word in words
    )


def suggest_student_number(student_number: str) -> str:
    """Student number in ASCII digits only ("401 521-234" or Persian digits -> "401521234")."""
    return "".join(
        str(unicodedata.digit(ch))
        for ch in student_number
        if unicodedata.digit(ch, None) is not None
    )


def check_identity(student_number: str, full_name: str) -> list:
    """Problems with the student number (7-12 ASCII digits) and full name (CamelCase ASCII letters)."""
    problems = []
    if not STUDENT_NUMBER_RE.match(student_number):
        fixed = suggest_student_number(student_number)
        hint = (
            f"use {fixed!r}"
            if STUDENT_NUMBER_RE.match(fixed)
            else "use your 7-12 digit student number"
        )
        problems.append(f"student number {student_number!r}: must be 7-12 digits 0-9 only: {hint}")
    if not FULL_NAME_RE.match(full_name):
        fixed = suggest_full_name(full_name)
        hint = (
            f"use {fixed!r}"
            if FULL_NAME_RE.match(fixed)
            else "write it in English letters, e.g. 'AliMomen'"
        )
        problems.append(
            f"full name {full_name!r}: must be CamelCase English letters, no spaces: {hint}"
        )
    return problems


def zip_name(student_number: str, full_name: str) -> str:
    """The submission's file name: `DL_HW3__401521234__AliMomen.zip`."""
    return ZIP_NAME_FORMAT.format(student_number=student_number, full_name=full_name)


def check_zip_name(name: str) -> list:
    """Problems with a zip's file name; when its parts can be read back, the fix names the right one."""
    if ZIP_NAME_RE.match(name):
        return []
    parts = LOOSE_ZIP_NAME_RE.match(name)
    if parts:
        student_number = suggest_student_number(parts[1])
        full_name = suggest_full_name(parts[2])
        if not check_identity(student_number, full_name):
            return [
                f"wrong file name: rename it to {zip_name(student_number, full_name)!r} (double underscores)"
            ]
    return [
        f"wrong file name: it must be DL_HW3__[StudentNumber]__[FullName].zip with double underscores, "
        f"e.g. {ZIP_NAME_EXAMPLE!r}: rename it (submit.py and hw3 pack name it for you)"
    ]


def identity(file_name: str) -> tuple:
    """(student number, full name) from a zip's name, recovered from a near miss when possible, else ('', '')."""
    exact = ZIP_NAME_RE.match(file_name)
    if exact:
        return exact["student_number"], exact["full_name"]
    loose = LOOSE_ZIP_NAME_RE.match(file_name)
    if loose:
        number, name = suggest_student_number(loose[1]), suggest_full_name(loose[2])
        if not check_identity(number, name):
            return number, name
    return "", ""


# ---------------------------------------------------------------- the PDF


def count_pdf_pages(data: bytes) -> int:
    """Pages of the PDF in `data`: pypdf's count where pypdf is installed and can read the file, else the
    page objects in the file and in its compressed object streams (what a viewer rebuilding it finds)."""
    try:
        import pypdf
    except ImportError:
        return scanned_page_objects(data)
    import logging

    logging.getLogger("pypdf").setLevel(
        logging.CRITICAL
    )  # a damaged file is judged by its pages, here
    try:
        return len(pypdf.PdfReader(io.BytesIO(data), strict=False).pages)
    except Exception:  # noqa: BLE001 - any failure of the parser: count the page objects instead
        return scanned_page_objects(data)


def scanned_page_objects(data: bytes) -> int:
    """`/Type /Page` objects in the raw bytes and in the Flate streams (object streams hide them)."""
    count = len(PDF_PAGE_OBJECT.findall(data))
    budget = MAX_INFLATED_PDF_BYTES
    for match in PDF_STREAM.finditer(data):
        try:
            inflated = zlib.decompressobj().decompress(match.group(1), budget)
        except zlib.error:
            continue
        budget -= len(inflated)
        count += len(PDF_PAGE_OBJECT.findall(inflated))
        if budget <= 0:
            break
    return count


def check_pdf_bytes(data: bytes) -> tuple:
    """(problems, page count or None) of the theory answers: a real, complete PDF with at least one
    page, of at most MAX_PDF_BYTES."""
    if not data:
        return [f"{PDF_NAME}: is empty: export your theory answers to PDF again"], None
    problems = []
    if len(data) > MAX_PDF_BYTES:
        problems.append(
            f"{PDF_NAME}: is {mb(len(data))} (limit {mb(MAX_PDF_BYTES)}): "
            "compress the images or export at a lower resolution"
        )
    if not data.startswith(PDF_MAGIC):
        problems.append(
            f"{PDF_NAME}: is not a PDF (it looks like {sniff(data)}): "
            "export your answers as PDF; renaming the file is not enough"
        )
        return problems, None
    if PDF_EOF not in data[-PDF_EOF_WINDOW:]:
        problems.append(
            f"{PDF_NAME}: is truncated (no %%EOF at the end): export or download it again"
        )
        return problems, None
    pages = count_pdf_pages(data)
    if pages == 0:
        problems.append(
            f"{PDF_NAME}: has no pages (a PDF header but no page in it): export your answers to PDF again"
        )
    return problems, pages


# ---------------------------------------------------------------- the notebooks


def output_text(output: dict) -> str:
    """The printed text of a saved cell output: stream text, or its text/plain and text/html data."""
    data = output.get("data", {}) if isinstance(output.get("data"), dict) else {}
    return "\n".join(
        joined(part)
        for part in (output.get("text", ""), data.get("text/plain", ""), data.get("text/html", ""))
    )


def is_error(output: dict) -> bool:
    return output.get("output_type") == "error"


def is_not_implemented(output: dict) -> bool:
    """Whether a saved cell output is a NotImplementedError, the mark of an unanswered stub."""
    return is_error(output) and output.get("ename") == "NotImplementedError"


def code_cells(nb: dict) -> list:
    """(1-based cell number, cell) of every code cell with some source."""
    return [
        (number, cell)
        for number, cell in enumerate(nb.get("cells", []), start=1)
        if cell.get("cell_type") == "code" and joined(cell.get("source")).strip()
    ]


def unanswered_questions(nb: dict) -> list:
    """Question names whose stub still raises NotImplementedError in a saved output, in notebook order.

    Found in a cell's own error (a message that does not start with a question name counts as 'an
    unnamed question') and in printed test reports, such as `grader.check("q2_batches")` showing
    `NotImplementedError: q2_batches: make_batches`.
    """
    names = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            if is_not_implemented(output):
                found = QUESTION_RE.match(str(output.get("evalue", "")))
                found_names = [found[1] if found else "an unnamed question"]
            else:
                found_names = REPORTED_NOT_IMPLEMENTED_RE.findall(output_text(output))
            for name in found_names:
                if name not in names:
                    names.append(name)
    return names


def traceback_cells(nb: dict) -> list:
    """(cell number, 'ExceptionName: message') of saved outputs that are errors other than an unanswered stub."""
    found = []
    for number, cell in code_cells(nb):
        for output in cell.get("outputs", []):
            if is_error(output) and not is_not_implemented(output):
                message = str(output.get("evalue", "")).strip().splitlines()
                found.append(
                    (
                        number,
                        f"{output.get('ename', 'Error')}: {message[0][:SOURCE_PREVIEW] if message else ''}",
                    )
                )
                break
    return found


def never_run_cells(nb: dict, stop_at_error: bool) -> tuple:
    """(first lines of the non-empty code cells without an execution count, count of non-empty code cells).

    With `stop_at_error`, cells after the first error output are not counted: Run All stops there.
    """
    never_run, total = [], 0
    for _, cell in code_cells(nb):
        total += 1
        if cell.get("execution_count") is None:
            never_run.append(joined(cell.get("source")).strip().splitlines()[0][:SOURCE_PREVIEW])
        if stop_at_error and any(is_error(output) for output in cell.get("outputs", [])):
            break
    return never_run, total


def check_otter_metadata(name: str, nb: dict, notebooks) -> list:
    """Problems with `metadata.otter.assignment_name`, which must equal the file's stem; a notebook of
    another of the homework's `notebooks` is named as such."""
    expected = PurePosixPath(name).stem
    otter = nb.get("metadata", {}).get("otter")
    got = otter.get("assignment_name") if isinstance(otter, dict) else None
    if got == expected:
        return []
    if got is None:
        return [
            f"{name}: has no otter metadata (not the released notebook?): "
            f"copy your answers into the released {name} and submit that"
        ]
    if f"{got}.ipynb" in notebooks:
        return [
            f"{name}: holds the {got} notebook: save that one as {got}.ipynb and put your {expected} notebook here"
        ]
    return [
        f"{name}: belongs to otter assignment {got!r}, not {expected!r}: "
        f"copy your answers into the released {name} and submit that"
    ]


def check_notebook_bytes(
    name: str, data: bytes, notebooks, allow_unanswered: bool = False, allow_errors: bool = False
) -> list:
    """Problems with one notebook: well-formed nbformat 4 JSON; ours (otter assignment name = file
    stem); executed (every non-empty code cell has an execution count); answered (no output still
    shows a stub's NotImplementedError, unless `allow_unanswered`); and clean (no other error in the
    saved outputs, unless `allow_errors`). Cells Run All skipped after an allowed error are accepted.
    """
    nb, problems = parse_strict(name, data)
    if nb is None:
        return problems
    problems = check_otter_metadata(name, nb, notebooks)
    never_run, total = never_run_cells(nb, stop_at_error=allow_unanswered or allow_errors)
    if never_run and len(never_run) == total:
        problems.append(f"{name}: was never run (no code cell has an execution count): {RUN_ALL}")
    elif never_run:
        problems.append(
            f"{name}: {len(never_run)} of {total} code cells never ran "
            f"(first: {never_run[0]!r}): {RUN_ALL}"
        )
    if not allow_unanswered:
        problems += [
            f"{name}: {question} is unanswered (its output still shows NotImplementedError): "
            f"answer it, {RUN_ALL}; or pass {ALLOW_UNANSWERED} to submit without it"
            for question in unanswered_questions(nb)
        ]
    if not allow_errors:
        problems += [
            f"{name}: cell {number} raised {error} in its saved output: fix it and {RUN_ALL}; "
            f"or pass {ALLOW_ERRORS} to submit it as it is"
            for number, error in traceback_cells(nb)
        ]
    return problems


# ---------------------------------------------------------------- the zip


def max_bytes(name: str) -> int:
    """The size cap of one required file: MAX_PDF_BYTES for the PDF, MAX_NOTEBOOK_BYTES for a notebook."""
    return MAX_PDF_BYTES if name == PDF_NAME else MAX_NOTEBOOK_BYTES


def layout_problems(files: list, base: str, notebooks) -> list:
    """Missing, duplicate and extra files relative to folder `base` ('' for the root), one line each,
    against `required_files(notebooks)`.

    A missing file with an extra of the same extension beside it gets 'rename X to Y' instead of two lines.
    """
    problems, required = [], required_files(notebooks)
    relative = [f[len(base) :] for f in files if f.startswith(base)]
    for name in sorted(set(relative)):
        if relative.count(name) > 1:
            problems.append(
                f"{base + name}: appears {relative.count(name)} times in the zip: keep one"
            )
    extras = sorted({f for f in files if not (f.startswith(base) and f[len(base) :] in required)})
    for name in required:
        if name in relative:
            continue
        candidates = [
            e
            for e in extras
            if e.startswith(base)
            and "/" not in e[len(base) :]
            and PurePosixPath(e).suffix.lower() == PurePosixPath(name).suffix.lower()
        ]
        best = max(
            candidates,
            key=lambda e: difflib.SequenceMatcher(None, e.lower(), (base + name).lower()).ratio(),
            default=None,
        )
        if best is None:
            problems.append(f"{base + name}: missing from the zip: add it")
        else:
            problems.append(f"{best}: rename it to {name} (names are exact and case-sensitive)")
            extras.remove(best)
    folders = {}
    for extra in extras:
        top = extra.split("/")[0]
        if top == OTTER_LOG:
            problems.append(
                f"{OTTER_LOG}: remove it: submit the notebooks themselves, not otter's export zip"
            )
        elif "/" not in extra:
            problems.append(
                f"{extra}: extra file: remove it (the zip holds only {', '.join(required)})"
            )
        else:
            folders.setdefault(top, []).append(extra)
    for top, inside in sorted(folders.items()):
        why = " (macOS metadata)" if top == MACOS_FOLDER else ""
        problems.append(
            f"{top}/: extra folder{why} with {len(inside)} file(s): remove it; {REBUILD}"
        )
    return problems


def inspect_submission(
    path, notebooks, allow_unanswered: bool = False, allow_errors: bool = False
) -> Inspection:
    """Every problem with a submission zip on disk, one line each, never raising for bad input, and the
    PDF's page count; `notebooks` are the homework's, in course order.

    Checks the file name, size, entry count and directory size (before parsing the directory), the
    declared uncompressed total (before reading any member), member paths, the layout (exactly
    required_files(notebooks) at the root: nested folder, missing, duplicate, extra files), then streams the
    notebooks and the PDF into memory with caps and applies check_notebook_bytes and
    check_pdf_bytes. Nothing is extracted to disk.
    """
    path = Path(path)
    if not path.exists():
        return Inspection(["no such file: check the path"])
    if not path.is_file():
        return Inspection(["not a file (a directory?): give the path of the .zip itself"])
    problems = check_zip_name(path.name)
    if path.stat().st_size > MAX_ZIP_BYTES:
        problems.append(
            f"the zip is {mb(path.stat().st_size)} (limit {mb(MAX_ZIP_BYTES)}): "
            "shrink the PDF or clear huge outputs"
        )
    refused = file_refusal(path, ", ".join(required_files(notebooks)))
    if refused:
        return Inspection(problems + [f"{refused}: {REBUILD}"])
    try:
        with zipfile.ZipFile(path) as zf:
            inspection = zip_contents(zf, notebooks, allow_unanswered, allow_errors)
    except READ_ERRORS:  # which one depends on the Python version: the line must not
        return Inspection(problems + [f"the zip cannot be read (damaged or cut short): {REBUILD}"])
    inspection.problems = problems + inspection.problems
    return inspection


def inspect_zip(
    path, notebooks, allow_unanswered: bool = False, allow_errors: bool = False
) -> list:
    """The problems of `inspect_submission`, one line each."""
    return inspect_submission(path, notebooks, allow_unanswered, allow_errors).problems


def zip_contents(
    zf: zipfile.ZipFile, notebooks, allow_unanswered: bool, allow_errors: bool
) -> Inspection:
    """Problems of an open zip's members and contents; see inspect_submission."""
    required = required_files(notebooks)
    refused = directory_refusal(zf.infolist(), ", ".join(required))
    if refused:
        return Inspection([refused])
    inspection, files = Inspection(), []
    for info in zf.infolist():
        reason = unsafe_reason(info.filename)
        if reason:
            inspection.problems.append(
                f"{info.filename}: unsafe path, {reason}: zip the files themselves; {REBUILD}"
            )
        elif is_symlink(info):
            inspection.problems.append(
                f"{info.filename}: is a symbolic link: put the real file in the zip"
            )
        elif not info.is_dir():
            files.append(info.filename)
    if not files and not inspection.problems:
        return Inspection([f"the zip holds no files: {REBUILD}"])
    located = locate_members(zf, required)
    base = ""
    if not any(name in files for name in required) and located:
        base = next(iter(located.values())).split("/")[0] + "/"
        inspection.problems.append(
            f"{base}: the files are inside a folder: zip the files themselves, not their folder"
        )
    inspection.problems += layout_problems(files, base, notebooks)
    for name in required:
        member = base + name
        if member not in files:
            continue
        try:
            data = read_member(zf, member, max_bytes(name))
        except MemberError as err:
            inspection.problems.append(str(err))
            continue
        if name == PDF_NAME:
            pdf_problems, inspection.pdf_pages = check_pdf_bytes(data)
            inspection.problems += pdf_problems
        else:
            inspection.problems += check_notebook_bytes(
                name, data, notebooks, allow_unanswered, allow_errors
            )
    return inspection
