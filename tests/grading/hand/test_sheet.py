"""manual_scores.csv: its columns, the empty copy, and each problem of a filled one as one line
naming row and column."""

import csv
import io

import pytest
from support import REPO

from hw3.grading.hand.course import load_course
from hw3.grading.hand.sheet import (
    SheetError,
    SheetRow,
    empty_sheet,
    make_sheet,
    read_scores,
    write_empty,
)

COURSE = load_course(REPO / "reference" / "course.toml")
ROWS = [
    SheetRow("DL_HW3__4015210001__Ali", "4015210001", "Ali"),
    SheetRow("DL_HW3__4015210002__Sara", "4015210002", "Sara"),
]
SHEET = make_sheet(COURSE, ["hafez", "apple_stock"], ROWS)
MANUAL_COLUMNS = 4  # hafez q8; apple q7, q8, q9
THEORY_ITEMS = 20


def filled(edit=None) -> str:
    """The empty sheet with Ali's hafez q8 at 2.5 and a comment, passed through `edit(records)`."""
    records = list(csv.reader(io.StringIO(empty_sheet(SHEET))))
    records[1][3], records[1][4] = "2.5", "Good numbers, no gradient argument."
    if edit:
        edit(records)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(records)
    return buffer.getvalue()


def test_the_sheet_has_a_score_and_a_comment_column_per_question_and_item():
    header = SHEET.header
    assert header[:5] == [
        "submission",
        "student_number",
        "full_name",
        "hafez_q8_compare",
        "hafez_q8_compare_comment",
    ]
    assert "theory_1.1.1_1" in header and "theory_1.2.4_2_comment" == header[-1]
    assert len(header) == 3 + 2 * (MANUAL_COLUMNS + THEORY_ITEMS)


def test_blank_scores_are_missing_never_zero(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(filled(), encoding="utf-8")
    scores = read_scores(path, SHEET)
    assert scores.scores["DL_HW3__4015210001__Ali"] == {"hafez_q8_compare": 2.5}
    assert scores.comments["DL_HW3__4015210001__Ali"]["hafez_q8_compare"].startswith("Good numbers")
    missing = scores.missing(SHEET)
    assert len(missing["DL_HW3__4015210001__Ali"]) == MANUAL_COLUMNS + THEORY_ITEMS - 1
    assert len(missing["DL_HW3__4015210002__Sara"]) == MANUAL_COLUMNS + THEORY_ITEMS


def test_a_spreadsheets_byte_order_mark_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_bytes(b"\xef\xbb\xbf" + filled().replace("\n", "\r\n").encode())
    assert read_scores(path, SHEET).scores["DL_HW3__4015210001__Ali"] == {"hafez_q8_compare": 2.5}


def set_cell(row, column, value):
    def edit(records):
        records[row][records[0].index(column) if isinstance(column, str) else column] = value

    return edit


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
            set_cell(1, "apple_stock_q7_plot", "nan"),
            "row 2, column apple_stock_q7_plot: 'nan' is not a number",
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
            "row 1: the header has 50 columns where 51 are expected",
        ),
        (
            set_cell(2, "student_number", "4015210001"),
            "row 3, column student_number: '4015210001', but submission",
        ),
        (lambda records: records[2].pop(), "row 3: 50 cells where the header has 51"),
    ],
)
def test_each_problem_is_one_line_naming_its_row_and_column(tmp_path, edit, says):
    path = tmp_path / "scores.csv"
    path.write_text(filled(edit), encoding="utf-8")
    with pytest.raises(SheetError) as caught:
        read_scores(path, SHEET)
    assert caught.value.problems == [str(caught.value)], "one problem, one line"
    assert says in str(caught.value) and str(path) in str(caught.value)


def test_every_problem_is_listed_not_only_the_first(tmp_path):
    def edit(records):
        set_cell(1, "hafez_q8_compare", "9")(records)
        set_cell(2, "theory_1.2.4_2", "x")(records)

    path = tmp_path / "scores.csv"
    path.write_text(filled(edit), encoding="utf-8")
    with pytest.raises(SheetError) as caught:
        read_scores(path, SHEET)
    assert len(caught.value.problems) == 2 and len(str(caught.value).splitlines()) == 2


def test_the_empty_sheet_is_replaced_but_never_one_holding_grades(tmp_path):
    path = tmp_path / "manual_scores.csv"
    assert write_empty(path, SHEET) and path.read_text() == empty_sheet(SHEET)
    assert write_empty(
        path, make_sheet(COURSE, ["hafez", "apple_stock"], ROWS[:1])
    )  # still empty: rewritten
    path.write_text(filled(), encoding="utf-8")
    assert not write_empty(path, SHEET)
    assert path.read_text(encoding="utf-8") == filled()
