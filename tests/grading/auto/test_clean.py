"""A submission's metadata is hostile: cleaned to what the release has, each removal flagged; otter's
own calls made inert and every cell seeded for the sandbox."""

import grade_fixtures as fx
import nbformat

from hw3.grading.auto.clean import clean, for_runner


def test_an_unchanged_notebook_is_left_as_it_is():
    released = fx.read("student")
    cleaned = clean(released, released)
    assert cleaned.flags == [] and cleaned.nb == released


def test_otter_keys_and_grading_tags_are_removed_and_flagged():
    released = fx.read("student")
    nb = nbformat.from_dict(released)
    nb.cells[3].metadata["otter"] = {"tests": ['q1_vocab")\nimport os\n#']}
    nb.cells[4].metadata["tags"] = ["otter_ignore", "otter_answer_cell"]
    nb.cells[5].metadata["tags"] = "otter_ignore"
    nb.metadata["otter"]["tests"] = {"q1_vocab": "evil"}
    cleaned = clean(nb, released)
    assert cleaned.flags == ["cleaned-metadata(notebook otter,otter,tag otter_ignore)"]
    assert "otter" not in cleaned.nb.cells[3].metadata
    assert cleaned.nb.cells[4].metadata["tags"] == [
        "otter_answer_cell"
    ]  # the release uses this one
    assert cleaned.nb.cells[5].metadata["tags"] == []
    assert cleaned.nb.metadata == released.metadata
    assert [c.source for c in cleaned.nb.cells] == [
        c.source for c in nb.cells
    ]  # the code is not touched


def test_the_runner_gets_otter_calls_inert_and_every_other_cell_seeded():
    released = fx.read("student")
    nb = fx.with_cell(
        released, "grader.check('q1_vocab')\nprint('mine')"
    )  # not a released cell: it runs
    text = nbformat.reads(for_runner(nb, released, "rng_seed", 42), as_version=4)
    code = [c.source for c in text.cells if c.cell_type == "code"]
    released_code = [c.source for c in released.cells if c.cell_type == "code"]
    inert = [s for s in code if s.startswith("pass  # ")]
    assert len(inert) == sum(
        "grader = otter.Notebook" in s or s.startswith("grader.check") for s in released_code
    )
    assert all(s in inert or s.startswith("rng_seed = 42\n") for s in code)
    assert "rng_seed = 42\ngrader.check('q1_vocab')\nprint('mine')" in code
