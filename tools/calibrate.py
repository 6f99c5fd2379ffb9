"""`hw3 calibrate`: does the grader pass the reference whatever the seed, and fail realistic mistakes?

    hw3 calibrate [--seeds K] [--out DIR] [--jobs N]

Grades, through `hw3 grade` exactly as TAs run it, (1) the reference notebooks on K grading seeds
(the autograder zip's otter seed, 42 and then 0, 1, ...) and (2) every mutant of
`tests/mutants/<assignment>/` once. Writes `DIR/calibration.json` and `DIR/calibration.md`: per
hidden test its reference pass rate and measured values, per mutant the hidden tests that fail it
and its score, the kill rate, and each threshold beside the reference's worst value and the
nearest mutant value; and whether the reference graded a second time gets identical scores. Exits 1
when a must-fail mutant survives or keeps full points in a question its file says must catch it, a
reference seed loses a point, or regrading changes a score.
"""
import argparse
import json
import shutil
import statistics
import sys
import zipfile
from pathlib import Path

from tools import grade, mutants
from tools.release import REPO_ROOT, mastered_assignments
from tools.zips import write_deterministic_zip

import nbformat

GRADING_SEED = 42
OTTER_CONFIG = "otter_config.json"
REFERENCE_NUMBER = "1000000"
MUTANT_NUMBER_BASE = 2000000


def seeded_release(root: Path, names: list[str], seed: int) -> Path:
    """Copy of the release under `root` whose autograder zips grade with otter seed `seed`."""
    for name in names:
        for kind in ("student", "autograder"):
            shutil.copytree(REPO_ROOT / kind / name, root / kind / name, dirs_exist_ok=True)
        path = root / "autograder" / name / f"{name}-autograder.zip"
        with zipfile.ZipFile(path) as zf:
            members = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
            modes = {i.filename: i.external_attr for i in zf.infolist()}
        config = json.loads(members[OTTER_CONFIG])
        config["seed"] = seed
        members[OTTER_CONFIG] = json.dumps(config, indent=2).encode()
        write_deterministic_zip(path, members, modes)
    return root


def submission(folder: Path, number: int | str, full_name: str, notebooks: dict[str, nbformat.NotebookNode]) -> Path:
    """A Quera-named zip holding `notebooks` (name -> notebook) and nothing else."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"DL_HW3__{number}__{full_name}.zip"
    write_deterministic_zip(path, {f"{n}.ipynb": nbformat.writes(nb).encode() for n, nb in notebooks.items()})
    return path


def zip_path_of(out: Path, seed: int) -> Path:
    """Where the reference submission graded with `seed` is written."""
    return out / "submissions" / f"seed-{seed}" / f"DL_HW3__{REFERENCE_NUMBER}__Reference.zip"


def camel(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.split("_"))


def graded_records(zips: list[Path], release_root: Path, out: Path, jobs: int) -> dict[Path, dict]:
    """Grade `zips` with `hw3 grade`; the state record of each zip."""
    if grade.main([str(z) for z in zips] + ["--out", str(out), "--release", str(release_root), "--jobs", str(jobs)]) != 0:
        raise RuntimeError(f"hw3 grade failed on {out}")
    return {z: json.loads((out / grade.STATE_DIR / f"{grade.sha256_file(z)}.json").read_text()) for z in zips}


def hidden_cases(info) -> list[tuple[str, int, str]]:
    """(question, case index, case name) of every hidden test case."""
    return [(q.name, i, c.name) for q in info.questions.values() for i, c in enumerate(q.cases) if c.hidden]


def failed_hidden(result: dict, info) -> list[str]:
    """Names of the hidden test cases a notebook result failed (all of them when it was not graded)."""
    passed = result.get("passed") or {}
    return [f"{q}: {name}" for q, i, name in hidden_cases(info)
            if not (passed.get(q) and i < len(passed[q]) and passed[q][i])]


def summarise_metrics(values: list[float]) -> dict:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)} if values else {}


def calibrate(seeds: list[int], out: Path, jobs: int) -> dict:
    names = mastered_assignments()
    infos = {n: grade.read_autograder(REPO_ROOT / "autograder" / n / f"{n}-autograder.zip") for n in names}
    references = {n: nbformat.read(REPO_ROOT / "autograder" / n / f"{n}.ipynb", as_version=4) for n in names}
    report = {"seeds": seeds, "assignments": {}}
    seed_results = {}
    for seed in seeds:
        root = seeded_release(out / "releases" / f"seed-{seed}", names, seed)
        zip_path = submission(zip_path_of(out, seed).parent, REFERENCE_NUMBER, "Reference", references)
        seed_results[seed] = graded_records([zip_path], root, out / "graded" / f"seed-{seed}", jobs)[zip_path]
    again_root = out / "releases" / f"seed-{seeds[0]}"
    again = graded_records([zip_path_of(out, seeds[0])], again_root, out / "graded" / "regraded", jobs)
    report["regraded_identically"] = {
        n: again[zip_path_of(out, seeds[0])]["notebooks"][n].get("scores") == seed_results[seeds[0]]["notebooks"][n].get("scores")
        for n in names}
    catalogue = [m for n in names for m in mutants.load(n)]
    mutant_zips = {}
    for index, mutant in enumerate(catalogue):
        notebook = mutant.apply(references[mutant.assignment])
        mutant_zips[mutant] = submission(out / "submissions" / "mutants", MUTANT_NUMBER_BASE + index,
                                         camel(f"{mutant.assignment}_{mutant.slug}"), {mutant.assignment: notebook})
    root = seeded_release(out / "releases" / f"seed-{GRADING_SEED}", names, GRADING_SEED)
    mutant_records = graded_records(list(mutant_zips.values()), root, out / "graded" / "mutants", jobs)
    for name in names:
        info = infos[name]
        max_total = sum(q.points for q in info.questions.values())
        tests = {}
        for q, i, case in hidden_cases(info):
            passes = [bool((seed_results[s]["notebooks"][name].get("passed") or {}).get(q, [False] * (i + 1))[i])
                      for s in seeds]
            tests[f"{q}: {case}"] = {"reference_pass_rate": sum(passes) / len(passes)}
        reference_totals = {s: sum(seed_results[s]["notebooks"][name].get("scores", {}).values()) for s in seeds}
        metrics = {}
        for s in seeds:
            for m in seed_results[s]["notebooks"][name].get("metrics", []):
                metrics.setdefault(m["metric"], {"limit": m["limit"], "pass_if": m["pass_if"], "reference": [], "mutants": {}})
                metrics[m["metric"]]["reference"].append(m["value"])
        rows = []
        for mutant in (m for m in catalogue if m.assignment == name):
            result = mutant_records[mutant_zips[mutant]]["notebooks"][name]
            failed = failed_hidden(result, info)
            for m in result.get("metrics", []):
                metrics.setdefault(m["metric"], {"limit": m["limit"], "pass_if": m["pass_if"], "reference": [], "mutants": {}})
                metrics[m["metric"]]["mutants"][mutant.slug] = m["value"]
            scores = result.get("scores", {})
            kept = [q for q in mutant.caught_by if scores.get(q, 0) >= info.questions[q].points]
            rows.append({"mutant": mutant.slug, "question": mutant.question, "why": mutant.why,
                         "must_fail": mutant.must_fail, "score": sum(scores.values()),
                         "caught_by": list(mutant.caught_by), "kept_points_in": kept,
                         "status": result.get("status"), "failed_hidden_tests": failed,
                         "killed": bool(failed)})
        must = [r for r in rows if r["must_fail"]]
        for metric in metrics.values():
            below = metric["pass_if"] == "below"
            ref = metric["reference"]
            metric["reference_summary"] = summarise_metrics(ref)
            if ref:
                worst = max(ref) if below else min(ref)
                metric["reference_margin"] = (metric["limit"] - worst) if below else (worst - metric["limit"])
            failing = [v for v in metric["mutants"].values() if (v >= metric["limit"] if below else v <= metric["limit"])]
            if failing:
                nearest = min(failing) if below else max(failing)
                metric["nearest_failing_mutant"] = nearest
                metric["mutant_margin"] = (nearest - metric["limit"]) if below else (metric["limit"] - nearest)
        report["assignments"][name] = {
            "max_total": max_total, "reference_totals": reference_totals, "hidden_tests": tests,
            "metrics": metrics, "mutants": rows,
            "kill_rate": sum(r["killed"] for r in must) / len(must) if must else 1.0,
        }
    return report


def gate_problems(report: dict) -> list[str]:
    """Why the grader is not calibrated: a reference seed losing points, or a surviving must-fail mutant."""
    problems = [f"{name}: the same reference graded twice got different scores"
                for name, same in report["regraded_identically"].items() if not same]
    for name, a in report["assignments"].items():
        problems += [f"{name}: reference scored {t:g}/{a['max_total']:g} with seed {s}"
                     for s, t in a["reference_totals"].items() if t != a["max_total"]]
        problems += [f"{name}: mutant {r['mutant']} ({r['why']}) fails no hidden test"
                     for r in a["mutants"] if r["must_fail"] and not r["killed"]]
        problems += [f"{name}: mutant {r['mutant']} keeps full points in {', '.join(r['kept_points_in'])}"
                     for r in a["mutants"] if r["kept_points_in"]]
    return problems


def fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def markdown(report: dict) -> str:
    """The report as Markdown tables."""
    lines = [f"# Grader calibration ({len(report['seeds'])} seeds: {', '.join(map(str, report['seeds']))})", "",
             "Graded twice, the reference got identical scores: " +
             ", ".join(f"{n} {'yes' if same else '**no**'}" for n, same in report["regraded_identically"].items()), ""]
    for name, a in report["assignments"].items():
        lines += [f"## {name}: kill rate {a['kill_rate']:.0%}", "",
                  "| hidden test | reference pass rate |", "| --- | --- |"]
        lines += [f"| {t} | {v['reference_pass_rate']:.0%} |" for t, v in a["hidden_tests"].items()]
        if a["metrics"]:
            lines += ["", "| threshold | limit | reference min / median / max | margin | nearest failing mutant | margin |",
                      "| --- | --- | --- | --- | --- | --- |"]
            for metric, m in a["metrics"].items():
                s = m["reference_summary"]
                ref = f"{s['min']:.3f} / {s['median']:.3f} / {s['max']:.3f}" if s else "-"
                cells = [fmt(m.get(k)) for k in ("reference_margin", "nearest_failing_mutant", "mutant_margin")]
                lines.append(f"| {metric} (pass if {m['pass_if']}) | {m['limit']} | {ref} | {' | '.join(cells)} |")
        lines += ["", "| mutant | question | must fail | score | failed hidden tests |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {r['mutant']} | {r['question']} | {'yes' if r['must_fail'] else 'no'} | {r['score']:g}/{a['max_total']:g} | "
                  f"{'; '.join(r['failed_hidden_tests']) or '**none**'} |" for r in a["mutants"]]
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="hw3 calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="reference grading seeds: 42, then 0, 1, ... (default 3)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench-results" / "calibration")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks graded at once (default 2)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    seeds = [GRADING_SEED] + list(range(args.seeds - 1))
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    report = calibrate(seeds, args.out, args.jobs)
    (args.out / "calibration.json").write_text(json.dumps(report, indent=2))
    (args.out / "calibration.md").write_text(markdown(report))
    print(markdown(report))
    problems = gate_problems(report)
    for problem in problems:
        print(f"hw3 calibrate: {problem}", file=sys.stderr)
    print(f"wrote {args.out / 'calibration.json'} and {args.out / 'calibration.md'}")
    return 1 if problems else 0
