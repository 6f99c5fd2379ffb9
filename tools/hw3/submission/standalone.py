"""The students' `submit.py`: `hw3.submission.submit_cli` and every `hw3` module it needs, in one file.

The modules are found by following the `from hw3.x import name` statements of the entry module,
transitively, and are laid out in dependency order. Each keeps its text as written, comments
included, less its docstring and its top-level imports: the `hw3` imports go (their names are
defined earlier in the same file), the standard-library imports are gathered once at the top. No
code is rewritten, so `submit.py` runs the very rules `hw3 pack` and `hw3 check` run. One section
is added at the end, so that submit.py reads no registry: `NOTEBOOKS`, the homework's notebooks
(`reference/*/assignment.toml`, in course order) written in as a literal, and the call
`main(notebooks=NOTEBOOKS)` of the entry module when the file is run.

What a bundled module must be, or StandaloneError names it: standard library only (a lazy import
inside a function, such as pypdf's, may fail at run time and must be handled there), Python 3.8
syntax, `hw3` names imported with `from hw3.x import name` (no alias, no module), each import
statement on lines of its own, and no top-level name bound by two modules.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from hw3.common.atomic import write_atomic
from hw3.errors import Hw3Error

ENTRY = "hw3.submission.submit_cli"
PACKAGE = "hw3"
OLDEST_PYTHON = (3, 8)
SCRIPT_NAME = "submit.py"
SHEBANG = "#!/usr/bin/env python3"
LINE_WIDTH = 100
SECTION = "# " + "=" * 64 + " {name}"  # unlike the modules' own `# ----` sections
NOTEBOOKS_NAME = "NOTEBOOKS"  # the literal the added section binds
NOTEBOOK_FILE = re.compile(r"^[a-z][a-z0-9_]*\.ipynb$")  # what the registry allows
ENTRY_FUNCTION = "main"


class StandaloneError(Hw3Error):
    """A module cannot go into submit.py as it is; the message names it and the fix."""


@dataclass
class Module:
    """One module's parsed source: its text lines, the lines to drop, what it imports and what it binds."""

    name: str
    lines: list[str]
    docstring: str = ""  # as written in the source, quotes included
    dropped: set[int] = field(
        default_factory=set
    )  # 1-based line numbers of its docstring and imports
    futures: set[str] = field(default_factory=set)
    stdlib: set[tuple] = field(default_factory=set)  # (module, name or None, alias or None)
    hw3: list[tuple] = field(default_factory=list)  # (module, name) in source order
    defined: set[str] = field(default_factory=set)

    @property
    def bound(self) -> set[str]:
        """Every top-level name the module binds: what it defines and what it imports."""
        return (
            self.defined | {binding(item) for item in self.stdlib} | {name for _, name in self.hw3}
        )


def binding(item: tuple) -> str:
    """The name a standard-library import binds: (module, name, alias) -> alias, name or the module's root."""
    module, name, alias = item
    return alias or name or module.split(".")[0]


def import_name(item: tuple) -> str:
    """How an import appears in its statement: `name`, `name as alias`, `module` or `module as alias`."""
    module, name, alias = item
    return f"{name or module} as {alias}" if alias else (name or module)


def import_line(item: tuple) -> str:
    module, name, _ = item
    return f"from {module} import {import_name(item)}" if name else f"import {import_name(item)}"


def import_block(items: set) -> list[str]:
    """Sorted import statements, `import x` first, then one `from m import a, b` per module."""
    plain = sorted(import_line(item) for item in items if not item[1])
    by_module = {}
    for item in items:
        if item[1]:
            by_module.setdefault(item[0], []).append(import_name(item))
    return plain + [
        f"from {module} import {', '.join(sorted(names))}"
        for module, names in sorted(by_module.items())
    ]


def assigned_names(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds (definitions and assignments; tuple targets unpacked)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {
        n.id
        for target in targets
        if target is not None
        for n in ast.walk(target)
        if isinstance(n, ast.Name)
    }


def span(node: ast.stmt) -> set[int]:
    """The 1-based line numbers a top-level statement occupies, its decorators included."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return set(range(first, node.end_lineno + 1))


def imported_modules(node: ast.AST) -> list[str]:
    """The modules an import statement names; [] for any other node."""
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return []


def require_stdlib(module: str, where: str) -> None:
    if module.split(".")[0] not in sys.stdlib_module_names:
        raise StandaloneError(
            f"{where}: imports {module!r}, not in the standard library: submit.py runs without "
            "packages; import it lazily inside a function and handle its absence there"
        )


def read_import(node: ast.stmt, module: Module) -> None:
    """Record one top-level import of `module` and mark its lines to drop."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] == PACKAGE:
                raise StandaloneError(
                    f"{module.name}: `import {alias.name}`: write `from {alias.name} import NAME`"
                )
            require_stdlib(alias.name, module.name)
            module.stdlib.add((alias.name, None, alias.asname))
    elif node.module == "__future__":
        module.futures |= {alias.name for alias in node.names}
    elif node.level == 0 and node.module.split(".")[0] == PACKAGE:
        for alias in node.names:
            if alias.asname:
                raise StandaloneError(
                    f"{module.name}: `from {node.module} import {alias.name} as {alias.asname}`: "
                    "drop the alias (submit.py has one namespace)"
                )
            module.hw3.append((node.module, alias.name))
    elif node.level == 0:
        require_stdlib(node.module, module.name)
        module.stdlib |= {(node.module, alias.name, alias.asname) for alias in node.names}
    else:
        raise StandaloneError(f"{module.name}: a relative import: write `from hw3.x import NAME`")
    module.dropped |= span(node)


def parse_module(name: str) -> Module:
    """Read and parse the `hw3` module `name`, as this Python would import it."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise StandaloneError(f"{name}: cannot be found: check the import that names it")
    return parse_source(name, Path(spec.origin).read_text(encoding="utf-8"))


def parse_source(name: str, source: str) -> Module:
    """Parse module `name`'s `source` for bundling (see the module docstring for what it must be)."""
    try:
        tree = ast.parse(source, filename=name, feature_version=OLDEST_PYTHON)
    except SyntaxError as err:
        raise StandaloneError(
            f"{name}: line {err.lineno} is not Python 3.8 syntax ({err.msg}): "
            "submit.py must run on Python 3.8"
        ) from None
    module = Module(name, source.splitlines(keepends=True))
    body = tree.body
    if ast.get_docstring(tree, clean=False) is not None:
        module.docstring = "".join(module.lines[body[0].lineno - 1 : body[0].end_lineno]).strip(
            "\n"
        )
        module.dropped |= span(body[0])
        body = body[1:]
    kept = set()
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            read_import(node, module)
            continue
        kept |= span(node)
        module.defined |= assigned_names(node)
        for inner in ast.walk(node):
            if any(imported.split(".")[0] == PACKAGE for imported in imported_modules(inner)):
                raise StandaloneError(
                    f"{name}: line {inner.lineno} imports from {PACKAGE} inside code: "
                    "move the import to the top of the module"
                )
    if kept & module.dropped:
        raise StandaloneError(
            f"{name}: line {min(kept & module.dropped)} shares a line with an import or the "
            "docstring: put each import on its own line"
        )
    return module


def bundle_order(entry: str) -> list[Module]:
    """`entry` and every `hw3` module it imports, directly or not, each after the modules it needs."""
    order, visiting, parsed = [], [], {}

    def visit(name: str) -> None:
        if name in visiting:
            raise StandaloneError(
                f"{name}: import cycle {' -> '.join(visiting + [name])}: break it"
            )
        if name in parsed:
            return
        visiting.append(name)
        parsed[name] = module = parse_module(name)
        for dependency, _ in module.hw3:
            visit(dependency)
        visiting.pop()
        order.append(module)

    visit(entry)
    return order


def check_namespace(modules: list[Module]) -> None:
    """Every imported `hw3` name is bound by its module, and no top-level name is bound twice."""
    by_name = {module.name: module for module in modules}
    owner = {}
    for module in modules:
        for source, name in module.hw3:
            if name not in by_name[source].bound:
                raise StandaloneError(
                    f"{module.name}: imports {name!r} from {source}, which does not bind it at "
                    "top level: import names, not modules"
                )
        for name in module.defined:
            if name in owner:
                raise StandaloneError(
                    f"{module.name}: binds {name!r}, as {owner[name]} does: submit.py has one "
                    f"namespace, so import it from {owner[name]} instead"
                )
            owner[name] = module.name
    imported = {}
    for module in modules:
        for item in module.stdlib:
            name = binding(item)
            if name in owner:
                raise StandaloneError(
                    f"{module.name}: `{import_line(item)}` hides {owner[name]}'s {name!r}: "
                    "rename one"
                )
            if imported.setdefault(name, item) != item:
                raise StandaloneError(
                    f"{module.name}: `{import_line(item)}` and `{import_line(imported[name])}` "
                    "bind the same name: rename one"
                )


def body_text(module: Module) -> str:
    """The module's text less its docstring and imports, without blank lines at either end."""
    return "".join(
        line for number, line in enumerate(module.lines, start=1) if number not in module.dropped
    ).strip("\n")


def homework_section(notebooks: tuple[str, ...], modules: list[Module]) -> str:
    """The section added at the end: the notebooks as a literal and the call of the entry's `main`."""
    bad = [name for name in notebooks if not NOTEBOOK_FILE.match(name)]
    if not notebooks or bad:
        raise StandaloneError(
            f"{SCRIPT_NAME}: notebooks {bad or list(notebooks)!r}: give NAME.ipynb of each declared assignment"
        )
    if ENTRY_FUNCTION not in modules[-1].defined:
        raise StandaloneError(
            f"{ENTRY}: defines no {ENTRY_FUNCTION}(): submit.py has nothing to run"
        )
    taken = [module.name for module in modules if NOTEBOOKS_NAME in module.bound]
    if taken:
        raise StandaloneError(
            f"{taken[0]}: binds {NOTEBOOKS_NAME!r}, the name submit.py gives the homework's notebooks: "
            "rename it"
        )
    items = ", ".join(f'"{name}"' for name in notebooks)
    literal = f"({items},)" if len(notebooks) == 1 else f"({items})"
    return (
        SECTION.format(name="the homework's notebooks")
        + "\n# written in by hw3 release from reference/*/assignment.toml, in course order"
        + f"\n{NOTEBOOKS_NAME} = {literal}\n\n\n"
        + 'if __name__ == "__main__":\n'
        + f"    sys.exit({ENTRY_FUNCTION}(notebooks={NOTEBOOKS_NAME}))"
    )


def submit_script(*, notebooks: tuple[str, ...]) -> str:
    """The text of submit.py, generated from the `hw3` modules this `hw3` runs, for the homework's
    `notebooks` (course order)."""
    modules = bundle_order(ENTRY)
    check_namespace(modules)
    entry = modules[-1]
    futures = sorted(set().union(*(module.futures for module in modules)))
    stdlib = set().union(*(module.stdlib for module in modules)) | {("sys", None, None)}
    imports = import_block(stdlib)
    note = (
        "Generated by `hw3 release` from these modules of the course's `hw3` tool, in this order; edit them, "
        f"not this file: {', '.join(module.name for module in modules)}."
    )
    head = [SHEBANG, entry.docstring] + ["# " + line for line in textwrap.wrap(note, LINE_WIDTH)]
    head += [f"from __future__ import {', '.join(futures)}"] if futures else []
    sections = [SECTION.format(name=module.name) + "\n" + body_text(module) for module in modules]
    sections.append(homework_section(tuple(notebooks), modules))
    text = "\n".join(head) + "\n\n" + "\n".join(imports) + "\n\n\n" + "\n\n\n".join(sections) + "\n"
    try:
        ast.parse(text, feature_version=OLDEST_PYTHON)
    except SyntaxError as err:
        raise StandaloneError(
            f"{SCRIPT_NAME}: line {err.lineno} does not parse ({err.msg}): "
            "check the module that holds it"
        ) from None
    return text


def write_submit_script(path: Path, *, notebooks: tuple[str, ...]) -> Path:
    """Write submit.py for the homework's `notebooks` to `path` (atomically)."""
    return write_atomic(path, submit_script(notebooks=notebooks))
