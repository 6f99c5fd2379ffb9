"""Requirements of the masters and the hidden tests that check them: parsed, checked, and written as a table.

A requirement is a sentence of an autograded question's prose that carries an id in square brackets,
`[q2.chunks]` (the question's number, a dot, a short name): in the question's markdown (cells that
say "Just run this cell" describe provided code and are left out) or in a docstring of its answer
cells. The same id may tag several sentences (the markdown and the docstring that restate one rule).
A hidden test names the ids it checks on a comment line at the top of its body:

    def test_batches_match_the_definition(make_batches):
        # requirements: [q2.shift] [q2.streams] [q2.chunks]

`problems()` lists every id no hidden test checks, every hidden test that checks no id (or an id its
question's prose does not define), and every requirement-like sentence ("must", "returns", "keep",
"only", "exactly", a dtype or a shape) without an id; `table()` is the generated section of
reference/AUTHORING.md.

    python tests/traceability.py write    # regenerate the table in reference/AUTHORING.md
    python tests/traceability.py check    # print the problems (exit 1 when there are any)
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(
    0, str(REPO / "tools")
)  # run as a script from a clone without the package installed

from hw3.project import Repository  # noqa: E402

AUTHORING = REPO / "reference" / "AUTHORING.md"
BEGIN = "<!-- BEGIN GENERATED: requirements (python tests/traceability.py write) -->"
END = "<!-- END GENERATED: requirements -->"
TAG = re.compile(r"\[(q\d+b?)\.([a-z][a-z0-9-]*)\]")
DECLARED = re.compile(r"^\s*# requirements:((?:\s*\[[^\]]+\])+)\s*$", re.M)
PROVIDED = "Just run this cell"
# what makes a sentence a requirement: a duty, a rule word, what a function returns (the verb: "log
# returns" are data), a dtype, a shape
REQUIREMENT_WORDS = re.compile(
    r"\b(must|keeps?|kept|only|exactly)\b"
    r"|(?:^|`\s|\b(?:and|it|which|that)\s)returns?\b|^Returns?\b|\breturning\b"
    r"|\b(float32|float64|int64|torch\.long|LongTensor|datetime64|dtype)\b"
    r"|\\times"
)
# a shape: a parenthesised tuple (not a call's arguments) of short dimensions, one of them a size
# written in capitals or digits: (T,), (B, T), (num_layers, B, H), (T - start,)
TUPLE = re.compile(r"(?<![\w\]])\(([^()]*,[^()]*)\)")
DIMENSION = re.compile(r"^\s*(?:\d|[A-Z])")
INPUTS = re.compile(
    r"^Inputs?:"
)  # a docstring's description of the arguments: the caller's to choose
ITEM_START = re.compile(r"^\s*(?:[-*] |\d+\. |\||[A-Z][a-z]+: )")
TABLE_RULE = re.compile(r"^\|[\s|:-]+\|$")
SENTENCE_END = re.compile(r"(?<!e\.g\.)(?<!i\.e\.)(?<=[.!?])\s+(?=[A-Z`*(\[$])")
MAX_QUOTE = 150


@dataclass
class Unit:
    """A requirement-sized piece of prose: a sentence, a list item or a table row, and where it is."""

    text: str
    where: str

    @property
    def ids(self) -> list[str]:
        return [f"{q}.{name}" for q, name in TAG.findall(self.text)]

    @property
    def requirement_like(self) -> bool:
        text = TAG.sub("", self.text)
        if INPUTS.match(text) or text.startswith("#"):  # arguments described, or a heading
            return False
        shapes = [t for t in TUPLE.findall(text) if all(len(d.strip()) <= 15 for d in t.split(","))]
        return bool(REQUIREMENT_WORDS.search(text)) or any(
            any(DIMENSION.match(d) for d in t.split(",")) for t in shapes
        )

    def quote(self, ident: str | None = None) -> str:
        """The unit on one line without its tags, shortened; with `ident`, only the words that lead to its tag."""
        text = self.text
        if ident is not None:
            tag = f"[{ident}]"
            before = text[: text.index(tag)] if tag in text else text
            earlier = list(TAG.finditer(before))
            text = before[earlier[-1].end() :] if earlier else before
            text = text.lstrip(" ,;:.")
        text = re.sub(
            r"\s*" + TAG.pattern + r"(?=[.,;:])", "", text
        )  # "kept [q7.ties]." -> "kept."
        text = re.sub(r"\s+", " ", TAG.sub("", text)).strip().replace("|", "/").strip(" /-,;:")
        return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1].rstrip() + "…"


@dataclass
class HiddenTest:
    name: str
    ids: list[str]


@dataclass
class Question:
    name: str
    units: list[Unit] = field(default_factory=list)
    tests: list[HiddenTest] = field(default_factory=list)

    @property
    def number(self) -> str:
        return self.name.split("_", 1)[0]

    def requirements(self) -> dict[str, Unit]:
        """Each id of the prose and the first unit that carries it, in the order of the prose."""
        found: dict[str, Unit] = {}
        for unit in self.units:
            for ident in unit.ids:
                found.setdefault(ident, unit)
        return found

    def checked_by(self, ident: str) -> list[str]:
        return [t.name for t in self.tests if ident in t.ids]


def units(text: str, where: str) -> Iterator[Unit]:
    """The sentences, list items and table rows of a piece of Markdown or a docstring."""
    for block in re.split(r"\n\s*\n", text):
        lines = block.splitlines()
        if len(lines) > 1 and TABLE_RULE.match(lines[1].strip()):
            lines = lines[2:]  # a table's header and rule
        items: list[str] = []
        for line in lines:
            previous_ended = not items or items[-1].rstrip().endswith((".", ":", ";"))
            heading = items and items[-1].startswith("#")
            if (
                not items
                or heading
                or ITEM_START.match(line)
                or line.startswith("#")
                or (previous_ended and line.strip()[:1].isupper())
            ):
                items.append(line.strip())
            else:
                items[-1] += " " + line.strip()
        for item in items:
            for sentence in SENTENCE_END.split(item):
                if sentence.strip():
                    yield Unit(sentence.strip(), where)


def docstrings(source: str) -> Iterator[str]:
    """The docstrings of the classes and functions a code cell defines."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            doc = ast.get_docstring(node)
            if doc:
                yield doc


def hidden_test(source: str) -> HiddenTest | None:
    """The hidden test a test cell defines, with the ids it declares; None for a public test."""
    if not re.search(r"^hidden:\s*true\s*$", source, re.M):
        return None
    name = next(n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef))
    declared = DECLARED.search(source)
    ids = [f"{q}.{n}" for q, n in TAG.findall(declared.group(1))] if declared else []
    return HiddenTest(name, ids)


def questions(master: Path) -> list[Question]:
    """The autograded questions of a master, in order, with their prose units and hidden tests."""
    found: list[Question] = []
    current: Question | None = None
    region = None
    for index, cell in enumerate(nbformat.read(master, as_version=4).cells):
        source = cell.source
        if cell.cell_type == "raw":
            marker = source.strip().splitlines()[0] if source.strip() else ""
            if marker == "# BEGIN QUESTION":
                manual = re.search(r"^manual:\s*true", source, re.M)
                name = re.search(r"^name:\s*(\S+)", source, re.M).group(1)
                current = None if manual else Question(name)
                if current:
                    found.append(current)
                region = "prompt"
            elif marker == "# END QUESTION":
                current, region = None, None
            elif marker in ("# BEGIN SOLUTION", "# BEGIN TESTS"):
                region = marker.split()[-1].lower()
            elif marker in ("# END SOLUTION", "# END TESTS"):
                region = "prompt"
            continue
        if current is None:
            continue
        where = f"{master.name} cell {index}"
        if cell.cell_type == "markdown" and region == "prompt" and PROVIDED not in source:
            current.units.extend(units(source, where))
        elif cell.cell_type == "code" and region == "solution":
            for doc in docstrings(source):
                current.units.extend(units(doc, f"{where} (docstring)"))
        elif cell.cell_type == "code" and region == "tests":
            test = hidden_test(source)
            if test:
                current.tests.append(test)
    return found


def masters() -> dict[str, Path]:
    """Every declared master, in course order."""
    repository = Repository(REPO)
    return {name: repository.master(name) for name in repository.registry().names}


def problems(name: str, master: Path) -> list[str]:
    """What breaks traceability in one master, one line each."""
    found = []
    for question in questions(master):
        defined = question.requirements()
        for ident in defined:
            if not ident.startswith(question.number + "."):
                found.append(f"{name} {question.name}: [{ident}] belongs to another question")
            if not question.checked_by(ident):
                found.append(f"{name} {question.name}: no hidden test checks [{ident}]")
        for test in question.tests:
            if not test.ids:
                found.append(f"{name} {question.name}: {test.name} declares no requirement")
            for ident in test.ids:
                if ident not in defined:
                    found.append(
                        f"{name} {question.name}: {test.name} names [{ident}], which the prose does not define"
                    )
        for unit in question.units:
            if unit.requirement_like and not unit.ids:
                found.append(
                    f"{name} {question.name}: untagged requirement ({unit.where}): {unit.quote()}"
                )
    return found


def table() -> str:
    """The generated section of AUTHORING.md: per notebook and question, each id, its sentence and its tests."""
    lines = [BEGIN, ""]
    for name, master in masters().items():
        parsed = questions(master)
        count = sum(len(q.requirements()) for q in parsed)
        tests = sum(len(q.tests) for q in parsed)
        lines += [
            f"### {name}: {count} requirements, {tests} hidden tests",
            "",
            "| question | id | requirement (the words before the first tag of the id) | hidden tests |",
            "| --- | --- | --- | --- |",
        ]
        for question in parsed:
            for ident, unit in question.requirements().items():
                checks = ", ".join(f"`{t}`" for t in question.checked_by(ident)) or "**none**"
                lines.append(f"| {question.name} | `{ident}` | {unit.quote(ident)} | {checks} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def authoring_with_table(text: str) -> str:
    """AUTHORING.md's text with its generated section replaced by a fresh `table()`."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{AUTHORING}: no {BEGIN} ... {END} section: add the two markers")
    return text[:start] + table() + text[end + len(END) :]


def main(argv: list[str] | None = None) -> int:
    command = (argv if argv is not None else sys.argv[1:]) or ["check"]
    if command == ["write"]:
        AUTHORING.write_text(
            authoring_with_table(AUTHORING.read_text(encoding="utf-8")), encoding="utf-8"
        )
        print(f"wrote the requirements table into {AUTHORING}")
        return 0
    if command == ["check"]:
        found = [line for name, master in masters().items() for line in problems(name, master)]
        print(
            "\n".join(found)
            or "every requirement is tagged and checked, every hidden test checks one"
        )
        return 1 if found else 0
    print("usage: python tests/traceability.py write|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
