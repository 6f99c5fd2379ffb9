"""`hw3 diagram`'s API: draw the LSTM cell used by theory item 1.1.2 (1).

Writes SVG by default (byte-identical across runs: fixed hash salt, no date) or PNG when the
output path ends in `.png`. Nine labelled signals: x(t), h(t-1), c(t-1), f(t), i(t), o(t),
c~(t), c(t), h(t).
"""

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch

DIAGRAM_NAME = "lstm_diagram.svg"  # in reference/theory/
SVG_HASH_SALT = "hw3-lstm-diagram"
SVG_CREATOR = "hw3 diagram (matplotlib)"  # not the version string, so the file only changes when the drawing does
PNG_DPI = 150
FIGSIZE = (9.0, 6.2)  # inches
XLIM, YLIM = (-1.2, 13.0), (-1.3, 7.6)

# Geometry, in data units: the cell-state line runs along CELL_Y, the [h(t-1), x(t)] bus along BUS_Y.
CELL_Y, BUS_Y, GATE_Y = 5.6, 1.2, 2.7
FORGET_X, INPUT_X, CANDIDATE_X, OUTPUT_X, HIDDEN_X = 3.0, 4.6, 6.2, 7.9, 9.6
MERGE_X = 1.8
CELL_LEFT, CELL_BOTTOM, CELL_WIDTH, CELL_HEIGHT = 1.0, 0.5, 10.0, 6.0
PRODUCT_Y, HIDDEN_PRODUCT_Y, CELL_TANH_Y = 4.3, 3.8, 4.75
NODE_R = 0.26
GATE_W, GATE_H = 0.9, 0.62
TANH_W, TANH_H = 1.0, 0.55  # the pointwise tanh on the cell state

LINE = dict(color="#222222", lw=1.6)
ARROW = dict(arrowstyle="-|>", mutation_scale=14, color="#222222", lw=1.6, shrinkA=0, shrinkB=0)
GATE_STYLE = dict(
    boxstyle="round,pad=0.02,rounding_size=0.08", facecolor="#f6d365", edgecolor="#7a5c00", lw=1.4
)
NODE_STYLE = dict(facecolor="#f4a6a6", edgecolor="#8a1c1c", lw=1.4)
CELL_STYLE = dict(
    boxstyle="round,pad=0.05,rounding_size=0.4", facecolor="#eaf2fb", edgecolor="#4a6d8c", lw=2.0
)
LABEL_SIZE, OP_SIZE, LEGEND_SIZE = 15, 13, 10.5


def _line(ax, *points):
    """Plain polyline through the given (x, y) points."""
    xs, ys = zip(*points)
    ax.plot(xs, ys, solid_capstyle="butt", **LINE)


def _arrow(ax, start, end):
    """Straight arrow from start to end."""
    ax.add_patch(FancyArrowPatch(start, end, **ARROW))


def _gate(ax, x, text):
    """Neural-network layer box centred on (x, GATE_Y)."""
    ax.add_patch(
        FancyBboxPatch((x - GATE_W / 2, GATE_Y - GATE_H / 2), GATE_W, GATE_H, **GATE_STYLE)
    )
    ax.text(x, GATE_Y, text, ha="center", va="center", fontsize=OP_SIZE)


def _node(ax, x, y, text):
    """Pointwise operation (x or +) drawn as a circle."""
    ax.add_patch(Circle((x, y), NODE_R, **NODE_STYLE))
    ax.text(x, y, text, ha="center", va="center", fontsize=OP_SIZE + 2, fontweight="bold")


def _label(ax, x, y, text, **kwargs):
    """Signal name in math text."""
    ax.text(x, y, text, fontsize=LABEL_SIZE, **kwargs)


def draw_lstm_cell() -> Figure:
    """The LSTM cell as a matplotlib Figure (no pyplot, so no global figure state)."""
    fig = Figure(figsize=FIGSIZE)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*XLIM)
    ax.set_ylim(*YLIM)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.add_patch(FancyBboxPatch((CELL_LEFT, CELL_BOTTOM), CELL_WIDTH, CELL_HEIGHT, **CELL_STYLE))

    # Cell state: c(t-1) -> forget product -> sum -> c(t).
    _arrow(ax, (-0.6, CELL_Y), (FORGET_X - NODE_R, CELL_Y))
    _arrow(ax, (FORGET_X + NODE_R, CELL_Y), (CANDIDATE_X - NODE_R, CELL_Y))
    _arrow(ax, (CANDIDATE_X + NODE_R, CELL_Y), (12.4, CELL_Y))
    _label(ax, -1.1, CELL_Y + 0.25, r"$c(t-1)$")
    _label(ax, 11.5, CELL_Y + 0.25, r"$c(t)$")

    # Input bus: h(t-1) from the left and x(t) from below are concatenated and feed all four gates.
    _arrow(ax, (-0.6, BUS_Y), (CELL_LEFT, BUS_Y))
    _arrow(ax, (MERGE_X, -0.6), (MERGE_X, CELL_BOTTOM))
    _line(ax, (CELL_LEFT, BUS_Y), (OUTPUT_X, BUS_Y))
    _line(ax, (MERGE_X, CELL_BOTTOM), (MERGE_X, BUS_Y))
    ax.add_patch(Circle((MERGE_X, BUS_Y), 0.07, color="#222222"))
    _label(ax, -1.1, BUS_Y + 0.25, r"$h(t-1)$")
    _label(ax, MERGE_X + 0.15, -0.75, r"$x(t)$")
    for x in (FORGET_X, INPUT_X, CANDIDATE_X, OUTPUT_X):
        _arrow(ax, (x, BUS_Y), (x, GATE_Y - GATE_H / 2))

    for x, text in (
        (FORGET_X, r"$\sigma$"),
        (INPUT_X, r"$\sigma$"),
        (CANDIDATE_X, "tanh"),
        (OUTPUT_X, r"$\sigma$"),
    ):
        _gate(ax, x, text)

    # Forget gate scales the old cell state.
    _arrow(ax, (FORGET_X, GATE_Y + GATE_H / 2), (FORGET_X, CELL_Y - NODE_R))
    _node(ax, FORGET_X, CELL_Y, r"$\times$")
    _label(ax, FORGET_X - 0.9, 3.55, r"$f(t)$")

    # Input gate times candidate, added to the cell state.
    _line(ax, (INPUT_X, GATE_Y + GATE_H / 2), (INPUT_X, PRODUCT_Y))
    _arrow(ax, (INPUT_X, PRODUCT_Y), (CANDIDATE_X - NODE_R, PRODUCT_Y))
    _arrow(ax, (CANDIDATE_X, GATE_Y + GATE_H / 2), (CANDIDATE_X, PRODUCT_Y - NODE_R))
    _node(ax, CANDIDATE_X, PRODUCT_Y, r"$\times$")
    _arrow(ax, (CANDIDATE_X, PRODUCT_Y + NODE_R), (CANDIDATE_X, CELL_Y - NODE_R))
    _node(ax, CANDIDATE_X, CELL_Y, "+")
    _label(ax, INPUT_X + 0.15, 3.55, r"$i(t)$")
    _label(ax, CANDIDATE_X + 0.15, 3.3, r"$\tilde{c}(t)$")

    # Output: h(t) = o(t) * tanh(c(t)).
    _arrow(ax, (HIDDEN_X, CELL_Y), (HIDDEN_X, CELL_TANH_Y + TANH_H / 2))
    ax.add_patch(Ellipse((HIDDEN_X, CELL_TANH_Y), TANH_W, TANH_H, **NODE_STYLE))
    ax.text(HIDDEN_X, CELL_TANH_Y, "tanh", ha="center", va="center", fontsize=OP_SIZE - 1)
    _arrow(ax, (HIDDEN_X, CELL_TANH_Y - TANH_H / 2), (HIDDEN_X, HIDDEN_PRODUCT_Y + NODE_R))
    _line(ax, (OUTPUT_X, GATE_Y + GATE_H / 2), (OUTPUT_X, HIDDEN_PRODUCT_Y))
    _arrow(ax, (OUTPUT_X, HIDDEN_PRODUCT_Y), (HIDDEN_X - NODE_R, HIDDEN_PRODUCT_Y))
    _node(ax, HIDDEN_X, HIDDEN_PRODUCT_Y, r"$\times$")
    _label(ax, OUTPUT_X + 0.15, 3.2, r"$o(t)$")
    _line(ax, (HIDDEN_X, HIDDEN_PRODUCT_Y - NODE_R), (HIDDEN_X, BUS_Y))
    _arrow(ax, (HIDDEN_X, BUS_Y), (12.4, BUS_Y))
    _label(ax, 11.5, BUS_Y + 0.25, r"$h(t)$")

    ax.text(6.0, 7.15, "LSTM cell", ha="center", fontsize=LABEL_SIZE, fontweight="bold")
    ax.text(
        6.0,
        -1.2,
        r"$\sigma$, tanh boxes: layers with weights    circles: pointwise $\times$, $+$, tanh",
        ha="center",
        fontsize=LEGEND_SIZE,
        color="#444444",
    )
    return fig


def save_lstm_diagram(out: Path) -> Path:
    """Draw the cell and write it to `out` (PNG if the suffix is .png, otherwise SVG)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fig = draw_lstm_cell()
    if out.suffix.lower() == ".png":
        fig.savefig(out, format="png", dpi=PNG_DPI, metadata={"Software": None})
    else:
        with matplotlib.rc_context({"svg.hashsalt": SVG_HASH_SALT, "svg.fonttype": "path"}):
            fig.savefig(out, format="svg", metadata={"Date": None, "Creator": SVG_CREATOR})
    return out
