"""Integrity flags for a submitted notebook, found by reading its code (never running it).

Flags never change a score; they tell a TA which notebooks to open. Each is `code` or `code(detail)`:

- `edited-provided` / `deleted-provided`: a provided code cell (one that is not an answer cell)
  differs from, or is missing compared with, the released student notebook; details are 1-based cell
  numbers of the released notebook;
- `otter-internals`: code touches otter's machinery: its test classes, `grader` internals,
  `sys.modules`, IPython hooks;
- `builtins`: code touches the `builtins` module or `__builtins__`;
- `shadows-builtin`: a global name shadows a builtin the tests use (otter runs tests in the
  notebook's globals);
- `reads-tests`: code names the grader's files or folders (`tests/`, `q1_x.py`, `otter_config`, `..`);
- `reads-filesystem`: code names a path outside its own folder (`/root/...`, `~/...`, `Path.home()`)
  or walks folders (`os.walk`, `listdir`, `glob`, `rglob`, `iterdir`);
- `introspection`: frames, the garbage collector, tracing or `ctypes`: ways to reach the tests' objects.

Only code that differs from the released provided cells is scanned: the answers and any added or
edited cells. Markdown cells are not compared: editing one cannot change a score.
"""

import ast
import difflib
import re

import nbformat

from hw3.common.answers import ANSWER_TAGS

MAX_DETAILS = 4
OTTER_NAMES = frozenset(
    {
        "OKTestFile",
        "ExceptionTestFile",
        "TestFile",
        "TestCase",
        "TestCaseResult",
        "GradingResults",
        "test_case",
        "Checker",
        "GradingPreprocessor",
        "ExecutePreprocessor",
        "NotebookClient",
        "grade_notebook",
        "test_files",
        "run_autograder",
    }
)
GRADER_API = frozenset(
    {"check", "check_all", "export", "to_pdf", "run_plugin", "add_plugin_files", "submit"}
)
IPYTHON_API = frozenset({"run_line_magic", "run_cell_magic", "system", "getoutput"})
BUILTINS_NAMES = frozenset({"builtins", "__builtins__", "__builtin__"})
INTROSPECTION = {
    "sys": {"_getframe", "settrace", "setprofile", "modules"},
    "inspect": {
        "currentframe",
        "stack",
        "getouterframes",
        "getinnerframes",
        "getsource",
        "getsourcefile",
        "trace",
    },
    "gc": {"get_objects", "get_referrers", "get_referents"},
}
INTROSPECTION_MODULES = frozenset({"ctypes", "_ctypes"})
# names tests of any format lean on, guarded even when the test files do not spell them
CORE_BUILTINS = frozenset(
    {
        "bool",
        "isinstance",
        "len",
        "abs",
        "all",
        "any",
        "float",
        "int",
        "round",
        "type",
        "str",
        "list",
        "dict",
        "set",
        "tuple",
        "range",
        "min",
        "max",
        "sum",
        "sorted",
        "zip",
        "enumerate",
        "getattr",
        "hasattr",
        "print",
        "repr",
        "AssertionError",
        "Exception",
    }
)
GRADER_PATH = re.compile(
    r"(?:^|[\\/])(?:tests|autograder)[\\/]"  # tests/q1.py, autograder/...
    r"|[\\/](?:tests|autograder|source|submission)(?:[\\/]|$)"  # ../tests, /autograder/source
    r"|\bq\d+\w*\.py\b|otter_config|\.OTTER_LOG|results\.(?:pkl|json)"
    r"|(?:^|[\\/])\.\.(?:[\\/]|$)"  # the parent folder: otter's tests sit beside the submission
)
ABSOLUTE_PATH = re.compile(r"^(?:~[\w.-]*(?:/[^\0]*)?|(?:/[\w.@+-]+)+/?|[A-Za-z]:[\\/][^\0]*)$")
OWN_PATHS = ("/content/", "/content", "/dev/null")  # Colab's working folder; the null device
FOLDER_WALKS = frozenset(
    {
        "walk",
        "fwalk",
        "listdir",
        "scandir",
        "glob",
        "iglob",
        "rglob",
        "iterdir",
        "home",
        "expanduser",
    }
)
MAX_PATH_DETAIL = 40
SOURCE_FALLBACK = re.compile(r"\b(?:" + "|".join(sorted(OTTER_NAMES | BUILTINS_NAMES)) + r")\b")


def normalise(source: str, seed_variable: str | None = None) -> str:
    """Cell source without trailing spaces or blank lines at either end (what editors change silently),
    and without `<seed_variable> = <int>` lines, whose value otter assign sets per copy (42 in the
    reference, another number in the student's)."""
    seed = re.compile(rf"^\s*{re.escape(seed_variable)}\s*=\s*-?\d+\s*$") if seed_variable else None
    return "\n".join(
        line.rstrip() for line in source.strip().splitlines() if not (seed and seed.match(line))
    )


def is_answer(cell) -> bool:
    """Whether otter tagged this cell (code or markdown) as an answer."""
    return any(tag in cell.get("metadata", {}).get("tags", []) for tag in ANSWER_TAGS)


def provided_code(nb, seed_variable: str | None = None) -> list[tuple[int, str]]:
    """(1-based cell number, normalised source) of each non-empty code cell that is not an answer cell."""
    return [
        (number, normalise(cell.source, seed_variable))
        for number, cell in enumerate(nb.cells, start=1)
        if cell.cell_type == "code" and not is_answer(cell) and cell.source.strip()
    ]


def provided_changes(
    released, submitted, seed_variable: str | None = None
) -> tuple[list[int], list[int]]:
    """(edited, deleted): released cell numbers of provided code cells changed or missing in `submitted`.

    The two sequences of provided cells are aligned (difflib): cells the student added anywhere are
    allowed; a released cell replaced by other code is edited, one with nothing in its place deleted.
    """
    ours, theirs = provided_code(released, seed_variable), provided_code(submitted, seed_variable)
    matcher = difflib.SequenceMatcher(
        None, [s for _, s in ours], [s for _, s in theirs], autojunk=False
    )
    edited, deleted = [], []
    for op, i1, i2, _, _ in matcher.get_opcodes():
        numbers = [number for number, _ in ours[i1:i2]]
        if op == "replace":
            edited += numbers
        elif op == "delete":
            deleted += numbers
    return edited, deleted


def to_python(source: str) -> str:
    """Cell source with IPython syntax (%magics, !shell) turned into Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython missing or a transform failing: parse the raw source
        return source


def call_name(node) -> str:
    """`a.b.c` for a Name/Attribute chain, '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = call_name(node.func)
        return ".".join([inner + "()"] + list(reversed(parts))) if inner else ""
    return ""


class Scanner(ast.NodeVisitor):
    """Collects flag details from one cell's AST; `guarded` are the builtins a global may not shadow."""

    def __init__(self, guarded: frozenset):
        self.guarded = guarded
        self.found: dict[str, set[str]] = {}
        self.depth = 0  # inside a function or class body: assignments are local
        self.declared_global: set[str] = set()

    def add(self, code: str, detail: str) -> None:
        self.found.setdefault(code, set()).add(detail)

    def bind(self, name: str) -> None:
        if name in self.guarded and (self.depth == 0 or name in self.declared_global):
            self.add("shadows-builtin", name)

    def bind_target(self, target) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                self.bind(node.id)

    def scoped(self, node) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_FunctionDef(self, node):
        if self.depth == 0 or node.name in self.declared_global:
            self.bind(node.name)
        self.scoped(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.visit_FunctionDef(node)

    def visit_Lambda(self, node):
        self.scoped(node)

    def visit_Global(self, node):
        self.declared_global.update(node.names)

    def visit_Assign(self, node):
        for target in node.targets:
            self.bind_target(target)
            self.check_globals_item(target)
        self.generic_visit(node)

    def visit_single_target(self, node):
        """Statements and expressions that bind one `target`: x: T = v, x += v, (x := v), for x in ..."""
        self.bind_target(node.target)
        self.generic_visit(node)

    visit_AnnAssign = visit_AugAssign = visit_NamedExpr = visit_For = visit_AsyncFor = (
        visit_single_target
    )

    def visit_With(self, node):
        for item in node.items:
            if item.optional_vars is not None:
                self.bind_target(item.optional_vars)
        self.generic_visit(node)

    visit_AsyncWith = visit_With

    def check_globals_item(self, target) -> None:
        """`globals()["bool"] = ...` binds a global as surely as `bool = ...`."""
        if isinstance(target, ast.Subscript) and call_name(target.value) in (
            "globals()",
            "vars()",
            "locals()",
        ):
            key = target.slice
            name = (
                key.value
                if isinstance(key, ast.Constant) and isinstance(key.value, str)
                else "globals()[...]"
            )
            if name in self.guarded or name == "globals()[...]":
                self.add("shadows-builtin", name)

    def visit_Import(self, node):
        for alias in node.names:
            self.check_module(alias.name)
            if self.depth == 0:
                self.bind(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self.check_module(module)
        for alias in node.names:
            if module.split(".")[0] == "otter" and alias.name != "Notebook":
                self.add("otter-internals", f"{module}.{alias.name}")
            if alias.name in OTTER_NAMES:
                self.add("otter-internals", alias.name)
            if module in INTROSPECTION and alias.name in INTROSPECTION[module]:
                self.add("introspection", f"{module}.{alias.name}")
            if self.depth == 0:
                self.bind(alias.asname or alias.name)

    def check_module(self, module: str) -> None:
        top = module.split(".")[0]
        if top == "otter" and module != "otter":
            self.add("otter-internals", module)
        if top in BUILTINS_NAMES:
            self.add("builtins", top)
        if top in INTROSPECTION_MODULES:
            self.add("introspection", top)

    def visit_Name(self, node):
        if node.id in BUILTINS_NAMES:
            self.add("builtins", node.id)
        elif node.id in OTTER_NAMES:
            self.add("otter-internals", node.id)

    def visit_Attribute(self, node):
        owner = call_name(node.value)
        if owner == "otter" and node.attr != "Notebook":
            self.add("otter-internals", f"otter.{node.attr}")
        elif owner == "grader" and node.attr not in GRADER_API:
            self.add("otter-internals", f"grader.{node.attr}")
        elif owner == "get_ipython()" and node.attr not in IPYTHON_API:
            self.add("otter-internals", f"get_ipython().{node.attr}")
        elif node.attr in OTTER_NAMES:
            self.add("otter-internals", node.attr)
        elif node.attr in BUILTINS_NAMES:
            self.add("builtins", node.attr)
        if owner in INTROSPECTION and node.attr in INTROSPECTION[owner]:
            self.add("introspection", f"{owner}.{node.attr}")
        if node.attr in ("parent", "parents") and owner.endswith(
            ("cwd()", "getcwd()", "resolve()", "absolute()")
        ):
            self.add("reads-tests", f"{owner}.{node.attr}")
        self.generic_visit(node)

    def visit_Call(self, node):
        name = call_name(node.func)
        if name.rsplit(".", 1)[-1] in FOLDER_WALKS:
            self.add("reads-filesystem", name)
        if name.endswith("dirname") and any(
            call_name(a).endswith(("getcwd()", "cwd()"))
            or (isinstance(a, ast.Call) and call_name(a.func).endswith(("getcwd", "cwd")))
            for a in node.args
        ):
            self.add("reads-tests", "dirname(getcwd())")
        if name in ("globals().update", "vars().update"):
            self.add("shadows-builtin", name + "(...)")
        if (
            name in ("setattr", "delattr")
            and node.args
            and call_name(node.args[0]) in BUILTINS_NAMES
        ):
            self.add("builtins", f"{name}({call_name(node.args[0])})")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str):
            found = GRADER_PATH.search(node.value)
            if found:
                self.add("reads-tests", repr(found.group(0).strip("/\\")))
            if node.value in BUILTINS_NAMES:
                self.add("builtins", repr(node.value))
            if ABSOLUTE_PATH.match(node.value) and not node.value.startswith(OWN_PATHS):
                self.add("reads-filesystem", repr(node.value[:MAX_PATH_DETAIL]))


def scan_source(source: str, guarded: frozenset) -> dict[str, set[str]]:
    """{flag code: details} for one cell's source; unparsable code falls back to a word search."""
    try:
        tree = ast.parse(to_python(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        found: dict[str, set[str]] = {}
        for word in set(SOURCE_FALLBACK.findall(source)):
            found.setdefault(
                "builtins" if word in BUILTINS_NAMES else "otter-internals", set()
            ).add(word)
        return found
    scanner = Scanner(guarded)
    # `global x` anywhere in the cell makes x a global everywhere in it
    scanner.declared_global = {
        name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names
    }
    scanner.visit(tree)
    return scanner.found


def describe(code: str, details) -> str:
    """`code(a,b)` with at most MAX_DETAILS details, sorted; just `code` without details."""
    items = sorted((str(d) for d in details), key=lambda s: (len(s), s) if s.isdigit() else (0, s))
    if not items:
        return code
    more = f",+{len(items) - MAX_DETAILS}" if len(items) > MAX_DETAILS else ""
    return f"{code}({','.join(items[:MAX_DETAILS])}{more})"


def notebook_flags(
    released: nbformat.NotebookNode,
    submitted: nbformat.NotebookNode,
    test_builtins=frozenset(),
    seed_variable: str | None = None,
) -> list[str]:
    """Integrity flags of `submitted` against the released student notebook, in a fixed order."""
    edited, deleted = provided_changes(released, submitted, seed_variable)
    flags = {}
    if edited:
        flags["edited-provided"] = set(edited)
    if deleted:
        flags["deleted-provided"] = set(deleted)
    unchanged = {source for _, source in provided_code(released, seed_variable)}
    guarded = frozenset(test_builtins) | CORE_BUILTINS
    for cell in submitted.cells:
        if (
            cell.cell_type != "code"
            or not cell.source.strip()
            or normalise(cell.source, seed_variable) in unchanged
        ):
            continue
        for code, details in scan_source(cell.source, guarded).items():
            flags.setdefault(code, set()).update(details)
    order = [
        "edited-provided",
        "deleted-provided",
        "otter-internals",
        "builtins",
        "shadows-builtin",
        "reads-tests",
        "reads-filesystem",
        "introspection",
    ]
    return [describe(code, flags[code]) for code in order if code in flags]
