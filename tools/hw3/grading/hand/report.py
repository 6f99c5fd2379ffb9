"""The class report, DIR/report.html, for the instructor: one self-contained page written with the final grades.

Sections: the distribution of each part and of the total (histograms), per question the mean and
the share of full marks (automatic, hand-graded and theory), the hidden tests failed most, statuses
and flags by kind, and the grading seconds. Each picture is a PNG drawn with matplotlib (its
object API: no pyplot state) and embedded as a data URI; the numbers it shows are in a table under it.
"""

from __future__ import annotations

import base64
import io
import math
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from markupsafe import Markup
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from hw3.common.atomic import write_atomic
from hw3.common.templates import html_environment
from hw3.grading.auto.assignments import Assignment
from hw3.grading.auto.gradebook import hidden_failures
from hw3.grading.auto.results import STATUSES
from hw3.grading.hand.course import THEORY
from hw3.grading.hand.merge import FinalRow, Graded
from hw3.grading.hand.sheet import Sheet

REPORT = "report.html"
TEMPLATES = Path(__file__).parent / "templates"
ENVIRONMENT = html_environment(TEMPLATES)
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
BIN_WIDTHS = (0.5, 1, 2, 2.5, 5, 10, 20, 50, 100)
MAX_BINS = 20
TOP_HIDDEN = 15
DPI = 100
BAR_INCHES = 0.24  # height of one bar in a horizontal bar chart
COLOR = "#1e88e5"
FULL_MARKS_TOLERANCE = 1e-9
FLAG_KIND = re.compile(
    r"^(?:[a-z_]+:)?([a-z-]+)"
)  # "hafez:edited-provided(11,28)" -> edited-provided


@dataclass
class Picture:
    """A figure and the table of the numbers it shows."""

    title: str
    image: Markup
    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    across: bool = False  # the table runs across the page: one column per row (a histogram's bins)


def png(figure: Figure) -> Markup:
    """A data URI of the figure as PNG."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return Markup("data:image/png;base64,") + base64.b64encode(buffer.getvalue()).decode()


def fmt(value: float) -> str:
    return f"{round(value, 2):g}"


def bin_edges(maximum: float) -> np.ndarray:
    """Edges from 0 to `maximum` with the smallest round width that gives at most MAX_BINS bins."""
    width = next((w for w in BIN_WIDTHS if maximum / w <= MAX_BINS), maximum / MAX_BINS)
    return np.append(np.arange(0, maximum, width), maximum)


def histogram(
    title: str, values: list[float], maximum: float, unit: str, missing: int = 0
) -> Picture:
    """A histogram of `values` over [0, maximum], with its bins and summary numbers in the table."""
    edges = bin_edges(maximum) if maximum > 0 else np.array([0.0, 1.0])
    counts, _ = np.histogram(values, bins=edges)
    figure = Figure(figsize=(6, 2.6))
    axes = figure.subplots()
    axes.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=COLOR, edgecolor="white")
    axes.set_xlim(0, edges[-1])
    axes.set_xlabel(unit)
    axes.set_ylabel("submissions")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title)
    rows = [[f"{fmt(lo)}–{fmt(hi)}", str(n)] for lo, hi, n in zip(edges[:-1], edges[1:], counts)]
    notes = []
    if values:
        notes.append(
            f"n = {len(values)}, mean {fmt(statistics.mean(values))}, "
            f"median {fmt(statistics.median(values))}, min {fmt(min(values))}, max {fmt(max(values))}"
        )
    if missing:
        notes.append(f"{missing} submission(s) not complete yet, not counted")
    return Picture(
        title,
        png(figure),
        ["range (the last includes its end)", "submissions"],
        rows,
        notes,
        across=True,
    )


def bars(
    title: str, labels: list[str], values: list[float], xlabel: str, limit: float | None = None
) -> Markup:
    """A horizontal bar chart, first label on top."""
    figure = Figure(figsize=(7, max(1.2, 0.6 + BAR_INCHES * len(labels))))
    axes = figure.subplots()
    positions = np.arange(len(labels))[::-1]
    axes.barh(positions, values, color=COLOR)
    axes.set_yticks(positions, labels, fontsize=8)
    axes.set_xlabel(xlabel)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if limit is not None:
        axes.set_xlim(0, limit)
    axes.set_title(title)
    return png(figure)


@dataclass
class QuestionStat:
    name: str
    kind: str
    points: float
    values: list[float]

    @property
    def mean(self) -> float:
        return statistics.mean(self.values) if self.values else math.nan

    @property
    def full(self) -> float:
        return (
            sum(v >= self.points - FULL_MARKS_TOLERANCE for v in self.values) / len(self.values)
            if self.values
            else math.nan
        )


def question_stats(
    assignments: list[Assignment], sheet: Sheet, graded: list[Graded], finals: list[FinalRow]
) -> list[QuestionStat]:
    """Every question's scores: automatic ones from the gradebook, hand-graded ones where given."""
    stats = []
    for assignment in assignments:
        for q in assignment.order:
            column = f"{assignment.name}_{q}"
            stats.append(
                QuestionStat(
                    column,
                    "automatic",
                    assignment.info.questions[q].points,
                    [float(g.gradebook.values[column]) for g in graded],
                )
            )
        stats += [
            QuestionStat(
                c.name,
                "by hand",
                c.points,
                [f.scores[c.name] for f in finals if c.name in f.scores],
            )
            for c in sheet.columns
            if c.part == assignment.name
        ]
    stats += [
        QuestionStat(
            c.name, "theory", c.points, [f.scores[c.name] for f in finals if c.name in f.scores]
        )
        for c in sheet.columns
        if c.part == THEORY
    ]
    return stats


def questions_picture(stats: list[QuestionStat]) -> Picture:
    shown = [s for s in stats if s.values]
    image = bars(
        "Share of full marks per question",
        [s.name for s in shown],
        [100 * s.full for s in shown],
        "% of graded submissions with full marks",
        100,
    )
    rows = [
        [
            s.name,
            s.kind,
            f"{s.points:g}",
            str(len(s.values)),
            fmt(s.mean) if s.values else "",
            f"{100 * s.full:.0f}%" if s.values else "",
        ]
        for s in stats
    ]
    return Picture(
        "Share of full marks per question",
        image,
        ["question", "graded", "points", "n", "mean", "full marks"],
        rows,
    )


def hidden_picture(assignments: list[Assignment], graded: list[Graded]) -> Picture | None:
    failed, ran = hidden_failures(assignments, [g.record for g in graded])
    top = sorted((label for label in failed if failed[label]), key=lambda k: (-failed[k], k))[
        :TOP_HIDDEN
    ]
    if not top:
        return None
    image = bars(
        f"Hidden tests failed most (top {len(top)})",
        top,
        [100 * failed[k] / ran[k] for k in top],
        "% of graded notebooks failing it",
        100,
    )
    rows = [
        [label, str(failed[label]), str(ran[label]), f"{100 * failed[label] / ran[label]:.0f}%"]
        for label in top
    ]
    return Picture(
        f"Hidden tests failed most (top {len(top)})",
        image,
        ["hidden test", "failed", "ran", "share"],
        rows,
    )


def status_picture(assignments: list[Assignment], graded: list[Graded]) -> Picture:
    labels, counts = [], []
    for column in ["status"] + [f"{a.name}_status" for a in assignments]:
        for status in (*STATUSES, "skipped"):
            n = sum(g.gradebook.values.get(column) == status for g in graded)
            if n:
                labels.append(f"{column}: {status}")
                counts.append(n)
    image = bars("Statuses", labels, counts, "submissions")
    return Picture(
        "Statuses",
        image,
        ["status", "submissions"],
        [[label, str(n)] for label, n in zip(labels, counts)],
    )


def flags_picture(graded: list[Graded]) -> Picture | None:
    kinds: dict[str, int] = {}
    for entry in graded:
        found = {
            match.group(1)
            for flag in entry.gradebook.values.get("flags", "").split("; ")
            if (match := FLAG_KIND.match(flag.strip()))
        }
        for kind in found:
            kinds[kind] = kinds.get(kind, 0) + 1
    if not kinds:
        return None
    order = sorted(kinds, key=lambda k: (-kinds[k], k))
    title = "Flags (a flag never changes a score)"
    image = bars(title, order, [kinds[k] for k in order], "submissions flagged")
    return Picture(title, image, ["flag", "submissions"], [[k, str(kinds[k])] for k in order])


def seconds_picture(graded: list[Graded]) -> Picture:
    seconds = [float(g.gradebook.values.get("seconds") or 0) for g in graded]
    top = max(seconds, default=0.0)
    picture = histogram(
        "Grading seconds per submission", seconds, max(top, 1.0), "seconds (both notebooks)"
    )
    # "inclusive" interpolates between observed values; the default extrapolates past the maximum on
    # small classes (a 90th percentile of 116.6 s beside a maximum of 108.2 s)
    quantiles = (
        statistics.quantiles(seconds, n=10, method="inclusive") if len(seconds) > 1 else seconds
    )
    picture.notes = (
        [
            f"n = {len(seconds)}, median {fmt(statistics.median(seconds))} s, mean "
            f"{fmt(statistics.mean(seconds))} s, 90th percentile {fmt(quantiles[-1])} s, max {fmt(top)} s, "
            f"total {fmt(sum(seconds) / 60)} min of grading"
        ]
        if seconds
        else []
    )
    return picture


def part_pictures(finals: list[FinalRow]) -> list[Picture]:
    pictures = []
    if not finals:
        return pictures
    for index, part in enumerate(finals[0].parts):
        values = [f.parts[index].total for f in finals if f.parts[index].total is not None]
        label = "Theory" if part.name == THEORY else part.name
        pictures.append(
            histogram(
                f"{label} (out of {part.maximum:g})",
                values,
                part.maximum,
                "points",
                len(finals) - len(values),
            )
        )
    totals = [f.total for f in finals if f.total is not None]
    pictures.append(
        histogram(
            f"Total (out of {finals[0].maximum:g})",
            totals,
            finals[0].maximum,
            "points",
            len(finals) - len(totals),
        )
    )
    return pictures


def write_report(
    *,
    out: Path,
    sheet: Sheet,
    assignments: list[Assignment],
    graded: list[Graded],
    finals: list[FinalRow],
) -> Path:
    """DIR/report.html (see the module docstring)."""
    sections = [
        ("Distribution of the grades", part_pictures(finals)),
        ("Questions", [questions_picture(question_stats(assignments, sheet, graded, finals))]),
        ("Hidden tests", [p for p in [hidden_picture(assignments, graded)] if p]),
        (
            "Statuses and flags",
            [p for p in [status_picture(assignments, graded), flags_picture(graded)] if p],
        ),
        ("Grading time", [seconds_picture(graded)]),
    ]
    complete = sum(f.total is not None for f in finals)
    html = ENVIRONMENT.get_template("report.html.j2").render(
        csp=CSP, sections=sections, count=len(finals), complete=complete
    )
    return write_atomic(out / REPORT, html)
