"""`hw3 bench hafez`: seconds, memory and perplexities of the Hafez reference against n-gram baselines.

Reports, on this machine (threads pinned):
- wall seconds and peak memory to execute the reference under `HW3_GRADING=1`, and to `otter run` it;
- test perplexity at the grading budget over several seeds, beside the `q6_perplexity` threshold
  and the values of an untrained model and of a model trained with unshifted targets;
- test perplexity at the student budget, and character n-grams (modified Kneser-Ney, n = 2..8).
"""
import argparse
import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from tools import corpus, mutants, ngram
from tools.notebook_run import execute_notebook, grading_env, otter_run

REPO = Path(__file__).resolve().parent.parent
NAME = "hafez"
AUTOGRADER = REPO / "autograder" / NAME
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


def reference_notebook() -> nbformat.NotebookNode:
    return nbformat.read(AUTOGRADER / f"{NAME}.ipynb", as_version=4)


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


def run_probe(nb: nbformat.NotebookNode, workdir: Path, env: dict) -> dict:
    """Execute `nb` beside the corpus in `workdir`; return the probe's numbers plus seconds and memory."""
    workdir.mkdir(parents=True)
    shutil.copytree(AUTOGRADER / "data", workdir / "data")
    path = workdir / f"{NAME}.ipynb"
    nbformat.write(nb, path)
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="hw3 bench hafez", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    parser.add_argument("--out", type=Path, default=REPO / "bench-results" / "hafez.json")
    parser.add_argument("--skip-student-budget", action="store_true", help="skip the long student-budget run")
    args = parser.parse_args(argv)
    reference = reference_notebook()
    threshold = float(THRESHOLD.search((AUTOGRADER / f"{NAME}.ipynb").read_text()).group(1))
    report = {"threshold": threshold}
    with tempfile.TemporaryDirectory(prefix="hw3-bench-") as tmp:
        tmp = Path(tmp)
        graded = otter_run(AUTOGRADER / f"{NAME}.ipynb", AUTOGRADER / f"{NAME}-autograder.zip", tmp / "otter", grading_env())
        report["otter_run"] = {"seconds": round(graded.measured.seconds, 1), "peak_rss_mb": round(graded.measured.peak_rss_mb),
                               "score": sum(graded.scores.values()), "max": sum(graded.max_scores.values())}
        print(f"otter run reference: {report['otter_run']}", flush=True)
        full = with_seed(reference, DEFAULT_SEEDS[0])
        full.cells.append(nbformat.v4.new_code_cell(PROBE))
        report["execute_grading"] = run_probe(full, tmp / "full", grading_env())
        print(f"execute reference (HW3_GRADING=1): {report['execute_grading']}", flush=True)
        report["seeds"] = {}
        for seed in args.seeds:
            report["seeds"][seed] = run_probe(through_training(with_seed(reference, seed)), tmp / f"seed{seed}", grading_env())
            print(f"seed {seed}: {report['seeds'][seed]}", flush=True)
        unshifted = next(m for m in mutants.load(NAME) if m.slug == "targets_not_shifted")
        report["unshifted_targets"] = run_probe(through_training(with_seed(unshifted.apply(reference), DEFAULT_SEEDS[0])),
                                                tmp / "unshifted", grading_env())
        print(f"unshifted targets: {report['unshifted_targets']}", flush=True)
        if not args.skip_student_budget:
            env = grading_env(grading=False, OMP_NUM_THREADS=STUDENT_THREADS, MKL_NUM_THREADS=STUDENT_THREADS)
            report["student_budget"] = run_probe(through_training(with_seed(reference, DEFAULT_SEEDS[0])), tmp / "student", env)
            print(f"student budget ({STUDENT_THREADS} threads): {report['student_budget']}", flush=True)
    report["ngram"] = ngram_baselines()
    best = min(report["ngram"].items(), key=lambda kv: kv[1]["val_ppl"])
    report["best_ngram"] = {"order": best[0], **best[1]}
    print(f"best n-gram by validation: {report['best_ngram']}")
    worst = max(r["test_ppl"] for r in report["seeds"].values())
    print(f"q6 threshold {threshold}: worst reference seed {worst:.3f}, untrained "
          f"{report['execute_grading']['untrained_test_ppl']:.2f}, unshifted targets {report['unshifted_targets']['test_ppl']:.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")
    return 0
