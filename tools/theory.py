"""Theory part of HW3: the parameter-count formulas quoted in the reference answers, and the
student's LaTeX answer template.

The release calls `write_student_template(Path("student/theory"))`.
"""
import shutil
from pathlib import Path

from tools.diagram import save_lstm_diagram

THEORY_DIR = Path(__file__).resolve().parent.parent / "reference" / "theory"
TEMPLATE_NAME = "HW3__Solution.tex"
DIAGRAM_PNG_NAME = "lstm_diagram.png"  # pdflatex cannot read the SVG, so students get a PNG
WEIGHT_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}  # one (H x (D + H)) block per gate or candidate


def recurrent_parameter_count(kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
                              biases: int = 2) -> int:
    """Parameters of a unidirectional, stacked `kind` in {"rnn", "gru", "lstm"}.

    Per layer: G * (H * (D_l + H) + biases * H), with G = WEIGHT_BLOCKS[kind], D_l = input_size for
    layer 0 and hidden_size above it. biases=2 is torch's layout (b_ih and b_hh), biases=1 the
    textbook one. nn.LSTMCell / nn.GRUCell / nn.RNNCell are the num_layers=1 case.
    """
    if kind not in WEIGHT_BLOCKS:
        raise ValueError(f"kind must be one of {sorted(WEIGHT_BLOCKS)}, got {kind!r}")
    blocks, h = WEIGHT_BLOCKS[kind], hidden_size
    layer_inputs = [input_size] + [hidden_size] * (num_layers - 1)
    return sum(blocks * (h * (d + h) + biases * h) for d in layer_inputs)


def write_student_template(out_dir: Path) -> list[Path]:
    """Copy the LaTeX template into `out_dir` and draw the LSTM diagram next to it as PNG.

    Returns [template, diagram]; both are byte-identical across runs.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    template = out_dir / TEMPLATE_NAME
    shutil.copyfile(THEORY_DIR / TEMPLATE_NAME, template)
    return [template, save_lstm_diagram(out_dir / DIAGRAM_PNG_NAME)]
