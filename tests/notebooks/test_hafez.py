"""The Hafez assignment: corpus, the master's provided cells, and grading of the released notebooks."""

import ast
import importlib.metadata
import math
import re
from collections import Counter
from types import SimpleNamespace

import nbformat
import pytest
from support import EXPECTED_SCORES, REPOSITORY, released

from hw3.bench import ngram
from hw3.common import answers
from hw3.datasets import corpus

NAME = "hafez"
EXPECTED = EXPECTED_SCORES[NAME]
SPLIT_GHAZALS = {"train": 446, "val": 25, "test": 24}
# the budget the q6 threshold is calibrated for (`hw3 calibrate`); changing it means recalibrating
CALIBRATED_GRADING_BUDGET = {
    "EMBED_DIM": 64,
    "HIDDEN_SIZE": 128,
    "NUM_LAYERS": 1,
    "DROPOUT": 0.0,
    "EMBED_DROPOUT": 0.0,
    "BATCH_SIZE": 32,
    "SEQ_LEN": 64,
    "LEARNING_RATE": 3e-3,
    "TRAIN_STEPS": 250,
}
TRAINING_CELL_MARK = "losses = train_lm("
NGRAM_ORDERS_CHECKED = (1, 3, 5, 8)
CELL = re.compile(r"<td[^>]*>(.*?)</td>")


def read(kind):
    return nbformat.read(released(kind, NAME), as_version=4)


def master_code() -> list[str]:
    return [
        c.source
        for c in nbformat.read(REPOSITORY.master(NAME), as_version=4).cells
        if c.cell_type == "code"
    ]


def master_functions(*names: str, **namespace) -> dict:
    """Define the master's top-level functions `names` (found in any code cell) in `namespace`; return it."""
    for source in master_code():
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name in names:
                exec(ast.get_source_segment(source, node), namespace)
    assert set(names) <= set(namespace), f"the master defines none of {set(names) - set(namespace)}"
    return namespace


def training_budget(grading: bool, device: str) -> dict:
    """The constants the master's training cell sets under `grading` on a `device` machine."""
    source = next(s for s in master_code() if TRAINING_CELL_MARK in s)
    branch = next(n for n in ast.parse(source).body if isinstance(n, ast.If))
    namespace = {"GRADING": grading, "DEVICE": SimpleNamespace(type=device)}
    exec(ast.get_source_segment(source, branch), namespace)
    return {k: namespace[k] for k in CALIBRATED_GRADING_BUDGET}


def test_corpus_has_every_ghazal_and_an_interleaved_split():
    ghazals = corpus.load_ghazals()
    assert [gid for gid, _ in ghazals] == list(range(1, corpus.GHAZAL_COUNT + 1))
    counts = {
        split: sum(corpus.split_of(gid) == split for gid, _ in ghazals) for split in SPLIT_GHAZALS
    }
    assert counts == SPLIT_GHAZALS
    assert all("\n\n" not in text and text.strip() == text for _, text in ghazals)


def test_released_corpus_file_is_the_package_text():
    assert (released("student", NAME).parent / "data" / "hafez.txt").read_text(
        encoding="utf-8"
    ) == corpus.corpus_text()


def test_missing_hafez_package_names_the_fix(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(corpus.CorpusError, match="pip install hafez"):
        corpus.corpus_json_path()


def test_every_graded_question_has_an_answer_cell_in_both_notebooks():
    for kind in ("student", "autograder"):
        assert set(answers.answer_cells(read(kind))) >= set(EXPECTED["max"]), kind


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_grading_budget_is_the_one_the_threshold_is_calibrated_for(device):
    assert training_budget(True, device) == CALIBRATED_GRADING_BUDGET


def test_student_budgets_differ_from_the_grading_budget_and_grow_on_a_gpu():
    cpu, gpu = training_budget(False, "cpu"), training_budget(False, "cuda")
    assert cpu != CALIBRATED_GRADING_BUDGET
    assert gpu["HIDDEN_SIZE"] * gpu["NUM_LAYERS"] > cpu["HIDDEN_SIZE"] * cpu["NUM_LAYERS"]


def test_notebook_ngram_gives_the_bench_kneser_ney_perplexities():
    text = corpus.corpus_text()
    train, held_out = text[:60000], text[60000:66000]
    vocab = sorted(set(text))
    notebook = master_functions(
        "kn_discounts",
        "count_ngrams",
        "ngram_perplexity",
        Counter=Counter,
        math=math,
        VOCAB_SIZE=len(vocab),
    )
    for order in NGRAM_ORDERS_CHECKED:
        stats = notebook["count_ngrams"](train, order)
        expected = ngram.KneserNey(train, order, vocab).perplexity(held_out)
        assert notebook["ngram_perplexity"](stats, order, held_out) == pytest.approx(
            expected, rel=1e-9
        ), order


def test_ghazal_is_shown_as_couplets_right_to_left_and_blank_lines_do_not_split_them():
    shown = []
    show_rtl = master_functions("show_rtl", HTML=str, display=shown.append)["show_rtl"]
    show_rtl("a1\na2\nb1\n\nb2\n\n\nc1\n", title="T")
    rows = [CELL.findall(row) for row in re.findall(r"<tr>(.*?)</tr>", shown[0])]
    assert rows == [["a1", "a2"], ["b1", "b2"], ["c1", ""]]
    assert 'dir="rtl"' in shown[0] and "T</caption>" in shown[0]


def test_embedding_dropout_hook_drops_only_in_training_whatever_the_embedding_is_called():
    import torch

    class Renamed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.letters = torch.nn.Embedding(5, 400)

    source = next(s for s in master_code() if TRAINING_CELL_MARK in s)
    hook = next(
        n
        for n in ast.parse(source).body
        if isinstance(n, ast.If) and ast.unparse(n.test) == "EMBED_DROPOUT"
    )
    model, ids = Renamed(), torch.arange(5)
    exec(
        ast.get_source_segment(source, hook),
        {"EMBED_DROPOUT": 0.5, "model": model, "nn": torch.nn, "F": torch.nn.functional},
    )
    dropped = (model.letters(ids) == 0).float().mean()
    assert 0.4 < dropped < 0.6, (
        f"{dropped:.0%} of the embedding zeroed in training, expected about half"
    )
    assert torch.equal(model.eval().letters(ids), model.letters.weight[ids]), (
        "no dropout in evaluation mode"
    )
