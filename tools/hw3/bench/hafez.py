"""`hw3 bench hafez`'s API: seconds, memory and perplexities of the Hafez reference against n-gram baselines.

Reports, on this machine (threads pinned):
- wall seconds and peak memory to execute the reference under `HW3_GRADING=1`, and to `otter run` it;
- test perplexity at the grading budget over several seeds, beside the `q6_perplexity` threshold
  and the values of an untrained model and of a model trained with unshifted targets;
- validation and test perplexity at the student budget (2 threads) over several seeds, with wall and
  CPU seconds of the training cell, the test split's bits per character by position in the word
  (a word's first letter, a letter inside a word, a space), and character n-grams (modified
  Kneser-Ney, n = 1..8).

JSON keys that TAs' scripts read: `student_budget.test_ppl` (the mean over `student_budget.seeds`;
each seed's run is in `student_budget_seeds`) and `best_ngram.test_ppl` (the order chosen on validation).
"""

import argparse
import json
import math
import os
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
DEFAULT_STUDENT_SEEDS = (713, 1, 2)  # 713 is the seed of the students' copy
STUDENT_THREADS = "2"
NGRAM_ORDERS = range(1, 9)
SEED_LINE = re.compile(r"^rng_seed = \d+$", re.M)
THRESHOLD = re.compile(r"max_test_perplexity = ([\d.]+)")
TRAINING_CELL_MARK = "losses = train_lm("
TIMER = "train_seconds = round(time.perf_counter() - started, 1)  # the training cell's `started`"
PROBE = """
import json


def bits_by_position(model, ids, text):
    \"\"\"Mean bits per character of text[1:] by where the character stands: a word's first letter, a
    letter inside a word, a space (the model reads the whole text as one stream, as evaluate_perplexity does).\"\"\"
    model.eval()
    with torch.no_grad():
        logits, _ = model(ids[:-1].unsqueeze(0).to(DEVICE))
        bits = F.cross_entropy(logits[0].float(), ids[1:].to(DEVICE), reduction="none").cpu() / math.log(2)
    kinds = {"word_start": [], "inside_word": [], "space": []}
    for i, cost in enumerate(bits.tolist(), start=1):
        ch, before = text[i], text[i - 1]
        if ch == " ":
            kinds["space"].append(cost)
        elif ch != "\\n":
            kinds["word_start" if before in " \\n" else "inside_word"].append(cost)
    return {kind: sum(costs) / len(costs) for kind, costs in kinds.items()}


torch.manual_seed(0)
untrained = CharLSTM(VOCAB_SIZE, EMBED_DIM, HIDDEN_SIZE, NUM_LAYERS, DROPOUT).to(DEVICE)
Path("probe.json").write_text(json.dumps({
    "test_ppl": evaluate_perplexity(model, test_ids),
    "val_ppl": evaluate_perplexity(model, val_ids),
    "untrained_test_ppl": evaluate_perplexity(untrained, test_ids),
    "train_steps": TRAIN_STEPS,
    "test_bits_by_position": bits_by_position(model, test_ids, test_text),
    "train_seconds": globals().get("train_seconds"),  # set by TIMER, when the notebook is cut after training
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
    """Copy of `nb` cut after the training cell, with the timer and probe cells appended."""
    nb = nbformat.from_dict(nb)
    last = next(i for i, c in enumerate(nb.cells) if TRAINING_CELL_MARK in c.source)
    nb.cells = nb.cells[: last + 1] + [
        nbformat.v4.new_code_cell(TIMER),
        nbformat.v4.new_code_cell(PROBE),
    ]
    return nb


def run_probe(nb: nbformat.NotebookNode, workdir: Path, env: dict, autograder: Path) -> dict:
    """Execute `nb` beside the corpus in `workdir`; return the probe's numbers plus seconds and memory."""
    path = stage_notebook(nb, workdir, autograder / "data", NAME)
    measured = execute_notebook(path, workdir / "executed.ipynb", env)
    return dict(
        json.loads((workdir / "probe.json").read_text()),
        seconds=round(measured.seconds, 1),
        cpu_seconds=round(measured.cpu_seconds, 1),
        peak_rss_mb=round(measured.peak_rss_mb),
    )


def ngram_baselines() -> dict:
    """Validation and test perplexity of modified Kneser-Ney character n-grams trained on train."""
    ghazals = corpus.load_ghazals()
    split = {
        s: "\n\n".join(t for i, t in ghazals if corpus.split_of(i) == s) + "\n"
        for s in ("train", "val", "test")
    }
    vocab = set(corpus.corpus_text())
    results = {}
    for order in NGRAM_ORDERS:
        model = ngram.KneserNey(split["train"], order, vocab)
        results[order] = {
            "val_ppl": round(model.perplexity(split["val"]), 3),
            "test_ppl": round(model.perplexity(split["test"]), 3),
        }
    return results


def student_runs(
    reference: nbformat.NotebookNode, seeds: list[int], tmp: Path, autograder: Path
) -> list[dict]:
    """The reference trained at the student budget (no `HW3_GRADING`, 2 threads) once per seed."""
    env = grading_env(
        grading=False, OMP_NUM_THREADS=STUDENT_THREADS, MKL_NUM_THREADS=STUDENT_THREADS
    )
    runs = []
    for seed in seeds:
        load = round(os.getloadavg()[0], 2)
        runs.append(
            {
                "seed": seed,
                **run_probe(
                    through_training(with_seed(reference, seed)),
                    tmp / f"student{seed}",
                    env,
                    autograder,
                ),
                "load_before": load,
            }
        )
        print(f"student budget ({STUDENT_THREADS} threads), seed {seed}: {runs[-1]}", flush=True)
    return runs


def summarise_student(runs: list[dict]) -> dict:
    """Mean validation and test perplexity, bits by position and seconds over the student-budget seeds, and the
    worst test value."""

    def mean(key: str) -> float:
        return round(sum(r[key] for r in runs) / len(runs), 3)

    return {
        "seeds": [r["seed"] for r in runs],
        "test_ppl": mean("test_ppl"),
        "val_ppl": mean("val_ppl"),
        "worst_test_ppl": max(r["test_ppl"] for r in runs),
        "train_steps": runs[0]["train_steps"],
        "train_seconds": mean("train_seconds"),
        "seconds": mean("seconds"),
        "cpu_seconds": mean("cpu_seconds"),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "test_bits_by_position": {
            kind: round(sum(r["test_bits_by_position"][kind] for r in runs) / len(runs), 3)
            for kind in runs[0].get("test_bits_by_position", {})
        },
    }


def table(report: dict) -> str:
    """The report as a text table: the n-grams, then the reference per budget and seed."""
    lines = [
        f"{'model':<26} {'seed':>5} {'val ppl':>8} {'test ppl':>9} {'bits/char':>9} {'train s':>8} "
        f"{'run s':>7} {'CPU s':>7} {'peak MB':>8}"
    ]
    for order, r in report["ngram"].items():
        lines.append(
            f"{f'{order}-gram (modified KN)':<26} {'-':>5} {r['val_ppl']:8.3f} {r['test_ppl']:9.3f} "
            f"{math.log2(r['test_ppl']):9.3f}"
        )
    budgets = [("grading budget", report["seeds"].items())]
    budgets.append(
        ("student budget", [(r["seed"], r) for r in report.get("student_budget_seeds", [])])
    )
    for budget, runs in budgets:
        for seed, r in runs:
            lines.append(
                f"{budget:<26} {seed:>5} {r['val_ppl']:8.3f} {r['test_ppl']:9.3f} {math.log2(r['test_ppl']):9.3f} "
                f"{r['train_seconds']:8.1f} {r['seconds']:7.1f} {r['cpu_seconds']:7.1f} {r['peak_rss_mb']:8}"
            )
    otter = report["otter_run"]
    lines.append(
        f"otter run (grading): {otter['seconds']} s, {otter['peak_rss_mb']} MB, {otter['score']:g}/{otter['max']:g}"
    )
    if "student_budget" in report:
        s, best = report["student_budget"], report["best_ngram"]
        lines.append(
            f"student budget: mean test ppl {s['test_ppl']:.3f} (worst {s['worst_test_ppl']:.3f}) against the "
            f"best n-gram's {best['test_ppl']:.3f} (order {best['order']}, chosen on validation): "
            f"{100 * (s['test_ppl'] / best['test_ppl'] - 1):+.1f} %"
        )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `hw3 bench hafez` (the hook its assignment.toml names)."""
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=list(DEFAULT_SEEDS),
        help=f"seeds at the grading budget (default {DEFAULT_SEEDS})",
    )
    parser.add_argument(
        "--student-seeds",
        type=int,
        nargs="*",
        default=list(DEFAULT_STUDENT_SEEDS),
        help=f"seeds at the student budget, a few minutes each (default {DEFAULT_STUDENT_SEEDS})",
    )
    parser.add_argument(
        "--skip-student-budget", action="store_true", help="skip the student-budget runs"
    )


def run(*, repo: Repository, args: argparse.Namespace) -> dict:
    """The report of `hw3 bench hafez` with the options `add_arguments` parsed."""
    student_seeds = [] if args.skip_student_budget else args.student_seeds
    return bench_hafez(repo=repo, seeds=args.seeds, student_seeds=student_seeds)


def bench_hafez(
    *, repo: Repository, seeds: list[int], student_seeds: list[int] = DEFAULT_STUDENT_SEEDS
) -> dict:
    """The benchmark report (printed as it goes): otter run and execution of the reference, test perplexity per
    grading seed, the unshifted-targets mutant, the student budget per seed, and the n-gram baselines."""
    autograder = repo.autograder / NAME
    reference = nbformat.read(autograder / f"{NAME}.ipynb", as_version=4)
    threshold = float(THRESHOLD.search((autograder / f"{NAME}.ipynb").read_text()).group(1))
    report = {"threshold": threshold, "load_before": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="hw3-bench-") as tmp:
        tmp = Path(tmp)
        graded = otter_run(
            autograder / f"{NAME}.ipynb",
            autograder / f"{NAME}-autograder.zip",
            tmp / "otter",
            grading_env(),
        )
        report["otter_run"] = {
            "seconds": round(graded.measured.seconds, 1),
            "peak_rss_mb": round(graded.measured.peak_rss_mb),
            "score": sum(graded.scores.values()),
            "max": sum(graded.max_scores.values()),
        }
        print(f"otter run reference: {report['otter_run']}", flush=True)
        full = with_seed(reference, seeds[0])
        full.cells.append(nbformat.v4.new_code_cell(PROBE))
        report["execute_grading"] = run_probe(full, tmp / "full", grading_env(), autograder)
        print(f"execute reference (HW3_GRADING=1): {report['execute_grading']}", flush=True)
        report["seeds"] = {}
        for seed in seeds:
            report["seeds"][seed] = run_probe(
                through_training(with_seed(reference, seed)),
                tmp / f"seed{seed}",
                grading_env(),
                autograder,
            )
            print(f"seed {seed}: {report['seeds'][seed]}", flush=True)
        unshifted = next(
            m for m in load_mutants(repo.mutants, NAME) if m.slug == "targets_not_shifted"
        )
        report["unshifted_targets"] = run_probe(
            through_training(with_seed(unshifted.apply(reference), seeds[0])),
            tmp / "unshifted",
            grading_env(),
            autograder,
        )
        print(f"unshifted targets: {report['unshifted_targets']}", flush=True)
        if student_seeds:
            report["student_budget_seeds"] = student_runs(
                reference, list(student_seeds), tmp, autograder
            )
            report["student_budget"] = summarise_student(report["student_budget_seeds"])
    report["ngram"] = ngram_baselines()
    best = min(report["ngram"].items(), key=lambda kv: kv[1]["val_ppl"])
    report["best_ngram"] = {"order": best[0], **best[1]}
    print(f"best n-gram by validation: {report['best_ngram']}")
    worst = max(r["test_ppl"] for r in report["seeds"].values())
    print(
        f"q6 threshold {threshold}: worst reference seed {worst:.3f}, untrained "
        f"{report['execute_grading']['untrained_test_ppl']:.2f}, "
        f"unshifted targets {report['unshifted_targets']['test_ppl']:.2f}"
    )
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    return report
