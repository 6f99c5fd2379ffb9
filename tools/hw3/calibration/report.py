"""The calibration report as Markdown tables (`calibration.md`)."""

from __future__ import annotations

from hw3.calibration.calibrate import CalibrationReport


def fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def environment_lines(report: CalibrationReport) -> list[str]:
    """What the calibration ran on, and what each autograder zip pins."""
    ran_on = ", ".join(
        f"{name} {version or '(not installed)'}" for name, version in report.environment.items()
    )
    lines = [f"Calibrated on {ran_on}.", ""] if report.environment else []
    for name, pinned in report.pins.items():
        listed = ", ".join(
            f"{package}{specifier or ' (unpinned)'}" for package, specifier in pinned.items()
        )
        lines += [f"The {name} autograder zip pins {listed or 'none of torch, numpy, pandas'}.", ""]
    return lines


def markdown(report: CalibrationReport) -> str:
    """Per assignment: the kill rate, each hidden test's reference pass rate, the thresholds and their
    margins, and every mutant with the hidden tests that fail it."""
    same = ", ".join(
        f"{n} {'yes' if a.regraded_identically else '**no**'}"
        for n, a in report.assignments.items()
    )
    lines = [
        f"# Grader calibration ({len(report.seeds)} seeds: {', '.join(map(str, report.seeds))})",
        "",
        f"Graded twice, the reference got identical scores: {same}",
        "",
        *environment_lines(report),
    ]
    for name, a in report.assignments.items():
        lines += [
            f"## {name}: kill rate {a.kill_rate:.0%}",
            "",
            "| hidden test | reference pass rate |",
            "| --- | --- |",
        ]
        lines += [f"| {test} | {rate:.0%} |" for test, rate in a.hidden_tests.items()]
        if a.thresholds:
            lines += [
                "",
                "| threshold | limit | reference min / median / max | margin | nearest failing mutant | margin |",
                "| --- | --- | --- | --- | --- | --- |",
            ]
            for metric, t in a.thresholds.items():
                s = t.reference_summary
                ref = f"{s['min']:.3f} / {s['median']:.3f} / {s['max']:.3f}" if s else "-"
                cells = [
                    fmt(v) for v in (t.reference_margin, t.nearest_failing_mutant, t.mutant_margin)
                ]
                lines.append(
                    f"| {metric} (pass if {t.pass_if}) | {t.limit} | {ref} | {' | '.join(cells)} |"
                )
        if a.variants:
            lines += ["", "| correct variant | score | lost points in |", "| --- | --- | --- |"]
            lines += [
                f"| {v.variant} | {v.score:g}/{a.max_total:g} | {', '.join(v.lost_points_in) or '-'} |"
                for v in a.variants
            ]
        lines += [
            "",
            "| mutant | question | must fail | score | failed hidden tests |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {m.mutant} | {m.question} | {'yes' if m.must_fail else 'no'} | {m.score:g}/{a.max_total:g} | "
            f"{'; '.join(m.failed_hidden_tests) or '**none**'} |"
            for m in a.mutants
        ]
        lines.append("")
    return "\n".join(lines)
