"""`hw3 bench hafez`'s API: seconds, memory and perplexities of the Hafez reference against n-gram baselines.

Reports, on this machine (threads pinned):
- wall seconds and peak memory to execute the reference under `HW3_GRADING=1`, and to `otter run` it;
- test perplexity at the grading budget over several seeds, beside the `q6_perplexity` threshold
  and the values of an untrained model and of a model trained with unshifted targets;
- test perplexity at the student budget, and character n-grams (modified Kneser-Ney, n = 2..8).
"""
import json
import re
import tempfile
from pathlib import Path

import nbformat

from hw3.bench import ngram
from hw3.bench.staging import stage_notebook
from hw3.calibration.mutants import load_mutants
from hw3.common.notebook_run import execute_notebook, grading_env, otter_run
from hw3.datasets import corpus
from hw3.project import Repository

NAME = "hafez"
DEFAULT_SEEDS = (42, 0, 1, 2, 3)
STUDENT_THREADS = "2"
NGRAM_ORDERS = range(2, 9)
SEED_LINE = re.compile(r"^rng_seed = \d+$", re.M)
THRESHOLD = re.compile(r"max_test_perplexity = ([\d.]+)")
TRAINING_CELL_MARK = "losses = train_lm("
PROBE = """
import json
torch.manual_seed(0)
untrained = CharLSTM(VOCAB_SIZE, EMBED_DIM, HIDDEN_SIZE, NUM_LAYERS, DROPOUT).to(DEVICE)
Path("probe.json").write_text(json.dumps({
    "test_ppl": evaluate_perplexity(model, test_ids),
    "val_ppl": evaluate_perplexity(model, val_ids),
    "untrained_test_ppl": evaluate_perplexity(untrained, test_ids),
    "train_steps": TRAIN_STEPS,
    "kernel_cpu_seconds": time.process_time(),
}))
"""


def with_seed(nb: nbformat.NotebookNode, seed: int) -> nbformat.NotebookNode:
    """Copy of `nb` whose setup cell sets `rng_seed = seed`."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and SEED_LINE.search(cell.source):
            cell.source = SEED_LINE.sub(f"rng_seed = {seed}", cell.source)
    return nb


def through_training(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Copy of `nb` cut after the training cell, with the probe cell appended."""
    nb = nbformat.from_dict(nb)
    last = next(i for i, c in enumerate(nb.cells) if TRAINING_CELL_MARK in c.source)
    nb.cells = nb.cells[: last + 1] + [nbformat.v4.new_code_cell(PROBE)]
    return nb


def run_probe(nb: nbformat.NotebookNode, workdir: Path, env: dict, autograder: Path) -> dict:
    """Execute `nb` beside the corpus in `workdir`; return the probe's numbers plus seconds and memory."""
    path = stage_notebook(nb, workdir, autograder / "data", NAME)
    measured = execute_notebook(path, workdir / "executed.ipynb", env)
    return dict(json.loads((workdir / "probe.json").read_text()),
                seconds=round(measured.seconds, 1), peak_rss_mb=round(measured.peak_rss_mb))


def ngram_baselines() -> dict:
    """Validation and test perplexity of modified Kneser-Ney character n-grams trained on train."""
    ghazals = corpus.load_ghazals()
    split = {s: "\n\n".join(t for i, t in ghazals if corpus.split_of(i) == s) + "\n" for s in ("train", "val", "test")}
    vocab = set(corpus.corpus_text())
    results = {}
    for order in NGRAM_ORDERS:
        model = ngram.KneserNey(split["train"], order, vocab)
        results[order] = {"val_ppl": round(model.perplexity(split["val"]), 3),
                          "test_ppl": round(model.perplexity(split["test"]), 3)}
    return results


def bench_hafez(*, repo: Repository, seeds: list[int], student_budget: bool = True) -> dict:
    """The benchmark report (printed as it goes): otter run and execution of the reference, test perplexity per
    grading seed, the unshifted-targets mutant, the student budget, and the n-gram baselines."""
    autograder = repo.autograder / NAME
    reference = nbformat.read(autograder / f"{NAME}.ipynb", as_version=4)
    threshold = float(THRESHOLD.search((autograder / f"{NAME}.ipynb").read_text()).group(1))
    report = {"threshold": threshold}
    with tempfile.TemporaryDirectory(prefix="hw3-bench-") as tmp:
        tmp = Path(tmp)
        graded = otter_run(autograder / f"{NAME}.ipynb", autograder / f"{NAME}-autograder.zip", tmp / "otter", grading_env())
        report["otter_run"] = {"seconds": round(graded.measured.seconds, 1), "peak_rss_mb": round(graded.measured.peak_rss_mb),
                               "score": sum(graded.scores.values()), "max": sum(graded.max_scores.values())}
        print(f"otter run reference: {report['otter_run']}", flush=True)
        full = with_seed(reference, seeds[0])
        full.cells.append(nbformat.v4.new_code_cell(PROBE))
        report["execute_grading"] = run_probe(full, tmp / "full", grading_env(), autograder)
        print(f"execute reference (HW3_GRADING=1): {report['execute_grading']}", flush=True)
        report["seeds"] = {}
        for seed in seeds:
            report["seeds"][seed] = run_probe(through_training(with_seed(reference, seed)), tmp / f"seed{seed}",
                                              grading_env(), autograder)
            print(f"seed {seed}: {report['seeds'][seed]}", flush=True)
        unshifted = next(m for m in load_mutants(repo.mutants, NAME) if m.slug == "targets_not_shifted")
        report["unshifted_targets"] = run_probe(through_training(with_seed(unshifted.apply(reference), seeds[0])),
                                                tmp / "unshifted", grading_env(), autograder)
        print(f"unshifted targets: {report['unshifted_targets']}", flush=True)
        if student_budget:
            env = grading_env(grading=False, OMP_NUM_THREADS=STUDENT_THREADS, MKL_NUM_THREADS=STUDENT_THREADS)
            report["student_budget"] = run_probe(through_training(with_seed(reference, seeds[0])), tmp / "student",
                                                 env, autograder)
            print(f"student budget ({STUDENT_THREADS} threads): {report['student_budget']}", flush=True)
    report["ngram"] = ngram_baselines()
    best = min(report["ngram"].items(), key=lambda kv: kv[1]["val_ppl"])
    report["best_ngram"] = {"order": best[0], **best[1]}
    print(f"best n-gram by validation: {report['best_ngram']}")
    worst = max(r["test_ppl"] for r in report["seeds"].values())
    print(f"q6 threshold {threshold}: worst reference seed {worst:.3f}, untrained "
          f"{report['execute_grading']['untrained_test_ppl']:.2f}, unshifted targets {report['unshifted_targets']['test_ppl']:.2f}")
    return report
