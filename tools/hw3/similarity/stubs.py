"""What the released notebook of each assignment gives every student, so it can be subtracted from answers.

Answer cells are found by otter's tags (`hw3.common.answers`); the starter code is the stub answer
cells and the provided code cells; `keep` are the names that keep their text when normalised
(builtins and what the released notebook defines).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from hw3.common.answers import CHECK_CALL, answer_cells
from hw3.common.notebooks import parse_lenient
from hw3.errors import Hw3Error
from hw3.similarity import fingerprints

OTHER = "other"  # code cells outside any question's answer cells: added by the student
DEFINITION = re.compile(
    r"^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.MULTILINE
)  # top level, even in broken code


@dataclass
class Stub:
    """What the released notebook of one assignment gives every student."""

    name: str
    questions: dict[str, list[str]]  # question -> sources of its stub answer cells
    provided_sources: frozenset  # the provided code cells as released
    provided_lines: frozenset  # stripped lines of the provided code cells
    keep: frozenset  # names that keep their text when normalised
    starter_kgrams: dict[str, set]  # question (or OTHER) -> every k-gram of the starter code
    defines: dict[str, frozenset]  # question -> the functions and classes its answer cells define


def is_check_cell(cell) -> bool:
    """A `grader.check(...)`/`check_all()` cell: provided, and its output is the grader's, not the student's."""
    source = cell.source if cell.cell_type == "code" else ""
    return CHECK_CALL.search(source) is not None or "grader.check_all" in source


def defined_names(sources) -> frozenset:
    """Names bound at the top level of `sources` (imports, defs, classes, assignments) that parse."""
    names = set()
    for source in sources:
        try:
            tree = ast.parse(fingerprints.blank_magics(source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return frozenset(names)


def load_stub(name: str, path: Path) -> Stub:
    """The Stub of assignment `name` from its released student notebook at `path`."""
    nb, problems = parse_lenient(path.name, path.read_bytes())
    if nb is None:
        raise Hw3Error(
            f"{path}: the released notebook is unreadable ({problems[0]}): run hw3 release again"
        )
    cells = answer_cells(nb)
    answer_indices = {i for indices in cells.values() for i in indices}
    provided = [
        c.source
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and i not in answer_indices
    ]
    keep = fingerprints.BUILTIN_NAMES | defined_names(
        c.source for c in nb.cells if c.cell_type == "code"
    )
    questions = {q: [nb.cells[i].source for i in indices] for q, indices in cells.items()}
    starter = {
        q: set().union(
            *(fingerprints.all_kgrams(fingerprints.normalise(s, 0, keep)) for s in sources)
        )
        for q, sources in questions.items()
    }
    starter[OTHER] = set().union(
        *(fingerprints.all_kgrams(fingerprints.normalise(s, 0, keep)) for s in provided)
    )
    provided_lines = frozenset(
        line.strip() for source in provided for line in source.splitlines() if line.strip()
    )
    defines = {
        q: frozenset(name for source in sources for name in DEFINITION.findall(source))
        for q, sources in questions.items()
    }
    return Stub(name, questions, frozenset(provided), provided_lines, keep, starter, defines)


def load_stubs(release_dir: Path, names) -> tuple[dict[str, Stub], list[str]]:
    """{assignment: Stub} for each of `names` (course order) whose released notebook is under `release_dir`,
    and notes on the missing."""
    stubs, notes = {}, []
    for name in names:
        path = release_dir / name / f"{name}.ipynb"
        if path.exists():
            stubs[name] = load_stub(name, path)
        else:
            notes.append(f"{name}: no released notebook at {path}: its answers were not compared")
    return stubs, notes
