"""`hw3 calibrate`'s API: does the grader pass the reference whatever the seed, and fail realistic mistakes?

Grades, through `hw3.grading.run.grade` exactly as TAs run it, (1) the reference notebooks on K
grading seeds (the autograder zip's otter seed: 42, then 0, 1, ...), (2) the first seed's reference
a second time (grading must be deterministic), (3) every mutant of `reference/mutants/<assignment>/`
once, and (4) every correct variant of `reference/variants/<assignment>/`, which must get full
marks. The report holds, per hidden test, its reference pass rate; per threshold test, the values it
measured (`HW3_METRICS_LOG`) beside its limit, the reference's worst and the nearest failing
mutant; per mutant the hidden tests it fails and the questions it keeps full points in.
"""

from __future__ import annotations

import json
import shutil
import statistics
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from hw3.calibration.environment import installed_versions, version_problems, zip_pins
from hw3.calibration.mutants import Mutant, load_mutants
from hw3.calibration.variants import load_variants
from hw3.common.zipwrite import write_deterministic_zip
from hw3.grading.auto.autograder_info import AutograderInfo, read_autograder
from hw3.grading.auto.results import NotebookResult
from hw3.grading.run import grade
from hw3.project import Repository
from hw3.registry import REFERENCE_DIR, copy_declarations, release_registry

GRADING_SEED = 42
OTTER_CONFIG = "otter_config.json"
REFERENCE_NUMBER = "1000000"
MUTANT_NUMBER_BASE = 2000000
VARIANT_NUMBER_BASE = 3000000


@dataclass
class Threshold:
    """One threshold test's limit and what it measured on the reference seeds and on the mutants."""

    limit: float
    pass_if: str  # "below" or "above"
    reference: list[float] = field(default_factory=list)
    mutants: dict[str, float] = field(default_factory=dict)
    reference_summary: dict = field(default_factory=dict)
    reference_margin: float | None = None
    nearest_failing_mutant: float | None = None
    mutant_margin: float | None = None

    def fails(self, value: float) -> bool:
        return value >= self.limit if self.pass_if == "below" else value <= self.limit

    def summarise(self) -> None:
        """Fill in the summary and the two margins from the values collected."""
        below = self.pass_if == "below"
        if self.reference:
            self.reference_summary = {
                "min": min(self.reference),
                "median": statistics.median(self.reference),
                "max": max(self.reference),
            }
            worst = max(self.reference) if below else min(self.reference)
            self.reference_margin = (self.limit - worst) if below else (worst - self.limit)
        failing = [v for v in self.mutants.values() if self.fails(v)]
        if failing:
            self.nearest_failing_mutant = min(failing) if below else max(failing)
            self.mutant_margin = abs(self.nearest_failing_mutant - self.limit)


@dataclass
class MutantOutcome:
    """How the grader treated one mutant."""

    mutant: str
    question: str
    why: str
    must_fail: bool
    score: float
    caught_by: list[str]
    kept_points_in: list[str]
    status: str
    failed_hidden_tests: list[str]
    lost_points_in: list[str] = field(default_factory=list)
    loses_only_in: list[str] = field(default_factory=list)
    fails: list[str] = field(default_factory=list)

    @property
    def killed(self) -> bool:
        return bool(self.failed_hidden_tests)


@dataclass
class VariantOutcome:
    """How the grader treated one correct solution written differently from the reference."""

    variant: str
    score: float
    lost_points_in: list[str]
    failed_hidden_tests: list[str]
    status: str


@dataclass
class AssignmentCalibration:
    """One notebook's calibration."""

    max_total: float
    reference_totals: dict[int, float]
    hidden_tests: dict[str, float]  # "question: test" -> reference pass rate
    thresholds: dict[str, Threshold]
    mutants: list[MutantOutcome]
    regraded_identically: bool
    variants: list[VariantOutcome] = field(default_factory=list)

    @property
    def kill_rate(self) -> float:
        must = [m for m in self.mutants if m.must_fail]
        return sum(m.killed for m in must) / len(must) if must else 1.0


@dataclass
class CalibrationReport:
    seeds: list[int]
    assignments: dict[str, AssignmentCalibration]
    environment: dict[str, str] = field(
        default_factory=dict
    )  # what this run ran on: python, torch, ...
    pins: dict[str, dict[str, str]] = field(default_factory=dict)  # assignment -> its zip's pins

    def to_json(self) -> str:
        data = asdict(self)
        for name, calibration in self.assignments.items():
            data["assignments"][name]["kill_rate"] = calibration.kill_rate
            for row, outcome in zip(data["assignments"][name]["mutants"], calibration.mutants):
                row["killed"] = outcome.killed
        return json.dumps(data, indent=2)

    def problems(self) -> list[str]:
        """Why the grader is not calibrated: regrading changed a score, a reference seed lost points,
        a must-fail mutant survived or kept full points in a question its file says must catch it, or
        it ran on versions of torch, numpy or pandas that the autograder zips do not pin."""
        problems = version_problems(self.environment, self.pins)
        for name, a in self.assignments.items():
            if not a.regraded_identically:
                problems.append(f"{name}: the same reference graded twice got different scores")
            problems += [
                f"{name}: reference scored {t:g}/{a.max_total:g} with seed {s}"
                for s, t in a.reference_totals.items()
                if t != a.max_total
            ]
            problems += [
                f"{name}: correct variant {v.variant} lost points in {', '.join(v.lost_points_in)} "
                f"({'; '.join(v.failed_hidden_tests)})"
                for v in a.variants
                if v.lost_points_in
            ]
            problems += [
                f"{name}: mutant {m.mutant} ({m.why}) fails no hidden test"
                for m in a.mutants
                if m.must_fail and not m.killed
            ]
            problems += [
                f"{name}: mutant {m.mutant} keeps full points in {', '.join(m.kept_points_in)}"
                for m in a.mutants
                if m.kept_points_in
            ]
            problems += [
                f"{name}: mutant {m.mutant} also loses points in "
                f"{', '.join(sorted(set(m.lost_points_in) - set(m.loses_only_in)))} "
                f"(only {', '.join(m.loses_only_in)} may)"
                for m in a.mutants
                if m.loses_only_in and not set(m.lost_points_in) <= set(m.loses_only_in)
            ]
            problems += [
                f"{name}: mutant {m.mutant} fails {sorted(m.failed_hidden_tests)}, not exactly {sorted(m.fails)}"
                for m in a.mutants
                if m.fails and sorted(m.failed_hidden_tests) != sorted(m.fails)
            ]
        return problems


def seeded_release(source: Path, root: Path, names: list[str], seed: int) -> Path:
    """Copy of the release under `source` into `root`, whose autograder zips grade with otter seed `seed`."""
    copy_declarations(release_registry(source), names, root / REFERENCE_DIR)
    for name in names:
        for kind in ("student", "autograder"):
            shutil.copytree(source / kind / name, root / kind / name, dirs_exist_ok=True)
        path = root / "autograder" / name / f"{name}-autograder.zip"
        with zipfile.ZipFile(path) as zf:
            members = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
            modes = {i.filename: i.external_attr for i in zf.infolist()}
        config = json.loads(members[OTTER_CONFIG])
        config["seed"] = seed
        members[OTTER_CONFIG] = json.dumps(config, indent=2).encode()
        write_deterministic_zip(path, members, modes)
    return root


def submission_zip(
    folder: Path, number: int | str, full_name: str, notebooks: dict[str, nbformat.NotebookNode]
) -> Path:
    """A Quera-named zip holding `notebooks` (name -> notebook) and nothing else."""
    path = folder / f"DL_HW3__{number}__{full_name}.zip"
    return write_deterministic_zip(
        path, {f"{n}.ipynb": nbformat.writes(nb).encode() for n, nb in notebooks.items()}
    )


def camel(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.split("_"))


def graded_results(
    zips: list[Path], release_root: Path, out: Path, jobs: int
) -> dict[Path, dict[str, NotebookResult]]:
    """Grade `zips` as `hw3 grade` does; per zip, its result per notebook."""
    run = grade(paths=zips, out=out, release_root=release_root, jobs=jobs)
    return {path: record.notebooks for path, record in run.records.items()}


def hidden_cases(info: AutograderInfo) -> list[tuple[str, int, str]]:
    """(question, case index, case name) of every hidden test case."""
    return [
        (q.name, i, c.name)
        for q in info.questions.values()
        for i, c in enumerate(q.cases)
        if c.hidden
    ]


def passed_case(result: NotebookResult, question: str, index: int) -> bool:
    flags = result.passed.get(question) or []
    return index < len(flags) and flags[index]


def failed_hidden(result: NotebookResult, info: AutograderInfo) -> list[str]:
    """Names of the hidden test cases a notebook result failed (all of them when it was not graded)."""
    return [f"{q}: {name}" for q, i, name in hidden_cases(info) if not passed_case(result, q, i)]


def mutant_outcome(mutant: Mutant, result: NotebookResult, info: AutograderInfo) -> MutantOutcome:
    kept = [q for q in mutant.caught_by if result.scores.get(q, 0) >= info.questions[q].points]
    lost = [
        q for q, question in info.questions.items() if result.scores.get(q, 0) < question.points
    ]
    return MutantOutcome(
        mutant.slug,
        mutant.question,
        mutant.why,
        mutant.must_fail,
        sum(result.scores.values()),
        list(mutant.caught_by),
        kept,
        result.status,
        failed_hidden(result, info),
        lost,
        list(mutant.loses_only_in),
        list(mutant.fails),
    )


def collect_metrics(
    thresholds: dict[str, Threshold], result: NotebookResult, mutant: str | None = None
) -> None:
    """Add what a graded notebook's threshold tests measured, to the reference values or as `mutant`'s."""
    for m in result.metrics:
        threshold = thresholds.setdefault(m["metric"], Threshold(m["limit"], m["pass_if"]))
        if mutant is None:
            threshold.reference.append(m["value"])
        else:
            threshold.mutants[mutant] = m["value"]


def calibrate(*, repo: Repository, seeds: list[int], out: Path, jobs: int = 2) -> CalibrationReport:
    """Grade the reference on `seeds`, once more on the first, and every mutant; work files go under `out`."""
    names = repo.mastered_assignments()
    infos = {n: read_autograder(repo.autograder / n / f"{n}-autograder.zip") for n in names}
    references = {n: nbformat.read(repo.autograder / n / f"{n}.ipynb", as_version=4) for n in names}
    by_seed: dict[int, dict[str, NotebookResult]] = {}
    first_zip = None
    for seed in seeds:
        root = seeded_release(repo.root, out / "releases" / f"seed-{seed}", names, seed)
        zip_path = submission_zip(
            out / "submissions" / f"seed-{seed}", REFERENCE_NUMBER, "Reference", references
        )
        first_zip = first_zip or zip_path
        by_seed[seed] = graded_results([zip_path], root, out / "graded" / f"seed-{seed}", jobs)[
            zip_path
        ]
    again = graded_results(
        [first_zip], out / "releases" / f"seed-{seeds[0]}", out / "graded" / "regraded", jobs
    )[first_zip]
    catalogue = [m for n in names for m in load_mutants(repo.mutants, n)]
    mutant_zips = {}
    for index, mutant in enumerate(catalogue):
        notebook = mutant.apply(references[mutant.assignment])
        mutant_zips[mutant] = submission_zip(
            out / "submissions" / "mutants",
            MUTANT_NUMBER_BASE + index,
            camel(f"{mutant.assignment}_{mutant.slug}"),
            {mutant.assignment: notebook},
        )
    variant_zips = {}
    for index, variant in enumerate(v for n in names for v in load_variants(repo.variants, n)):
        student = nbformat.read(
            repo.student / variant.assignment / f"{variant.assignment}.ipynb", as_version=4
        )
        variant_zips[variant] = submission_zip(
            out / "submissions" / "variants",
            VARIANT_NUMBER_BASE + index,
            camel(f"{variant.assignment}_{variant.slug}"),
            {variant.assignment: variant.apply(student)},
        )
    root = seeded_release(repo.root, out / "releases" / f"seed-{GRADING_SEED}", names, GRADING_SEED)
    mutant_results = graded_results(
        list(mutant_zips.values()) + list(variant_zips.values()),
        root,
        out / "graded" / "mutants-and-variants",
        jobs,
    )
    report = CalibrationReport(
        seeds,
        {},
        environment=installed_versions(),
        pins={n: zip_pins(repo.autograder / n / f"{n}-autograder.zip") for n in names},
    )
    for name in names:
        info = infos[name]
        thresholds: dict[str, Threshold] = {}
        for seed in seeds:
            collect_metrics(thresholds, by_seed[seed][name])
        outcomes = []
        for mutant in (m for m in catalogue if m.assignment == name):
            result = mutant_results[mutant_zips[mutant]][name]
            collect_metrics(thresholds, result, mutant.slug)
            outcomes.append(mutant_outcome(mutant, result, info))
        variant_rows = []
        for variant in (v for v in variant_zips if v.assignment == name):
            result = mutant_results[variant_zips[variant]][name]
            variant_rows.append(
                VariantOutcome(
                    variant.slug,
                    sum(result.scores.values()),
                    [
                        q
                        for q, question in info.questions.items()
                        if result.scores.get(q, 0) < question.points
                    ],
                    failed_hidden(result, info),
                    result.status,
                )
            )
        for threshold in thresholds.values():
            threshold.summarise()
        pass_rates = {
            f"{q}: {case}": sum(passed_case(by_seed[s][name], q, i) for s in seeds) / len(seeds)
            for q, i, case in hidden_cases(info)
        }
        report.assignments[name] = AssignmentCalibration(
            max_total=sum(q.points for q in info.questions.values()),
            reference_totals={s: sum(by_seed[s][name].scores.values()) for s in seeds},
            hidden_tests=pass_rates,
            thresholds=thresholds,
            mutants=outcomes,
            regraded_identically=again[name].scores == by_seed[seeds[0]][name].scores,
            variants=variant_rows,
        )
    return report
