"""The registry of assignments (reference/<name>/assignment.toml): what it declares, that every list of
notebooks the tools keep is derived from it, and that a broken declaration is one line naming the file
and the key."""

import ast
import shutil

import nbformat
import pytest
import yaml
from support import ASSIGNMENTS, EXPECTED_SCORES, REPO, REPOSITORY

from hw3.bench.cli import bench_hook
from hw3.grading.auto.assignments import load_assignments, submission_notebooks
from hw3.grading.auto.gradebook import columns
from hw3.grading.hand.course import load_course
from hw3.registry import (
    DECLARATION,
    RegistryError,
    copy_declarations,
    load_registry,
    release_registry,
)
from hw3.release.assign import writer
from hw3.similarity.pool import load_pools
from hw3.submission.standalone import NOTEBOOKS_NAME

REGISTRY = REPOSITORY.registry()
COURSE_ORDER = ("hafez", "apple_stock")  # the handout's order


def submit_py_notebooks() -> tuple:
    """The NOTEBOOKS literal `hw3 release` wrote into the committed student/submit.py."""
    tree = ast.parse((REPO / "student" / "submit.py").read_text(encoding="utf-8"))
    (value,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == NOTEBOOKS_NAME
    ]
    return ast.literal_eval(value)


def test_the_registry_declares_both_notebooks_in_the_handouts_order():
    assert REGISTRY.names == COURSE_ORDER == ASSIGNMENTS
    assert REGISTRY.notebooks == tuple(f"{name}.ipynb" for name in COURSE_ORDER)
    hafez, apple = REGISTRY["hafez"], REGISTRY["apple_stock"]
    assert [d.writer for d in hafez.data] == ["hw3.datasets.corpus:write_corpus"]
    assert [(d.path, d.copy) for d in apple.data] == [
        ("data/aapl_daily.csv", "data/aapl_daily.csv")
    ]
    assert callable(writer(hafez, hafez.data[0]))
    assert [bench_hook(d).__name__ for d in REGISTRY] == [
        "hw3.bench.hafez",
        "hw3.bench.apple_stock",
    ]


def test_every_list_of_notebooks_the_tools_keep_is_the_registrys():
    names, notebooks = REGISTRY.names, REGISTRY.notebooks
    assignments, warnings = load_assignments(REPO)
    assert tuple(a.name for a in assignments) == names and warnings == []
    assert submission_notebooks(assignments) == notebooks == submit_py_notebooks()
    header = columns(assignments)
    assert [c for c in header if c.endswith("_total") and c != "max_total"] == [
        f"{name}_total" for name in names
    ]
    assert REPOSITORY.mastered_assignments() == list(names)
    course = load_course(REPO / "reference" / "course.toml")
    assert tuple(course.parts) == names
    assert course.manual == {d.name: d.manual for d in REGISTRY if d.manual}
    assert tuple(load_pools(REGISTRY)) == names


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_masters_otter_config_names_it_and_lists_the_declared_data(name):
    config = nbformat.read(REPOSITORY.master(name), as_version=4).cells[0].source
    config = yaml.safe_load(config.removeprefix("# ASSIGNMENT CONFIG"))
    assert config["name"] == name
    assert config["files"] == [data.path for data in REGISTRY[name].data]


def test_expected_scores_cover_each_declared_notebook_and_sum_to_its_points():
    assert set(EXPECTED_SCORES) == set(ASSIGNMENTS)
    for declaration in REGISTRY:
        automatic = sum(EXPECTED_SCORES[declaration.name]["max"].values())
        assert automatic + sum(declaration.manual.values()) == declaration.points, declaration.name


def copy_of_reference(tmp_path):
    """A reference folder with copies of the committed declarations (and pools)."""
    folder = tmp_path / "reference"
    copy_declarations(REGISTRY, list(REGISTRY.names), folder)
    return folder


@pytest.mark.parametrize(
    "name, edit, says",
    [
        (
            "hafez",
            ('name = "hafez"', 'name = "hafes"'),
            "name = 'hafes': must be its folder's name",
        ),
        ("hafez", ('name = "hafez"', 'name = "Hafez"'), "name = 'Hafez': give lower-case"),
        ("hafez", ("order = 1", "order = 2"), "order = 2:"),
        ("hafez", ("order = 1", "order = 0"), "order = 0: give its position"),
        ("hafez", ("points = 30", "points = -3"), "points = -3: give a positive number"),
        ("hafez", ("points = 30", 'points = "thirty"'), "points = 'thirty'"),
        ("hafez", ("points = 30", "pionts = 30"), "unknown key 'pionts'"),
        ("hafez", ("q8_compare = 3", "q8-compare = 3"), "[manual] q8-compare"),
        ("hafez", ("q8_compare = 3", "q8_compare = 0"), "[manual] q8_compare = 0"),
        ("hafez", ('path = "data/hafez.txt"', 'path = "/etc/passwd"'), "[[data]] #1 path"),
        ("hafez", ('path = "data/hafez.txt"', 'path = "../x.txt"'), "[[data]] #1 path"),
        ("apple_stock", ("copy = ", "# copy = "), "exactly one of writer"),
        ("hafez", ("writer = ", "writr = "), "unknown key 'writr'"),
        (
            "hafez",
            ('writer = "hw3.datasets.corpus:write_corpus"', 'writer = "x"'),
            "module:function",
        ),
        ("apple_stock", ("rebuild = ", "writer = "), "exactly one of writer"),
        ("hafez", ('bench = "hw3.bench.hafez"', 'bench = "hw3/bench"'), "bench = 'hw3/bench'"),
        ("hafez", ('title = "Divan Hafez"', 'title = ""'), "title"),
        ("hafez", ("[manual]", "[manual"), "not valid TOML"),
    ],
)
def test_a_broken_declaration_is_one_line_naming_the_file_and_key(tmp_path, name, edit, says):
    folder = copy_of_reference(tmp_path)
    file = folder / name / DECLARATION
    text = file.read_text(encoding="utf-8")
    assert edit[0] in text
    file.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(folder)
    message = str(caught.value)
    assert says in message and str(folder) in message and "\n" not in message, message


def test_without_declarations_the_error_says_how_to_add_one(tmp_path):
    with pytest.raises(RegistryError, match="Adding a homework"):
        load_registry(tmp_path)
    with pytest.raises(RegistryError, match="declared: hafez, apple_stock"):
        REGISTRY["toy"]


def test_a_release_made_elsewhere_carries_the_declarations_of_what_it_released(tmp_path):
    copy_declarations(REGISTRY, ["apple_stock"], tmp_path / "reference")
    carried = release_registry(tmp_path)
    assert carried.names == ("apple_stock",) and carried["apple_stock"].points == 30
    assert carried["apple_stock"].pool_file.read_bytes() == (
        REGISTRY["apple_stock"].pool_file.read_bytes()
    )


def test_a_course_file_kept_elsewhere_takes_the_release_declarations(tmp_path):
    course_file = tmp_path / "my-course.toml"
    shutil.copyfile(REPO / "reference" / "course.toml", course_file)
    with pytest.raises(RegistryError, match=f"{tmp_path}: no assignment declared"):
        load_course(course_file)
    course = load_course(course_file, REGISTRY)
    assert course.parts == {name: 30 for name in ASSIGNMENTS}
