"""reference/theory/rubric.toml: one rubric per handout item, 2 to 4 rubric items whose points add up to
the item's points in reference/course.toml, stable ids, and common mistakes; malformed files are refused
with one line."""

from fractions import Fraction

import pytest
import tomllib
from support import REPOSITORY
from theory.handout import ITEMS

from hw3.theory.rubric import RUBRIC_NAME, RubricError, read_rubric

RUBRIC = REPOSITORY.theory / RUBRIC_NAME
COURSE = REPOSITORY.reference / "course.toml"
ITEM_NAMES = [f"{group} ({n})" for group, n in ITEMS]
RUBRIC_ITEMS_PER_ITEM = range(2, 5)  # 2 to 4 things that earn points
GOOD_ITEM = '{ id = "formula", points = 1, text = "States the formula" }'


@pytest.fixture(scope="module")
def rubrics():
    return read_rubric(RUBRIC)


@pytest.fixture(scope="module")
def course_points():
    return tomllib.loads(COURSE.read_text(encoding="utf-8"))["theory"]["points"]


def test_every_handout_item_has_a_rubric_in_the_handouts_order(rubrics):
    assert list(rubrics) == ITEM_NAMES


@pytest.mark.parametrize("item", ITEM_NAMES)
def test_rubric_points_add_up_to_the_items_points_in_the_course_settings(
    rubrics, course_points, item
):
    # Decimal points added exactly: 0.4 + 0.3 + 0.3 is 1, whatever binary floats make of it.
    total = sum(Fraction(str(c.points)) for c in rubrics[item].items)
    assert total == Fraction(str(course_points[item])), (
        f"{item}: rubric {float(total)}, course.toml {course_points[item]}"
    )


@pytest.mark.parametrize("item", ITEM_NAMES)
def test_rubric_has_two_to_four_items_with_unique_ids_and_common_mistakes(rubrics, item):
    rubric = rubrics[item]
    assert len(rubric.items) in RUBRIC_ITEMS_PER_ITEM
    assert len({c.id for c in rubric.items}) == len(rubric.items)
    assert rubric.mistakes, f"{item}: no common mistakes listed"
    assert not any(c.text.endswith(".") for c in rubric.items), (
        f"{item}: a rubric text is one sentence without a final period (the PDF lists them)"
    )


@pytest.mark.parametrize(
    "body, message",
    [
        (
            'items = [ { id = "Formula", points = 1, text = "x" } ]',
            "use lower-case letters, digits, _",
        ),
        ('items = [ { id = "a", points = 0, text = "x" } ]', "give a positive number"),
        ('items = [ { id = "a", points = 1 } ]', "{ id = ..., points = ..., text = ... }"),
        (f"items = [ {GOOD_ITEM}, {GOOD_ITEM} ]", "ids must be unique"),
        (
            f'items = [ {GOOD_ITEM} ]\nmistakes = "one"',
            "mistakes: give a list of non-empty strings",
        ),
        ("points = 1", "unknown key 'points': use items, mistakes"),
    ],
)
def test_malformed_rubric_is_refused_with_one_line_naming_file_and_item(tmp_path, body, message):
    path = tmp_path / RUBRIC_NAME
    path.write_text(f'["1.1.1 (1)"]\n{body}\n', encoding="utf-8")
    with pytest.raises(RubricError) as error:
        read_rubric(path)
    text = str(error.value)
    assert message in text and str(path) in text and '["1.1.1 (1)"]' in text
    assert "\n" not in text
