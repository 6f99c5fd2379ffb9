"""`hw3 bench apple_stock`'s API: seconds, forecast errors and the q6 thresholds' margins of the AAPL reference.

Reports, on this machine with torch pinned to one thread:
- wall and CPU seconds and peak memory to execute the committed autograder notebook under
  `HW3_GRADING=1`, and to `otter run` it (scores included);
- the reference's test RMSE in dollars over several seeds, as a multiple of persistence's, at the
  grading budget (each seed also graded by `otter run`) and at the student budget, where the notebook
  also trains the textbook design (min-max scaled price levels) and the GRU;
- price baselines computed here from the CSV (persistence, 5-day mean, least squares on 30 closes);
- at the student budget, the textbook network's outputs on the test days (on the min-max axis of the
  training closes) and both networks' validation losses per evaluation;
- realistic broken solutions ("mutants", below): their `otter run` scores and the q6 ratio, and the
  margins of q6's two factors against the reference's worst seed and the best broken solution.

The q6 ratio is computed exactly as the q6 hidden test does (the notebook's `forecaster` and `scaler`
on 30-day windows of the test period); the "student path" ratio goes through the notebook's own
`predict_prices`.
"""

import argparse
import json
import os
import re
import tempfile
import zipfile
from pathlib import Path

import nbformat
import numpy as np

from hw3.bench.staging import stage_notebook
from hw3.calibration.mutants import load_mutants
from hw3.common.notebook_run import RunError, execute_notebook, grading_env, otter_run
from hw3.project import Repository

NAME = "apple_stock"
CSV_NAME = "aapl_daily.csv"
DEFAULT_SEEDS = (42, 0, 1, 2, 3)
DEFAULT_STUDENT_SEEDS = (713, 0, 1)
WINDOW = 30
TRAIN_FRAC, VAL_FRAC = 0.70, 0.15
SEED_CALLS = ("torch.manual_seed(rng_seed)", "np.random.seed(rng_seed)")
BAND = re.compile(r"UPPER, LOWER, WINDOW = \(?([\d.]+), ([\d.]+), (\d+)\)?")
PROBE_FILE = "bench_probe.json"
PROBE = f'''
import copy as _copy
import json as _json
import numpy as _np
import torch as _torch


def _bench_probe(env):
    closes = _np.loadtxt("data/aapl_daily.csv", delimiter=",", skiprows=1, usecols=5)
    start = int({TRAIN_FRAC} * len(closes)) + int({VAL_FRAC} * len(closes))
    actual, previous = closes[start:], closes[start - 1:-1]
    persistence = float(_np.sqrt(_np.mean((previous - actual) ** 2)))
    out = {{"persistence_rmse": persistence, "persistence_mae": float(_np.mean(_np.abs(previous - actual)))}}
    try:
        model = _copy.deepcopy(env["forecaster"]).cpu().eval()
        z = _np.asarray(env["scaler"].transform(closes), dtype=_np.float32).reshape(-1)
        x = _torch.as_tensor(_np.stack([z[t - {WINDOW} - 1:t - 1] for t in range(start, len(closes))]))[:, :, None]
        with _torch.no_grad():
            raw = model(x).reshape(-1).numpy()
        forecast = _np.asarray(env["scaler"].inverse_transform(raw, previous), dtype=_np.float64).reshape(-1)
        out["rmse"] = float(_np.sqrt(_np.mean((forecast - actual) ** 2)))
        out["mae"] = float(_np.mean(_np.abs(forecast - actual)))
        out["ratio"] = out["rmse"] / persistence
        out["directional_accuracy"] = float(_np.mean(_np.sign(forecast - previous) == _np.sign(actual - previous)))
    except Exception as err:
        out["ratio_error"] = repr(err)
    try:
        path = _np.asarray(env["predict_prices"](env["forecaster"], env["scaler"], closes, start, {WINDOW}),
                           dtype=_np.float64).reshape(-1)
        out["student_path_ratio"] = float(_np.sqrt(_np.mean((path - actual) ** 2))) / persistence
    except Exception as err:
        out["student_path_error"] = repr(err)
    if "textbook_rmse" in env:
        out["textbook_ratio"] = float(env["textbook_rmse"]) / persistence
        # on the min-max axis of the training closes: what the textbook network output on the test days
        out["textbook_output_min"] = float(_np.min(env["level_out"]))
        out["textbook_output_max"] = float(_np.max(env["level_out"]))
        out["textbook_val_loss"] = [float(v) for v in env["level_history"]["val_loss"]]
        out["textbook_best_step"] = int(env["level_history"]["best_step"])
    if "gru_report" in env:
        out["gru_ratio"] = float(env["gru_report"]["rmse"]) / persistence
    if "history" in env:
        out["best_step"], out["last_step"] = env["history"]["best_step"], env["history"]["step"][-1]
        out["val_loss"] = [float(v) for v in env["history"]["val_loss"]]
    return out


with open("{PROBE_FILE}", "w") as _f:
    _json.dump(_bench_probe(globals()), _f)
'''


def q6_band(autograder: Path) -> tuple[float, float]:
    """(UPPER, LOWER) factors of the q6 hidden test, read from the autograder zip."""
    with zipfile.ZipFile(autograder / f"{NAME}-autograder.zip") as zf:
        match = BAND.search(zf.read("tests/q6_evaluate.py").decode())
    if not match:
        raise RunError("no `UPPER, LOWER, WINDOW = ...` line in the q6 hidden test")
    return float(match[1]), float(match[2])


def with_seed(nb: nbformat.NotebookNode, seed: int) -> nbformat.NotebookNode:
    """Copy of `nb` that seeds torch and numpy with `seed` wherever it seeds them with rng_seed.

    The calls are rewritten, not the `rng_seed = ...` line, because `otter run` prepends
    `rng_seed = 42` to every cell.
    """
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            for call in SEED_CALLS:
                cell.source = cell.source.replace(call, call.replace("rng_seed", str(seed)))
    return nb


def with_probe(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(nb)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    return nb


def execute(
    nb: nbformat.NotebookNode,
    folder: Path,
    grading: bool,
    autograder: Path,
    allow_errors: bool = False,
) -> dict:
    """Execute `nb` in `folder`; return seconds, CPU seconds, peak MB and the probe's numbers."""
    path = stage_notebook(nb, folder, autograder / "data", NAME)
    measured = execute_notebook(
        path, folder / "executed.ipynb", grading_env(grading=grading), allow_errors
    )
    result = {
        "seconds": round(measured.seconds, 2),
        "cpu_seconds": round(measured.cpu_seconds, 2),
        "peak_rss_mb": round(measured.peak_rss_mb),
    }
    probe = folder / PROBE_FILE
    if probe.exists():
        result.update(json.loads(probe.read_text()))
    return result


def grade(nb: nbformat.NotebookNode, folder: Path, autograder: Path) -> dict:
    """`otter run` `nb` with the autograder zip in `autograder`; return scores and seconds."""
    path = stage_notebook(nb, folder, autograder / "data", NAME)
    graded = otter_run(
        path, autograder / f"{NAME}-autograder.zip", folder / "results", grading_env()
    )
    return {
        "scores": graded.scores,
        "max_scores": graded.max_scores,
        "seconds": round(graded.measured.seconds, 2),
        "cpu_seconds": round(graded.measured.cpu_seconds, 2),
        "peak_rss_mb": round(graded.measured.peak_rss_mb),
    }


def price_baselines(csv: Path) -> dict:
    """Dollar RMSE/MAE of simple forecasts on the test period, and the split's date and price ranges."""
    dates = np.loadtxt(csv, delimiter=",", skiprows=1, usecols=1, dtype=str)
    closes = np.loadtxt(csv, delimiter=",", skiprows=1, usecols=5)
    n = len(closes)
    n_train, n_val = int(TRAIN_FRAC * n), int(VAL_FRAC * n)
    start = n_train + n_val
    actual = closes[start:]
    forecasts = {
        "persistence": closes[start - 1 : -1],
        "mean_of_last_5": np.array([closes[t - 5 : t].mean() for t in range(start, n)]),
    }
    design = np.array([np.append(closes[t - WINDOW : t], 1.0) for t in range(WINDOW, n_train)])
    weights = np.linalg.lstsq(design, closes[WINDOW:n_train], rcond=None)[0]
    forecasts[f"least_squares_on_last_{WINDOW}"] = np.array(
        [np.append(closes[t - WINDOW : t], 1.0) @ weights for t in range(start, n)]
    )
    errors = {
        name: {
            "rmse": float(np.sqrt(np.mean((f - actual) ** 2))),
            "mae": float(np.mean(np.abs(f - actual))),
        }
        for name, f in forecasts.items()
    }
    periods = {
        name: {
            "days": int(b - a),
            "first": str(dates[a]),
            "last": str(dates[b - 1]),
            "close_min": float(closes[a:b].min()),
            "close_max": float(closes[a:b].max()),
        }
        for name, (a, b) in {
            "train": (0, n_train),
            "val": (n_train, start),
            "test": (start, n),
        }.items()
    }
    return {"errors": errors, "periods": periods}


def margins(grading_runs, student_runs, mutant_runs, upper, lower) -> dict:
    """How far q6's factors sit from the reference's ratios and from the broken solutions' ratios."""
    reference = [r["ratio"] for r in grading_runs + student_runs if "ratio" in r]
    above = [(m["ratio"], m["slug"]) for m in mutant_runs if m.get("ratio", 0) > upper]
    textbook = [
        (r["textbook_ratio"], f"textbook design, seed {r['seed']}")
        for r in student_runs
        if "textbook_ratio" in r
    ]
    leaks = [
        (m["student_path_ratio"], m["slug"])
        for m in mutant_runs
        if m.get("student_path_ratio", 1) < lower
    ]
    return {
        "upper": upper,
        "lower": lower,
        "reference_ratio_min": min(reference),
        "reference_ratio_max": max(reference),
        "upper_margin_to_reference_worst": upper - max(reference),
        "lower_margin_to_reference_best": min(reference) - lower,
        "lowest_ratio_above_upper": min(above + textbook, default=None),
        "highest_student_path_ratio_below_lower": max(leaks, default=None),
    }


def table(report: dict) -> str:
    """The human-readable summary printed at the end."""
    lines = []
    ref = report["reference_grading"]
    lines.append(
        f"reference under HW3_GRADING=1 (OMP_NUM_THREADS=1, load {report['machine']['load_before']}):"
    )
    lines.append(
        f"  execute   {ref['execute']['seconds']:6.1f} s wall  {ref['execute']['cpu_seconds']:6.1f} s CPU"
        f"  {ref['execute']['peak_rss_mb']} MB"
    )
    lines.append(
        f"  otter run {ref['otter']['seconds']:6.1f} s wall  {ref['otter']['cpu_seconds']:6.1f} s CPU"
        f"  {ref['otter']['peak_rss_mb']} MB  {sum(ref['otter']['scores'].values()):g}/"
        f"{sum(ref['otter']['max_scores'].values()):g}"
    )
    base = report["baselines"]["errors"]
    lines.append(
        "test period baselines: "
        + ", ".join(f"{k} ${v['rmse']:.2f} (MAE ${v['mae']:.2f})" for k, v in base.items())
    )
    lines.append(
        f"{'budget':<8} {'seed':>5} {'RMSE $':>7} {'x pers.':>8} {'dir.acc':>7} {'best@':>6} "
        f"{'exec s':>7} {'otter s':>7} {'score':>6} {'textbook x':>10} {'GRU x':>6}"
    )
    for budget, runs in (
        ("grading", report["grading_seeds"]),
        ("student", report["student_seeds"]),
    ):
        for r in runs:
            score = f"{sum(r['otter']['scores'].values()):g}" if "otter" in r else "-"
            otter_s = f"{r['otter']['seconds']:.1f}" if "otter" in r else "-"
            lines.append(
                f"{budget:<8} {r['seed']:>5} {r.get('rmse', float('nan')):7.3f} {r.get('ratio', float('nan')):8.4f} "
                f"{r.get('directional_accuracy', float('nan')):7.3f} {r.get('best_step', '-'):>6} "
                f"{r['seconds']:7.1f} {otter_s:>7} {score:>6} "
                f"{r.get('textbook_ratio', float('nan')):10.3f} {r.get('gru_ratio', float('nan')):6.3f}"
            )
    if report["mutants"]:
        lines.append(f"{'mutant':<28} {'q6 x':>7} {'path x':>7}  lost points (expected: caught by)")
        for m in report["mutants"]:
            lost = {
                q: s for q, s in m["otter"]["scores"].items() if s < m["otter"]["max_scores"][q]
            }
            lines.append(
                f"{m['slug']:<28} {m.get('ratio', float('nan')):7.3f} {m.get('student_path_ratio', float('nan')):7.3f}"
                f"  {lost} ({', '.join(m['caught_by']) or 'tolerated'})"
            )
    g = report["margins"]
    lines.append(
        f"q6 factors: upper {g['upper']} (reference worst {g['reference_ratio_max']:.4f}, margin "
        f"{g['upper_margin_to_reference_worst']:.3f}; lowest broken above it: {g['lowest_ratio_above_upper']}), "
        f"lower {g['lower']} (reference best {g['reference_ratio_min']:.4f}, margin "
        f"{g['lower_margin_to_reference_best']:.3f}; "
        f"highest leak below it: {g['highest_student_path_ratio_below_lower']})"
    )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `hw3 bench apple_stock` (the hook its assignment.toml names)."""
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=list(DEFAULT_SEEDS),
        help=f"seeds at the grading budget, each executed and otter-run (default {DEFAULT_SEEDS})",
    )
    parser.add_argument(
        "--student-seeds",
        type=int,
        nargs="*",
        default=list(DEFAULT_STUDENT_SEEDS),
        help=f"seeds at the student budget (default {DEFAULT_STUDENT_SEEDS})",
    )
    parser.add_argument("--no-mutants", action="store_true", help="skip the broken solutions")
    parser.add_argument(
        "--autograder",
        type=Path,
        default=None,
        help=f"released autograder folder to bench (default: REPO/autograder/{NAME})",
    )


def run(*, repo: Repository, args: argparse.Namespace) -> dict:
    """The report of `hw3 bench apple_stock` with the options `add_arguments` parsed."""
    return bench_apple_stock(
        repo=repo,
        seeds=args.seeds,
        student_seeds=args.student_seeds,
        mutants=not args.no_mutants,
        autograder=args.autograder,
    )


def bench_apple_stock(
    *,
    repo: Repository,
    seeds: list[int],
    student_seeds: list[int],
    mutants: bool = True,
    autograder: Path | None = None,
) -> dict:
    """The benchmark report (printed as it goes); RunError when a notebook or otter run fails."""
    ag = autograder or repo.autograder / NAME
    reference = nbformat.read(ag / f"{NAME}.ipynb", as_version=4)
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_before": [round(x, 2) for x in os.getloadavg()],
            "threads": 1,
        },
        "baselines": price_baselines(repo.data / CSV_NAME),
    }
    upper, lower = q6_band(ag)
    with tempfile.TemporaryDirectory(prefix="hw3-bench-apple-") as tmp:
        tmp = Path(tmp)
        report["reference_grading"] = {
            "execute": execute(reference, tmp / "ref-exec", True, ag),
            "otter": grade(reference, tmp / "ref-otter", ag),
        }
        print(
            f"reference: executed in {report['reference_grading']['execute']['seconds']} s, "
            f"otter run in {report['reference_grading']['otter']['seconds']} s",
            flush=True,
        )
        report["grading_seeds"] = []
        for seed in seeds:
            nb = with_seed(reference, seed)
            run = {
                "seed": seed,
                **execute(with_probe(nb), tmp / f"g{seed}", True, ag),
                "otter": grade(nb, tmp / f"g{seed}-otter", ag),
            }
            report["grading_seeds"].append(run)
            print(
                f"grading budget, seed {seed}: x{run.get('ratio', float('nan')):.4f} persistence, "
                f"{sum(run['otter']['scores'].values()):g} points",
                flush=True,
            )
        report["student_seeds"] = []
        for seed in student_seeds:
            run = {
                "seed": seed,
                **execute(with_probe(with_seed(reference, seed)), tmp / f"s{seed}", False, ag),
            }
            report["student_seeds"].append(run)
            print(
                f"student budget, seed {seed}: x{run.get('ratio', float('nan')):.4f}, textbook "
                f"x{run.get('textbook_ratio', float('nan')):.3f}, {run['seconds']} s",
                flush=True,
            )
        report["mutants"] = []
        for mutant in load_mutants(repo.mutants, NAME) if mutants else ():
            nb = mutant.apply(reference)
            run = {
                "slug": mutant.slug,
                "caught_by": list(mutant.caught_by),
                "why": mutant.why,
                **execute(with_probe(nb), tmp / f"m-{mutant.slug}", True, ag, allow_errors=True),
                "otter": grade(nb, tmp / f"m-{mutant.slug}-otter", ag),
            }
            report["mutants"].append(run)
            print(f"mutant {mutant.slug}: {run['otter']['scores']}", flush=True)
    report["margins"] = margins(
        report["grading_seeds"], report["student_seeds"], report["mutants"], upper, lower
    )
    report["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    return report
