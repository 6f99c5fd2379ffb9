"""Known sources an answer may be copied from: the released reference solution and earlier work.

The reference is read from the release's autograder notebooks, otter's solution markers and
prompts removed. `--against` adds earlier terms' Quera zips and notebooks saved from solutions
found online, read with the submissions' safe intake (caps checked before anything is inflated);
a notebook without otter's tags has its cells matched to questions by the functions and classes
they define. Each source becomes per-question Regions like a submission's, starter code
subtracted, so it is compared question by question (`compare.compare_sources`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hw3.common import notebooks
from hw3.common.answers import answer_cells, solution_only
from hw3.common.safezip import mb
from hw3.errors import Hw3Error
from hw3.similarity.stubs import Stub
from hw3.similarity.submissions import (
    Region,
    Submission,
    cells_by_names,
    notebook_regions,
    read_all,
)
from hw3.submission.rules import MAX_NOTEBOOK_BYTES

REFERENCE = "reference"
SOURCE_SUFFIXES = (".zip", ".ipynb")
CHECKPOINTS = ".ipynb_checkpoints"  # Jupyter's autosaves: copies, not sources


@dataclass
class Source:
    """A known source: its name in flags (`source:<name>`), where it was read from, its regions per question."""

    name: str
    origin: str
    regions: dict[str, Region] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def reference_answers(name: str, autograder_dir: Path) -> dict[str, list[str]]:
    """{question: answer cell sources} of the reference solution of assignment `name`."""
    nb = notebooks.read(autograder_dir / name / f"{name}.ipynb")
    return {
        q: [solution_only(nb.cells[i].source) for i in indices]
        for q, indices in answer_cells(nb).items()
    }


def reference_source(
    autograder_dir: Path, stubs: dict[str, Stub]
) -> tuple[Source | None, list[str]]:
    """The reference solution of every assignment in `stubs` as one Source, and notes on the missing."""
    source, notes = Source(REFERENCE, str(autograder_dir)), []
    for name, stub in stubs.items():
        path = autograder_dir / name / f"{name}.ipynb"
        if not path.exists():
            notes.append(
                f"{name}: no reference solution at {path}: answers were not compared with it"
            )
            continue
        nb = notebooks.read(path)  # a file of the release: trusted
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = solution_only(cell.source)
        regions, _ = notebook_regions(name, nb, stub)
        source.regions.update(regions)
    return (source if source.regions else None), notes


def source_files(paths: list[Path]) -> list[Path]:
    """Every zip and notebook under the folders in `paths` (recursively) plus files named directly, each once."""
    found, seen = [], set()
    for path in paths:
        if not path.exists():
            raise Hw3Error(
                f"{path}: no such file or folder: "
                "give --against earlier terms' zips or solution notebooks"
            )
        if path.is_file():
            if path.suffix.lower() not in SOURCE_SUFFIXES:
                raise Hw3Error(
                    f"{path}: is neither a .zip nor an .ipynb: "
                    "give --against zips, notebooks or their folders"
                )
            candidates = [path]
        else:
            candidates = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d != CHECKPOINTS)
                candidates += [
                    Path(root, f) for f in sorted(files) if f.lower().endswith(SOURCE_SUFFIXES)
                ]
            if not candidates:
                raise Hw3Error(
                    f"{path}: holds no .zip or .ipynb files: give --against the folder of earlier work"
                )
        for candidate in candidates:
            if candidate.resolve() not in seen:
                seen.add(candidate.resolve())
                found.append(candidate)
    return found


def unique_name(path: Path, stubs: dict[str, Stub], taken: set[str]) -> str:
    """The file's stem (with its folder when the stem is only an assignment's name), made unique among `taken`."""
    name = f"{path.parent.name}/{path.stem}" if path.stem in stubs else path.stem
    unique, k = name, 2
    while unique in taken or unique == REFERENCE:
        unique, k = f"{name}-{k}", k + 1
    taken.add(unique)
    return unique


def assignment_of(path: Path, nb, stubs: dict[str, Stub]) -> str | None:
    """Which assignment a notebook answers: its file name, else the most questions found by tags or by names."""
    if path.stem in stubs:
        return path.stem
    tagged = set(answer_cells(nb))
    found = {
        name: len(tagged & set(stub.questions)) + len(cells_by_names(nb, stub))
        for name, stub in stubs.items()
    }
    best = max(found, key=found.get, default=None)
    return best if best is not None and found[best] else None


def notebook_source(path: Path, name: str, stubs: dict[str, Stub]) -> Source | tuple[str, str]:
    """A notebook file as a Source, or (file, why it was skipped)."""
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            return str(
                path
            ), f"is {mb(size)}, over the {mb(MAX_NOTEBOOK_BYTES)} a notebook may hold"
        nb, problems = notebooks.parse_lenient(path.name, path.read_bytes())
    except OSError as err:
        return str(path), f"cannot be read ({type(err).__name__}): check its permissions"
    if nb is None:
        return str(path), problems[0]
    assignment = assignment_of(path, nb, stubs)
    if assignment is None:
        return str(path), (
            f"answers none of {', '.join(stubs)}: name it after its assignment "
            f"({', '.join(f'{n}.ipynb' for n in stubs)})"
        )
    regions, notes = notebook_regions(assignment, nb, stubs[assignment], by_names=True)
    return Source(name, str(path), regions, notes)


def against_sources(
    paths: list[Path], stubs: dict[str, Stub], jobs: int
) -> tuple[list[Source], list[tuple[str, str]]]:
    """The known sources given with --against (zips read `jobs` at a time), and the files skipped with why."""
    files, taken = source_files(paths), set()
    names = [unique_name(path, stubs, taken) for path in files]
    zips = [path for path in files if path.suffix.lower() == ".zip"]
    read = dict(zip(zips, read_all(zips, stubs, jobs, by_names=True)))
    found, skipped = [], []
    for path, name in zip(files, names):
        if path in read:
            result = read[path]
            result = (
                Source(name, str(path), result.regions, result.notes)
                if isinstance(result, Submission)
                else result
            )
        else:
            result = notebook_source(path, name, stubs)
        if isinstance(result, Source) and result.regions:
            found.append(result)
        else:
            skipped.append(
                result
                if not isinstance(result, Source)
                else (str(path), "holds no code to compare")
            )
    return found, skipped
