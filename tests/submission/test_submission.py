"""The submission rules (hw3.submission.rules) and the `hw3 pack` / `hw3 check` verbs built on them.

Fixtures are built in tmp_path by the helpers of tests/submission_fixtures.py: small otter-style notebooks,
a minimal PDF, and zips written member by member (hostile ones included).
"""

import io
import stat
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from submission_fixtures import (
    CENTRAL_FLAGS_AT,
    CENTRAL_SIZE_AT,
    ENCRYPTED_FLAG,
    END_DIRECTORY_SIZE_AT,
    END_ENTRIES_AT,
    FULL_NAME,
    NO_PAGE_PDF,
    NOTEBOOKS,
    PDF_BYTES,
    PNG_BYTES,
    REPO,
    REQUIRED_FILES,
    STUDENT_NUMBER,
    ZIP_NAME,
    code_cell,
    corrupt_member,
    grow_sparse,
    keep_only_the_tail,
    make_zip,
    many_members,
    notebook_bytes,
    patch_central_field,
    patch_end_record,
    symlink_zip,
    valid_members,
    valid_zip,
    write_sources,
    zeros_bomb,
)

from hw3 import cli
from hw3.common import atomic
from hw3.common import zipwrite as zips
from hw3.common.safezip import (
    MAX_DIRECTORY_BYTES,
    MAX_MEMBERS,
    MAX_UNCOMPRESSED_BYTES,
    MemberError,
    locate_members,
    read_member,
)
from hw3.submission import pack
from hw3.submission import rules as submission
from hw3.submission.cli import check_main, pack_main
from hw3.submission.rules import (
    MAX_NOTEBOOK_BYTES,
    MAX_PDF_BYTES,
    MAX_ZIP_BYTES,
    PDF_NAME,
    check_identity,
    check_notebook_bytes,
    check_zip_name,
    inspect_zip,
)

RELEASED = Path(__file__).resolve().parents[2] / "student"


def pdf_problems(data: bytes) -> list[str]:
    """The problem lines of the PDF rule (its page count aside)."""
    return submission.check_pdf_bytes(data)[0]


def one_problem_mentioning(problems: list[str], *words: str) -> str:
    """The single problem line that mentions every word; fails the test otherwise."""
    hits = [p for p in problems if all(w in p for w in words)]
    assert len(hits) == 1, f"expected one problem mentioning {words}, got {problems}"
    return hits[0]


# --- identity and zip name -------------------------------------------------------------------------


def test_valid_identity_has_no_problems():
    assert check_identity(STUDENT_NUMBER, FULL_NAME) == []


def test_name_with_spaces_is_rejected_with_camel_case_fix():
    problem = one_problem_mentioning(check_identity(STUDENT_NUMBER, "ali momen"), "full name")
    assert "'AliMomen'" in problem


def test_name_in_persian_letters_asks_for_english_letters():
    one_problem_mentioning(check_identity(STUDENT_NUMBER, "علی مومن"), "English letters")


def test_student_number_in_persian_digits_is_rejected_with_ascii_fix():
    problem = one_problem_mentioning(check_identity("۴۰۱۵۲۱۲۳۴", FULL_NAME), "student number")
    assert f"'{STUDENT_NUMBER}'" in problem


@pytest.mark.parametrize("number", ["401", "4015212345678", "40152123x"])
def test_student_number_must_be_7_to_12_digits(number):
    one_problem_mentioning(check_identity(number, FULL_NAME), "student number")


def test_zip_name_with_single_underscores_gets_exact_rename():
    problem = one_problem_mentioning(
        check_zip_name(f"DL_HW3_{STUDENT_NUMBER}_Ali_Momen.zip"), "rename"
    )
    assert f"'{ZIP_NAME}'" in problem


def test_unrelated_zip_name_gets_the_pattern():
    one_problem_mentioning(
        check_zip_name("homework.zip"), "DL_HW3__[StudentNumber]__[FullName].zip"
    )


# --- notebooks -------------------------------------------------------------------------------------


def test_valid_notebook_has_no_problems():
    assert check_notebook_bytes("hafez.ipynb", notebook_bytes("hafez"), NOTEBOOKS) == []


def test_invalid_json_notebook_is_reported():
    one_problem_mentioning(
        check_notebook_bytes("hafez.ipynb", notebook_bytes()[:-10], NOTEBOOKS),
        "hafez.ipynb",
        "not valid JSON",
    )


def test_empty_notebook_is_reported():
    one_problem_mentioning(
        check_notebook_bytes("hafez.ipynb", b"", NOTEBOOKS), "hafez.ipynb", "empty"
    )


def test_notebook_breaking_the_nbformat_schema_is_reported():
    broken = notebook_bytes().replace(b'"cell_type": "code"', b'"cell_type": "spreadsheet"')
    one_problem_mentioning(
        check_notebook_bytes("hafez.ipynb", broken, NOTEBOOKS), "not a valid notebook"
    )


def test_deeply_nested_json_notebook_is_reported_not_raised():
    depth = 100_000  # far past Python's recursion limit
    one_problem_mentioning(
        check_notebook_bytes("hafez.ipynb", b"[" * depth + b"]" * depth, NOTEBOOKS),
        "not valid JSON",
    )


def test_nbformat_3_notebook_is_reported():
    one_problem_mentioning(
        check_notebook_bytes("hafez.ipynb", b'{"nbformat": 3, "worksheets": []}', NOTEBOOKS),
        "nbformat 4",
    )


def test_otter_export_zip_saved_as_notebook_is_reported():
    export = io.BytesIO()
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("hafez.ipynb", notebook_bytes())
        zf.writestr(submission.OTTER_LOG, b"pickled log")
    one_problem_mentioning(
        check_notebook_bytes("hafez.ipynb", export.getvalue(), NOTEBOOKS), "otter's export zip"
    )


def test_traceback_in_a_saved_output_is_refused_unless_allowed():
    cell = code_cell("x = 1 / 0", 2)
    cell.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="ZeroDivisionError",
            evalue="division by zero",
            traceback=["ZeroDivisionError: division by zero"],
        )
    ]
    data = notebook_bytes(cells=[code_cell("import otter", 1), cell])
    problem = one_problem_mentioning(
        check_notebook_bytes("hafez.ipynb", data, NOTEBOOKS), "cell 3", "ZeroDivisionError"
    )
    assert "--allow-errors" in problem
    assert check_notebook_bytes("hafez.ipynb", data, NOTEBOOKS, allow_errors=True) == []


def test_never_run_notebook_is_reported():
    cells = [code_cell("x = 1", None), code_cell("y = 2", None)]
    one_problem_mentioning(
        check_notebook_bytes("hafez.ipynb", notebook_bytes(cells=cells), NOTEBOOKS), "never run"
    )


def test_partly_run_notebook_names_the_first_cell_not_run():
    cells = [code_cell("x = 1", 1), code_cell("train(model)", None), code_cell("y = 2", None)]
    problem = one_problem_mentioning(
        check_notebook_bytes("hafez.ipynb", notebook_bytes(cells=cells), NOTEBOOKS), "2 of 3"
    )
    assert "train(model)" in problem


def test_unanswered_questions_are_reported_by_name_once_each():
    cells = [
        code_cell(
            "def lstm_cell(x, h, c):\n    raise NotImplementedError",
            1,
            "q3_lstm_cell: write the LSTM cell",
        ),
        code_cell("lstm_cell(1, 2, 3)", 2, "q3_lstm_cell: write the LSTM cell"),
        code_cell("vocab()", 3, "q1_vocab: build the vocabulary"),
    ]
    problems = check_notebook_bytes("hafez.ipynb", notebook_bytes(cells=cells), NOTEBOOKS)
    assert [p.split(" ")[1] for p in problems] == ["q3_lstm_cell", "q1_vocab"]


def test_unanswered_question_shown_only_in_a_grader_check_report_is_reported_once():
    report = "q2_batches results:\n    Error at line 11\n    NotImplementedError: q2_batches: make_batches"
    check_cell = code_cell('grader.check("q2_batches")', 1)
    data = {"text/plain": report, "text/html": f"<pre>{report}</pre>"}
    check_cell.outputs = [nbformat.v4.new_output("execute_result", data, execution_count=1)]
    problems = check_notebook_bytes("hafez.ipynb", notebook_bytes(cells=[check_cell]), NOTEBOOKS)
    assert problems == [one_problem_mentioning(problems, "q2_batches", "unanswered")]


def test_allow_unanswered_accepts_stubs_and_the_cells_run_all_skipped_after_them():
    cells = [
        code_cell("x = 1", 1),
        code_cell("lstm_cell()", 2, "q3_lstm_cell: write it"),
        code_cell("train()", None),
    ]
    data = notebook_bytes(cells=cells)
    assert len(check_notebook_bytes("hafez.ipynb", data, NOTEBOOKS)) == 2
    assert check_notebook_bytes("hafez.ipynb", data, NOTEBOOKS, allow_unanswered=True) == []


def test_allow_unanswered_still_requires_cells_before_the_stub_to_run():
    cells = [code_cell("x = 1", None), code_cell("lstm_cell()", 2, "q3_lstm_cell: write it")]
    problems = check_notebook_bytes(
        "hafez.ipynb", notebook_bytes(cells=cells), NOTEBOOKS, allow_unanswered=True
    )
    one_problem_mentioning(problems, "never ran")


def test_swapped_notebooks_are_reported():
    problem = one_problem_mentioning(
        check_notebook_bytes("hafez.ipynb", notebook_bytes("apple_stock"), NOTEBOOKS), "hafez.ipynb"
    )
    assert "apple_stock.ipynb" in problem


def test_foreign_notebook_with_another_assignment_name_is_reported():
    one_problem_mentioning(
        check_notebook_bytes("hafez.ipynb", notebook_bytes("hw2_cnn"), NOTEBOOKS), "'hw2_cnn'"
    )


def test_notebook_without_otter_metadata_is_reported():
    one_problem_mentioning(
        check_notebook_bytes("hafez.ipynb", notebook_bytes(None), NOTEBOOKS), "no otter metadata"
    )


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_released_notebook_only_lacks_being_run(name):
    released = RELEASED / name.removesuffix(".ipynb") / name
    if not released.exists():
        pytest.skip(f"{released} is not released yet")
    problems = check_notebook_bytes(name, released.read_bytes(), NOTEBOOKS)
    assert problems == [one_problem_mentioning(problems, name, "was never run")]


# --- PDF -------------------------------------------------------------------------------------------


def test_valid_pdf_has_no_problems():
    assert pdf_problems(PDF_BYTES) == []


def test_fake_pdf_says_what_it_really_is():
    one_problem_mentioning(pdf_problems(PNG_BYTES), PDF_NAME, "PNG image")


def test_empty_pdf_is_reported():
    one_problem_mentioning(pdf_problems(b""), PDF_NAME, "empty")


def test_truncated_pdf_is_reported():
    one_problem_mentioning(pdf_problems(PDF_BYTES[: len(PDF_BYTES) // 2]), "truncated")


def test_pdf_with_a_header_but_no_page_is_refused():
    one_problem_mentioning(pdf_problems(NO_PAGE_PDF), PDF_NAME, "no pages")


def test_pdf_pages_are_counted_with_and_without_pypdf(monkeypatch):
    assert submission.check_pdf_bytes(PDF_BYTES) == ([], 1)
    monkeypatch.setitem(sys.modules, "pypdf", None)  # `import pypdf` now fails, as in a bare Python
    assert submission.check_pdf_bytes(PDF_BYTES) == ([], 1)
    assert submission.scanned_page_objects(PDF_BYTES) == 1


def test_pdf_over_the_size_limit_is_reported():
    big = PDF_BYTES[:-6] + bytes(MAX_PDF_BYTES) + b"%%EOF\n"
    one_problem_mentioning(pdf_problems(big), PDF_NAME, "limit")


# --- zips: file level --------------------------------------------------------------------------------


def test_valid_zip_has_no_problems(tmp_path):
    assert inspect_zip(valid_zip(tmp_path), NOTEBOOKS) == []


def test_wrongly_named_zip_is_reported(tmp_path):
    one_problem_mentioning(
        inspect_zip(valid_zip(tmp_path, "hw3.zip"), NOTEBOOKS), "wrong file name"
    )


def test_missing_path_is_one_line(tmp_path):
    assert inspect_zip(tmp_path / ZIP_NAME, NOTEBOOKS) == ["no such file: check the path"]


def test_directory_is_one_line(tmp_path):
    one_problem_mentioning(inspect_zip(tmp_path, NOTEBOOKS), "not a file")


def test_empty_file_is_reported(tmp_path):
    (tmp_path / ZIP_NAME).write_bytes(b"")
    assert inspect_zip(tmp_path / ZIP_NAME, NOTEBOOKS) == [
        "the file is empty (0 bytes): build the zip again with submit.py (or hw3 pack)"
    ]


def test_non_zip_file_is_reported(tmp_path):
    (tmp_path / ZIP_NAME).write_bytes(PDF_BYTES)
    one_problem_mentioning(inspect_zip(tmp_path / ZIP_NAME, NOTEBOOKS), "not a zip file", "PDF")


def test_damaged_zip_is_one_line_not_a_traceback(tmp_path):
    one_problem_mentioning(
        inspect_zip(keep_only_the_tail(valid_zip(tmp_path)), NOTEBOOKS), "cannot be read"
    )


def test_zip_over_the_size_limit_is_reported(tmp_path):
    one_problem_mentioning(
        inspect_zip(grow_sparse(valid_zip(tmp_path), MAX_ZIP_BYTES + 1), NOTEBOOKS), "limit"
    )


def test_zip_with_no_files_is_reported(tmp_path):
    one_problem_mentioning(inspect_zip(make_zip(tmp_path / ZIP_NAME, {}), NOTEBOOKS), "no files")


# --- zips: members -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "member, reason",
    [
        ("../hafez.ipynb", "'..'"),
        ("/etc/hafez.ipynb", "absolute path"),
        ("folder\\hafez.ipynb", "backslash"),
        ("C:/hafez.ipynb", "drive letter"),
    ],
)
def test_unsafe_member_path_is_reported(tmp_path, member, reason):
    path = make_zip(tmp_path / ZIP_NAME, valid_members() | {member: b"x"})
    one_problem_mentioning(inspect_zip(path, NOTEBOOKS), member, "unsafe path", reason)


def test_symbolic_link_member_is_reported(tmp_path):
    one_problem_mentioning(
        inspect_zip(symlink_zip(tmp_path / ZIP_NAME), NOTEBOOKS), "notes", "symbolic link"
    )


def test_files_in_a_nested_folder_are_one_problem_and_still_checked(tmp_path):
    folder = ZIP_NAME.removesuffix(".zip") + "/"
    members = {folder + name: data for name, data in valid_members().items()}
    members[folder + "hafez.ipynb"] = notebook_bytes(cells=[code_cell("x = 1", None)])
    problems = inspect_zip(make_zip(tmp_path / ZIP_NAME, {folder: b""} | members), NOTEBOOKS)
    assert len(problems) == 2
    one_problem_mentioning(problems, folder, "inside a folder")
    one_problem_mentioning(problems, "hafez.ipynb", "never run")


def test_locate_members_finds_notebooks_at_root_or_in_one_folder(tmp_path):
    root = zipfile.ZipFile(valid_zip(tmp_path))
    assert locate_members(root, NOTEBOOKS) == {name: name for name in NOTEBOOKS}
    nested = zipfile.ZipFile(
        make_zip(tmp_path / "nested.zip", {"sub/" + n: d for n, d in valid_members().items()})
    )
    assert locate_members(nested, NOTEBOOKS) == {name: "sub/" + name for name in NOTEBOOKS}
    deep = zipfile.ZipFile(
        make_zip(tmp_path / "deep.zip", {"a/b/" + n: d for n, d in valid_members().items()})
    )
    assert locate_members(deep, NOTEBOOKS) == {}


def test_locate_members_skips_ambiguous_folders_unsafe_paths_and_macos_metadata(tmp_path):
    entries = [
        ("a/hafez.ipynb", b"1"),
        ("b/hafez.ipynb", b"2"),
        ("__MACOSX/apple_stock.ipynb", b"3"),
        ("../apple_stock.ipynb", b"4"),
        ("C:/HW3__Solution.pdf", b"5"),
    ]
    assert (
        locate_members(zipfile.ZipFile(make_zip(tmp_path / "x.zip", entries)), REQUIRED_FILES) == {}
    )


def test_duplicate_member_is_reported(tmp_path):
    entries = list(valid_members().items()) + [("hafez.ipynb", notebook_bytes())]
    one_problem_mentioning(
        inspect_zip(make_zip(tmp_path / ZIP_NAME, entries), NOTEBOOKS), "hafez.ipynb", "2 times"
    )


def test_extra_file_is_reported(tmp_path):
    path = make_zip(tmp_path / ZIP_NAME, valid_members() | {"notes.txt": b"todo"})
    assert inspect_zip(path, NOTEBOOKS) == [
        one_problem_mentioning(inspect_zip(path, NOTEBOOKS), "notes.txt", "extra file")
    ]


def test_extra_folder_is_one_problem(tmp_path):
    junk = {f"__MACOSX/._{name}": b"x" for name in REQUIRED_FILES}
    path = make_zip(tmp_path / ZIP_NAME, valid_members() | junk)
    assert inspect_zip(path, NOTEBOOKS) == [
        one_problem_mentioning(inspect_zip(path, NOTEBOOKS), "__MACOSX/", "macOS")
    ]


def test_otter_log_in_zip_is_reported(tmp_path):
    path = make_zip(tmp_path / ZIP_NAME, valid_members() | {submission.OTTER_LOG: b"pickle"})
    one_problem_mentioning(inspect_zip(path, NOTEBOOKS), submission.OTTER_LOG, "otter's export zip")


def test_missing_file_is_reported(tmp_path):
    members = valid_members()
    del members[PDF_NAME]
    assert inspect_zip(make_zip(tmp_path / ZIP_NAME, members), NOTEBOOKS) == [
        f"{PDF_NAME}: missing from the zip: add it"
    ]


def test_misnamed_file_gets_a_rename_instead_of_missing_plus_extra(tmp_path):
    members = valid_members()
    members["Hafez (1).ipynb"] = members.pop("hafez.ipynb")
    problems = inspect_zip(make_zip(tmp_path / ZIP_NAME, members), NOTEBOOKS)
    assert problems == [
        one_problem_mentioning(problems, "Hafez (1).ipynb", "rename it to hafez.ipynb")
    ]


def test_contents_of_each_member_are_checked(tmp_path):
    members = valid_members() | {PDF_NAME: PNG_BYTES, "apple_stock.ipynb": b"{not json"}
    problems = inspect_zip(make_zip(tmp_path / ZIP_NAME, members), NOTEBOOKS)
    one_problem_mentioning(problems, PDF_NAME, "not a PDF")
    one_problem_mentioning(problems, "apple_stock.ipynb", "not valid JSON")


def test_unanswered_question_in_zip_is_reported_unless_allowed(tmp_path):
    cells = [code_cell("lstm_cell()", 1, "q3_lstm_cell: write it")]
    path = make_zip(
        tmp_path / ZIP_NAME, valid_members() | {"hafez.ipynb": notebook_bytes(cells=cells)}
    )
    one_problem_mentioning(inspect_zip(path, NOTEBOOKS), "q3_lstm_cell")
    assert inspect_zip(path, NOTEBOOKS, allow_unanswered=True) == []


def test_password_protected_member_is_reported(tmp_path):
    path = patch_central_field(
        valid_zip(tmp_path), list(valid_members()).index(PDF_NAME), CENTRAL_FLAGS_AT, ENCRYPTED_FLAG
    )
    one_problem_mentioning(inspect_zip(path, NOTEBOOKS), PDF_NAME, "password")


# --- zip bombs ---------------------------------------------------------------------------------------


def test_too_many_members_is_refused_before_parsing_the_directory(tmp_path, monkeypatch):
    path = many_members(tmp_path / ZIP_NAME, MAX_MEMBERS + 1)
    monkeypatch.setattr(submission.zipfile, "ZipFile", None)  # parsing the directory would crash
    problems = inspect_zip(path, NOTEBOOKS)
    assert problems == [one_problem_mentioning(problems, f"{MAX_MEMBERS + 1} entries", "zip bomb")]


def test_end_record_understating_the_entry_count_is_still_capped(tmp_path):
    path = patch_end_record(
        many_members(tmp_path / ZIP_NAME, MAX_MEMBERS + 1),
        "<HH",
        END_ENTRIES_AT,
        len(REQUIRED_FILES),
        len(REQUIRED_FILES),
    )
    problems = inspect_zip(path, NOTEBOOKS)
    assert problems == [one_problem_mentioning(problems, f"{MAX_MEMBERS + 1} entries", "zip bomb")]


def test_oversized_central_directory_is_refused_before_parsing(tmp_path, monkeypatch):
    path = patch_end_record(
        valid_zip(tmp_path), "<L", END_DIRECTORY_SIZE_AT, MAX_DIRECTORY_BYTES + 1
    )
    monkeypatch.setattr(submission.zipfile, "ZipFile", None)
    one_problem_mentioning(
        inspect_zip(path, NOTEBOOKS), f"{MAX_DIRECTORY_BYTES + 1} B directory", "zip bomb"
    )


def test_declared_huge_uncompressed_total_is_refused(tmp_path):
    path = patch_central_field(valid_zip(tmp_path), 0, CENTRAL_SIZE_AT, MAX_UNCOMPRESSED_BYTES + 1)
    problems = inspect_zip(path, NOTEBOOKS)
    assert problems == [one_problem_mentioning(problems, "declares", "zip bomb")]


def test_notebook_of_compressed_zeros_over_its_cap_is_refused(tmp_path):
    path = Path(
        zeros_bomb(tmp_path / ZIP_NAME, "hafez.ipynb", MAX_NOTEBOOK_BYTES // submission.MB + 1)
    )
    assert path.stat().st_size < MAX_NOTEBOOK_BYTES // 100  # the bomb really is small on disk
    one_problem_mentioning(inspect_zip(path, NOTEBOOKS), "hafez.ipynb", "uncompressed", "limit")


def test_read_member_refuses_declared_size_over_cap(tmp_path):
    zf = zipfile.ZipFile(valid_zip(tmp_path))
    with pytest.raises(MemberError, match="declares"):
        read_member(zf, PDF_NAME, len(PDF_BYTES) - 1)
    assert read_member(zf, PDF_NAME, len(PDF_BYTES)) == PDF_BYTES


def test_read_member_stops_streaming_at_cap_when_the_declared_size_lies(tmp_path, monkeypatch):
    zf = zipfile.ZipFile(valid_zip(tmp_path))
    # a member that inflates past what it declared (zipfile truncates today; the cap must not rely on it)
    monkeypatch.setattr(zf, "open", lambda info: io.BytesIO(bytes(len(PDF_BYTES) + 1)))
    with pytest.raises(MemberError, match="inflates past"):
        read_member(zf, PDF_NAME, len(PDF_BYTES))


def test_read_member_reports_corrupt_data(tmp_path):
    path = corrupt_member(valid_zip(tmp_path), PDF_NAME)
    with pytest.raises(MemberError, match="corrupt"):
        read_member(zipfile.ZipFile(path), PDF_NAME, MAX_PDF_BYTES)


# --- hw3 pack ----------------------------------------------------------------------------------------


def run_pack(source, out, *extra) -> int:
    return pack_main(
        [
            "--student-number",
            STUDENT_NUMBER,
            "--name",
            FULL_NAME,
            "--from",
            str(source),
            "--out",
            str(out),
            "--repo",
            str(REPO),
            *extra,
        ]
    )


def test_pack_then_check_round_trip_is_clean(tmp_path, capsys):
    assert run_pack(write_sources(tmp_path / "work"), tmp_path / "out") == 0
    printed = capsys.readouterr().out
    target = tmp_path / "out" / ZIP_NAME
    assert (
        str(target) in printed
        and all(name in printed for name in REQUIRED_FILES)
        and "sha256" in printed
    )
    assert inspect_zip(target, NOTEBOOKS) == []
    assert sorted(zipfile.ZipFile(target).namelist()) == sorted(REQUIRED_FILES)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert check_main([str(target), "--repo", str(REPO)]) == 0


def test_pack_is_byte_for_byte_reproducible(tmp_path):
    source = write_sources(tmp_path / "work")
    assert run_pack(source, tmp_path / "a") == 0
    assert run_pack(source, tmp_path / "b") == 0
    assert (tmp_path / "a" / ZIP_NAME).read_bytes() == (tmp_path / "b" / ZIP_NAME).read_bytes()
    infos = zipfile.ZipFile(tmp_path / "a" / ZIP_NAME).infolist()
    assert [i.filename for i in infos] == sorted(REQUIRED_FILES)
    assert {(i.date_time, i.compress_type) for i in infos} == {
        (zips.ZIP_EPOCH, zipfile.ZIP_DEFLATED)
    }


def test_pack_takes_the_pdf_from_any_path(tmp_path):
    source = write_sources(
        tmp_path / "work", {n: d for n, d in valid_members().items() if n != PDF_NAME}
    )
    (tmp_path / "answers.pdf").write_bytes(PDF_BYTES)
    assert run_pack(source, tmp_path / "out", "--pdf", str(tmp_path / "answers.pdf")) == 0
    assert zipfile.ZipFile(tmp_path / "out" / ZIP_NAME).read(PDF_NAME) == PDF_BYTES


def test_pack_reports_every_problem_at_once_and_writes_nothing(tmp_path, capsys):
    members = valid_members() | {
        "apple_stock.ipynb": notebook_bytes("apple_stock", [code_cell("x = 1", None)])
    }
    del members[PDF_NAME]
    source = write_sources(tmp_path / "work", members)
    out = tmp_path / "out"
    assert (
        pack_main(
            [
                "--student-number",
                "40152",
                "--name",
                "ali momen",
                "--from",
                str(source),
                "--out",
                str(out),
                "--repo",
                str(REPO),
            ]
        )
        == 1
    )
    errors = capsys.readouterr().err.splitlines()
    for words in [
        ("student number",),
        ("'AliMomen'",),
        ("apple_stock.ipynb", "never run"),
        (PDF_NAME, "not found"),
    ]:
        one_problem_mentioning(errors, *words)
    assert errors[-1] == "hw3 pack: 4 problem(s); nothing written"
    assert not out.exists()


def test_pack_suggests_renaming_a_downloaded_copy(tmp_path, capsys):
    members = valid_members()
    members["hafez (1).ipynb"] = members.pop("hafez.ipynb")
    assert run_pack(write_sources(tmp_path / "work", members), tmp_path / "out") == 1
    one_problem_mentioning(
        capsys.readouterr().err.splitlines(), "rename 'hafez (1).ipynb' to 'hafez.ipynb'"
    )


def release_layout(folder: Path) -> Path:
    """The three files where the unzipped student release keeps them: hafez/, apple_stock/, theory/."""
    for name, data in valid_members().items():
        (folder / pack.release_folder(name)).mkdir(parents=True, exist_ok=True)
        (folder / pack.release_folder(name) / name).write_bytes(data)
    return folder


def test_pack_finds_the_files_where_the_student_release_keeps_them(tmp_path):
    assert run_pack(release_layout(tmp_path / "HW3"), tmp_path / "out") == 0
    with zipfile.ZipFile(tmp_path / "out" / ZIP_NAME) as zf:
        assert {name: zf.read(name) for name in zf.namelist()} == valid_members()


def test_pack_accepts_an_identical_copy_beside_the_release_folders(tmp_path):
    source = release_layout(tmp_path / "HW3")
    (source / "hafez.ipynb").write_bytes((source / "hafez" / "hafez.ipynb").read_bytes())
    assert run_pack(source, tmp_path / "out") == 0


def test_pack_refuses_two_different_copies_of_a_notebook(tmp_path, capsys):
    source = release_layout(tmp_path / "HW3")
    (source / "hafez.ipynb").write_bytes(notebook_bytes(cells=[code_cell("x = 2", 1)]))
    assert run_pack(source, tmp_path / "out") == 1
    problem = one_problem_mentioning(
        capsys.readouterr().err.splitlines(), "hafez.ipynb", "two different copies"
    )
    assert str(source / "hafez" / "hafez.ipynb") in problem
    assert not (tmp_path / "out").exists()


def test_pack_suggests_renaming_a_downloaded_copy_in_a_release_folder(tmp_path, capsys):
    source = release_layout(tmp_path / "HW3")
    (source / "theory" / PDF_NAME).rename(source / "theory" / "HW3__Solution (2).pdf")
    assert run_pack(source, tmp_path / "out") == 1
    one_problem_mentioning(
        capsys.readouterr().err.splitlines(),
        f"rename 'theory/HW3__Solution (2).pdf' to '{PDF_NAME}'",
    )


def test_pack_leaves_no_partial_zip_when_the_zip_is_too_big(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / ZIP_NAME).write_bytes(b"previous zip")
    monkeypatch.setattr(pack, "MAX_ZIP_BYTES", len(PDF_BYTES))
    assert run_pack(write_sources(tmp_path / "work"), out) == 1
    one_problem_mentioning(capsys.readouterr().err.splitlines(), ZIP_NAME, "limit")
    assert [p.name for p in out.iterdir()] == [ZIP_NAME]
    assert (out / ZIP_NAME).read_bytes() == b"previous zip"


def test_pack_leaves_no_partial_zip_when_writing_fails(tmp_path, monkeypatch, capsys):
    def fail_midway(source, target):  # the temporary file is written; the rename into place fails
        raise OSError("disk full")

    out = tmp_path / "out"
    monkeypatch.setattr(atomic.os, "replace", fail_midway)
    assert run_pack(write_sources(tmp_path / "work"), out) == 1
    one_problem_mentioning(capsys.readouterr().err.splitlines(), ZIP_NAME, "disk full")
    assert list(out.iterdir()) == []


def test_pack_refuses_a_pdf_over_the_size_limit_without_reading_it(tmp_path, monkeypatch, capsys):
    source = write_sources(tmp_path / "work")
    with open(source / PDF_NAME, "r+b") as handle:
        handle.truncate(MAX_PDF_BYTES + 1)  # sparse: cheap to make
    monkeypatch.setattr(pack, "check_pdf_bytes", None)  # reading and checking it would crash
    assert run_pack(source, tmp_path / "out") == 1
    one_problem_mentioning(capsys.readouterr().err.splitlines(), PDF_NAME, "limit")


def test_pack_refuses_an_out_path_that_is_a_file(tmp_path, capsys):
    (tmp_path / "out").write_bytes(b"")
    assert run_pack(write_sources(tmp_path / "work"), tmp_path / "out") == 1
    one_problem_mentioning(capsys.readouterr().err.splitlines(), "--out", "not a folder")


# --- hw3 check and the CLI ---------------------------------------------------------------------------


def test_check_prefixes_each_problem_with_the_zip_and_summarises(tmp_path, capsys):
    good = valid_zip(tmp_path)
    bad = make_zip(tmp_path / "bad.zip", valid_members() | {"notes.txt": b""})
    assert check_main([good, bad, "--repo", str(REPO)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{good}: ok ({PDF_NAME}: 1 page(s))"
    assert all(line.startswith(f"{bad}: ") for line in lines[1:-1]) and len(lines) == 4
    assert lines[-1] == "hw3 check: 1 of 2 zip(s) valid"


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: str(tmp / "absent.zip"),
        lambda tmp: str(tmp),
        lambda tmp: str((tmp / ZIP_NAME).write_bytes(b"hello") and tmp / ZIP_NAME),
    ],
)
def test_check_bad_input_is_one_line_not_a_traceback(tmp_path, capsys, make):
    path = make(tmp_path)
    assert check_main([path, "--repo", str(REPO)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{path}: ")


def test_pack_and_check_are_registered_verbs(tmp_path, monkeypatch, capsys):
    assert {"pack", "check"} <= set(cli.VERBS)
    monkeypatch.chdir(write_sources(tmp_path))
    repo = ["--repo", str(REPO)]
    assert cli.main(["pack", "--student-number", STUDENT_NUMBER, "--name", FULL_NAME, *repo]) == 0
    assert cli.main(["check", ZIP_NAME, *repo]) == 0


def test_pack_and_check_outside_the_repository_say_to_pass_repo(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_sources(tmp_path))
    assert cli.main(["pack", "--student-number", STUDENT_NUMBER, "--name", FULL_NAME]) == 2
    assert cli.main(["check", ZIP_NAME]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all("pass --repo DIR" in line for line in err)
    assert not (tmp_path / ZIP_NAME).exists()
