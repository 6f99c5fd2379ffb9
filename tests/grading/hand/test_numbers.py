"""The one rule for a written score or adjustment (numbers.py), which the packet's script follows too
(test_packet_browser.py runs the same table through it)."""

import pytest

from hw3.grading.hand.numbers import parse_number

# text -> the number it is, or None when it is refused (blank is neither: not graded)
NUMBER_CASES = {
    "0.5": 0.5,
    "2": 2.0,
    "1.": 1.0,
    ".5": 0.5,
    " 1.5 ": 1.5,
    "-1": -1.0,
    "−0.5": -0.5,
    "+0.25": 0.25,
    "۰.۵": 0.5,
    "۰٫۵": 0.5,
    "٣": 3.0,
    "5e-1": None,
    "0.5_0": None,
    "1,5": None,
    "nan": None,
    "inf": None,
    "1..2": None,
    "--1": None,
    "½": None,
    "0x1": None,
}


@pytest.mark.parametrize("text, value", NUMBER_CASES.items())
def test_a_score_is_a_plain_decimal_in_ascii_or_persian_digits(text, value):
    got, why = parse_number(text)
    assert got == value and bool(why) == (value is None)


def test_blank_is_not_graded_rather_than_refused():
    assert parse_number("  ") == (None, "")
