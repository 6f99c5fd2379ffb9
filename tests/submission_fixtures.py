"""Submission zips for the tests of the rules, `hw3 pack`/`hw3 check` and the students' `submit.py`.

Everything is written into a temporary folder: small otter-style notebooks made with nbformat, a
minimal PDF, and zips written member by member (hostile ones included). `write_every_fixture` lays
out one zip of every kind the tests know, the grading fixtures' kinds included, and
`compare_verdicts` checks them with `hw3 check` and with `submit.py --check` under `python -S`.

    python tests/submission_fixtures.py verdicts [--submit student/submit.py] [--python PYTHON]   # the table
"""

import argparse
import contextlib
import io
import os
import stat
import struct
import subprocess
import sys
import tempfile
import warnings
import zipfile
import zlib
from pathlib import Path

import grade_fixtures as fx
import nbformat
from support import ASSIGNMENTS, NOTEBOOKS, PDF, REPO

from hw3.common.safezip import MAX_DIRECTORY_BYTES, MAX_MEMBERS, MAX_UNCOMPRESSED_BYTES
from hw3.submission.cli import check_main
from hw3.submission.rules import (
    ALLOW_ERRORS,
    ALLOW_UNANSWERED,
    MAX_NOTEBOOK_BYTES,
    MAX_PDF_BYTES,
    MAX_ZIP_BYTES,
    MB,
    OTTER_LOG,
    PDF_NAME,
    required_files,
)

REQUIRED_FILES = required_files(NOTEBOOKS)

STUDENT_NUMBER = "401521234"
FULL_NAME = "AliMomen"
ZIP_NAME = f"DL_HW3__{STUDENT_NUMBER}__{FULL_NAME}.zip"
PDF_BYTES = PDF
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(64)
NO_PAGE_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CENTRAL_HEADER = b"PK\x01\x02"
CENTRAL_FLAGS_AT, CENTRAL_SIZE_AT = (
    8,
    24,
)  # offsets of the flag bits and uncompressed size in a central header
ENCRYPTED_FLAG = 0x1
END_RECORD = b"PK\x05\x06"
END_ENTRIES_AT, END_DIRECTORY_SIZE_AT = (
    8,
    12,
)  # offsets of the two entry counts and the directory size
MEGABYTE_OF_ZEROS = bytes(MB)
SUBMIT_SCRIPT = REPO / "student" / "submit.py"
FLAG_SETS = ((), (ALLOW_UNANSWERED,), (ALLOW_ERRORS,), (ALLOW_UNANSWERED, ALLOW_ERRORS))
SUBMIT_CHECK_TIMEOUT = 300


# --- notebooks and members ---------------------------------------------------------------------------


def code_cell(source: str, count: int | None, error: str | None = None) -> nbformat.NotebookNode:
    """A code cell run as `count` (None: never run); `error` is a NotImplementedError message it raised."""
    cell = nbformat.v4.new_code_cell(source, execution_count=count)
    if error is not None:
        cell.outputs = [
            nbformat.v4.new_output(
                "error",
                ename="NotImplementedError",
                evalue=error,
                traceback=[f"NotImplementedError: {error}"],
            )
        ]
    elif count is not None:
        cell.outputs = [
            nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=count)
        ]
    return cell


def error_cell(source: str, count: int, ename: str, evalue: str) -> nbformat.NotebookNode:
    """A code cell whose saved output is the traceback of `ename: evalue`."""
    cell = nbformat.v4.new_code_cell(source, execution_count=count)
    cell.outputs = [
        nbformat.v4.new_output(
            "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
        )
    ]
    return cell


def report_cell(question: str) -> nbformat.NotebookNode:
    """A `grader.check` cell whose printed report shows the stub of `question` raising NotImplementedError."""
    report = f"{question} results:\n    Error at line 11\n    NotImplementedError: {question}: make_batches"
    cell = code_cell(f'grader.check("{question}")', 1)
    data = {"text/plain": report, "text/html": f"<pre>{report}</pre>"}
    cell.outputs = [nbformat.v4.new_output("execute_result", data, execution_count=1)]
    return cell


def notebook_bytes(assignment: str | None = "hafez", cells=None) -> bytes:
    """An otter-style student notebook (nbformat 4.4, no cell ids) whose code cells all ran."""
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = 4
    if assignment is not None:
        nb.metadata["otter"] = {"assignment_name": assignment}
    nb.cells = [nbformat.v4.new_markdown_cell("**Question 1** (2 points)")]
    nb.cells += (
        cells
        if cells is not None
        else [
            code_cell("import otter\ngrader = otter.Notebook()", 1),
            code_cell("def build_vocab(text):\n    return sorted(set(text))", 2),
            code_cell("grader.check('q1_vocab')", 3),
        ]
    )
    for cell in nb.cells:
        cell.pop("id", None)
    return nbformat.writes(nb).encode()


def object_stream_pdf() -> bytes:
    """A one-page PDF 1.5 whose catalog, page tree and page sit in a Flate-compressed object stream, as
    pdfTeX writes them: no `/Type /Page` shows in the raw bytes, so a page count must inflate the stream."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    index = (
        b" ".join(b"%d %d" % (number, offset) for number, offset in enumerate(offsets, start=1))
        + b"\n"
    )
    packed = zlib.compress(index + body)
    out = bytearray(b"%PDF-1.5\n")
    stream_at = len(out)
    out += (
        b"4 0 obj\n<< /Type /ObjStm /N 3 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(index), len(packed))
        + packed
        + b"\nendstream\nendobj\n"
    )
    xref_at = len(out)
    # the cross-reference stream: object 0 free, 1-3 inside object 4, 4 and 5 at their offsets
    rows = [(0, 0, 65535), (2, 4, 0), (2, 4, 1), (2, 4, 2), (1, stream_at, 0), (1, xref_at, 0)]
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    out += (
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def valid_members() -> dict[str, bytes]:
    """The three files of a valid submission: {name in the zip: bytes}."""
    return {name: notebook_bytes(name.removesuffix(".ipynb")) for name in NOTEBOOKS} | {
        PDF_NAME: PDF_BYTES
    }


def with_hafez(*cells) -> dict[str, bytes]:
    """A valid submission whose hafez.ipynb holds `cells`."""
    return valid_members() | {"hafez.ipynb": notebook_bytes(cells=list(cells))}


def write_sources(folder, members=None):
    """Save the files `hw3 pack` reads into `folder`; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (members or valid_members()).items():
        (folder / name).write_bytes(data)
    return folder


# --- zips, hostile ones included ---------------------------------------------------------------------


def make_zip(path, entries) -> str:
    """Write a zip holding `entries` ((name, bytes) pairs or a dict, kept as given, even hostile); returns its path."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    items = entries.items() if isinstance(entries, dict) else entries
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns on the duplicate names some tests need
        for name, data in items:
            zf.writestr(name, data)
    return str(path)


def write_bytes(path, data: bytes) -> str:
    """A file that should be a zip but holds `data`."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data)
    return str(path)


def valid_zip(folder, name=ZIP_NAME) -> str:
    return make_zip(Path(folder) / name, valid_members())


def patch_central_field(path, member_index: int, offset: int, value: int) -> str:
    """Overwrite one 4- or 2-byte little-endian field of a member's central directory header."""
    data = bytearray(open(path, "rb").read())
    at = -1
    for _ in range(member_index + 1):
        at = data.index(CENTRAL_HEADER, at + 1)
    width = "<H" if offset == CENTRAL_FLAGS_AT else "<L"
    struct.pack_into(width, data, at + offset, value)
    open(path, "wb").write(bytes(data))
    return str(path)


def patch_end_record(path, fmt: str, offset: int, *values: int) -> str:
    """Overwrite fields of the zip's end record (entry counts, directory size)."""
    data = bytearray(open(path, "rb").read())
    struct.pack_into(fmt, data, data.rindex(END_RECORD) + offset, *values)
    open(path, "wb").write(bytes(data))
    return str(path)


def symlink_zip(path) -> str:
    """A valid submission plus a member stored as a symbolic link to /etc/passwd."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in valid_members().items():
            zf.writestr(name, data)
        link = zipfile.ZipInfo("notes")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    return str(path)


def zeros_bomb(path, member: str, megabytes: int) -> str:
    """A valid submission whose `member` is `megabytes` MB of zeros (small on disk), streamed in."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in valid_members().items():
            if name != member:
                zf.writestr(name, data)
        with zf.open(member, "w") as stream:
            for _ in range(megabytes):
                stream.write(MEGABYTE_OF_ZEROS)
    return str(path)


def corrupt_member(path, name: str) -> str:
    """Overwrite the compressed data of member `name` with 0xFF bytes."""
    info = zipfile.ZipFile(path).getinfo(name)
    data_at = info.header_offset + zipfile.sizeFileHeader + len(info.filename.encode())
    damaged = bytearray(open(path, "rb").read())
    damaged[data_at : data_at + info.compress_size] = b"\xff" * info.compress_size
    open(path, "wb").write(bytes(damaged))
    return str(path)


def keep_only_the_tail(path) -> str:
    """Cut a zip down to its last bytes: the end record survives, the members do not."""
    tail = open(path, "rb").read()[-len(END_RECORD) * 20 :]
    open(path, "wb").write(tail)
    return str(path)


def grow_sparse(path, size: int) -> str:
    """Extend a file to `size` bytes with a sparse tail: huge on disk cheaply, its start still readable."""
    with open(path, "r+b") as handle:
        handle.truncate(size)
    return str(path)


def many_members(path, count: int) -> str:
    return make_zip(path, [(f"f{i}.txt", b"") for i in range(count)])


# --- every kind of submission zip --------------------------------------------------------------------


def every_fixture() -> dict:
    """{fixture name: function(folder) -> path of the zip it writes there}, one per kind of submission."""
    nested = ZIP_NAME.removesuffix(".zip") + "/"
    misnamed = valid_members()
    misnamed["Hafez (1).ipynb"] = misnamed.pop("hafez.ipynb")
    export = io.BytesIO()
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("hafez.ipynb", notebook_bytes())
        zf.writestr(OTTER_LOG, b"pickled log")

    def members(entries, name=ZIP_NAME):
        return lambda folder: make_zip(folder / name, entries)

    def release(kind: str, run: bool):
        """The committed student (as released) or autograder (reference answers) notebooks, run or not."""
        read = (lambda n: fx.executed(fx.read(kind, n))) if run else (lambda n: fx.read(kind, n))
        return members(
            {f"{n}.ipynb": fx.notebook_bytes(read(n)) for n in ASSIGNMENTS} | {PDF_NAME: PDF_BYTES}
        )

    return {
        "valid": members(valid_members()),
        "valid, reference notebooks": release("autograder", run=True),
        "valid, PDF pages in an object stream": members(
            valid_members() | {PDF_NAME: object_stream_pdf()}
        ),
        "released notebooks, never run": release("student", run=False),
        "name with single underscores": members(
            valid_members(), f"DL_HW3_{STUDENT_NUMBER}_Ali_Momen.zip"
        ),
        "name with a space": members(valid_members(), f"DL_HW3__{STUDENT_NUMBER}__Ali Momen.zip"),
        "unrelated name": members(valid_members(), "homework.zip"),
        "files in a folder": members(
            {nested: b""} | {nested + n: d for n, d in valid_members().items()}
        ),
        "files in a folder, one never run": members(
            {nested + n: d for n, d in with_hafez(code_cell("x = 1", None)).items()}
        ),
        "files two folders down": members({"a/b/" + n: d for n, d in valid_members().items()}),
        "PDF missing": members({n: d for n, d in valid_members().items() if n != PDF_NAME}),
        "only the PDF": members({PDF_NAME: PDF_BYTES}),
        "PDF is a PNG": members(valid_members() | {PDF_NAME: PNG_BYTES}),
        "PDF is a Word file": members(valid_members() | {PDF_NAME: fx.DOCX}),
        "PDF empty": members(valid_members() | {PDF_NAME: b""}),
        "PDF truncated": members(valid_members() | {PDF_NAME: PDF_BYTES[: len(PDF_BYTES) // 2]}),
        "PDF without a page": members(valid_members() | {PDF_NAME: NO_PAGE_PDF}),
        "PDF over 20 MB": members(
            valid_members() | {PDF_NAME: PDF_BYTES[:-6] + bytes(MAX_PDF_BYTES) + b"%%EOF\n"}
        ),
        "notebook not JSON": members(valid_members() | {"hafez.ipynb": b'{"cells": ['}),
        "notebook empty": members(valid_members() | {"hafez.ipynb": b""}),
        "notebook breaks the schema": members(
            valid_members()
            | {
                "hafez.ipynb": notebook_bytes().replace(
                    b'"cell_type": "code"', b'"cell_type": "spreadsheet"'
                )
            }
        ),
        "notebook in nbformat 3": members(
            valid_members() | {"hafez.ipynb": b'{"nbformat": 3, "worksheets": []}'}
        ),
        "notebook nested 100000 deep": members(
            valid_members() | {"hafez.ipynb": b"[" * 100_000 + b"]" * 100_000}
        ),
        "notebook is otter's export zip": members(
            valid_members() | {"hafez.ipynb": export.getvalue()}
        ),
        "notebook never run": members(
            with_hafez(code_cell("x = 1", None), code_cell("y = 2", None))
        ),
        "notebook partly run": members(
            with_hafez(code_cell("x = 1", 1), code_cell("train(model)", None))
        ),
        "stubs unanswered": members(
            with_hafez(
                code_cell("lstm_cell()", 1, "q3_lstm_cell: write it"),
                code_cell("vocab()", 2, "q1_vocab: build it"),
            )
        ),
        "stub unanswered, later cells skipped": members(
            with_hafez(
                code_cell("x = 1", 1),
                code_cell("lstm_cell()", 2, "q3_lstm_cell: write it"),
                code_cell("train()", None),
            )
        ),
        "stub unanswered, earlier cell never run": members(
            with_hafez(
                code_cell("x = 1", None), code_cell("lstm_cell()", 2, "q3_lstm_cell: write it")
            )
        ),
        "stub shown in a grader.check report": members(with_hafez(report_cell("q2_batches"))),
        "traceback in an output": members(
            with_hafez(
                code_cell("import otter", 1),
                error_cell("x = 1 / 0", 2, "ZeroDivisionError", "division by zero"),
                code_cell("y = 2", None),
            )
        ),
        "traceback and a stub": members(
            with_hafez(
                error_cell("x = 1 / 0", 1, "ZeroDivisionError", "division by zero"),
                code_cell("lstm_cell()", 2, "q3_lstm_cell: write it"),
            )
        ),
        "notebooks swapped": members(
            valid_members()
            | {
                "hafez.ipynb": notebook_bytes("apple_stock"),
                "apple_stock.ipynb": notebook_bytes("hafez"),
            }
        ),
        "notebook of another course": members(
            valid_members() | {"hafez.ipynb": notebook_bytes("hw2_cnn")}
        ),
        "notebook without otter metadata": members(
            valid_members() | {"hafez.ipynb": notebook_bytes(None)}
        ),
        "member climbs out (..)": members(valid_members() | {"../escape.txt": b"x"}),
        "member at an absolute path": members(valid_members() | {"/tmp/hw3-absolute": b"x"}),
        "member with a backslash": members(valid_members() | {"folder\\hafez.ipynb": b"x"}),
        "member with a drive letter": members(valid_members() | {"C:/hafez.ipynb": b"x"}),
        "member is a symbolic link": lambda folder: symlink_zip(folder / ZIP_NAME),
        "member twice": members(
            list(valid_members().items()) + [("hafez.ipynb", notebook_bytes())]
        ),
        "extra file": members(valid_members() | {"notes.txt": b"todo"}),
        "macOS folder": members(
            valid_members() | {f"__MACOSX/._{n}": b"x" for n in REQUIRED_FILES}
        ),
        ".OTTER_LOG": members(valid_members() | {OTTER_LOG: b"pickle"}),
        "notebook misnamed": members(misnamed),
        "notebook and PDF misnamed": members(
            {
                "Hafez.ipynb": notebook_bytes(),
                "apple_stock.ipynb": notebook_bytes("apple_stock"),
                "answers.pdf": PDF_BYTES,
            }
        ),
        "member password-protected": lambda folder: patch_central_field(
            valid_zip(folder),
            list(valid_members()).index(PDF_NAME),
            CENTRAL_FLAGS_AT,
            ENCRYPTED_FLAG,
        ),
        "member corrupt": lambda folder: corrupt_member(valid_zip(folder), PDF_NAME),
        "empty file": lambda folder: write_bytes(folder / ZIP_NAME, b""),
        "a PDF named .zip": lambda folder: write_bytes(folder / ZIP_NAME, PDF_BYTES),
        "a PNG named .zip": lambda folder: write_bytes(folder / ZIP_NAME, fx.PNG),
        "zip damaged": lambda folder: keep_only_the_tail(valid_zip(folder)),
        "zip without files": members({}),
        "zip of folders only": members({"hafez/": b"", "theory/": b""}),
        "zip over 50 MB": lambda folder: grow_sparse(valid_zip(folder), MAX_ZIP_BYTES + 1),
        "too many members": lambda folder: many_members(folder / ZIP_NAME, MAX_MEMBERS + 1),
        "too many members, end record understated": lambda folder: patch_end_record(
            many_members(folder / ZIP_NAME, MAX_MEMBERS + 1), "<HH", END_ENTRIES_AT, 3, 3
        ),
        "directory size overstated": lambda folder: patch_end_record(
            valid_zip(folder), "<L", END_DIRECTORY_SIZE_AT, MAX_DIRECTORY_BYTES + 1
        ),
        "uncompressed total overstated": lambda folder: patch_central_field(
            valid_zip(folder), 0, CENTRAL_SIZE_AT, MAX_UNCOMPRESSED_BYTES + 1
        ),
        "notebook of zeros over its cap": lambda folder: zeros_bomb(
            folder / ZIP_NAME, "hafez.ipynb", MAX_NOTEBOOK_BYTES // MB + 1
        ),
        "zip bomb": lambda folder: zeros_bomb(
            folder / ZIP_NAME, "data.bin", 2 * MAX_UNCOMPRESSED_BYTES // MB
        ),
    }


def write_every_fixture(folder: Path) -> dict[str, Path]:
    """Write every fixture zip, each in its own sub-folder of `folder`; {fixture name: zip path}."""
    written = {}
    for number, (name, write) in enumerate(every_fixture().items()):
        sub = folder / f"{number:02d}"
        sub.mkdir(parents=True)
        written[name] = Path(write(sub))
    return written


# --- hw3 check beside submit.py --check ----------------------------------------------------------------


def lines_by_zip(lines: list[str], zips: list[Path]) -> dict[Path, list[str]]:
    """The report lines of each zip (`PATH: ...`), the summary line left out."""
    return {z: [line for line in lines if line.startswith(f"{z}: ")] for z in zips}


def hw3_check(zips: list[Path], flags) -> tuple[int, list[str]]:
    """(exit code, stdout lines) of `hw3 check ZIP... FLAGS`, run in this process (pypdf importable)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = check_main([str(z) for z in zips] + list(flags) + ["--repo", str(REPO)])
    return code, out.getvalue().splitlines()


def bare_env(**extra) -> dict:
    """The environment of a student's shell: no PYTHONPATH pointing at `hw3` or its packages."""
    env = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")
    }
    return env | extra


def submit_check(
    script: Path, zips: list[Path], flags, python: str = sys.executable
) -> tuple[int, list[str]]:
    """(exit code, stdout lines) of `python -S submit.py --check ZIP... FLAGS`: no site-packages, so no pypdf."""
    proc = subprocess.run(
        [python, "-S", str(script), "--check", *map(str, zips), *flags],
        capture_output=True,
        text=True,
        env=bare_env(),
        timeout=SUBMIT_CHECK_TIMEOUT,
    )
    assert not proc.stderr, proc.stderr
    return proc.returncode, proc.stdout.splitlines()


def compare_verdicts(
    script: Path, fixtures: dict[str, Path], flags, python: str = sys.executable
) -> dict:
    """Both tools on every fixture: {"hw3": (code, lines), "submit": (code, lines), "rows": [(name, hw3 lines,
    submit.py lines)]}."""
    zips = list(fixtures.values())
    hw3, submit = hw3_check(zips, flags), submit_check(script, zips, flags, python)
    ours, theirs = lines_by_zip(hw3[1], zips), lines_by_zip(submit[1], zips)
    rows = [(name, ours[path], theirs[path]) for name, path in fixtures.items()]
    return {"hw3": hw3, "submit": submit, "rows": rows}


def verdict(lines: list[str]) -> str:
    return "ok" if len(lines) == 1 and ": ok (" in lines[0] else f"{len(lines)} problem(s)"


def verdict_table(script: Path, python: str) -> str:
    """The Markdown table of both tools' verdicts on every fixture, under each set of flags (submit.py run
    by `python`)."""
    table = [
        "| fixture | flags | `hw3 check` | `python -S submit.py --check` | same lines |",
        "| --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory(prefix="hw3-verdicts-") as tmp:
        fixtures = write_every_fixture(Path(tmp))
        for flags in FLAG_SETS:
            result = compare_verdicts(script, fixtures, flags, python)
            for name, ours, theirs in result["rows"]:
                table.append(
                    f"| {name} | {' '.join(flags) or '-'} | {verdict(ours)} | {verdict(theirs)} | "
                    f"{'yes' if ours == theirs else 'NO'} |"
                )
            table.append(
                f"| (exit codes) | {' '.join(flags) or '-'} | {result['hw3'][0]} | {result['submit'][0]} | "
                f"{'yes' if result['hw3'][0] == result['submit'][0] else 'NO'} |"
            )
    return "\n".join(table)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["verdicts"])
    parser.add_argument(
        "--submit", type=Path, default=SUBMIT_SCRIPT, help="the submit.py to compare"
    )
    parser.add_argument(
        "--python", default=sys.executable, help="the Python that runs submit.py (with -S)"
    )
    args = parser.parse_args(argv)
    print(verdict_table(args.submit, args.python))
    return 0


if __name__ == "__main__":
    sys.exit(main())
