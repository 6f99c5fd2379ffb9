"""`hw3 release` is reproducible, and the student tree carries no solution or hidden test."""

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from support import REPO, REPOSITORY

from hw3.registry import release_registry
from hw3.release.cli import release_main
from hw3.release.extras import write_student_extras

SOLUTION_MARKERS = re.compile(
    r"BEGIN SOLUTION|END SOLUTION|# SOLUTION|otter_assign_solution_cell|hidden=True"
)
HIDDEN_TEST = re.compile(r"@test_case\(points=[\d.]+, hidden=True\)\ndef (\w+)")


def tree(root: Path) -> dict:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def hidden_test_names(name: str) -> set:
    with zipfile.ZipFile(REPO / "autograder" / name / f"{name}-autograder.zip") as zf:
        sources = [zf.read(n).decode() for n in zf.namelist() if n.startswith("tests/")]
    return {match for source in sources for match in HIDDEN_TEST.findall(source)}


@pytest.mark.parametrize("name", REPOSITORY.mastered_assignments())
def test_student_tree_has_no_solution_or_hidden_test(name):
    hidden = hidden_test_names(name)
    assert hidden, "the autograder zip should hold hidden tests"
    for path in (REPO / "student" / name).rglob("*"):
        if path.is_file() and path.suffix in (".ipynb", ".py", ".md", ".txt"):
            text = path.read_text(encoding="utf-8")
            assert not SOLUTION_MARKERS.search(text), f"{path} holds solution markup"
            leaked = {test for test in hidden if test in text}
            assert not leaked, f"{path} names hidden tests {leaked}"
    assert not list((REPO / "student" / name).rglob("*.zip")), (
        "no autograder zip in the student tree"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", REPOSITORY.mastered_assignments())
def test_release_is_byte_identical_to_what_is_committed(name, tmp_path):
    assert release_main([name, "--out", str(tmp_path)]) == 0
    assert release_registry(tmp_path).names == (name,)  # what `hw3 grade --release` will grade
    for kind in ("student", "autograder"):
        fresh, committed = tree(tmp_path / kind / name), tree(REPO / kind / name)
        assert fresh.keys() == committed.keys(), kind
        changed = [path for path in fresh if fresh[path] != committed[path]]
        assert not changed, f"{kind}/{name}: {changed} differ from a fresh `hw3 release`"


def test_student_extras_match_what_is_committed_and_bundle_reproducibly(tmp_path):
    bundles = []
    for copy in ("first", "second"):
        root = tmp_path / copy
        shutil.copytree(REPO / "student", root / "student")
        for generated in ("README.md", "submit.py"):  # the release must write them, not find them
            (root / "student" / generated).unlink()
        bundles.append(write_student_extras(REPOSITORY, root).read_bytes())
        assert tree(root / "student") == tree(REPO / "student"), (
            "theory template, README or submit.py differ from a fresh release"
        )
    assert bundles[0] == bundles[1], "the student bundle is not byte-identical across builds"
    with zipfile.ZipFile(io.BytesIO(bundles[0])) as zf:
        names = set(zf.namelist())
    expected = {"HW3/README.md", "HW3/submit.py", "HW3/theory/HW3__Solution.tex"}
    expected |= {f"HW3/{name}/{name}.ipynb" for name in REPOSITORY.mastered_assignments()}
    assert expected <= names, f"missing from the bundle: {expected - names}"
    assert {name for name in names if name.startswith("HW3/theory/")} == {
        "HW3/theory/HW3__Solution.tex"
    }, "the theory folder ships the template only (the LSTM diagram is the answer to 1.1.2 (1))"
    assert not any(name.endswith(".zip") or "autograder" in name for name in names)
