"""Theory part: the numbers in the reference answers match torch, every handout item is answered and
templated, the LSTM diagram regenerates byte for byte, and the student template compiles."""
import re
import shutil
import subprocess

import pytest
import torch.nn as nn

from hw3 import cli
from hw3.theory import solutions_pdf
from hw3.theory.cli import solutions_pdf_main
from hw3.theory.counts import WEIGHT_BLOCKS, recurrent_parameter_count
from hw3.theory.diagram import save_lstm_diagram
from hw3.theory.template import TEMPLATE_NAME
from hw3.theory.template import write_student_template as write_template
from support import REPOSITORY

THEORY_DIR = REPOSITORY.theory


def write_student_template(out):
    return write_template(THEORY_DIR, out)

ANSWERS = THEORY_DIR / "answers.md"
COMMITTED_SVG = THEORY_DIR / "lstm_diagram.svg"
# The handout: group -> number of items in it; twenty items in all.
HANDOUT_ITEMS = {"1.1.1": 3, "1.1.2": 3, "1.1.3": 2, "1.1.4": 2, "1.2.1": 3, "1.2.2": 3, "1.2.3": 2, "1.2.4": 2}
HANDOUT_ITEM_COUNT = 20
ITEMS = [(group, n) for group, count in HANDOUT_ITEMS.items() for n in range(1, count + 1)]
SHAPES = [(64, 128, 1), (64, 128, 2), (10, 7, 3), (1, 1, 1)]  # (input D, hidden H, layers)
LAYER_MODULES = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
CELL_MODULES = {"rnn": nn.RNNCell, "gru": nn.GRUCell, "lstm": nn.LSTMCell}
# A row of the parameter table in 1.1.3 (2): | `nn.LSTM` | 64 | 128 | 2 | 231,424 |
TABLE_ROW = re.compile(r"^\| `nn\.(\w+)` \| (\d+) \| (\d+) \| (\d+) \| ([\d,]+) \|$", re.MULTILINE)
ITEM_HEADING = re.compile(r"^### (\d\.\d\.\d) \((\d)\) \S", re.MULTILINE)
TEMPLATE_LABEL = re.compile(r"\\newlabel\{q:(\d\.\d\.\d)-(\d)\}\{\{([^}]*)\}")
PDFLATEX_TIMEOUT_S = 180
NO_PDFLATEX = ("pdflatex not found: install TeX Live to compile the template "
               "(apt-get install texlive-latex-base texlive-latex-recommended texlive-latex-extra)")


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
    assert recurrent_parameter_count(kind, d, h, layers) == parameter_count(CELL_MODULES[kind](d, h))


@pytest.mark.parametrize("kind", sorted(WEIGHT_BLOCKS))
@pytest.mark.parametrize("d, h, layers", SHAPES)
def test_single_bias_formula_is_torch_without_its_second_bias(kind, d, h, layers):
    module = LAYER_MODULES[kind](d, h, layers)
    one_bias = sum(p.numel() for name, p in module.named_parameters() if not name.startswith("bias_hh"))
    assert recurrent_parameter_count(kind, d, h, layers, biases=1) == one_bias


def test_parameter_table_in_answers_matches_torch():
    rows = TABLE_ROW.findall(ANSWERS.read_text(encoding="utf-8"))
    assert {name.removesuffix("Cell").lower() for name, *_ in rows} == set(WEIGHT_BLOCKS), rows
    for name, d, h, layers, stated in rows:
        d, h, layers, stated = int(d), int(h), int(layers), int(stated.replace(",", ""))
        cls = getattr(nn, name)
        module = cls(d, h) if name.endswith("Cell") else cls(d, h, layers)
        kind = name.removesuffix("Cell").lower()
        assert stated == parameter_count(module) == recurrent_parameter_count(kind, d, h, layers), name


def test_answers_have_one_heading_per_handout_item():
    headings = ITEM_HEADING.findall(ANSWERS.read_text(encoding="utf-8"))
    assert sorted(headings) == sorted((group, str(n)) for group, n in ITEMS)


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
    assert [p.name for p in first] == [TEMPLATE_NAME, "lstm_diagram.png"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_template_has_a_labelled_section_per_handout_item():
    template = (THEORY_DIR / TEMPLATE_NAME).read_text(encoding="utf-8")
    for group, n in ITEMS:
        assert template.count(f"\\label{{q:{group}-{n}}}") == 1, (group, n)


def compile_template(folder):
    """Run pdflatex once on the template in `folder`; returns the completed process."""
    return subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", TEMPLATE_NAME], cwd=folder,
                          capture_output=True, text=True, timeout=PDFLATEX_TIMEOUT_S)


@pytest.mark.parametrize("with_diagram", [True, False], ids=["with-diagram", "without-diagram"])
def test_template_compiles_and_numbers_items_like_the_handout(tmp_path, with_diagram):
    if shutil.which("pdflatex") is None:
        pytest.skip(NO_PDFLATEX)
    if with_diagram:
        write_student_template(tmp_path)
    else:
        shutil.copyfile(THEORY_DIR / TEMPLATE_NAME, tmp_path / TEMPLATE_NAME)
    result = compile_template(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "HW3__Solution.pdf").read_bytes().startswith(b"%PDF")
    labels = TEMPLATE_LABEL.findall((tmp_path / "HW3__Solution.aux").read_text(encoding="utf-8"))
    assert sorted(labels) == sorted((g, str(n), f"{g}\\ ({n})") for g, n in ITEMS)


@pytest.mark.parametrize("present, missing", [((), "pandoc"), (("pandoc",), solutions_pdf.PDF_ENGINE)])
def test_solutions_pdf_names_the_missing_tool_and_exits_2(monkeypatch, capsys, tmp_path, present, missing):
    monkeypatch.setattr(solutions_pdf.shutil, "which", lambda tool: f"/usr/bin/{tool}" if tool in present else None)
    assert solutions_pdf_main(["--out", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{missing} not found" in err and "install" in err
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.slow
def test_solutions_pdf_renders_the_answers(tmp_path):
    missing = [tool for tool in solutions_pdf.INSTALL_HINTS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not found: {solutions_pdf.INSTALL_HINTS[missing[0]]}")
    out = tmp_path / "solutions.pdf"
    assert cli.main(["solutions-pdf", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
