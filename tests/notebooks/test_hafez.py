"""The Hafez assignment: corpus, and grading of the released notebooks through `otter run`."""
import importlib.metadata

import pytest

from hw3.common import answers
from hw3.datasets import corpus
from support import EXPECTED_SCORES, released

import nbformat

NAME = "hafez"
EXPECTED = EXPECTED_SCORES[NAME]
SPLIT_GHAZALS = {"train": 446, "val": 25, "test": 24}


def read(kind):
    return nbformat.read(released(kind, NAME), as_version=4)


def test_corpus_has_every_ghazal_and_an_interleaved_split():
    ghazals = corpus.load_ghazals()
    assert [gid for gid, _ in ghazals] == list(range(1, corpus.GHAZAL_COUNT + 1))
    counts = {split: sum(corpus.split_of(gid) == split for gid, _ in ghazals) for split in SPLIT_GHAZALS}
    assert counts == SPLIT_GHAZALS
    assert all("\n\n" not in text and text.strip() == text for _, text in ghazals)


def test_released_corpus_file_is_the_package_text():
    assert (released("student", NAME).parent / "data" / "hafez.txt").read_text(encoding="utf-8") == corpus.corpus_text()


def test_missing_hafez_package_names_the_fix(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(corpus.CorpusError, match="pip install hafez"):
        corpus.corpus_json_path()


def test_every_graded_question_has_an_answer_cell_in_both_notebooks():
    for kind in ("student", "autograder"):
        assert set(answers.answer_cells(read(kind))) >= set(EXPECTED["max"]), kind
