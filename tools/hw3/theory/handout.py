"""The course handout's title block and theory items, read from `reference/theory/handout.md`.

That file is the handout's title block and its section 1 copied verbatim (Markdown). Section 1 reads:

    # 1 Theoretical Problems
    ## 1.1 Recurrent Neural Networks (RNNs) & LSTMs        <- a part
    ### 1.1.1 Vanishing and Exploding Gradients           <- a group
    1. Provide a clear and concise explanation of ...      <- item "1.1.1 (1)"
      - a sub-point of the item above                      <- (indented 2 spaces: CommonMark ends the
    2. Explain how ...                                         numbered list there, so ownership is by
                                                               line: a line belongs to the item above it)

`read_handout` returns every item's prose with its list marker removed and its sub-points as a plain
bullet list, ready for pandoc, in the handout's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from hw3.errors import Hw3Error

HANDOUT_NAME = "handout.md"  # in reference/theory/
SECTION_ONE = re.compile(r"^#{1,6} 1 ")  # "# 1 Theoretical Problems"
SECTION_TWO = re.compile(r"^#{1,6} 2 ")  # the coding challenges, where section 1 ends
DESIGNED_BY = "Designed By:"  # the title block ends before the handout's credits
SEMESTER = re.compile(r"^Semester:\s*(.+?)\s*$", re.MULTILINE)
INSTRUCTOR = re.compile(r"^Instructor:\s*(.+?)\s*$", re.MULTILINE)
NUMBERED = re.compile(r"^(\d+)\.\s+")  # "1. Provide ..."
BULLET = re.compile(r"^\s*[-*]\s+")  # "  - Input vector ..."
GROUP = re.compile(r"^(\d+\.\d+\.\d+)\s+(.+)$")  # "1.1.1 Vanishing and Exploding Gradients"
PART = re.compile(r"^(\d+\.\d+)\s+(.+)$")  # "1.1 Recurrent Neural Networks (RNNs) & LSTMs"
SECTION = re.compile(r"^(\d+)\s+(.+)$")  # "1 Theoretical Problems"


class HandoutError(Hw3Error):
    """handout.md is missing or not shaped like the handout's section 1."""


@dataclass(frozen=True, kw_only=True)
class Item:
    """One theory item: `name` "1.1.1 (1)", `group` "1.1.1", and its prose (Markdown, sub-points as a list)."""

    name: str
    group: str
    text: str


@dataclass(frozen=True, kw_only=True)
class Heading:
    """A numbered heading of section 1: `number` "1.1" or "1.1.1", `title` as the handout writes it."""

    number: str
    title: str


@dataclass(frozen=True, kw_only=True)
class Handout:
    """The title block and section 1: `headings` in order (section, parts, groups), `items` in order."""

    course: str  # "Deep Learning"
    instructor: str
    semester: str  # "Fall 2025"
    homework: str  # "Homework 3: Recurrent Neural Networks Language Modeling"
    headings: list[Heading]
    items: list[Item]

    def item(self, name: str) -> Item:
        return next(item for item in self.items if item.name == name)

    def title(self, number: str) -> str:
        """The handout's title of section, part or group `number` ("1", "1.1", "1.1.1")."""
        return next(h.title for h in self.headings if h.number == number)


def section_one(text: str) -> str:
    """Section 1 of a handout's Markdown: its first heading up to the heading of section 2 (exclusive)."""
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if SECTION_ONE.match(line)), None)
    if start is None:
        return ""
    end = next((n for n in range(start + 1, len(lines)) if SECTION_TWO.match(lines[n])), len(lines))
    return "\n".join(lines[start:end]).strip() + "\n"


def title_block(text: str) -> str:
    """The handout's title block: its first heading up to the credits ("Designed By:") or section 1."""
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if line.startswith("# ")), None)
    if start is None:
        return ""
    end = next(
        (
            n
            for n in range(start + 1, len(lines))
            if lines[n].strip() == DESIGNED_BY or SECTION_ONE.match(lines[n])
        ),
        len(lines),
    )
    return "\n".join(lines[start:end]).strip() + "\n"


def _item_text(lines: list[str]) -> str:
    """An item's source lines as Markdown: list marker gone, sub-points a bullet list after a blank line."""
    prose, points = [], []
    for line in lines:
        if BULLET.match(line):
            points.append("- " + BULLET.sub("", line).strip())
        elif points and line.strip():
            points[-1] += " " + line.strip()  # a sub-point wrapped onto the next line
        elif line.strip():
            prose.append(NUMBERED.sub("", line.strip()) if not prose else line.strip())
    return "\n".join(prose) + ("\n\n" + "\n".join(points) if points else "")


def parse_handout(text: str, *, source: str = HANDOUT_NAME) -> Handout:
    """The handout (title block and section 1, Markdown) as a Handout; HandoutError names what is missing."""
    section = section_one(text)
    block = title_block(text)
    if not section or not block:
        raise HandoutError(
            f"{source}: no title block or no '# 1 ...' section: copy them from the handout"
        )
    lines = section.splitlines()
    tokens = MarkdownIt("commonmark").parse(section)
    headings, starts = [], []  # starts: (line, group, number) of every numbered item
    group = None
    for token in tokens:
        if token.type == "heading_open":
            title = lines[token.map[0]].lstrip("#").strip()
            for pattern in (GROUP, PART, SECTION):
                match = pattern.match(title)
                if match:
                    headings.append(Heading(number=match.group(1), title=match.group(2)))
                    group = match.group(1) if pattern is GROUP else None
                    break
            starts.append((token.map[0], None, None))  # a heading ends the item above it
        elif token.type == "list_item_open" and token.markup in (".", ")") and group:
            starts.append((token.map[0], group, token.info))
    starts.append((len(lines), None, None))
    items = [
        Item(name=f"{group} ({number})", group=group, text=_item_text(lines[start:end]))
        for (start, group, number), (end, _, _) in zip(starts, starts[1:], strict=False)
        if group is not None
    ]
    course, homework = _title_lines(block)
    semester, instructor = SEMESTER.search(block), INSTRUCTOR.search(block)
    if not items or semester is None or instructor is None:
        raise HandoutError(
            f"{source}: no numbered items, semester or instructor: copy section 1 and the title block verbatim"
        )
    return Handout(
        course=course,
        instructor=instructor.group(1),
        semester=semester.group(1),
        homework=homework,
        headings=headings,
        items=items,
    )


def _title_lines(block: str) -> tuple[str, str]:
    """(course, homework) of the title block: the "# " heading, and the "## " heading with the line under it."""
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    course = next(line[2:].strip() for line in lines if line.startswith("# "))
    at = next(n for n, line in enumerate(lines) if line.startswith("## "))
    homework = lines[at].lstrip("#").strip().rstrip(":")
    subtitle = lines[at + 1] if at + 1 < len(lines) and not lines[at + 1].startswith("#") else ""
    return course, f"{homework}: {subtitle}" if subtitle else homework


def read_handout(path: Path) -> Handout:
    """Parse `path` (reference/theory/handout.md); HandoutError when it is missing or malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise HandoutError(f"{path}: cannot read the handout copy ({error.strerror})") from None
    return parse_handout(text, source=str(path))
