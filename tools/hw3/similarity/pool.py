"""Answers written independently of the reference, for the synthetic class of `hw3 similarity --bench`.

The answers are course data: `reference/<name>/similarity_pool.toml`, named by the assignment's
declaration (`similarity_pool`). Each TODO of each question is a list of steps, and each step lists
interchangeable ways to write it (other loops, other valid torch/numpy/pandas calls), none
following the reference's structure. A synthetic student composes an answer by picking one way per
step, as independent students do: they reach the same natural idioms one statement at a time, never
the same whole answer (a pool of whole answers would make a third of the class token-identical,
which no detector may call independent). Ways are written at the TODO's indentation; later steps
may indent further. Every way is correct: tests/similarity/test_pool.py runs each against the
reference.

File format (TOML): one `[[question]]` table per TODO of the question's stub, in order, each with
`steps = [[way, way, ...], ...]`.
"""

from __future__ import annotations

import random
import re
import sys

from hw3.registry import Declaration, Registry, RegistryError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# The stub's `# TODO ...` comment (possibly continued on more comment lines) and its `raise`.
TODO_AND_RAISE = re.compile(
    r"^(?P<indent>[ \t]*)# TODO.*\n(?:[ \t]*#.*\n)*[ \t]*raise NotImplementedError\(.*\)\n?",
    re.MULTILINE,
)

Step = tuple[str, ...]  # interchangeable ways to write one step
Pool = dict[str, list[list[Step]]]  # question -> one list of steps per TODO


def is_ways(step) -> bool:
    return isinstance(step, list) and bool(step) and all(isinstance(w, str) and w for w in step)


def load_pool(declaration: Declaration) -> Pool:
    """The pool of one assignment, from the file its declaration names; RegistryError naming the file and
    the question when it is missing or malformed."""
    path = declaration.pool_file
    if path is None:
        raise RegistryError(
            f"{declaration.file}: no similarity_pool: name the file of independent answers "
            "(similarity_pool.toml) to build a synthetic class"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(
            f"{declaration.where('similarity_pool')}: {path} is missing: restore it or drop the key"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise RegistryError(f"{path}: not valid TOML ({err}): fix the line it names") from None
    pool = {}
    for question, todos in data.items():
        if not isinstance(todos, list) or not todos:
            raise RegistryError(f"{path}: {question}: write each TODO as a [[{question}]] table")
        pool[question] = []
        for number, todo in enumerate(todos, start=1):
            steps = todo.get("steps") if isinstance(todo, dict) else None
            if not isinstance(steps, list) or not steps or set(todo) != {"steps"}:
                raise RegistryError(
                    f"{path}: [[{question}]] #{number}: give only steps = [[way, ...], ...]"
                )
            if not all(is_ways(step) for step in steps):
                raise RegistryError(
                    f"{path}: [[{question}]] #{number} steps: each step is a non-empty list of "
                    "non-empty strings"
                )
            pool[question].append([tuple(step) for step in steps])
    return pool


def load_pools(registry: Registry) -> dict[str, Pool]:
    """{assignment: its pool} of every declared assignment that names one, in course order."""
    return {d.name: load_pool(d) for d in registry if d.pool_file is not None}


def answered(stub_source: str, bodies: list[str]) -> str:
    """The stub cell with its TODO prompts (`# TODO` ... `raise NotImplementedError`) replaced by `bodies`, in order.

    Each body is written at indentation zero and indented like the prompt it replaces.
    """
    matches = list(TODO_AND_RAISE.finditer(stub_source))
    if len(matches) != len(bodies):
        raise ValueError(
            f"the stub cell has {len(matches)} TODO prompt(s), {len(bodies)} bodies were given"
        )
    out, at = [], 0
    for match, body in zip(matches, bodies):
        indent = match["indent"]
        out.append(stub_source[at : match.start()])
        out.append(
            "".join(
                indent + line + "\n" if line.strip() else "\n"
                for line in body.strip("\n").splitlines()
            )
        )
        at = match.end()
    out.append(stub_source[at:])
    return "".join(out)


def compose(todos: list[list[Step]], choose) -> list[str]:
    """One body per TODO: the way `choose(step index, step)` picks for each step, joined."""
    bodies, index = [], 0
    for steps in todos:
        lines = []
        for step in steps:
            lines.append(choose(index, step))
            index += 1
        bodies.append("\n".join(lines))
    return bodies


def independent_answers(
    pool: Pool, stub_cells: dict[str, list[str]], rng: random.Random
) -> dict[str, list[str]]:
    """{question: answer cell sources} of one independent student, composed from an assignment's `pool`.

    `stub_cells` holds the released stub's answer cells per question (the TODOs are in the last).
    """
    answers = {}
    for question, todos in pool.items():
        sources = list(stub_cells[question])
        sources[-1] = answered(sources[-1], compose(todos, lambda _, step: rng.choice(step)))
        answers[question] = sources
    return answers
