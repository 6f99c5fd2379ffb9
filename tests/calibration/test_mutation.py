"""`hw3 calibrate --mutate`: cosmic-ray's mutants of the answers, tried against the hidden tests."""

import json

import nbformat
import pytest
from support import REPOSITORY

from hw3.calibration import mutation
from hw3.calibration.cli import calibrate_main

CELL = '''def make_pairs(ids, size):
    """A docstring with 1 number."""
    # BEGIN SOLUTION NO PROMPT
    length = (len(ids) - 1) // size
    return [ids[i : i + 2] for i in range(0, length, 2)]
    # END SOLUTION
    """ # BEGIN PROMPT
    raise NotImplementedError("q9: make_pairs")
    """ # END PROMPT
'''


def reviewed_open_survivors() -> set[str]:
    """`<assignment>/<mutant id>` of every line of reference/mutants/open.txt."""
    lines = (REPOSITORY.mutants / "open.txt").read_text(encoding="utf-8").splitlines()
    return {
        line.split(":", 1)[0].strip() for line in lines if line.strip() and not line.startswith("#")
    }


def test_open_survivors_are_reviewed_with_a_reason_and_not_called_equivalent():
    listed = (REPOSITORY.mutants / "open.txt").read_text(encoding="utf-8").splitlines()
    entries = [line for line in listed if line.strip() and not line.startswith("#")]
    assert all(mutation.EQUIVALENT_LINE.match(line) for line in entries), entries
    equivalent = (REPOSITORY.mutants / mutation.EQUIVALENT_FILE).read_text(encoding="utf-8")
    assert not {e for e in reviewed_open_survivors() if e in equivalent}


def notebook_with(source: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    answer = nbformat.v4.new_code_cell(source)
    answer.metadata["tags"] = ["otter_assign_solution_cell"]
    nb.cells = [answer, nbformat.v4.new_code_cell('grader.check("q9")')]
    return nb


def test_mutants_touch_only_the_answer_region_and_have_stable_ids():
    mutants = mutation.generate("toy", notebook_with(CELL))
    assert mutants, "the answer region has operators and numbers to mutate"
    allowed = {CELL.splitlines()[n] for n in mutation.solution_lines(CELL)}
    for mutant in mutants:
        assert set(mutant.removed) <= allowed, mutant.diff()
        assert mutant.question == "q9" and mutant.source != CELL
    again = mutation.generate("toy", notebook_with("# an unrelated comment\n" + CELL))
    assert {m.id for m in again} == {m.id for m in mutants}, (
        "ids depend on the changed lines, not on the rest"
    )
    assert len({m.id for m in mutants}) == len(mutants)


def test_the_reviewed_equivalents_parse_and_a_malformed_line_names_its_place(tmp_path):
    listed = mutation.load_equivalents(REPOSITORY.mutants / mutation.EQUIVALENT_FILE)
    assert all("/" in key and reason for key, reason in listed.items())
    bad = tmp_path / "equivalent.txt"
    bad.write_text("# comment\nhafez/q2_batches/NumberReplacer@12345678 because\n")
    with pytest.raises(mutation.MutationError, match="equivalent.txt:2"):
        mutation.load_equivalents(bad)


def test_scores_count_equivalent_survivors_out_and_the_line_has_the_documented_form():
    report = mutation.MutationReport(
        outcomes={
            "toy": [
                mutation.MutantOutcome("q1/a@1", "q1", "", True, "own tests"),
                mutation.MutantOutcome("q1/b@2", "q1", "", False, "", equivalent="renames a local"),
                mutation.MutantOutcome("q1/c@3", "q1", "", False, ""),
            ]
        },
        seconds={"toy": 1.0},
    )
    assert report.score_line("toy") == "mutation score toy: 50.0 % (killed 1 of 2 non-equivalent)"
    assert [o.id for o in report.survivors("toy")] == ["q1/c@3"]


@pytest.mark.slow
def test_every_notebook_scores_at_least_90_percent_and_every_survivor_is_justified(
    tmp_path, capsys
):
    code = calibrate_main(["--mutate", "--out", str(tmp_path / "mutation"), "--jobs", "2"])
    lines = [
        line for line in capsys.readouterr().out.splitlines() if line.startswith("mutation score")
    ]
    assert len(lines) == len(REPOSITORY.mastered_assignments()), lines
    report = json.loads((tmp_path / "mutation" / "mutation.json").read_text())
    assert code == 0, lines
    survivors = {
        f"{a}/{o['id']}"
        for a, outs in report["outcomes"].items()
        for o in outs
        if not o["killed"] and not o["equivalent"]
    }
    open_ = reviewed_open_survivors()
    assert survivors - open_ == set(), "kill them with a better test, or review them"
    assert open_ - survivors == set(), "killed or gone: remove them from reference/mutants/open.txt"
    assert report["stale_equivalents"] == [], "equivalent.txt lists mutants no longer generated"


def test_scores_per_operator_class_group_cosmic_rays_families_and_the_table_lists_them():
    report = mutation.MutationReport(
        outcomes={
            "toy": [
                mutation.MutantOutcome(
                    "q1/a@1",
                    "q1",
                    "",
                    True,
                    "own tests",
                    operator="core/ReplaceBinaryOperator_Add_Sub",
                ),
                mutation.MutantOutcome(
                    "q1/b@2", "q1", "", False, "", operator="core/ReplaceBinaryOperator_Mul_Div"
                ),
                mutation.MutantOutcome(
                    "q1/c@3", "q1", "", True, "own tests", operator="hw3/DropCallArgument"
                ),
            ]
        },
        seconds={"toy": 1.0},
    )
    classes = report.operator_classes("toy")
    assert list(classes) == ["core/ReplaceBinaryOperator", "hw3/DropCallArgument"]
    assert classes["core/ReplaceBinaryOperator"].score == 0.5
    table = mutation.class_table(report, "toy").splitlines()
    assert table[0].split() == ["operator", "class", "mutants", "equivalent", "killed", "score"]
    assert table[1].split() == ["core/ReplaceBinaryOperator", "2", "0", "1", "50.0", "%"]
    assert "| `hw3/DropCallArgument` | 1 | 0 | 1 | 100.0 % |" in mutation.markdown(report)


def test_without_hw3_operators_registered_mutate_stops_with_the_fix(monkeypatch):
    import cosmic_ray.plugins

    core_only = tuple(n for n in cosmic_ray.plugins.operator_names() if n.startswith("core/"))
    monkeypatch.setattr(cosmic_ray.plugins, "operator_names", lambda: core_only)
    with pytest.raises(mutation.MutationError, match="pip install -e"):
        mutation.operators()


def test_a_mutant_that_does_not_parse_stops_generation_naming_the_operator():
    with pytest.raises(mutation.MutationError, match="hw3/Broken made a mutant of q9"):
        mutation.check_parses("def f(:\n", "hw3/Broken", "q9")
