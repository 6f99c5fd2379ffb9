"""Theory part: the numbers in the reference answers match torch and the Hafez notebook, every handout
item is answered and templated, every source is listed, and the LSTM diagram regenerates byte for byte.
(The PDFs are built and read back in test_theory_pdfs.py.)"""

import ast
import math
import re

import matplotlib
import pytest
import torch
import torch.nn as nn
import yaml
from support import REPOSITORY
from theory.handout import HANDOUT_ITEM_COUNT, ITEMS

from hw3 import cli
from hw3.common.notebooks import read
from hw3.theory import solutions_pdf
from hw3.theory.cli import solutions_pdf_main
from hw3.theory.counts import WEIGHT_BLOCKS, recurrent_parameter_count
from hw3.theory.diagram import save_lstm_diagram
from hw3.theory.handout import HANDOUT_NAME, read_handout
from hw3.theory.template import TEMPLATE_NAME
from hw3.theory.template import write_student_template as write_template

THEORY_DIR = REPOSITORY.theory


def write_student_template(out):
    return write_template(THEORY_DIR, out)


ANSWERS = THEORY_DIR / "answers.md"
COMMITTED_SVG = THEORY_DIR / "lstm_diagram.svg"
SHAPES = [(64, 128, 1), (64, 128, 2), (10, 7, 3), (1, 1, 1)]  # (input D, hidden H, layers)
LAYER_MODULES = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
CELL_MODULES = {"rnn": nn.RNNCell, "gru": nn.GRUCell, "lstm": nn.LSTMCell}
# A row of the parameter table in 1.1.3 (2): | `nn.LSTM` | 64 | 128 | 2 | 231,424 |
TABLE_ROW = re.compile(r"^\| `nn\.(\w+)` \| (\d+) \| (\d+) \| (\d+) \| ([\d,]+) \|$", re.MULTILINE)
ITEM_HEADING = re.compile(
    r"^### (\d\.\d\.\d) \((\d)\)$", re.MULTILINE
)  # the handout's item, nothing else
GROUP_HEADING = re.compile(r"^## (\d\.\d\.\d) (.+)$", re.MULTILINE)
# The gradient-flow table of 1.1.1 (2): | 10 | 2.96e-2 | 1.12 |  (steps back, vanilla RNN, LSTM)
FLOW_ROW = re.compile(r"^\| (\d+) \| ([\d.e+-]+) \| ([\d.e+-]+) \|$", re.MULTILINE)
FLOW_SPECTRUM = re.compile(
    r"\\sigma_\{\\max\}\(W_\{hh\}\) = ([\d.]+)\$ and \$\\rho\(W_\{hh\}\) = ([\d.]+)\$"
)
FLOW_SOLUTION, FLOW_CELL = (
    "def gradient_norms(",
    "FLOW_T, FLOW_HIDDEN =",
)  # the notebook cells that 1.1.1 (2) quotes
QUOTED_DIGITS = 3  # the table rounds to three significant digits
QUOTED_SEQ_LEN = re.compile(r"chunks of (\d+) characters when grading and (\d+) otherwise")
QUOTED_SIZES = re.compile(
    r"`EMBED_DIM` = (\d+) and `HIDDEN_SIZE` = (\d+) when grading,\s+(\d+) otherwise on a CPU,"
    r"\s+and (\d+) layers of (\d+) on a GPU"
)
# "(Author, 2013)", "(Author and Other, 2013)", "(Author et al., 2013a)" or "Author et al. (2013)".
CITATION = re.compile(
    r"([A-Z][\w-]+)(?: et\s+al\.| and\s+[A-Z][\w-]+)?(?:,\s+|\s+\()(\d{4}[ab]?)\b"
)
REFERENCE = re.compile(
    r"^- ([A-Z][\w-]+), (?:[^\n]|\n  )*?\((\d{4}[ab]?)\)\.", re.MULTILINE
)  # entries wrap with 2 spaces
REFERENCES_HEADING = "\n## References\n"
# A time index written as an argument, x(t), h(t-1), L(T), instead of the handout's superscript.
OLD_NOTATION = re.compile(r"(?<![\\\w])[a-zA-Z]\((?:t|T|k)(?:[+-]1)?\)")


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_handout_has_twenty_items():
    assert len(ITEMS) == HANDOUT_ITEM_COUNT


@pytest.mark.parametrize("kind", sorted(WEIGHT_BLOCKS))
@pytest.mark.parametrize("d, h, layers", SHAPES)
def test_parameter_formula_matches_torch_layers(kind, d, h, layers):
    module = LAYER_MODULES[kind](d, h, layers)
    assert recurrent_parameter_count(kind, d, h, layers) == parameter_count(module)


@pytest.mark.parametrize("kind", sorted(WEIGHT_BLOCKS))
@pytest.mark.parametrize("d, h, layers", SHAPES[:1])
def test_parameter_formula_matches_torch_cells(kind, d, h, layers):
    assert recurrent_parameter_count(kind, d, h, layers) == parameter_count(
        CELL_MODULES[kind](d, h)
    )


@pytest.mark.parametrize("kind", sorted(WEIGHT_BLOCKS))
@pytest.mark.parametrize("d, h, layers", SHAPES)
def test_single_bias_formula_is_torch_without_its_second_bias(kind, d, h, layers):
    module = LAYER_MODULES[kind](d, h, layers)
    one_bias = sum(
        p.numel() for name, p in module.named_parameters() if not name.startswith("bias_hh")
    )
    assert recurrent_parameter_count(kind, d, h, layers, biases=1) == one_bias


def test_parameter_table_in_answers_matches_torch():
    rows = TABLE_ROW.findall(ANSWERS.read_text(encoding="utf-8"))
    assert {name.removesuffix("Cell").lower() for name, *_ in rows} == set(WEIGHT_BLOCKS), rows
    for name, d, h, layers, stated in rows:
        d, h, layers, stated = int(d), int(h), int(layers), int(stated.replace(",", ""))
        cls = getattr(nn, name)
        module = cls(d, h) if name.endswith("Cell") else cls(d, h, layers)
        kind = name.removesuffix("Cell").lower()
        assert stated == parameter_count(module) == recurrent_parameter_count(kind, d, h, layers), (
            name
        )


def test_answers_have_one_heading_per_handout_item_in_its_order():
    headings = ITEM_HEADING.findall(ANSWERS.read_text(encoding="utf-8"))
    assert headings == [(group, str(n)) for group, n in ITEMS]


def test_answers_group_headings_are_the_handouts_titles():
    handout = read_handout(THEORY_DIR / HANDOUT_NAME)
    groups = GROUP_HEADING.findall(ANSWERS.read_text(encoding="utf-8"))
    assert groups == [(h.number, h.title) for h in handout.headings if h.number.count(".") == 2]


def test_answers_write_in_the_handouts_notation():
    """x^{(t)}, h^{(t-1)}, L^{(T)} ... as the handout writes them, never x(t) or h(t-1)."""
    text = ANSWERS.read_text(encoding="utf-8")
    assert OLD_NOTATION.findall(text) == []


def test_answers_embed_the_committed_diagram():
    assert f"]({COMMITTED_SVG.name})" in ANSWERS.read_text(encoding="utf-8")


def test_diagram_svg_is_byte_identical_across_runs(tmp_path):
    first, second = save_lstm_diagram(tmp_path / "a.svg"), save_lstm_diagram(tmp_path / "b.svg")
    assert first.read_bytes() == second.read_bytes()


def test_committed_diagram_equals_a_fresh_one(tmp_path):
    fresh = save_lstm_diagram(tmp_path / COMMITTED_SVG.name)
    assert fresh.read_bytes() == COMMITTED_SVG.read_bytes(), "stale diagram: run `hw3 diagram`"


def test_diagram_verb_is_registered_and_writes_png(tmp_path):
    out = tmp_path / "lstm.png"
    assert cli.main(["diagram", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")


def test_student_template_is_byte_identical_across_runs(tmp_path):
    first, second = write_student_template(tmp_path / "a"), write_student_template(tmp_path / "b")
    assert [p.name for p in first] == [TEMPLATE_NAME]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_student_template_folder_ships_no_answer_even_over_an_older_release(tmp_path):
    out = tmp_path / "theory"
    out.mkdir()
    (out / "lstm_diagram.png").write_bytes(b"an older release drew the answer to 1.1.2 (1) here")
    write_student_template(out)
    assert sorted(p.name for p in out.iterdir()) == [TEMPLATE_NAME]


def test_template_has_a_labelled_section_per_handout_item():
    template = (THEORY_DIR / TEMPLATE_NAME).read_text(encoding="utf-8")
    for group, n in ITEMS:
        assert template.count(f"\\question{{{group}-{n}}}") == 1, (group, n)


def notebook_cell(nb, marker: str) -> str:
    """Source of the one code cell of the Hafez master that contains `marker`."""
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code" and marker in cell.source]
    assert len(cells) == 1, f"{marker!r} is in {len(cells)} code cells of the Hafez master"
    return cells[0]


def grading_seed(nb) -> int:
    """The seed otter gives `rng_seed` when grading, from the master's assignment config."""
    config = next(cell.source for cell in nb.cells if cell.source.startswith("# ASSIGNMENT CONFIG"))
    return yaml.safe_load(config)["seed"]["autograder_value"]


def test_gradient_flow_table_matches_the_notebook_cells():
    """1.1.1 (2) quotes q3b's curves: rerun the notebook's own cells (solution and plot) at the grading seed."""
    nb = read(REPOSITORY.master("hafez"))
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scope = {"torch": torch, "nn": nn, "plt": plt, "rng_seed": grading_seed(nb)}
    with torch.random.fork_rng():
        exec(notebook_cell(nb, FLOW_SOLUTION), scope)
        exec(notebook_cell(nb, FLOW_CELL), scope)
        measured = {
            "rnn": scope["gradient_norms"](scope["rnn_cell"], scope["flow_x"]),
            "lstm": scope["gradient_norms"](scope["lstm_cell"], scope["flow_x"]),
        }
    plt.close("all")
    text = ANSWERS.read_text(encoding="utf-8")
    rows = FLOW_ROW.findall(text)
    assert len(rows) >= 5, "no gradient-flow table in 1.1.1 (2)"
    tolerance = 0.5 * 10 ** (1 - QUOTED_DIGITS)  # half a unit in the last quoted digit, relative
    for steps, rnn, lstm in rows:
        for kind, quoted in (("rnn", rnn), ("lstm", lstm)):
            value = float(measured[kind][int(steps)])
            assert math.isclose(float(quoted), value, rel_tol=tolerance), (
                f"{kind} at {steps} steps back: answers.md says {quoted}, the notebook gives {value:.3g}"
            )
    sigma_max, rho = map(float, FLOW_SPECTRUM.search(text).groups())
    w_hh = scope["rnn_cell"].weight_hh.detach()
    assert math.isclose(sigma_max, torch.linalg.matrix_norm(w_hh, ord=2).item(), rel_tol=tolerance)
    assert math.isclose(rho, torch.linalg.eigvals(w_hh).abs().max().item(), rel_tol=tolerance)


def test_layer_sizes_and_chunk_lengths_quoted_in_the_answers_are_the_notebooks():
    """Run the training cell's budget choice (grading, CPU, GPU) and compare its sizes with 1.1.3 (2) and
    its chunk lengths (SEQ_LEN) with 1.2.2 (2)."""
    cell = notebook_cell(read(REPOSITORY.master("hafez")), "EMBED_DIM, HIDDEN_SIZE")
    choice = next(
        node
        for node in ast.parse(cell).body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "GRADING"
    )
    sizes, seq_lens = {}, {}
    for budget, grading, device in (
        ("grading", True, "cpu"),
        ("cpu", False, "cpu"),
        ("gpu", False, "cuda"),
    ):
        scope = {"GRADING": grading, "DEVICE": torch.device(device)}
        exec(ast.get_source_segment(cell, choice), scope)
        sizes[budget] = (scope["EMBED_DIM"], scope["HIDDEN_SIZE"], scope["NUM_LAYERS"])
        seq_lens[budget] = scope["SEQ_LEN"]
    text = ANSWERS.read_text(encoding="utf-8")
    grading_len, other_len = map(int, QUOTED_SEQ_LEN.search(text).groups())
    assert (grading_len, other_len, other_len) == (
        seq_lens["grading"],
        seq_lens["cpu"],
        seq_lens["gpu"],
    ), f"1.2.2 (2) quotes chunks of {grading_len} and {other_len}; the notebook has {seq_lens}"
    quoted = tuple(map(int, QUOTED_SIZES.search(text).groups()))
    notebook = (
        sizes["grading"][0],
        sizes["grading"][1],
        sizes["cpu"][1],
        sizes["gpu"][2],
        sizes["gpu"][1],
    )
    assert quoted == notebook, (
        f"1.1.3 (2) quotes EMBED_DIM, HIDDEN_SIZE (grading, CPU, GPU layers x size) = {quoted}; "
        f"the notebook has {notebook}"
    )


def test_every_citation_is_listed_and_every_listed_source_is_cited():
    body, references = ANSWERS.read_text(encoding="utf-8").split(REFERENCES_HEADING)
    cited = set(CITATION.findall(body))
    listed = set(REFERENCE.findall(references))
    assert listed, "no reference list at the end of answers.md"
    assert cited - listed == set(), "cited but not listed"
    assert listed - cited == set(), "listed but never cited"


@pytest.mark.parametrize(
    "present, missing", [((), "pandoc"), (("pandoc",), solutions_pdf.PDF_ENGINE)]
)
def test_solutions_pdf_names_the_missing_tool_and_exits_2(
    monkeypatch, capsys, tmp_path, present, missing
):
    monkeypatch.setattr(
        solutions_pdf.shutil, "which", lambda tool: f"/usr/bin/{tool}" if tool in present else None
    )
    assert solutions_pdf_main(["--out", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{missing} not found" in err and "install" in err
    assert not (tmp_path / "x.pdf").exists()
