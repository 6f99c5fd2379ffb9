"""The rubric files: the committed notebook rubrics against the course and the release, and the loader's
one-line refusals of a rubric that cannot be used (on fixture files, never the theory rubric)."""

import pytest
from packet_fixtures import course_with_theory_rubric
from support import REPO

from hw3.grading.auto.assignments import load_assignments
from hw3.grading.hand.course import load_course
from hw3.grading.hand.rubric import RubricError, check_evidence, load_rubrics

NOTEBOOKS = ["hafez", "apple_stock"]


@pytest.fixture(scope="module")
def assignments():
    return load_assignments(REPO)[0]


def test_committed_notebook_rubrics_add_up_and_name_real_cells_and_questions(assignments):
    course = load_course(REPO / "reference" / "course.toml")
    rubrics = load_rubrics(course, NOTEBOOKS)
    for name in NOTEBOOKS:
        for question, points in course.manual[name].items():
            rubric = rubrics.get(name, question)
            assert sum(i.points for i in rubric.items) == points and rubric.mistakes, question
            assert rubric.evidence and rubric.related, question
    check_evidence(rubrics, assignments)


def test_a_theory_rubric_in_the_shared_format_loads_beside_the_course(tmp_path):
    course = load_course(course_with_theory_rubric(tmp_path))
    rubrics = load_rubrics(course, NOTEBOOKS)
    assert rubrics.missing == [] and len(rubrics.files) == 3
    assert [i.id for i in rubrics.get("theory", "1.2.2 (3)").items] == ["definition", "reason"]


@pytest.mark.parametrize(
    "old, new, says",
    [
        (
            'id = "winner", points = 0.5',
            'id = "winner", points = 0.25',
            "the items add up to 2.75 points",
        ),
        ('id = "winner"', 'id = "perplexities"', "id 'perplexities' is used twice"),
        ('id = "winner"', 'id = "Winner!"', "id 'Winner!': use lower-case letters"),
        ("points = 0.5, text", "points = -0.5, text", "points = -0.5: give a positive number"),
        ("[q8_compare]", "[q8_comparison]", "[q8_comparison]: not a hand-graded question of hafez"),
        ("related = [", "see_also = [", "unknown key 'see_also'"),
    ],
)
def test_a_broken_rubric_is_refused_with_one_line_naming_the_key(tmp_path, old, new, says):
    course_path = course_with_theory_rubric(tmp_path)
    rubric = tmp_path / "hafez" / "rubric.toml"
    text = rubric.read_text(encoding="utf-8")
    assert old in text
    rubric.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RubricError) as caught:
        load_rubrics(load_course(course_path), NOTEBOOKS)
    assert says in str(caught.value) and str(rubric) in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1


@pytest.mark.parametrize(
    "old, new, says",
    [
        ('evidence = ["COMPARE_STEPS = 600"]', 'evidence = ["print(x)"]', "matches 0 code cells"),
        (
            'related = ["q5_train", "q6_perplexity"]',
            'related = ["q99"]',
            "related 'q99': not an autograded",
        ),
    ],
)
def test_evidence_and_related_questions_must_exist_in_the_release(
    tmp_path, assignments, old, new, says
):
    course_path = course_with_theory_rubric(tmp_path)
    rubric = tmp_path / "hafez" / "rubric.toml"
    rubric.write_text(rubric.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    rubrics = load_rubrics(load_course(course_path), NOTEBOOKS)
    with pytest.raises(RubricError) as caught:
        check_evidence(rubrics, assignments)
    assert says in str(caught.value)


def test_without_a_rubric_file_the_questions_have_no_items_and_that_is_said(tmp_path):
    course_path = course_with_theory_rubric(tmp_path)
    (tmp_path / "theory" / "rubric.toml").unlink()
    rubrics = load_rubrics(load_course(course_path), NOTEBOOKS)
    assert rubrics.missing == [tmp_path / "theory" / "rubric.toml"]
    assert rubrics.get("theory", "1.1.1 (1)").items == ()
