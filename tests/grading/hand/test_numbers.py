"""The one rule for a written score or adjustment (numbers.py), which the packet's script follows too
(test_packet_browser.py runs the same table through it)."""

import pytest
from packet_fixtures import NUMBER_CASES

from hw3.grading.hand.numbers import parse_number


@pytest.mark.parametrize("text, value", NUMBER_CASES.items())
def test_a_score_is_a_plain_decimal_in_ascii_or_persian_digits(text, value):
    got, why = parse_number(text)
    assert got == value and bool(why) == (value is None)


def test_blank_is_not_graded_rather_than_refused():
    assert parse_number("  ") == (None, "")
