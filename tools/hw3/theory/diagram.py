"""`hw3 diagram`'s API: draw the LSTM cell used by theory item 1.1.2 (1).

Nine labelled signals in the handout's notation: x^(t), h^(t-1), c^(t-1), f^(t), i^(t), o^(t),
c~^(t), c^(t), h^(t). The output format follows the file's suffix:
- `.svg` (default): text as paths in Computer Modern, byte-identical across runs (fixed hash salt,
  no date); the answers and the grading packet show it;
- `.pgf`: PGF drawing commands whose text is typeset by the LaTeX document that inputs it, so the
  solutions PDF shows the cell as vector graphics in its own fonts (matplotlib's PGF backend measures
  the text with XeLaTeX, so writing it needs XeLaTeX);
- `.png`: a raster copy, for a quick look.
"""

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch

DIAGRAM_NAME = "lstm_diagram.svg"  # in reference/theory/
PGF_WIDTH_IN = 5.6  # the drawing's width in the solutions PDF (A4, 2.2 cm margins: 6.5 in of text)
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

INK = "#222222"
LINE_W, ARROW_HEAD = 1.6, 14  # points at scale 1
GATE_COLORS = dict(facecolor="#f6d365", edgecolor="#7a5c00")
NODE_COLORS = dict(facecolor="#f4a6a6", edgecolor="#8a1c1c")
CELL_COLORS = dict(facecolor="#eaf2fb", edgecolor="#4a6d8c")
GATE_BOX, CELL_BOX = "round,pad=0.02,rounding_size=0.08", "round,pad=0.05,rounding_size=0.4"
GATE_LW, CELL_LW = 1.4, 2.0
LABEL_SIZE, OP_SIZE, LEGEND_SIZE = 15, 13, 10.5
# Computer Modern for the SVG, the closest matplotlib ships to the solutions PDF's Latin Modern.
SVG_FONTS = {
    "mathtext.fontset": "cm",
    "font.family": "serif",
    "font.serif": ["cmr10"],
    "axes.formatter.use_mathtext": True,  # what matplotlib asks of cmr10 (no axes are drawn)
}
# The PGF's text is set in the fonts of the document that inputs it.
PGF_SETTINGS = {"pgf.texsystem": "xelatex", "pgf.rcfonts": False, "font.family": "serif"}
PGF_TEXT_SCALE = 0.75  # labels at about 11 pt, the document's size


class _Pen:
    """Drawing helpers at one scale: line widths and arrow heads are multiplied by `scale`, font sizes by
    `text_scale`."""

    def __init__(self, ax, scale: float, text_scale: float):
        self.ax, self.scale, self.text_scale = ax, scale, text_scale

    def line(self, *points):
        """Plain polyline through the given (x, y) points."""
        xs, ys = zip(*points, strict=True)
        self.ax.plot(xs, ys, solid_capstyle="butt", color=INK, lw=LINE_W * self.scale)

    def arrow(self, start, end):
        """Straight arrow from start to end."""
        self.ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=ARROW_HEAD * self.scale,
                color=INK,
                lw=LINE_W * self.scale,
                shrinkA=0,
                shrinkB=0,
            )
        )

    def text(self, x, y, text, size, **kwargs):
        self.ax.text(x, y, text, fontsize=size * self.text_scale, **kwargs)

    def gate(self, x, text):
        """Neural-network layer box centred on (x, GATE_Y)."""
        self.ax.add_patch(
            FancyBboxPatch(
                (x - GATE_W / 2, GATE_Y - GATE_H / 2),
                GATE_W,
                GATE_H,
                boxstyle=GATE_BOX,
                lw=GATE_LW * self.scale,
                **GATE_COLORS,
            )
        )
        self.text(x, GATE_Y, text, OP_SIZE, ha="center", va="center")

    def node(self, x, y, text):
        """Pointwise operation (x or +) drawn as a circle."""
        self.ax.add_patch(Circle((x, y), NODE_R, lw=GATE_LW * self.scale, **NODE_COLORS))
        self.text(x, y, text, OP_SIZE + 2, ha="center", va="center")

    def label(self, x, y, text, **kwargs):
        """Signal name in math text."""
        self.text(x, y, text, LABEL_SIZE, **kwargs)


def draw_lstm_cell(*, scale: float = 1.0, text_scale: float | None = None) -> Figure:
    """The LSTM cell as a matplotlib Figure (no pyplot, so no global figure state), FIGSIZE times `scale`;
    text sizes times `text_scale` (default: `scale`)."""
    fig = Figure(figsize=(FIGSIZE[0] * scale, FIGSIZE[1] * scale))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*XLIM)
    ax.set_ylim(*YLIM)
    ax.set_aspect("equal")
    ax.axis("off")
    pen = _Pen(ax, scale, scale if text_scale is None else text_scale)
    ax.add_patch(
        FancyBboxPatch(
            (CELL_LEFT, CELL_BOTTOM),
            CELL_WIDTH,
            CELL_HEIGHT,
            boxstyle=CELL_BOX,
            lw=CELL_LW * scale,
            **CELL_COLORS,
        )
    )

    # Cell state: c(t-1) -> forget product -> sum -> c(t).
    pen.arrow((-0.6, CELL_Y), (FORGET_X - NODE_R, CELL_Y))
    pen.arrow((FORGET_X + NODE_R, CELL_Y), (CANDIDATE_X - NODE_R, CELL_Y))
    pen.arrow((CANDIDATE_X + NODE_R, CELL_Y), (12.4, CELL_Y))
    pen.label(-1.1, CELL_Y + 0.25, r"$c^{(t-1)}$")
    pen.label(11.5, CELL_Y + 0.25, r"$c^{(t)}$")

    # Input bus: h(t-1) from the left and x(t) from below are concatenated and feed the three gates
    # and the candidate.
    pen.arrow((-0.6, BUS_Y), (CELL_LEFT, BUS_Y))
    pen.arrow((MERGE_X, -0.6), (MERGE_X, CELL_BOTTOM))
    pen.line((CELL_LEFT, BUS_Y), (OUTPUT_X, BUS_Y))
    pen.line((MERGE_X, CELL_BOTTOM), (MERGE_X, BUS_Y))
    ax.add_patch(Circle((MERGE_X, BUS_Y), 0.07, color=INK))
    pen.label(-1.1, BUS_Y + 0.25, r"$h^{(t-1)}$")
    pen.label(MERGE_X + 0.15, -0.75, r"$x^{(t)}$")
    for x in (FORGET_X, INPUT_X, CANDIDATE_X, OUTPUT_X):
        pen.arrow((x, BUS_Y), (x, GATE_Y - GATE_H / 2))

    for x, text in (
        (FORGET_X, r"$\sigma$"),
        (INPUT_X, r"$\sigma$"),
        (CANDIDATE_X, "tanh"),
        (OUTPUT_X, r"$\sigma$"),
    ):
        pen.gate(x, text)

    # Forget gate scales the old cell state.
    pen.arrow((FORGET_X, GATE_Y + GATE_H / 2), (FORGET_X, CELL_Y - NODE_R))
    pen.node(FORGET_X, CELL_Y, r"$\times$")
    pen.label(FORGET_X - 0.95, 3.55, r"$f^{(t)}$")

    # Input gate times candidate, added to the cell state.
    pen.line((INPUT_X, GATE_Y + GATE_H / 2), (INPUT_X, PRODUCT_Y))
    pen.arrow((INPUT_X, PRODUCT_Y), (CANDIDATE_X - NODE_R, PRODUCT_Y))
    pen.arrow((CANDIDATE_X, GATE_Y + GATE_H / 2), (CANDIDATE_X, PRODUCT_Y - NODE_R))
    pen.node(CANDIDATE_X, PRODUCT_Y, r"$\times$")
    pen.arrow((CANDIDATE_X, PRODUCT_Y + NODE_R), (CANDIDATE_X, CELL_Y - NODE_R))
    pen.node(CANDIDATE_X, CELL_Y, "$+$")
    pen.label(INPUT_X + 0.15, 3.55, r"$i^{(t)}$")
    pen.label(CANDIDATE_X + 0.15, 3.3, r"$\tilde{c}^{(t)}$")

    # Output: h(t) = o(t) * tanh(c(t)).
    pen.arrow((HIDDEN_X, CELL_Y), (HIDDEN_X, CELL_TANH_Y + TANH_H / 2))
    ax.add_patch(
        Ellipse((HIDDEN_X, CELL_TANH_Y), TANH_W, TANH_H, lw=GATE_LW * scale, **NODE_COLORS)
    )
    pen.text(HIDDEN_X, CELL_TANH_Y, "tanh", OP_SIZE - 1, ha="center", va="center")
    pen.arrow((HIDDEN_X, CELL_TANH_Y - TANH_H / 2), (HIDDEN_X, HIDDEN_PRODUCT_Y + NODE_R))
    pen.line((OUTPUT_X, GATE_Y + GATE_H / 2), (OUTPUT_X, HIDDEN_PRODUCT_Y))
    pen.arrow((OUTPUT_X, HIDDEN_PRODUCT_Y), (HIDDEN_X - NODE_R, HIDDEN_PRODUCT_Y))
    pen.node(HIDDEN_X, HIDDEN_PRODUCT_Y, r"$\times$")
    pen.label(OUTPUT_X + 0.15, 3.2, r"$o^{(t)}$")
    pen.line((HIDDEN_X, HIDDEN_PRODUCT_Y - NODE_R), (HIDDEN_X, BUS_Y))
    pen.arrow((HIDDEN_X, BUS_Y), (12.4, BUS_Y))
    pen.label(11.5, BUS_Y + 0.25, r"$h^{(t)}$")

    pen.text(6.0, 7.15, "LSTM cell", LABEL_SIZE, ha="center")
    pen.text(
        6.0,
        -1.2,
        r"$\sigma$, tanh boxes: layers with weights;  circles: pointwise $\times$, $+$, tanh",
        LEGEND_SIZE,
        ha="center",
        color="#444444",
    )
    return fig


def save_lstm_diagram(out: Path) -> Path:
    """Draw the cell and write it to `out`: PNG for .png, PGF for .pgf (needs XeLaTeX), otherwise SVG."""
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".png":
        with matplotlib.rc_context(SVG_FONTS):
            draw_lstm_cell().savefig(out, format="png", dpi=PNG_DPI, metadata={"Software": None})
    elif suffix == ".pgf":
        with matplotlib.rc_context(PGF_SETTINGS):
            draw_lstm_cell(scale=PGF_WIDTH_IN / FIGSIZE[0], text_scale=PGF_TEXT_SCALE).savefig(
                out, format="pgf"
            )
    else:
        with matplotlib.rc_context(
            {**SVG_FONTS, "svg.hashsalt": SVG_HASH_SALT, "svg.fonttype": "path"}
        ):
            draw_lstm_cell().savefig(
                out, format="svg", metadata={"Date": None, "Creator": SVG_CREATOR}
            )
    return out
