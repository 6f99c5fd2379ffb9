"""What the grader needs to know about an autograder zip, read with `ast` and never executed.

Per question (one `tests/<question>.py` file, otter's exception style): its points and its test
cases in otter's order, each with a name (the test function's name) and whether it is hidden; the
builtins the tests use, which a notebook must not shadow under plain `otter run` (otter runs the
tests in the notebook's own globals); otter's seed variable and value.
"""

import ast
import builtins
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from hw3.errors import Hw3Error

TESTS_FOLDER = "tests/"
CONFIG = "otter_config.json"
MAX_TEST_FILE_BYTES = 1024 * 1024
BUILTIN_NAMES = frozenset(name for name in dir(builtins) if not name.startswith("_"))


@dataclass(frozen=True)
class Case:
    """One test case: its name, whether students may see its message, and its points (None: shared)."""

    name: str
    hidden: bool
    points: float | None = None


@dataclass
class Question:
    """One autograded question: name, maximum points and test cases in the order otter runs them."""

    name: str
    points: float
    cases: list[Case] = field(default_factory=list)


@dataclass
class AutograderInfo:
    """Questions by name, the builtins the tests use, the zip's sha256, and otter's seed variable."""

    questions: dict[str, Question]
    test_builtins: frozenset
    sha256: str
    seed_variable: str | None = None
    seed: int | None = None  # the value otter sets the seed variable to when grading


class AutograderError(Hw3Error):
    """The autograder zip cannot be read; the message names it and the fix."""


def literal(node, default=None):
    """The value of a literal AST node, or `default`."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return default


def decorator_case(func: ast.FunctionDef) -> Case | None:
    """The Case of a function decorated with `@test_case(...)`, else None."""
    for deco in func.decorator_list:
        call = deco if isinstance(deco, ast.Call) else None
        target = call.func if call else deco
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if name != "test_case":
            continue
        kwargs = {kw.arg: literal(kw.value) for kw in (call.keywords if call else []) if kw.arg}
        return Case(
            kwargs.get("name") or func.name, bool(kwargs.get("hidden", False)), kwargs.get("points")
        )
    return None


def parse_test_file(stem: str, source: str) -> tuple[Question, set[str]]:
    """(Question, builtins used) of one of otter's exception-style test files."""
    tree = ast.parse(source)
    top = {}
    cases: list[Case] = []
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            top[node.targets[0].id] = literal(node.value)
        elif isinstance(node, ast.FunctionDef):
            case = decorator_case(node)
            if case is not None:
                cases.append(case)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in BUILTIN_NAMES}
    points = top.get("points")
    if isinstance(points, list):  # otter allows one value per case
        points = sum(p for p in points if isinstance(p, (int, float)))
    if not isinstance(points, (int, float)):
        points = sum(c.points for c in cases if isinstance(c.points, (int, float)))
    return Question(str(top.get("name", stem)), float(points), cases), used


def read_autograder(path: Path) -> AutograderInfo:
    """The questions and test builtins of an otter autograder zip (its `tests/*.py`)."""
    try:
        data = Path(path).read_bytes()
        questions, used, seed_variable, seed = {}, set(), None, None
        with zipfile.ZipFile(path) as zf:
            if CONFIG in zf.namelist():
                config = json.loads(zf.read(CONFIG))
                seed_variable = config.get("seed_variable") if isinstance(config, dict) else None
                seed = config.get("seed") if isinstance(config, dict) else None
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                member = PurePosixPath(info.filename)
                if (
                    not info.filename.startswith(TESTS_FOLDER)
                    or member.suffix != ".py"
                    or len(member.parts) != 2
                ):
                    continue
                if info.file_size > MAX_TEST_FILE_BYTES:
                    raise AutograderError(
                        f"{path}: {info.filename} is over {MAX_TEST_FILE_BYTES} bytes: rebuild it with hw3 release"
                    )
                question, names = parse_test_file(member.stem, zf.read(info).decode("utf-8"))
                questions[question.name] = question
                used |= names
    except (OSError, zipfile.BadZipFile, SyntaxError, UnicodeDecodeError, ValueError) as err:
        raise AutograderError(
            f"{path}: cannot read the autograder zip ({err}): rebuild it with hw3 release"
        ) from None
    if not questions:
        raise AutograderError(f"{path}: holds no tests/*.py: rebuild it with hw3 release")
    return AutograderInfo(
        questions,
        frozenset(used),
        hashlib.sha256(data).hexdigest(),
        seed_variable if isinstance(seed_variable, str) else None,
        seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
    )
