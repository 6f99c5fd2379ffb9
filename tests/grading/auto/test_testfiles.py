"""Test files on the trusted side: probes are replaced by stubs that ship only inputs, checks stay here."""

import zipfile

import pytest
from support import REPO

from hw3.grading.auto import testfiles
from hw3.grading.auto.testfiles import TestFileError, load, read_test_files

TEST_FILE = """
from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 3

@test_case(points=1, hidden=False)
def test_public(double):
    import math

    class Box:
        def __init__(self, value):
            self.value = value

    def helper_only_for_the_check(x):
        return 2 * x

    def probe(double):
        return double(Box(2).value), math.pi

    got, _ = probe(double)
    assert got == helper_only_for_the_check(2), f"got {got}"

@test_case(points=2, hidden=True)
def test_hidden(double, half):
    def probe_one(double, half, x):
        return half(double(x))

    assert probe_one(double, half, 3) == 3
"""


def shipped() -> tuple[list, object]:
    """(every (function, source) a stub was made for, the loaded test file) of TEST_FILE."""
    made = []

    def remote(function, source):
        made.append((function, source))
        return lambda *args: (4, 3.14) if function == "probe" else 3

    return made, load("q1", TEST_FILE, remote)


def test_cases_keep_names_points_and_visibility_and_run_their_checks_here():
    _, test_file = shipped()
    assert test_file.question == "q1" and test_file.points == 3
    assert [(c.name, c.hidden, c.points, c.params) for c in test_file.cases] == [
        ("test_public", False, 1.0, ("double",)),
        ("test_hidden", True, 2.0, ("double", "half")),
    ]
    for case in test_file.cases:
        case.function(*case.params)  # the stubs' values pass both checks


def test_a_probe_travels_with_the_imports_and_fixtures_it_uses_and_nothing_else():
    made, test_file = shipped()
    for case in test_file.cases:
        case.function(
            *case.params
        )  # a stub is made when the test body reaches the probe's definition
    (function, source), (second, _) = made
    assert function == "probe" and second == "probe_one"
    assert "import math" in source and "class Box" in source and "def probe(double)" in source
    assert "helper_only_for_the_check" not in source and "assert" not in source


def test_the_packages_its_tests_import_are_known_so_the_harness_can_import_them_early():
    source = TEST_FILE.replace(
        "    import math\n", "    import math\n    import os.path\n    from numpy import pi\n"
    )
    test_file = load("q1", source, lambda function, source: None)
    assert test_file.packages == {"math", "os", "numpy"}, (
        "otter's own import is dropped, submodules count as their package"
    )


def test_a_probe_that_reads_a_variable_of_its_test_is_refused():
    leaky = TEST_FILE.replace("return half(double(x))", "return half(double(x + offset))").replace(
        "    def probe_one", "    offset = 1\n\n    def probe_one"
    )
    with pytest.raises(TestFileError, match="probe_one uses offset from the test"):
        load("q1", leaky, lambda function, source: None)


@pytest.mark.parametrize(
    "change, why",
    [
        (("@test_case(points=1, hidden=False)", "@test_case(hidden=False)"), "has no points"),
        (("def test_hidden(double, half):", "def test_hidden(env):"), "takes env"),
        (("points = 3", "points = 3\nall_or_nothing = True"), "all_or_nothing"),
    ],
)
def test_test_files_the_harness_cannot_run_faithfully_are_refused(change, why):
    with pytest.raises(TestFileError, match=why):
        load("q1", TEST_FILE.replace(*change), lambda function, source: None)


@pytest.mark.parametrize("name", ["hafez", "apple_stock"])
def test_every_released_test_file_loads_on_the_trusted_side(name):
    path = REPO / "autograder" / name / f"{name}-autograder.zip"
    files = read_test_files(path, lambda function, source: None)
    with zipfile.ZipFile(path) as zf:
        count = sum(
            1 for n in zf.namelist() if n.startswith(testfiles.TESTS_FOLDER) and n.endswith(".py")
        )
    assert len(files) == count and all(f.cases for f in files.values())
