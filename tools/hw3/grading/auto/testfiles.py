"""An autograder zip's test files, made ready to run on the trusted side of the sandbox wall.

A test case (one function of an otter exception-style test file, `@test_case(points=..., hidden=...)`)
touches the student's code only inside the nested functions whose names start with `probe`; the
rest of its body checks what they return. Under plain `otter run` the whole function runs in the
student's kernel, probes included. Here each probe is replaced by a stub that ships the probe's
source to the sandbox and returns what the student's kernel sends back (plain data, `codec.py`),
while the checks, expected values and points stay in this process:

    def test_double_doubles(double):           # parameters name the notebook's globals
        def probe(double):                     # runs beside the student's code
            return [double(x) for x in (1, 2.5)]
        assert probe(double) == [2, 5.0]       # runs here

A probe travels with the imports at the top of its test's body and the test's nested classes and
functions it uses (its fixtures); it may use nothing else of the test (`TestFileError` at load),
since those are the only names that exist beside the student's code. Those fixtures are inputs, so
the student's process may see them; expected values must be computed outside probes.
"""

from __future__ import annotations

import ast
import builtins
import symtable
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from hw3.errors import Hw3Error

TESTS_FOLDER = "tests/"
PROBE_PREFIX = "probe"
REMOTE = "__hw3_remote__"
BUILTIN_NAMES = frozenset(dir(builtins))
MAX_TEST_FILE_BYTES = 1024 * 1024


class TestFileError(Hw3Error):
    """A test file that cannot run on the trusted side; the message names the test and the fix."""

    __test__ = False  # not a pytest class


@dataclass(frozen=True)
class Case:
    """One test case: its function (probes replaced by stubs), name, points and visibility."""

    __test__ = False

    name: str
    hidden: bool
    points: float
    function: Callable
    params: tuple[str, ...]


@dataclass(frozen=True)
class TestFile:
    """One question's test cases in otter's order."""

    __test__ = False

    question: str
    cases: tuple[Case, ...]
    packages: frozenset[str] = frozenset()  # the top-level packages its tests import

    @property
    def points(self) -> float:
        return sum(case.points for case in self.cases)


def read_test_files(path, remote: Callable[[str, str], Callable]) -> dict[str, TestFile]:
    """{question: TestFile} of the zip's `tests/*.py`; `remote(function, source)` builds each probe's stub."""
    files = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                member = PurePosixPath(info.filename)
                if not info.filename.startswith(TESTS_FOLDER) or member.suffix != ".py":
                    continue
                if len(member.parts) != 2 or info.file_size > MAX_TEST_FILE_BYTES:
                    continue
                test_file = load(member.stem, zf.read(info).decode("utf-8"), remote)
                files[test_file.question] = test_file
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as err:
        raise TestFileError(
            f"{path}: cannot read the tests ({err}): rebuild it with hw3 release"
        ) from None
    return files


def load(stem: str, source: str, remote: Callable[[str, str], Callable]) -> TestFile:
    """One test file's cases, each function's probes replaced by `remote` stubs."""
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if not is_otter_import(node)]
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            node.body = [stub(node.name, statement, node) for statement in node.body]
    ast.fix_missing_locations(tree)
    recorded: list[tuple[dict, Callable]] = []

    def test_case(**config):
        def record(function):
            recorded.append((config, function))
            return function

        return record

    namespace = {"__name__": f"hw3_tests_{stem}", "test_case": test_case, REMOTE: remote}
    exec(compile(tree, f"<tests/{stem}.py>", "exec"), namespace)
    question = str(namespace.get("name", stem))
    if namespace.get("all_or_nothing"):
        raise TestFileError(
            f"tests/{stem}.py: all_or_nothing is not supported: give each case its points"
        )
    cases = []
    for config, function in recorded:
        points = config.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)):
            raise TestFileError(
                f"tests/{stem}.py: {function.__name__} has no points: set them in its TEST CONFIG"
            )
        params = tuple(function.__code__.co_varnames[: function.__code__.co_argcount])
        if "env" in params:
            raise TestFileError(
                f"tests/{stem}.py: {function.__name__} takes env: name the globals it needs"
            )
        name = config.get("name") or function.__name__
        cases.append(Case(name, bool(config.get("hidden", False)), float(points), function, params))
    return TestFile(question, tuple(cases), imported_packages(tree))


def imported_packages(tree: ast.Module) -> frozenset[str]:
    """The top-level packages the file's import statements name (`torch.nn` counts as torch)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return frozenset(names)


def is_otter_import(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "otter.test_files"


def is_probe(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef) and node.name.startswith(PROBE_PREFIX)


def stub(test: str, statement: ast.stmt, function: ast.FunctionDef) -> ast.stmt:
    """`statement` itself, or for a probe `name = __hw3_remote__("name", "<shipped source>")`."""
    if not is_probe(statement):
        return statement
    source = shipped_source(statement, function.body)
    check_self_contained(test, statement.name, source)
    call = ast.Call(
        func=ast.Name(REMOTE, ast.Load()),
        args=[ast.Constant(statement.name), ast.Constant(source)],
        keywords=[],
    )
    return ast.copy_location(
        ast.Assign(targets=[ast.Name(statement.name, ast.Store())], value=call), statement
    )


def shipped_source(probe: ast.FunctionDef, body: list[ast.stmt]) -> str:
    """The imports at the top of the test's body, the fixtures the probe uses (transitively), the probe."""
    fixtures = {
        node.name: node
        for node in body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not is_probe(node)
    }
    wanted, todo = set(), [probe]
    while todo:
        for name in referenced_names(todo.pop()):
            if name in fixtures and name not in wanted:
                wanted.add(name)
                todo.append(fixtures[name])
    kept = [
        node
        for node in body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        or (isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in wanted)
    ]
    return ast.unparse(ast.Module(body=[*kept, probe], type_ignores=[])) + "\n"


def referenced_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def check_self_contained(test: str, probe: str, source: str) -> None:
    """TestFileError when the shipped source reads a name it does not define (a variable of the test)."""
    table = symtable.symtable(source, "<probe>", "exec")
    defined = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    missing = sorted(
        name
        for scope in walk_scopes(table)
        for symbol in scope.get_symbols()
        if symbol.is_global()
        and symbol.is_referenced()
        and (name := symbol.get_name()) not in defined
        and name not in BUILTIN_NAMES
    )
    if missing:
        raise TestFileError(
            f"{test}: {probe} uses {', '.join(missing)} from the test: pass it as an argument "
            "or define it inside the probe (a probe runs beside the student's code, apart from the test)"
        )


def walk_scopes(table: symtable.SymbolTable):
    yield table
    for child in table.get_children():
        yield from walk_scopes(child)
