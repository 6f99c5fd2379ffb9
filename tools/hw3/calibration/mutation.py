"""`hw3 calibrate --mutate`: first-order mutants of every answer against the hidden tests.

The hand-written catalogue (`reference/mutants/`) holds the mistakes its authors imagined; this
finds the ones they did not. Every answer region of the reference solution (the lines between
`# BEGIN SOLUTION` and `# END SOLUTION` of each answer cell in `autograder/<name>/<name>.ipynb`) is
mutated once per operator and occurrence (`mutate_code`) with cosmic-ray's operators (`core/...`:
numbers, arithmetic, comparisons, booleans, loops) and hw3's (`hw3/...`, `hw3.calibration.operators`:
a dropped argument, target or update, a sibling name, one end of a sequence, `int`/`round`, a
dtype conversion left out). Each mutant is tried in-process by `mutation_worker`: first the hidden
tests of its own question; then, when it survives them and the rest of the notebook uses what it
defines, the notebook is run on from that cell (the model retrained) and every hidden test runs. A
mutant is killed when a hidden test fails (or it runs past its time). Mutants that cannot change
behaviour are listed, with the reason, in `reference/mutants/equivalent.txt` after review; the
mutation score of a question (and of an operator class) is killed / (mutants - equivalent).
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from hw3.common.answers import answer_cells
from hw3.common.notebook_run import GRADING_ENV
from hw3.errors import Hw3Error
from hw3.project import Repository

# cosmic-ray's two variable operators act on one variable named in the configuration and put a
# random number in its place (or mix one into an expression); hw3/ReplaceName swaps every variable
# for a sibling name instead, deterministically
EXCLUDED_OPERATORS = (
    "core/VariableReplacer",
    "core/VariableInserter",
)
HW3_PROVIDER = "hw3"  # the entry point of hw3's operators (pyproject.toml)
SOLUTION_START = re.compile(r"^\s*# BEGIN SOLUTION")
SOLUTION_END = re.compile(r"^\s*# END SOLUTION")
SOLUTION_LINE = re.compile(r"#\s*SOLUTION\s*$")
EQUIVALENT_FILE = "equivalent.txt"  # in reference/mutants/
EQUIVALENT_LINE = re.compile(r"^(?P<assignment>\w+)/(?P<id>\S+)\s*:\s*(?P<reason>.+)$")
GOAL = 0.90
DIGEST_CHARS = 8
# its own tests, then the rest of the notebook again (training at the grading budget) with every test
MUTANT_TIMEOUT_S = 240


class MutationError(Hw3Error):
    """cosmic-ray is missing, or the equivalents file is malformed; the message names the fix."""


@dataclass(frozen=True)
class CodeMutant:
    """One first-order mutant: an answer cell of the reference with one operator applied once."""

    assignment: str
    question: str
    cell: int  # index of the answer cell in the autograder notebook
    operator: str
    source: str  # the whole mutated cell
    removed: tuple[str, ...]
    added: tuple[str, ...]

    @property
    def id(self) -> str:
        """`<question>/<operator>@<digest of the changed lines>`: stable while those lines stay as they are."""
        digest = hashlib.sha1(
            "\n".join((self.question, *self.removed, ">>", *self.added)).encode()
        ).hexdigest()
        return f"{self.question}/{self.operator.split('/', 1)[1]}@{digest[:DIGEST_CHARS]}"

    def diff(self) -> str:
        return "\n".join(
            [f"- {line.strip()}" for line in self.removed]
            + [f"+ {line.strip()}" for line in self.added]
        )


@dataclass
class MutantOutcome:
    """What the hidden tests made of one mutant."""

    id: str
    question: str
    diff: str
    killed: bool
    how: str  # "own tests", "after retraining", "timeout", or "" when it survived
    failed: list[str] = field(default_factory=list)
    equivalent: str = ""  # the reviewed reason, when listed in equivalent.txt
    operator: str = (
        ""  # "<provider>/<operator>", e.g. "core/NumberReplacer", "hw3/DropCallArgument"
    )

    @property
    def operator_class(self) -> str:
        """The operator's family: `core/ReplaceBinaryOperator_Add_Sub` -> `core/ReplaceBinaryOperator`."""
        return self.operator.split("_", 1)[0]


@dataclass
class QuestionScore:
    mutants: int
    equivalent: int
    killed: int

    @property
    def score(self) -> float:
        live = self.mutants - self.equivalent
        return self.killed / live if live else 1.0


@dataclass
class MutationReport:
    """Per assignment: every mutant's outcome, the score of each question and of the whole notebook, seconds."""

    outcomes: dict[str, list[MutantOutcome]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    stale_equivalents: list[str] = field(default_factory=list)  # listed ids no longer generated

    def questions(self, assignment: str) -> dict[str, QuestionScore]:
        return self._scores(assignment, lambda outcome: outcome.question)

    def operator_classes(self, assignment: str) -> dict[str, QuestionScore]:
        """The score of each operator class (`core/NumberReplacer`, `hw3/DropCallArgument`, ...)."""
        return self._scores(assignment, lambda outcome: outcome.operator_class)

    def _scores(self, assignment: str, key) -> dict[str, QuestionScore]:
        scores: dict[str, QuestionScore] = {}
        for outcome in self.outcomes[assignment]:
            score = scores.setdefault(key(outcome), QuestionScore(0, 0, 0))
            score.mutants += 1
            score.equivalent += bool(outcome.equivalent) and not outcome.killed
            score.killed += outcome.killed
        return dict(sorted(scores.items()))

    def total(self, assignment: str) -> QuestionScore:
        scores = list(self.questions(assignment).values())
        return QuestionScore(
            sum(s.mutants for s in scores),
            sum(s.equivalent for s in scores),
            sum(s.killed for s in scores),
        )

    def survivors(self, assignment: str) -> list[MutantOutcome]:
        """Mutants that no hidden test killed and nobody has judged equivalent."""
        return [o for o in self.outcomes[assignment] if not o.killed and not o.equivalent]

    def score_line(self, assignment: str) -> str:
        total = self.total(assignment)
        return (
            f"mutation score {assignment}: {100 * total.score:.1f} % "
            f"(killed {total.killed} of {total.mutants - total.equivalent} non-equivalent)"
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "seconds": self.seconds,
                "stale_equivalents": self.stale_equivalents,
                "outcomes": {a: [asdict(o) for o in outs] for a, outs in self.outcomes.items()},
            },
            indent=2,
        )


def operators() -> list[str]:
    """The operators used here: cosmic-ray's (but the two that need arguments) and hw3's, by name."""
    try:
        from cosmic_ray.plugins import operator_names
    except ImportError:
        raise MutationError(
            "cosmic-ray is not installed: pip install cosmic-ray (it is in the dev extra)"
        ) from None
    names = sorted(name for name in operator_names() if name not in EXCLUDED_OPERATORS)
    if not any(name.startswith(f"{HW3_PROVIDER}/") for name in names):
        raise MutationError(
            "hw3's mutation operators are not registered with cosmic-ray: reinstall this "
            "repository (pip install -e .) so that its entry point cosmic_ray.operator_providers is seen"
        )
    return names


def solution_lines(source: str) -> set[int]:
    """0-based numbers of the lines an answer region holds: between the solution markers, or marked `# SOLUTION`."""
    lines, inside, found = source.splitlines(), False, set()
    for number, line in enumerate(lines):
        if SOLUTION_START.match(line):
            inside = True
        elif SOLUTION_END.match(line):
            inside = False
        elif inside or SOLUTION_LINE.search(line):
            found.add(number)
    return found


def changed_lines(original: str, mutated: str) -> tuple[list[int], list[str], list[str]]:
    """(0-based numbers of the original lines a mutation changed, those lines, their replacements)."""
    before, after = original.splitlines(), mutated.splitlines()
    numbers, removed, added = [], [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, before, after, autojunk=False
    ).get_opcodes():
        if op != "equal":
            numbers += list(range(i1, max(i2, i1 + 1)))
            removed += before[i1:i2]
            added += after[j1:j2]
    return numbers, removed, added


def generate(assignment: str, nb: nbformat.NotebookNode) -> list[CodeMutant]:
    """Every first-order mutant of the answer regions of `nb` (the autograder notebook).

    Deduplicated by id, and by the mutated cell (the first operator in name order keeps it).
    """
    from cosmic_ray.ast import ast_nodes, get_ast
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator

    names = operators()
    found: dict[str, CodeMutant] = {}
    sources: set[tuple[int, str]] = set()
    for question, indices in answer_cells(nb).items():
        for index in indices:
            source = nb.cells[index].source
            allowed = solution_lines(source)
            nodes = list(ast_nodes(get_ast(source)))
            for name in names:
                operator = get_operator(name)()
                # counted on one parse, in the order cosmic-ray's walk numbers occurrences: most
                # operators have none in a cell, and parsing once per operator was most of the time
                count = sum(1 for node in nodes for _ in operator.mutation_positions(node))
                for occurrence in range(count):
                    mutated = mutate_code(source, operator, occurrence)
                    numbers, removed, added = changed_lines(source, mutated)
                    if not numbers or not set(numbers) <= allowed or (index, mutated) in sources:
                        continue
                    check_parses(mutated, name, question)
                    mutant = CodeMutant(
                        assignment, question, index, name, mutated, tuple(removed), tuple(added)
                    )
                    sources.add((index, mutated))
                    found.setdefault(mutant.id, mutant)
    return list(found.values())


def check_parses(source: str, operator: str, question: str) -> None:
    """A mutant that does not parse would count as killed without testing anything: stop instead."""
    try:
        ast.parse(source)
    except SyntaxError as err:
        raise MutationError(
            f"{operator} made a mutant of {question} that does not parse ({err.msg}, line "
            f"{err.lineno}): a bug in the operator; leave it out with EXCLUDED_OPERATORS and report it"
        ) from None


def load_equivalents(path: Path) -> dict[str, str]:
    """{'<assignment>/<mutant id>': reason} from the reviewed list (blank lines and # comments skipped)."""
    if not path.exists():
        return {}
    listed = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = EQUIVALENT_LINE.match(line.strip())
        if not match:
            raise MutationError(
                f"{path}:{number}: expected '<assignment>/<mutant id>: <why it is equivalent>'"
            )
        listed[f"{match['assignment']}/{match['id']}"] = match["reason"].strip()
    return listed


def stage(repo: Repository, assignment: str, folder: Path) -> Path:
    """A folder like otter's grading folder: the data, and the hidden tests in tests/; returns it."""
    autograder = repo.autograder / assignment
    with zipfile.ZipFile(autograder / f"{assignment}-autograder.zip") as zf:
        for member in zf.namelist():
            if member.startswith("tests/") and member.endswith(".py"):
                (folder / member).parent.mkdir(parents=True, exist_ok=True)
                (folder / member).write_bytes(zf.read(member))
            elif member.startswith("files/"):
                target = folder / member.removeprefix("files/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(member))
    return folder


def run_worker(
    repo: Repository, assignment: str, mutants: list[CodeMutant], jobs: int
) -> list[dict]:
    """Run `mutation_worker` on `mutants` in a staged folder with the grading environment; its results."""
    with tempfile.TemporaryDirectory(prefix=f"hw3-mutate-{assignment}-") as tmp:
        folder = stage(repo, assignment, Path(tmp))
        job = {
            "notebook": str(repo.autograder / assignment / f"{assignment}.ipynb"),
            "jobs": jobs,
            "timeout": MUTANT_TIMEOUT_S,
            "mutants": [
                {"id": m.id, "question": m.question, "cell": m.cell, "source": m.source}
                for m in mutants
            ],
        }
        (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")
        env = {**os.environ, **GRADING_ENV, "MPLBACKEND": "Agg"}
        done = subprocess.run(
            [sys.executable, "-m", "hw3.calibration.mutation_worker", "job.json", "results.json"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise MutationError(
                f"the mutation worker failed on {assignment}:\n{done.stderr[-3000:]}"
            )
        return json.loads((folder / "results.json").read_text(encoding="utf-8"))


def analyse(*, repo: Repository, names: list[str] | None = None, jobs: int = 2) -> MutationReport:
    """Generate and try every mutant of each assignment's answers; the report."""
    equivalents = load_equivalents(repo.mutants / EQUIVALENT_FILE)
    report = MutationReport()
    generated: set[str] = set()
    for assignment in names or repo.mastered_assignments():
        started = time.perf_counter()
        nb = nbformat.read(repo.autograder / assignment / f"{assignment}.ipynb", as_version=4)
        mutants = generate(assignment, nb)
        results = {r["id"]: r for r in run_worker(repo, assignment, mutants, jobs)}
        report.outcomes[assignment] = []
        for mutant in mutants:
            result = results[mutant.id]
            key = f"{assignment}/{mutant.id}"
            generated.add(key)
            report.outcomes[assignment].append(
                MutantOutcome(
                    mutant.id,
                    mutant.question,
                    mutant.diff(),
                    result["killed"],
                    result["how"],
                    result["failed"],
                    equivalents.get(key, ""),
                    mutant.operator,
                )
            )
        report.seconds[assignment] = round(time.perf_counter() - started, 1)
    ran = {f"{a}/" for a in report.outcomes}
    report.stale_equivalents = sorted(
        k for k in equivalents if k not in generated and any(k.startswith(p) for p in ran)
    )
    return report


def class_table(report: MutationReport, assignment: str) -> str:
    """The score of each operator class of one notebook, as a plain-text table for the terminal."""
    rows = [("operator class", "mutants", "equivalent", "killed", "score")] + [
        (name, str(s.mutants), str(s.equivalent), str(s.killed), f"{100 * s.score:.1f} %")
        for name, s in report.operator_classes(assignment).items()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths))
        ).rstrip()
        for row in rows
    )


def markdown(report: MutationReport) -> str:
    """The mutation report: per question and per operator class the score, every survivor with its
    diff, the equivalents."""
    lines = ["# Mutation analysis of the hidden tests", ""]
    for assignment in report.outcomes:
        lines += [
            f"## {assignment}: {report.score_line(assignment)}, {report.seconds[assignment]:.0f} s",
            "",
            "| question | mutants | equivalent | killed | score |",
            "| --- | --- | --- | --- | --- |",
        ]
        for question, s in report.questions(assignment).items():
            lines.append(
                f"| {question} | {s.mutants} | {s.equivalent} | {s.killed} | {100 * s.score:.1f} % |"
            )
        lines += [
            "",
            "| operator class | mutants | equivalent | killed | score |",
            "| --- | --- | --- | --- | --- |",
        ]
        for name, s in report.operator_classes(assignment).items():
            lines.append(
                f"| `{name}` | {s.mutants} | {s.equivalent} | {s.killed} | {100 * s.score:.1f} % |"
            )
        survivors = report.survivors(assignment)
        lines += ["", f"### Survivors ({len(survivors)})", ""]
        for outcome in survivors:
            lines += [f"- `{outcome.id}`", "", "```diff", outcome.diff, "```", ""]
        judged = [o for o in report.outcomes[assignment] if o.equivalent and not o.killed]
        lines += [f"### Judged equivalent ({len(judged)})", ""]
        lines += [f"- `{o.id}`: {o.equivalent}" for o in judged] + [""]
    if report.stale_equivalents:
        lines += ["## Listed as equivalent but no longer generated (update equivalent.txt)", ""]
        lines += [f"- `{key}`" for key in report.stale_equivalents] + [""]
    return "\n".join(lines)
