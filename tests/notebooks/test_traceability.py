"""Every requirement the masters' prose states is tagged, checked by a hidden test, and shown to students;
every hidden test checks a stated requirement; AUTHORING.md's table of them is the generated one."""

import nbformat
import pytest
import traceability
from support import ASSIGNMENTS, REPOSITORY, released

from hw3.grading.auto.autograder_info import read_autograder


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_requirement_is_tagged_and_checked_and_every_hidden_test_checks_one(name):
    problems = traceability.problems(name, REPOSITORY.master(name))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_parser_finds_every_hidden_test_the_autograder_runs(name):
    info = read_autograder(released("autograder", name).with_name(f"{name}-autograder.zip"))
    graded = {
        q: [c.name for c in question.cases if c.hidden] for q, question in info.questions.items()
    }
    traced = {
        q.name: [t.name for t in q.tests] for q in traceability.questions(REPOSITORY.master(name))
    }
    assert traced == graded


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_students_see_every_requirement_id(name):
    student = nbformat.read(released("student", name), as_version=4)
    text = "\n".join(cell.source for cell in student.cells)
    ids = {i for q in traceability.questions(REPOSITORY.master(name)) for i in q.requirements()}
    assert ids and not {i for i in ids if f"[{i}]" not in text}


def test_authoring_requirements_table_is_the_generated_one():
    text = traceability.AUTHORING.read_text(encoding="utf-8")
    assert traceability.authoring_with_table(text) == text, (
        "reference/AUTHORING.md's requirements table is stale: run python tests/traceability.py write"
    )


def synthetic_master(path, prose, docstring, tests):
    """A one-question master: `prose` in its markdown, `docstring` on its answer, `tests` its test cells."""
    cells = [
        nbformat.v4.new_raw_cell("# BEGIN QUESTION\nname: q1_demo\npoints: 1"),
        nbformat.v4.new_markdown_cell(prose),
        nbformat.v4.new_raw_cell("# BEGIN SOLUTION"),
        nbformat.v4.new_code_cell(f'def f(x):\n    """{docstring}"""\n    return x'),
        nbformat.v4.new_raw_cell("# END SOLUTION"),
        nbformat.v4.new_raw_cell("# BEGIN TESTS"),
        *(nbformat.v4.new_code_cell(t) for t in tests),
        nbformat.v4.new_raw_cell("# END TESTS"),
        nbformat.v4.new_raw_cell("# END QUESTION"),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nbformat.write(nb, path)
    return path


def hidden(name, declared=""):
    line = f"    # requirements: {declared}\n" if declared else ""
    return f'""" # BEGIN TEST CONFIG\nhidden: true\npoints: 1\n""" # END TEST CONFIG\ndef {name}(f):\n{line}    pass'


def test_checker_reports_each_kind_of_gap(tmp_path):
    master = synthetic_master(
        tmp_path / "demo.ipynb",
        "Write `f(x)`. It returns a float32 tensor of shape `(N,)` [q1.dtype]. Ties must be kept. "
        "Negative sizes raise `ValueError` [q1.negative]. The sizes are `(B, T)`.",
        "x: (N,) -> (N,) float32 [q1.dtype]",
        [
            hidden("test_dtype", "[q1.dtype]"),
            hidden("test_nothing"),
            hidden("test_unknown", "[q1.dtype] [q1.elsewhere]"),
            '""" # BEGIN TEST CONFIG\npoints: 0\n""" # END TEST CONFIG\ndef test_public(f):\n    pass',
        ],
    )
    problems = traceability.problems("demo", master)
    assert problems == [
        "demo q1_demo: no hidden test checks [q1.negative]",
        "demo q1_demo: test_nothing declares no requirement",
        "demo q1_demo: test_unknown names [q1.elsewhere], which the prose does not define",
        "demo q1_demo: untagged requirement (demo.ipynb cell 1): Ties must be kept.",
        "demo q1_demo: untagged requirement (demo.ipynb cell 1): The sizes are `(B, T)`.",
    ]


def test_a_traced_master_has_no_problems_and_its_table_names_the_tests(tmp_path):
    master = synthetic_master(
        tmp_path / "demo.ipynb",
        "Write `f(x)`: it returns `x` unchanged [q1.same]. Explanations need no tag.",
        "x -> x [q1.same]",
        [hidden("test_f_returns_its_input", "[q1.same]")],
    )
    assert traceability.problems("demo", master) == []
    (question,) = traceability.questions(master)
    assert question.checked_by("q1.same") == ["test_f_returns_its_input"]
