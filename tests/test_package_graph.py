"""The sub-packages of `hw3` import each other without a cycle.

Each module belongs to its innermost package (`hw3.grading.auto.sandbox` to `hw3.grading.auto`); a
module at the top of `hw3` (`errors`, `project`, `cli`, `demo`) is a node of its own. An edge A -> B
means a module of A imports a module of B. A cycle means two rooms that cannot be read, tested or
moved apart: the grading engine and the hand-grading packet once imported each other.
"""

import ast
from collections import defaultdict
from pathlib import Path

import hw3

PACKAGE_DIR = Path(hw3.__file__).parent


def module_files() -> dict[str, Path]:
    """{dotted module name: file} of every module of the installed `hw3`."""
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = ("hw3",) + path.relative_to(PACKAGE_DIR).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_modules(path: Path, modules: dict[str, Path]) -> set[str]:
    """The `hw3` modules that the file imports (`from hw3.x import y` counts `hw3.x.y` when it is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").startswith("hw3")
        ):
            candidates = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found |= {name for name in candidates if name in modules}
    return found


def package_graph() -> dict[str, set[str]]:
    """{node: the nodes it imports}, nodes as the module docstring says."""
    modules = module_files()
    packages = {name for name, path in modules.items() if path.name == "__init__.py"}

    def node(name: str) -> str:
        if name in packages:
            return name
        parent = name.rsplit(".", 1)[0]
        return name if parent == "hw3" else parent

    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target in imported_modules(path, modules):
            if node(target) != node(name):
                graph[node(name)].add(node(target))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_cycle_between_sub_packages():
    assert cycles(package_graph()) == []


def test_the_cycle_finder_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_grading_rooms_import_downwards_only():
    graph = package_graph()
    assert "hw3.grading.hand" not in graph["hw3.grading.auto"], (
        "the engine must not import the packet"
    )
    for room in ("hw3.grading.auto", "hw3.grading.hand"):
        assert "hw3.grading" not in graph[room], f"{room} climbs back up to hw3.grading"
