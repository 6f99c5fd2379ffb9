"""manual_scores.csv: its columns, the empty copy, marks kept as rubric items plus an adjustment, old files
without those columns, several files put together, and each problem of a filled one as one line naming
row and column."""

import csv
import io

import pytest
from packet_fixtures import COURSE as COURSE_FILE
from packet_fixtures import fixture_rubrics

from hw3.grading.hand.course import load_course
from hw3.grading.hand.sheet import (
    SheetError,
    SheetRow,
    make_sheet,
    read_all,
    read_scores,
    sheet_text,
    write_empty,
)

COURSE = load_course(COURSE_FILE)
ROWS = [
    SheetRow("DL_HW3__4015210001__Ali", "4015210001", "Ali"),
    SheetRow("DL_HW3__4015210002__Sara", "4015210002", "Sara"),
]
ALI, SARA = (r.submission for r in ROWS)
RUBRICS = fixture_rubrics()
SHEET = make_sheet(COURSE, ["hafez", "apple_stock"], ROWS, RUBRICS)
MANUAL_COLUMNS = 4  # hafez q8; apple q7, q8, q9
THEORY_ITEMS = 20
SCORE_COLUMNS = MANUAL_COLUMNS + THEORY_ITEMS
ANSWERS = {r.submission: {c.name: f"hash-{r.student_number}" for c in SHEET.columns} for r in ROWS}


def empty() -> str:
    return sheet_text(SHEET, {}, ANSWERS)


def filled(edit=None, legacy=False) -> str:
    """The empty sheet with Ali's hafez q8 at 2.5 and a comment, passed through `edit(records)`."""
    records = list(csv.reader(io.StringIO(empty())))
    if legacy:
        records = [r[: len(SHEET.legacy_header)] for r in records]
    header = records[0]
    records[1][header.index("hafez_q8_compare")] = "2.5"
    records[1][header.index("hafez_q8_compare_comment")] = "Good numbers, no gradient argument."
    if edit:
        edit(records)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(records)
    return buffer.getvalue()


def set_cell(row, column, value):
    def edit(records):
        records[row][records[0].index(column) if isinstance(column, str) else column] = value

    return edit


def write(tmp_path, text, name="scores.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_old_columns_come_first_then_rubric_adjustment_and_answer_per_score_column():
    header = SHEET.header
    assert header[:5] == [
        "submission",
        "student_number",
        "full_name",
        "hafez_q8_compare",
        "hafez_q8_compare_comment",
    ]
    assert header[: len(SHEET.legacy_header)] == SHEET.legacy_header
    assert SHEET.legacy_header[-1] == "theory_1.2.4_2_comment"
    assert header[len(SHEET.legacy_header) :][:3] == [
        "hafez_q8_compare_rubric",
        "hafez_q8_compare_adjust",
        "hafez_q8_compare_answer",
    ]
    assert len(header) == 3 + 5 * SCORE_COLUMNS


def test_the_empty_sheet_holds_the_current_answer_hashes_and_nothing_else():
    records = list(csv.DictReader(io.StringIO(empty())))
    assert records[0]["hafez_q8_compare_answer"] == "hash-4015210001"
    assert all(records[1][c.name] == "" and records[1][c.applied] == "" for c in SHEET.columns)


def test_blank_scores_are_not_marks_never_zero(tmp_path):
    scores = read_scores(write(tmp_path, filled()), SHEET)
    assert list(scores.marks) == [ALI] and list(scores.marks[ALI]) == ["hafez_q8_compare"]
    mark = scores.marks[ALI]["hafez_q8_compare"]
    assert mark.score(SHEET.column("hafez_q8_compare").rubric) == 2.5
    assert mark.comment.startswith("Good numbers") and mark.answer == "hash-4015210001"


def test_applied_items_score_the_rubrics_current_points_plus_the_adjustment(tmp_path):
    edit = lambda r: (  # noqa: E731
        set_cell(1, "hafez_q8_compare_rubric", "perplexities gradient_paths")(r),
        set_cell(1, "hafez_q8_compare_adjust", "-0.5")(r),
    )
    mark = read_scores(write(tmp_path, filled(edit)), SHEET).marks[ALI]["hafez_q8_compare"]
    column = SHEET.column("hafez_q8_compare")
    assert mark.applied == ("perplexities", "gradient_paths") and mark.adjust == -0.5
    assert mark.score(column.rubric) == 0.5 + 1.5 - 0.5
    assert mark.written == 2.5  # what the file said is kept, the rubric decides


def test_a_file_from_before_rubrics_still_loads_its_scores_as_given(tmp_path):
    scores = read_scores(write(tmp_path, filled(legacy=True)), SHEET)
    mark = scores.marks[ALI]["hafez_q8_compare"]
    assert scores.legacy and mark.applied == () and mark.adjust == 2.5 and mark.answer == ""


def test_a_spreadsheets_byte_order_mark_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_bytes(b"\xef\xbb\xbf" + filled().replace("\n", "\r\n").encode())
    assert read_scores(path, SHEET).marks[ALI]["hafez_q8_compare"].adjust == 2.5


@pytest.mark.parametrize(
    "edit, says",
    [
        (
            set_cell(1, "hafez_q8_compare", "4"),
            "row 2, column hafez_q8_compare: 4 is out of range: write a number from 0 to 3",
        ),
        (set_cell(2, "theory_1.1.1_1", "-1"), "row 3, column theory_1.1.1_1: -1 is out of range"),
        (
            set_cell(1, "apple_stock_q7_plot", "1,5"),
            "row 2, column apple_stock_q7_plot: '1,5' is not a number",
        ),
        (
            set_cell(1, "apple_stock_q7_plot", "0.5_0"),
            "row 2, column apple_stock_q7_plot: '0.5_0' is not a number",
        ),
        (
            set_cell(1, "apple_stock_q7_plot", "nan"),
            "row 2, column apple_stock_q7_plot: 'nan' is not a number",
        ),
        (
            set_cell(1, "hafez_q8_compare_rubric", "perplexities typo"),
            "row 2, column hafez_q8_compare_rubric: 'typo' is not an item of the rubric of hafez q8_compare",
        ),
        (
            set_cell(1, "hafez_q8_compare_rubric", "winner winner"),
            "row 2, column hafez_q8_compare_rubric: an item is applied twice",
        ),
        (
            lambda r: (
                set_cell(1, "hafez_q8_compare_rubric", "gradient_paths")(r),
                set_cell(1, "hafez_q8_compare_adjust", "2")(r),
            ),
            "row 2, column hafez_q8_compare: the items applied (gradient_paths) and the adjustment give 3.5",
        ),
        (
            set_cell(2, "submission", "DL_HW3__4019999999__Nobody"),
            "row 3, column submission: 'DL_HW3__4019999999__Nobody' is not a submission of this run",
        ),
        (
            lambda records: records.append(list(records[1])),
            "row 4, column submission: 'DL_HW3__4015210001__Ali' is already on row 2",
        ),
        (
            set_cell(0, 3, "hafez_q8"),
            "row 1, column 4: header 'hafez_q8' where 'hafez_q8_compare' is expected",
        ),
        (
            lambda records: [r.pop() for r in records],
            "row 1: the header has 122 columns where 123 are expected",
        ),
        (
            set_cell(2, "student_number", "4015210001"),
            "row 3, column student_number: '4015210001', but submission",
        ),
        (lambda records: records[2].pop(), "row 3: 122 cells where the header has 123"),
    ],
)
def test_each_problem_is_one_line_naming_its_row_and_column(tmp_path, edit, says):
    path = write(tmp_path, filled(edit))
    with pytest.raises(SheetError) as caught:
        read_scores(path, SHEET)
    assert caught.value.problems == [str(caught.value)], "one problem, one line"
    assert says in str(caught.value) and str(path) in str(caught.value)


def test_every_problem_is_listed_not_only_the_first(tmp_path):
    def edit(records):
        set_cell(1, "hafez_q8_compare", "9")(records)
        set_cell(2, "theory_1.2.4_2", "x")(records)

    with pytest.raises(SheetError) as caught:
        read_scores(write(tmp_path, filled(edit)), SHEET)
    assert len(caught.value.problems) == 2 and len(str(caught.value).splitlines()) == 2


def test_two_tas_files_on_different_cells_merge_into_one(tmp_path):
    one = write(tmp_path, filled(), "hafez_ta.csv")
    two = write(
        tmp_path,
        filled(
            lambda r: (
                set_cell(1, "hafez_q8_compare", "")(r),
                set_cell(1, "hafez_q8_compare_comment", "")(r),
                set_cell(2, "theory_1.1.1_1_rubric", "definition")(r),
            )
        ),
        "theory_ta.csv",
    )
    scores = read_all([one, two], SHEET)
    assert set(scores.marks[ALI]) == {"hafez_q8_compare"} and set(scores.marks[SARA]) == {
        "theory_1.1.1_1"
    }
    assert scores.sources == [one, two]


def test_two_files_giving_one_cell_differently_list_the_conflict_and_give_nothing(tmp_path):
    one = write(tmp_path, filled(), "a.csv")
    two = write(tmp_path, filled(set_cell(1, "hafez_q8_compare", "1.5")), "b.csv")
    with pytest.raises(SheetError) as caught:
        read_all([one, two], SHEET)
    text = str(caught.value)
    assert "conflicting scores, nothing was written" in text
    assert f"{two}: row 2 and {one}: row 2: {ALI!r}, column hafez_q8_compare" in text
    assert "score 2.5" in text and "score 1.5" in text
    assert (
        read_all([one, one], SHEET).marks[ALI]["hafez_q8_compare"].adjust == 2.5
    )  # same: no conflict


def test_the_empty_sheet_is_replaced_but_never_one_holding_grades(tmp_path):
    path = tmp_path / "manual_scores.csv"
    assert write_empty(path, SHEET, ANSWERS) and path.read_text() == empty()
    smaller = make_sheet(COURSE, ["hafez", "apple_stock"], ROWS[:1], RUBRICS)
    assert write_empty(path, smaller, ANSWERS)  # answer hashes alone are not grades: rewritten
    path.write_text(filled(), encoding="utf-8")
    assert not write_empty(path, SHEET, ANSWERS)
    assert path.read_text(encoding="utf-8") == filled()
