"""The registry of assignments: one `assignment.toml` per homework notebook, `reference/<name>/assignment.toml`.

Every list of notebooks the tools keep (the release, the submission's files and `submit.py`, the
gradebook's columns, the course totals, the similarity screen, the benchmarks) is derived from it.
Format (TOML; the committed files carry the comments instructors read):

    name = "hafez"             # = its folder = the master's stem (hafez.ipynb) = otter's assignment name
    title = "Divan Hafez"
    order = 1                  # position in the course: gradebook columns, the zip's notebooks
    points = 30                # the notebook's points as the handout gives them (automatic + hand-graded)
    bench = "hw3.bench.hafez"  # optional: the module behind `hw3 bench hafez`
    similarity_pool = "similarity_pool.toml"   # optional: independent answers for `hw3 similarity --bench`
    [manual]                   # optional: hand-graded questions, in notebook order, with their points
    q8_compare = 3
    [[data]]                   # one per file the notebook reads, staged beside the master
    path = "data/hafez.txt"    # where the notebook reads it, relative to the notebook
    writer = "hw3.datasets.corpus:write_corpus"   # "module:function" called with the target path, or
    copy = "data/aapl_daily.csv"                  # a file of the repository, relative to its root
    rebuild = "hw3 stock-data"                    # optional: the command that remakes a missing copy

Any problem is a RegistryError of one line naming the file and the key.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from hw3.errors import Hw3Error

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DECLARATION = "assignment.toml"  # in reference/<name>/
REFERENCE_DIR = "reference"  # of the repository, and of a release made outside it
NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # a gradebook column prefix, a file stem, an otter name
QUESTION = re.compile(r"^[A-Za-z_]\w*$")
CALLABLE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")  # "module:function"
MODULE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
KEYS = ("name", "title", "order", "points", "bench", "similarity_pool", "manual", "data")
DATA_KEYS = ("path", "writer", "copy", "rebuild")


class RegistryError(Hw3Error):
    """An assignment declaration is missing, unreadable or inconsistent; the message names the file and key."""


@dataclass(frozen=True, kw_only=True)
class DataFile:
    """One file a notebook reads, and how the release stages it: written by `writer` or copied from `copy`."""

    path: str  # relative to the notebook: "data/hafez.txt"
    writer: str = ""  # "module:function", called with the target Path
    copy: str = ""  # a file of the repository, relative to its root
    rebuild: str = ""  # the command that remakes a missing `copy`


@dataclass(frozen=True, kw_only=True)
class Declaration:
    """One assignment as `reference/<name>/assignment.toml` declares it."""

    file: Path
    name: str
    title: str
    order: int
    points: float
    manual: dict[str, float] = field(default_factory=dict)  # question -> points, notebook order
    data: tuple[DataFile, ...] = ()
    bench: str = ""  # module of `hw3 bench <name>`, or ''
    similarity_pool: str = ""  # relative to the declaration's folder, or ''

    @property
    def folder(self) -> Path:
        return self.file.parent

    @property
    def notebook(self) -> str:
        return f"{self.name}.ipynb"

    @property
    def pool_file(self) -> Path | None:
        return self.folder / self.similarity_pool if self.similarity_pool else None

    def where(self, key: str) -> str:
        """`FILE: key` for a message about one of its keys."""
        return f"{self.file}: {key}"


@dataclass(frozen=True)
class Registry:
    """Every declared assignment of one reference folder, in course order."""

    folder: Path
    declarations: tuple[Declaration, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.declarations)

    @property
    def notebooks(self) -> tuple[str, ...]:
        return tuple(d.notebook for d in self.declarations)

    def __iter__(self):
        return iter(self.declarations)

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def __getitem__(self, name: str) -> Declaration:
        for declaration in self.declarations:
            if declaration.name == name:
                return declaration
        raise RegistryError(
            f"{self.folder}: no assignment {name!r} (declared: {', '.join(self.names)}): "
            f"check the name, or declare it in {self.folder}/{name}/{DECLARATION}"
        )


def positive(value, where: str) -> float:
    """A positive, finite number of points, or RegistryError naming `where`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value < float("inf")
    ):
        raise RegistryError(f"{where} = {value!r}: give a positive number of points")
    return float(value)


def text(
    data: dict, key: str, file: Path, pattern: re.Pattern | None = None, what: str = ""
) -> str:
    """The string at `key` ('' when absent), matching `pattern` when given, or RegistryError."""
    value = data.get(key, "")
    if not isinstance(value, str) or (value and pattern is not None and not pattern.match(value)):
        raise RegistryError(f"{file}: {key} = {value!r}: give {what or 'a string'}")
    return value


def unknown_keys(data: dict, allowed: tuple, where: str) -> None:
    extra = sorted(set(data) - set(allowed))
    if extra:
        raise RegistryError(
            f"{where}: unknown key {extra[0]!r}: the keys are {', '.join(allowed)} (a typo?)"
        )


def relative_path(value: str, where: str) -> str:
    """`value` as a relative POSIX path that stays inside its base folder, or RegistryError."""
    path = PurePosixPath(value)
    if not value or path.is_absolute() or ".." in path.parts or "\\" in value:
        raise RegistryError(f"{where} = {value!r}: give a relative path inside the folder, with /")
    return value


def read_data(entries, file: Path) -> tuple[DataFile, ...]:
    """The [[data]] array of tables of one declaration."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise RegistryError(f"{file}: data: write each file as a [[data]] table")
    files = []
    for number, entry in enumerate(entries, start=1):
        where = f"{file}: [[data]] #{number}"
        unknown_keys(entry, DATA_KEYS, where)
        values = {key: text(entry, key, file) for key in DATA_KEYS}
        relative_path(values["path"], f"{where} path")
        if bool(values["writer"]) == bool(values["copy"]):
            raise RegistryError(
                f'{where}: give exactly one of writer = "module:function" and copy = "repository/path"'
            )
        if values["writer"] and not CALLABLE.match(values["writer"]):
            raise RegistryError(
                f'{where} writer = {values["writer"]!r}: write it as "module:function"'
            )
        if values["copy"]:
            relative_path(values["copy"], f"{where} copy")
        files.append(DataFile(**values))
    paths = [f.path for f in files]
    if len(set(paths)) != len(paths):
        raise RegistryError(f"{file}: [[data]]: a path is listed twice: keep one")
    return tuple(files)


def read_manual(table, file: Path) -> dict[str, float]:
    """The [manual] table of one declaration: question -> points."""
    if not isinstance(table, dict):
        raise RegistryError(f"{file}: manual: write the hand-graded questions as a [manual] table")
    manual = {}
    for question, value in table.items():
        if not QUESTION.match(question):
            raise RegistryError(f"{file}: [manual] {question}: not a question name like q8_compare")
        manual[question] = positive(value, f"{file}: [manual] {question}")
    return manual


def read_declaration(file: Path) -> Declaration:
    """The declaration in `file` (reference/<name>/assignment.toml), validated."""
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise RegistryError(f"{file}: not valid TOML ({err}): fix the line it names") from None
    unknown_keys(data, KEYS, str(file))
    name = text(data, "name", file, NAME, "lower-case letters, digits and _")
    if name != file.parent.name:
        raise RegistryError(
            f"{file}: name = {name!r}: must be its folder's name, {file.parent.name!r} "
            f"(the master is {file.parent.name}/{file.parent.name}.ipynb)"
        )
    title = text(data, "title", file)
    if not title.strip():
        raise RegistryError(f"{file}: title: give the notebook's title, as the handout names it")
    order = data.get("order")
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise RegistryError(
            f"{file}: order = {order!r}: give its position in the course, a whole number from 1"
        )
    if "points" not in data:
        raise RegistryError(f"{file}: points: give the notebook's points as the handout gives them")
    return Declaration(
        file=file,
        name=name,
        title=title,
        order=order,
        points=positive(data["points"], f"{file}: points"),
        manual=read_manual(data.get("manual", {}), file),
        data=read_data(data.get("data", []), file),
        bench=text(data, "bench", file, MODULE, 'a module name like "hw3.bench.hafez"'),
        similarity_pool=relative_path(data["similarity_pool"], f"{file}: similarity_pool")
        if "similarity_pool" in data
        else "",
    )


def load_registry(folder: Path) -> Registry:
    """Every `folder/*/assignment.toml`, validated, in course order; RegistryError when there is none."""
    files = sorted(folder.glob(f"*/{DECLARATION}"))
    if not files:
        raise RegistryError(
            f"{folder}: no assignment declared (no */{DECLARATION}): declare each notebook in "
            f"reference/<name>/{DECLARATION} (README: Adding a homework), or run hw3 release again"
        )
    declarations = sorted((read_declaration(file) for file in files), key=lambda d: d.order)
    for before, after in zip(declarations, declarations[1:]):
        if before.order == after.order:
            raise RegistryError(
                f"{after.file}: order = {after.order}: {before.file} has it too: give each its own position"
            )
    return Registry(folder, tuple(declarations))


def release_registry(root: Path) -> Registry:
    """The assignments of the release under `root` (student/, autograder/): those `root/reference/` declares,
    the repository's own or the copies `hw3 release` writes beside a release made elsewhere."""
    return load_registry(root / REFERENCE_DIR)


def copy_declarations(registry: Registry, names: list[str], folder: Path) -> None:
    """Copy the declarations of `names` (and their similarity pools) into `folder/<name>/`, so that a
    release made outside the repository says which assignments it holds."""
    for name in names:
        declaration = registry[name]
        target = folder / name
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(declaration.file, target / DECLARATION)
        if declaration.pool_file is not None:
            (target / declaration.similarity_pool).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(declaration.pool_file, target / declaration.similarity_pool)
