"""Integrity flags (`integrity`) and the grader's reading of autograder tests (`autograder_info`)."""

import zipfile

import grade_fixtures as fx
import nbformat
import pytest

from hw3.common import answers
from hw3.grading.auto.autograder_info import parse_test_file, read_autograder
from hw3.grading.auto.integrity import CORE_BUILTINS, notebook_flags, provided_changes, scan_source

GUARDED = CORE_BUILTINS | {"next"}
STUDENT = fx.read("student")


def test_unchanged_and_reference_notebooks_raise_no_flag():
    assert notebook_flags(STUDENT, STUDENT) == []
    assert notebook_flags(STUDENT, fx.read("autograder")) == []


def provided_indices(nb):
    answer = {i for cells in answers.answer_cells(nb).values() for i in cells}
    return [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and i not in answer and c.source.strip()
    ]


def test_edited_and_deleted_provided_cells_are_named_by_released_cell_number():
    edited_at, deleted_at = provided_indices(STUDENT)[2], provided_indices(STUDENT)[4]
    nb = nbformat.from_dict(STUDENT)
    nb.cells[edited_at]["source"] += "\nx = 1  # my change"
    del nb.cells[deleted_at]
    assert provided_changes(STUDENT, nb) == ([edited_at + 1], [deleted_at + 1])
    flags = notebook_flags(STUDENT, nb)
    assert flags[:2] == [f"edited-provided({edited_at + 1})", f"deleted-provided({deleted_at + 1})"]


def test_added_cells_and_whitespace_changes_are_not_edits():
    nb = fx.with_cell(STUDENT, "print('my own scratch cell')")
    first = provided_indices(nb)[0]
    nb.cells[first]["source"] = "\n" + nb.cells[first].source.replace("\n", "   \n") + "\n\n"
    assert provided_changes(STUDENT, nb) == ([], [])


@pytest.mark.parametrize(
    "source, flag",
    [
        ("bool = lambda *a, **k: True", ("shadows-builtin", "bool")),
        ("def isinstance(*a):\n    return True", ("shadows-builtin", "isinstance")),
        ("def f():\n    global len\n    len = None", ("shadows-builtin", "len")),
        ("for next in range(3):\n    pass", ("shadows-builtin", "next")),
        ("globals()['abs'] = print", ("shadows-builtin", "abs")),
        (
            "from otter.test_files import OKTestFile\nOKTestFile.run = lambda *a: None",
            ("otter-internals", "OKTestFile"),
        ),
        ("import otter.execute", ("otter-internals", "otter.execute")),
        ("grader._ignore_errors = True", ("otter-internals", "grader._ignore_errors")),
        (
            "get_ipython().events.register('post_run_cell', print)",
            ("otter-internals", "get_ipython().events"),
        ),
        ("import builtins\nbuiltins.print = None", ("builtins", "builtins")),
        ("__builtins__.len = None", ("builtins", "__builtins__")),
        ("open('../tests/q1_vocab.py').read()", ("reads-tests", "'..'")),
        (
            "import glob\nglob.glob('/autograder/source/tests/*.py')",
            ("reads-tests", "'autograder'"),
        ),
        ("from pathlib import Path\nPath.cwd().parent", ("reads-tests", "Path.cwd().parent")),
        ("import sys\nframe = sys._getframe(1)", ("introspection", "sys._getframe")),
        ("import gc\ngc.get_objects()", ("introspection", "gc.get_objects")),
        ("import ctypes", ("introspection", "ctypes")),
    ],
)
def test_tampering_is_flagged(source, flag):
    code, detail = flag
    assert detail in scan_source(source, GUARDED).get(code, set()), scan_source(source, GUARDED)


@pytest.mark.parametrize(
    "source",
    [
        "%matplotlib inline\nimport torch\nx = torch.zeros(3)",
        "def f(list, sum=0):\n    return len(list) + sum",  # parameters are local
        "class M:\n    def max(self):\n        return 1",  # a method is not a global
        "lst = [len(x) for x in ['a']]\nprint(sorted(lst))",
        "import otter\ngrader = otter.Notebook('hafez.ipynb')\ngrader.check('q1_vocab')",
        "df.to_csv('data/out.csv')\ntext = open('data/hafez.txt').read()",
        "!ls data",
    ],
)
def test_ordinary_student_code_is_not_flagged(source):
    assert scan_source(source, GUARDED) == {}


def test_code_that_does_not_parse_is_still_searched():
    assert (
        "OKTestFile"
        in scan_source("def broken(:\n    OKTestFile.run = 1", GUARDED)["otter-internals"]
    )


def test_flags_name_at_most_a_few_details():
    source = "\n".join(f"{name} = 1" for name in sorted(CORE_BUILTINS)[:8])
    nb = fx.with_cell(STUDENT, source)
    (flag,) = notebook_flags(STUDENT, nb)
    assert flag.startswith("shadows-builtin(") and flag.endswith(",+4)")


def test_autograder_tests_are_read_with_hidden_cases_and_points():
    info = read_autograder(fx.REPO / "autograder" / "hafez" / "hafez-autograder.zip")
    assert info.questions and len(info.sha256) == 64
    for question in info.questions.values():
        assert question.points > 0 and question.cases
        assert any(case.hidden for case in question.cases)
    assert "isinstance" in info.test_builtins


def test_a_test_files_points_builtins_and_seed_are_read_without_running_it(tmp_path):
    source = (
        "from otter.test_files import test_case\nname = 'q1'\npoints = 2\n"
        "@test_case(points=0, hidden=False)\ndef test_a(x):\n    assert bool(len(x))\n"
        "@test_case(points=2, hidden=True)\ndef test_b(x):\n    assert x\n"
    )
    question, used = parse_test_file("q1", source)
    assert (question.name, question.points) == ("q1", 2.0)
    assert [(c.name, c.hidden, c.points) for c in question.cases] == [
        ("test_a", False, 0),
        ("test_b", True, 2),
    ]
    assert {"bool", "len"} <= used
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tests/q1.py", source)
        zf.writestr("otter_config.json", '{"seed": 42, "seed_variable": "rng_seed"}')
    info = read_autograder(path)
    assert list(info.questions) == ["q1"] and (info.seed_variable, info.seed) == ("rng_seed", 42)


def test_the_seed_line_otter_assign_rewrites_is_not_an_edit():
    nb = nbformat.from_dict(STUDENT)
    index = next(
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "rng_seed = " in c.source
    )
    nb.cells[index]["source"] = "\n".join(
        "rng_seed = 42" if line.startswith("rng_seed = ") else line
        for line in nb.cells[index].source.splitlines()
    )
    assert notebook_flags(STUDENT, nb, seed_variable="rng_seed") == []
    assert notebook_flags(STUDENT, nb) == [f"edited-provided({index + 1})"]
    assert (
        read_autograder(fx.REPO / "autograder" / "hafez" / "hafez-autograder.zip").seed_variable
        == "rng_seed"
    )


@pytest.mark.parametrize(
    "source, detail",
    [
        ('for root, dirs, files in os.walk("/"):\n    pass', "os.walk"),
        ('secret = open("/root/.ssh/id_rsa").read()', "'/root/.ssh/id_rsa'"),
        ('notes = Path("~/course/solutions.ipynb")', "'~/course/solutions.ipynb'"),
        ("found = sorted(Path.home().rglob('*.ipynb'))", "Path.home().rglob"),
        ("import glob\nfiles = glob.glob('/srv/**', recursive=True)", "glob.glob"),
    ],
)
def test_code_that_names_paths_outside_its_folder_or_walks_folders_is_flagged(source, detail):
    assert detail in scan_source(source, CORE_BUILTINS).get("reads-filesystem", set())


@pytest.mark.parametrize(
    "source",
    [
        'parts = path.split("/")',
        'ids = "/".join(tokens)',
        'open("data/hafez.txt")',
        'plt.savefig("/content/loss.png")',
    ],
)
def test_relative_paths_slashes_and_colab_paths_are_not_flagged(source):
    assert "reads-filesystem" not in scan_source(source, CORE_BUILTINS)
