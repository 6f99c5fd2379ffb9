"""`hw3 bench hafez`: the student-budget summary TAs' scripts read, the table, and where the notebook is cut."""

import nbformat
from support import released

from hw3.bench import hafez

STUDENT_RUNS = [
    {
        "seed": 713,
        "val_ppl": 5.30,
        "test_ppl": 5.55,
        "train_steps": 3000,
        "train_seconds": 280.0,
        "seconds": 300.0,
        "cpu_seconds": 540.0,
        "peak_rss_mb": 700,
    },
    {
        "seed": 1,
        "val_ppl": 5.40,
        "test_ppl": 5.65,
        "train_steps": 3000,
        "train_seconds": 290.0,
        "seconds": 310.0,
        "cpu_seconds": 560.0,
        "peak_rss_mb": 720,
    },
]


def test_student_summary_keeps_the_keys_tas_read_and_names_its_seeds():
    summary = hafez.summarise_student(STUDENT_RUNS)
    assert (
        summary["test_ppl"] == 5.6
        and summary["worst_test_ppl"] == 5.65
        and summary["val_ppl"] == 5.35
    )
    assert summary["seeds"] == [713, 1] and summary["peak_rss_mb"] == 720


def test_table_lists_every_ngram_and_every_seed_of_both_budgets():
    grading = {
        "val_ppl": 9.3,
        "test_ppl": 9.4,
        "train_seconds": 12.0,
        "seconds": 35.0,
        "cpu_seconds": 12.0,
        "peak_rss_mb": 480,
    }
    report = {
        "ngram": {3: {"val_ppl": 8.12, "test_ppl": 8.18}, 8: {"val_ppl": 5.91, "test_ppl": 6.23}},
        "best_ngram": {"order": 8, "val_ppl": 5.91, "test_ppl": 6.23},
        "seeds": {42: grading, 0: grading},
        "student_budget_seeds": STUDENT_RUNS,
        "student_budget": hafez.summarise_student(STUDENT_RUNS),
        "otter_run": {"seconds": 29.0, "peak_rss_mb": 517, "score": 27, "max": 27},
    }
    lines = hafez.table(report).splitlines()
    assert [line.split()[0] for line in lines[1:3]] == ["3-gram", "8-gram"]
    assert [line.split()[2] for line in lines if line.startswith("grading budget")] == ["42", "0"]
    assert [line.split()[2] for line in lines if line.startswith("student budget ")] == ["713", "1"]
    assert "-10.1 %" in lines[-1]


def test_bench_cuts_the_reference_after_training_and_times_the_training_cell():
    cut = hafez.through_training(nbformat.read(released("autograder", hafez.NAME), as_version=4))
    assert hafez.TRAINING_CELL_MARK in cut.cells[-3].source
    assert [c.source for c in cut.cells[-2:]] == [hafez.TIMER, hafez.PROBE]
