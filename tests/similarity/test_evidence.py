"""How shared code is weighed and the thresholds calibrated (hw3.similarity: evidence, honest, bench).

Fabricated corpora and holder sets check the arithmetic; the repository's own corpus checks what
the issue asks of it: at least five independent variants per notebook besides the reference, and
the questions whose TODO dictates the answer weighing nothing.
"""

import math
from pathlib import Path

import nbformat
import numpy as np
import pytest
from support import REPO

from hw3.calibration.variants import load_variants
from hw3.similarity import evidence, synth
from hw3.similarity.bench import wilson_upper
from hw3.similarity.honest import REFERENCE_SOLUTION, Corpus, Solution, load_corpus
from hw3.similarity.run import similarity, zip_paths
from hw3.similarity.sources import reference_answers, reference_source
from hw3.similarity.stubs import load_stubs

KEY = "hafez:q7_sample"
MIN_VARIANTS = 5  # per notebook, besides the reference (the ask)
DICTATED = {"hafez:q4_model", "apple_stock:q4_model"}  # the TODO names every line


def fabricated_corpus() -> Corpus:
    """Three solutions of KEY: the reference holds 1, 2, 3; one variant 2 and 9; another 3 and 8."""
    corpus = Corpus()
    for name, prints in ((REFERENCE_SOLUTION, {1, 2, 3}), ("v1", {2, 9}), ("v2", {3, 8})):
        corpus.add(Solution(name, {KEY: frozenset(prints)}))
    corpus.summarise()
    return corpus


def test_the_sum_of_per_question_values_has_its_exact_distribution():
    tail = evidence.honest_tail([evidence.pmf([0.0, 1.0]), evidence.pmf([0.0, 2.0])])
    steps = int(1 / evidence.BIN)  # bins per bit
    # sums 0, 1, 2, 3 bits, a quarter each
    assert [tail[k * steps] for k in range(4)] == pytest.approx([1.0, 0.75, 0.5, 0.25])
    assert tail[3 * steps + 1 :].sum() == 0


def test_the_flag_level_is_the_least_evidence_no_more_than_its_rate_of_honest_pairs_reach():
    found = evidence.threshold({"a": [0.0, 1.0], "b": [0.0, 2.0]}, flag_rate=0.25)
    # a quarter of the sums are 3 bits, none between 2 and 3: the first step past 2 bits
    assert found.flag == 2 + evidence.BIN and found.honest_share(3.0) == pytest.approx(0.25)
    assert found.honest_share(2.9) == pytest.approx(0.25) and found.honest_share(3.1) == 0.0
    assert found.unusual == 3.25, "no honest pair reaches it: 1 in 1,000 is past the largest sum"


def test_values_round_up_so_a_threshold_never_undercounts_an_honest_pair():
    found = evidence.threshold({"a": [0.1]}, flag_rate=0.5)
    assert found.flag == evidence.BIN + evidence.BIN and found.honest_share(0.1) == 1.0


def test_class_estimate_needs_a_class_and_only_raises_a_threshold():
    bits = {KEY: [40.0, 3.0]}
    assert evidence.class_tail(bits, 10, evidence.CLASS_ESTIMATE_MIN - 1) is None
    corpus = evidence.threshold({KEY: [0.0, 1.0]}, flag_rate=1e-3)
    tail = evidence.class_tail(bits, 1000, evidence.CLASS_ESTIMATE_MIN)
    raised = evidence.combined(corpus, tail)
    assert raised.flag > corpus.flag and set(raised.levels) == {
        evidence.CORPUS_ESTIMATE,
        evidence.CLASS_ESTIMATE,
    }
    quiet = evidence.class_tail({KEY: []}, 1000, evidence.CLASS_ESTIMATE_MIN)
    assert evidence.combined(corpus, quiet).flag == corpus.flag


def test_code_an_independent_solution_writes_weighs_nothing_and_rare_code_weighs_its_rarity():
    corpus = fabricated_corpus()
    reference = 1 << 0  # the source is the reference: it is left out of what judges it
    bits = evidence.shared_bits({1, 2, 3}, corpus, KEY, reference, {}, frozenset(), 0)
    assert bits[2] == bits[3] == 0.0, "the reference shares 2 and 3 with a variant: canonical"
    # 1: no other solution (2 judged) and no classmate (0) holds it: p = 1 / (0 + 2 + 2)
    assert bits[1] == pytest.approx(2.0)


def test_an_idiom_other_classmates_hold_weighs_once_and_what_two_alone_share_weighs_each():
    corpus = fabricated_corpus()
    others = frozenset(range(2, 12))  # ten classmates hold 100, 101, 102; nobody else 200, 201
    holders = {v: others | {0, 1} for v in (100, 101, 102)} | {
        v: frozenset({0, 1}) for v in (200, 201)
    }
    bits = evidence.shared_bits(
        {100, 101, 102, 200, 201}, corpus, KEY, 0, holders, frozenset({0, 1}), 40
    )
    idiom = evidence.weight(3, 40, 10)
    assert sum(bits[v] for v in (100, 101, 102)) == pytest.approx(idiom)
    assert bits[200] == bits[201] == pytest.approx(evidence.weight(3, 40, 0))
    assert evidence.weight(0, 98, 49) == pytest.approx(1.0), "half the class holding it: one bit"


def test_a_submission_whose_answer_is_a_corpus_solution_is_judged_without_it():
    corpus = fabricated_corpus()
    assert corpus.own(KEY, {2, 9}) == 1 << 1 and corpus.own(KEY, {2, 9, 4, 5, 6}) == 0


def test_no_false_alarm_among_n_pairs_is_a_bound_not_a_zero():
    z = 1.6448536269514722  # one-sided 95 %
    assert wilson_upper(0, 1000) == pytest.approx(z * z / (1000 + z * z))
    assert wilson_upper(0, 0) == 1.0 and wilson_upper(5, 100) > 0.05
    assert math.isclose(wilson_upper(100, 100), 1.0)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    stubs, _ = load_stubs(REPO / "student", ["hafez", "apple_stock"])
    found, _ = reference_source(REPO / "autograder", stubs)
    return load_corpus(REPO, stubs, found)


def test_the_corpus_holds_the_reference_and_at_least_five_variants_per_notebook(corpus):
    assert corpus.solutions[0].name == REFERENCE_SOLUTION and not corpus.notes
    for name in ("hafez", "apple_stock"):
        variants = [s for s in corpus.solutions if s.name.startswith(f"{name}/")]
        assert len(variants) >= MIN_VARIANTS, name
        assert all(s.prints for s in variants)


def test_only_the_questions_whose_todo_names_the_lines_are_dictated(corpus):
    dictated = {key for key, stats in corpus.stats.items() if stats.dictated}
    assert dictated == DICTATED
    assert not any(corpus.calibrated(key) for key in DICTATED)


def test_honest_pairs_of_the_corpus_set_a_finite_threshold(corpus):
    keys = [key for key in corpus.stats]
    counts = evidence.ClassCounts(
        answered=dict.fromkeys(keys, 0),
        holders={key: {} for key in keys},
        prints={key: [] for key in keys},
        own={key: [] for key in keys},
        max_common=4,
    )
    found = evidence.calibrate_pairs(corpus, keys, counts, {}, 1e-3 / 299)
    pairs = {len(values) for values in found.honest.values()}
    assert pairs == {math.comb(1 + 6, 2)}, "every two of the reference and six variants"
    assert 0 < found.unusual <= found.flag < np.inf


def test_a_source_that_is_a_corpus_solution_is_calibrated_on_its_own_pairs():
    corpus = fabricated_corpus()
    reference = 1 << 0
    assert evidence.source_pairs(corpus, KEY, 0, reference) == [(1, 0), (2, 0)]
    assert evidence.source_pairs(corpus, KEY, 1 << 1, reference) == [(2, 0)], (
        "the student's own out"
    )
    every = evidence.source_pairs(corpus, KEY, 0, 0)
    assert sorted(every) == [(i, j) for i in range(3) for j in range(3) if i != j]


def test_ungraded_answers_outside_the_questions_are_in_the_corpus(corpus):
    """apple_stock's q7_plot answer lands in apple_stock:other: what independent plots share weighs nothing."""
    stats = corpus.stats["apple_stock:other"]
    assert stats.solutions == 1 + 6 and stats.canonical_fraction > 0 and not stats.dictated
    assert corpus.calibrated("apple_stock:other") and corpus.calibrated("hafez:other")


def variant_and_copy_class(folder: Path) -> tuple[list[Path], list[Path]]:
    """(variant students, reference copies): each variant of both notebooks as one student, undisguised,
    and three copies of the reference disguised by a comment line at the top of each answer cell."""
    names = ["hafez", "apple_stock"]
    released = {
        name: nbformat.read(REPO / "student" / name / f"{name}.ipynb", as_version=4)
        for name in names
    }
    found = {name: load_variants(REPO / "reference" / "variants", name) for name in names}
    honest = [
        synth.submission_zip(
            folder,
            f"40200{k:04d}",
            f"Variant{chr(65 + k)}",
            {name: found[name][k].apply(released[name]) for name in names},
        )
        for k in range(min(len(found[name]) for name in names))
    ]
    copies = []
    for k in range(3):
        notebooks = {}
        for name in names:
            answers = reference_answers(name, REPO / "autograder")
            disguised = {
                q: [f"# my own solution, take {k}\n" + cell for cell in cells]
                for q, cells in answers.items()
            }
            notebooks[name] = synth.submitted_notebook(released[name], disguised)
        copies.append(
            synth.submission_zip(folder, f"40300{k:04d}", f"RefCopy{chr(65 + k)}", notebooks)
        )
    return honest, copies


def test_a_class_of_the_variants_and_commented_reference_copies_flags_the_copies_alone(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    honest, copies = variant_and_copy_class(folder)
    result = similarity(paths=zip_paths([folder]), out=tmp_path / "out", release_root=REPO, jobs=1)
    name = [s.path.name for s in result.submissions]
    sourced = {name[m.submission] for m in result.matches if m.flag == "source:reference"}
    assert sourced == {path.name for path in copies}
    honest_names = {path.name for path in honest}
    assert not [m for m in result.matches if m.flag and name[m.submission] in honest_names]
    assert not [p for p in result.pairs if p.flags and {name[p.a], name[p.b]} & honest_names]
