"""Per-student feedback in Markdown: scores, public test messages, hidden tests by name and pass/fail only.

The text is built from the grader's own reading of the autograder's test files (which cases are
hidden, their names) and the scores and public messages of one graded notebook. A hidden test's
message never appears. What the student's own code raised is quoted in a code block and said to be
theirs, so nothing it holds can pass for the grader's words.
"""

import re

from hw3.grading.auto.autograder_info import AutograderInfo
from hw3.grading.auto.results import NotebookResult

STATUS_TEXT = {
    "ok": "graded",
    "invalid": "not graded: the notebook could not be read from the zip",
    "timeout": "graded with a time limit hit",
    "error": "grading stopped with an error",
    "skipped": "not graded this time",
}


def fence(text: str) -> str:
    """`text` in a Markdown code block whose fence no run of backticks inside it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}\n{text.rstrip()}\n{ticks}"


def points(value: float) -> str:
    """2.0 -> '2', 2.5 -> '2.5'."""
    return f"{value:g}"


def question_section(name: str, info: AutograderInfo, result: NotebookResult) -> list[str]:
    """Lines for one question: score, each public case with its message, each hidden case as pass/fail."""
    question = info.questions[name]
    score = result.scores.get(name, 0.0)
    passed = result.passed.get(name) or []
    messages = result.messages.get(name) or []
    lines = [f"### {name}: {points(score)} / {points(question.points)}", ""]
    known = len(passed) == len(
        question.cases
    )  # results that do not line up with the tests are not shown
    public = [(i, c) for i, c in enumerate(question.cases) if not c.hidden]
    hidden = [(i, c) for i, c in enumerate(question.cases) if c.hidden]
    raised = result.student_texts.get(name) or []
    for index, case in public:
        if not known:
            lines.append(f"- public test `{case.name}`: not run")
            continue
        lines.append(f"- public test `{case.name}`: {'passed' if passed[index] else 'failed'}")
        message = messages[index] if index < len(messages) else None
        said = quoted_exception(raised, index)
        if not passed[index] and isinstance(message, str) and message.strip() and not said:
            lines += ["", fence(message), ""]
        lines += said
    for index, case in hidden:
        outcome = ("passed" if passed[index] else "failed") if known else "not run"
        lines.append(f"- hidden test `{case.name}`: {outcome}")
        lines += quoted_exception(raised, index)
    return lines + [""]


def quoted_exception(raised: list, index: int) -> list[str]:
    """Lines quoting what the student's code raised in one test case (none when it raised nothing)."""
    text = raised[index] if index < len(raised) else None
    if not text:
        return []
    return [
        "",
        "  your code raised this exception (its text is your code's, quoted):",
        "",
        fence(text),
        "",
    ]


def raised_section(notebook: str, result: NotebookResult) -> list[str]:
    """One entry per cell that raised while the notebook ran, its exception quoted."""
    lines = []
    for cell in result.raised:
        lines += [
            f"- {notebook}: {cell.get('cell', 'a cell')}, {cell.get('kind', 'a cell')}, raised an exception: "
            "the tests that use what it defines failed too; run the notebook top to bottom to see the "
            "traceback. Its text, quoted from your code:",
            "",
            fence(str(cell.get("exception", ""))),
            "",
        ]
    return lines


def render(
    file_name: str,
    student_number: str,
    full_name: str,
    problems: list[str],
    notebooks: list[tuple[str, AutograderInfo | None, NotebookResult]],
    total: float,
    max_total: float,
    *,
    final_below: bool = False,
    by_hand: str = "",
) -> str:
    """The feedback file of one submission.

    `notebooks` holds (assignment name, its autograder info or None when not graded, its result);
    `final_below`: the final grade follows these lines, so the total here is named the automatic part;
    `by_hand`: what is graded by hand (`gradebook.hand_pending`), said to be still to come otherwise.
    """
    who = " ".join(part for part in (student_number, full_name) if part) or "unknown student"
    lines = [
        f"# DL HW3 feedback: {who}",
        "",
        f"Submission `{file_name}`.",
        "",
        (
            f"**Automatic part: {points(total)} / {points(max_total)}** (the final grade, with the "
            "parts graded by hand, is at the end)"
            if final_below
            else f"**Automatic part: {points(total)} of {points(max_total)}.** Graded by hand: {by_hand}, "
            "not graded yet: this is not your final grade."
            if by_hand
            else f"**Total: {points(total)} / {points(max_total)}**"
        ),
        "",
    ]
    if problems:
        lines += ["## Problems with the submission", ""] + [f"- {p}" for p in problems] + [""]
    for name, info, result in notebooks:
        status = result.status
        if info is None:
            lines += [f"## {name}.ipynb: not graded", ""]
            continue
        got = sum(result.scores.get(q, 0.0) for q in info.questions)
        possible = sum(q.points for q in info.questions.values())
        lines += [
            f"## {name}.ipynb: {points(got)} / {points(possible)} ({STATUS_TEXT.get(status, status)})",
            "",
        ]
        lines += [f"- {note}" for note in result.notes]
        if result.notes:
            lines.append("")
        lines += raised_section(f"{name}.ipynb", result)
        for question in info.questions:
            lines += question_section(question, info, result)
    lines += [
        "Hidden tests are listed by name only. Passing every public test (what `grader.check` shows) "
        "says nothing about the hidden ones.",
        "",
    ]
    return "\n".join(lines)
