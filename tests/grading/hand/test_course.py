"""The course settings (reference/course.toml and each notebook's assignment.toml): the handout's points,
checked against the masters, the release and the theory answers."""

import re

import nbformat
import pytest
from support import ASSIGNMENTS, REPO, REPOSITORY
from theory.handout import HANDOUT_ITEM_COUNT, ITEMS

from hw3.grading.auto.assignments import load_assignments
from hw3.grading.hand.course import CourseError, check_release, load_course
from hw3.grading.hand.packet import check_regions, rubric_texts

COURSE_PATH = REPO / "reference" / "course.toml"
HANDOUT_PART_POINTS = 30  # each coding challenge, as the handout gives it
DEFAULT_ITEM_POINTS = 1.0  # the handout gives no split of the theory points
QUESTION_HEADER = re.compile(r"^# BEGIN QUESTION\s*$", re.MULTILINE)


def master_manual_questions(name: str) -> dict[str, float]:
    """{question: points} of the `manual: true` questions of a master, in notebook order."""
    found = {}
    for cell in nbformat.read(REPOSITORY.master(name), as_version=4).cells:
        if cell.cell_type == "raw" and QUESTION_HEADER.search(cell.source):
            config = dict(
                line.split(":", 1) for line in cell.source.splitlines()[1:] if ":" in line
            )
            config = {k.strip(): v.strip() for k, v in config.items()}
            if config.get("manual") == "true":
                found[config["name"]] = float(config["points"])
    return found


@pytest.fixture(scope="module")
def course():
    return load_course(COURSE_PATH)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_course_manual_questions_and_points_are_the_masters(course, name):
    assert course.manual[name] == master_manual_questions(name)


def test_each_notebook_sums_to_the_handouts_thirty_points_with_the_release(course):
    assignments, _ = load_assignments(REPO)
    automatic = {a.name: a.max_points for a in assignments}
    check_release(course, automatic)
    check_regions(course, assignments)
    assert course.parts == {name: HANDOUT_PART_POINTS for name in ASSIGNMENTS}
    assert {
        name: automatic[name] + course.manual_points(name) for name in automatic
    } == course.parts


def test_theory_items_are_the_handouts_at_one_point_each_with_a_reference_answer(course):
    assert list(course.theory) == [f"{group} ({n})" for group, n in ITEMS]
    assert set(course.theory.values()) == {DEFAULT_ITEM_POINTS}
    assert course.theory_total == HANDOUT_ITEM_COUNT * DEFAULT_ITEM_POINTS
    texts = rubric_texts(course.answers.read_text(encoding="utf-8"), list(course.theory))
    assert [item for item in course.theory if not texts.get(item)] == []


def test_a_release_that_disagrees_with_the_course_is_one_line_naming_the_part(course):
    with pytest.raises(CourseError) as caught:
        check_release(course, {"hafez": 26.0})
    message = str(caught.value)
    assert "hafez/assignment.toml: points = 30" in message and "26" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "edit, says",
    [
        (("[theory]", "[parts]\nhafez = 30\n\n[theory]"), "[parts]: each notebook's points"),
        (('"1.1.1 (1)" = 1', '"1.1.1 (1)" = 0'), '[theory.points] "1.1.1 (1)" = 0'),
        (('"1.1.1 (1)" = 1', '"1.1.1a" = 1'), '"1.1.1a"'),
        (('answers = "theory/answers.md"', ""), "[theory] answers"),
        (("[theory.points]", "[theory.points"), "not valid TOML"),
    ],
)
def test_a_broken_course_file_is_one_line_naming_the_key(tmp_path, edit, says):
    text = COURSE_PATH.read_text(encoding="utf-8")
    assert edit[0] in text
    path = tmp_path / "course.toml"
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(CourseError) as caught:
        load_course(path, REPOSITORY.registry())
    assert (
        says in str(caught.value)
        and str(path) in str(caught.value)
        and "\n" not in str(caught.value)
    )
