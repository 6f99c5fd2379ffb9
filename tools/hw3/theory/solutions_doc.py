"""The solutions document as pandoc Markdown: the reference answers with, for each item, the handout's
question above the answer and its rubric ("How it is graded") under it.

answers.md is read as
    # <title>                      dropped: the document opens with the handout's title block
    <notation ...>                 kept, before the first group
    ## 1.1.1 <group title>         the handout's groups; each part ("1.1 ...") is added before its first
    ### 1.1.1 (1)                  one section per item
    ## References                  kept, last
and every heading moves up one level (parts become sections), so the PDF reads like section 1 of the
handout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hw3.errors import Hw3Error
from hw3.theory.handout import Handout
from hw3.theory.rubric import Rubric

GROUP_HEADING = re.compile(r"^## (\d+\.\d+\.\d+) ")
ITEM_HEADING = re.compile(r"^### (\d+\.\d+\.\d+ \(\d+\))\s*$")
OTHER_HEADING = re.compile(r"^(#{1,2}) (.+)$")
FENCE = re.compile(r"^\s*(```|~~~)")
MATH_PADDING = re.compile(
    r"\$\s*([^$]+?)\s*\$"
)  # the handout writes "$  L^{(T)}$"; pandoc needs "$L^{(T)}$"
SPACE_INSIDE_PUNCTUATION = re.compile(r"(?<=\$) ([).,:;?])")
MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]<>#|^~@])")
INLINE_MATH = re.compile(r"(\$[^$]+\$)")
LATEX_SPECIALS = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
}
DIAGRAM_IMAGE = re.compile(r"^!\[[^\]]*\]\((?P<name>[^)]+\.svg)\)\s*$")


class SolutionsError(Hw3Error):
    """answers.md, the handout copy and the rubric do not describe the same items."""


@dataclass(frozen=True, kw_only=True)
class Answers:
    """answers.md cut into its parts: the text before the first group, each item's answer, the references."""

    preamble: str
    items: dict[str, str]  # "1.1.1 (1)" -> Markdown of the answer, in file order
    references: str  # from the "## References" heading on


def split_answers(text: str, *, source: str = "answers.md") -> Answers:
    """Cut answers.md at its headings (not inside fenced code); SolutionsError when it is not shaped as above."""
    preamble, items, references, group_intro = [], {}, [], []
    current, fenced = preamble, False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        if not fenced and (item := ITEM_HEADING.match(line)):
            current = items.setdefault(item.group(1), [])
            continue
        if not fenced and GROUP_HEADING.match(line):
            current = group_intro  # the group's title comes from the handout; no text of its own
            continue
        if not fenced and line.strip() == "## References":
            current = references
        elif not fenced and current is preamble and line.startswith("# "):
            continue  # the title: the title block replaces it
        elif not fenced and OTHER_HEADING.match(line) and current is not preamble:
            raise SolutionsError(
                f"{source}: unexpected heading {line!r}: use ## group and ### item headings"
            )
        current.append(line)
    if any(line.strip() for line in group_intro):
        raise SolutionsError(
            f"{source}: text between a group heading and its first item: move it into an item"
        )
    if not items or not references:
        raise SolutionsError(f"{source}: no '### 1.1.1 (1)' item headings or no '## References'")
    return Answers(
        preamble="\n".join(preamble).strip(),
        items={name: "\n".join(lines).strip() for name, lines in items.items()},
        references="\n".join(references).strip(),
    )


def latex_text(text: str) -> str:
    """Plain text made safe for LaTeX (the title block)."""
    return "".join(LATEX_SPECIALS.get(ch, ch) for ch in text)


def markdown_text(text: str) -> str:
    """A rubric sentence for pandoc: its $...$ formulas kept as math, the rest literal (no emphasis,
    superscript or links)."""
    return "".join(
        piece if n % 2 else MARKDOWN_SPECIALS.sub(r"\\\1", piece)
        for n, piece in enumerate(INLINE_MATH.split(text))
    )


def raw_latex(code: str) -> str:
    return f"```{{=latex}}\n{code}\n```"


def points_text(points: float) -> str:
    """1 -> "1 point", 0.5 -> "0.5 points"."""
    number = f"{points:g}"
    return f"{number} point" if number == "1" else f"{number} points"


def question_block(handout: Handout, item: str) -> str:
    """The handout's question in a "question" box."""
    text = MATH_PADDING.sub(r"$\1$", handout.item(item).text)
    text = SPACE_INSIDE_PUNCTUATION.sub(
        r"\1", text.replace("( $", "($")
    )  # "( $x^{(t)}$ )", "$t$ :"
    return "\n\n".join(
        [raw_latex(r"\begin{question}"), f"**Question.** {text}", raw_latex(r"\end{question}")]
    )


def grading_block(rubric: Rubric) -> str:
    """The rubric as a "grading" box: what earns each share of the points, then the common mistakes."""
    lines = [f"**How it is graded ({points_text(rubric.points)}).**", ""]
    lines += [f"- {c.points:g}: {markdown_text(c.text)}" for c in rubric.items]
    if rubric.mistakes:
        lines += [
            "",
            "*Common mistakes:* " + "; ".join(markdown_text(m) for m in rubric.mistakes) + ".",
        ]
    return "\n\n".join(
        [raw_latex(r"\begin{grading}"), "\n".join(lines), raw_latex(r"\end{grading}")]
    )


def title_block(handout: Handout) -> str:
    """Course, homework, semester and instructor from the handout, centred (raw LaTeX)."""
    return raw_latex(
        "\\begin{center}\n"
        f"{{\\LARGE {latex_text(handout.course)}}}\\\\[0.6ex]\n"
        f"{{\\Large {latex_text(handout.homework)}}}\\\\[0.6ex]\n"
        f"{{\\large {latex_text(handout.title('1'))}: reference solutions}}\\\\[1ex]\n"
        f"{latex_text(handout.semester)} \\quad\\textperiodcentered\\quad "
        f"Instructor: {latex_text(handout.instructor)}\n"
        "\\end{center}"
    )


def with_vector_diagram(answer: str, pgf_name: str) -> str:
    """An answer whose SVG figure (a Markdown image alone on its line) is replaced by the PGF drawing."""
    lines = [
        raw_latex(f"\\begin{{center}}\n\\input{{{pgf_name}}}\n\\end{{center}}")
        if DIAGRAM_IMAGE.match(line)
        else line
        for line in answer.splitlines()
    ]
    return "\n".join(lines)


def solutions_markdown(
    *, answers: Answers, handout: Handout, rubrics: dict[str, Rubric], diagram_pgf: str
) -> str:
    """The whole document (pandoc Markdown): title block, notation, then per part, group and item the
    question, the answer and the rubric, then the references."""
    names = [item.name for item in handout.items]
    for what, have in (("answers.md", list(answers.items)), ("rubric.toml", list(rubrics))):
        if have != names:
            missing, extra = sorted(set(names) - set(have)), sorted(set(have) - set(names))
            raise SolutionsError(
                f"{what} must have the handout's items in its order: missing {missing}, extra {extra}"
            )
    parts = [title_block(handout), answers.preamble]
    seen = set()
    for item in handout.items:
        part = item.group.rsplit(".", 1)[0]
        for level, number in (("#", part), ("##", item.group)):
            if number not in seen:
                seen.add(number)
                parts.append(f"{level} {number} {handout.title(number)}")
        parts += [
            f"### {item.name}",
            question_block(handout, item.name),
            with_vector_diagram(answers.items[item.name], diagram_pgf),
            grading_block(rubrics[item.name]),
        ]
    parts.append(answers.references.replace("## References", "# References", 1))
    return "\n\n".join(parts) + "\n"
