"""What the released notebook of each assignment gives every student, so it can be subtracted from answers.

Answer cells are found by otter's tags (`hw3.common.answers`); the starter code is the stub answer
cells and the provided code cells of every release (`releases.py`: the current one, the git history
of `student/`, `--starter`); `keep` are the names that keep their text when normalised (builtins and
what any release defines).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from hw3.common.answers import CHECK_CALL, answer_cells
from hw3.common.notebooks import parse_lenient
from hw3.errors import Hw3Error
from hw3.similarity import fingerprints
from hw3.similarity.releases import Release

OTHER = "other"  # code cells outside any question's answer cells: added by the student
DEFINITION = re.compile(
    r"^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.MULTILINE
)  # top level, even in broken code


@dataclass
class Stub:
    """What the released notebook of one assignment gives every student, in any of its releases."""

    name: str
    questions: dict[str, list[str]]  # question -> sources of its stub answer cells, current release
    provided_sources: frozenset  # the provided code cells as released, every release
    provided_lines: frozenset  # stripped lines of the provided code cells, every release
    keep: frozenset  # names that keep their text when normalised
    starter_kgrams: dict[str, set]  # question (or OTHER) -> every k-gram of the starter code
    defines: dict[str, frozenset]  # question -> the functions and classes its answer cells define
    question_versions: dict[str, list[list[str]]] = field(
        default_factory=dict
    )  # question -> its stub answer cells in each release (current first)
    releases: list[str] = field(default_factory=list)  # where each release was read from


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


def released_parts(
    name: str, origin: str, data: bytes
) -> tuple[dict[str, list[str]], list[str], list]:
    """({question: stub answer cell sources}, provided code cell sources, code cells) of one release."""
    nb, problems = parse_lenient(f"{name}.ipynb", data)
    if nb is None:
        raise Hw3Error(
            f"{origin}: the released notebook is unreadable ({problems[0]}): "
            "run hw3 release again, or drop it from --starter"
        )
    cells = answer_cells(nb)
    answer_indices = {i for indices in cells.values() for i in indices}
    provided = [
        c.source
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and i not in answer_indices
    ]
    questions = {q: [nb.cells[i].source for i in indices] for q, indices in cells.items()}
    return questions, provided, [c.source for c in nb.cells if c.cell_type == "code"]


def kgrams_of(sources, keep: frozenset) -> set:
    """Every k-gram of the normalised `sources`."""
    return set().union(
        *(fingerprints.all_kgrams(fingerprints.normalise(s, 0, keep)) for s in sources)
    )


def load_stub(name: str, path: Path, earlier: list[Release] | None = None) -> Stub:
    """The Stub of assignment `name` from its released student notebook at `path`, and `earlier` releases.

    Whatever any release provides is starter: its provided cells, the lines of its stubs, their k-grams.
    """
    releases = [Release(str(path), path.read_bytes()), *(earlier or [])]
    parts = [released_parts(name, release.origin, release.data) for release in releases]
    questions = parts[0][0]
    keep = fingerprints.BUILTIN_NAMES | defined_names(
        source for _, _, code in parts for source in code
    )
    provided = [source for _, cells, _ in parts for source in cells]
    # an answer cell of a question the current release no longer asks is starter like a provided cell
    provided += [
        source
        for stubs, _, _ in parts[1:]
        for q, sources in stubs.items()
        if q not in questions
        for source in sources
    ]
    versions = {q: [] for q in questions}
    for stubs, _, _ in parts:
        for q in questions:
            if q in stubs and stubs[q] not in versions[q]:
                versions[q].append(stubs[q])
    starter = {
        q: kgrams_of((s for sources in versions[q] for s in sources), keep) for q in questions
    }
    starter[OTHER] = kgrams_of(provided, keep)
    provided_lines = frozenset(
        line.strip() for source in provided for line in source.splitlines() if line.strip()
    )
    defines = {
        q: frozenset(
            name
            for sources in versions[q]
            for source in sources
            for name in DEFINITION.findall(source)
        )
        for q in questions
    }
    return Stub(
        name,
        questions,
        frozenset(provided),
        provided_lines,
        keep,
        starter,
        defines,
        versions,
        [release.origin for release in releases],
    )


def load_stubs(
    release_dir: Path, names, earlier: dict[str, list[Release]] | None = None
) -> tuple[dict[str, Stub], list[str]]:
    """{assignment: Stub} for each of `names` (course order) whose released notebook is under `release_dir`,
    with its `earlier` releases, and notes on the missing."""
    stubs, notes = {}, []
    for name in names:
        path = release_dir / name / f"{name}.ipynb"
        if path.exists():
            stubs[name] = load_stub(name, path, (earlier or {}).get(name))
        else:
            notes.append(f"{name}: no released notebook at {path}: its answers were not compared")
    return stubs, notes
