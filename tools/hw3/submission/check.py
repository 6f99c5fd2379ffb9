"""`hw3 check`'s API: apply the submission rules to existing zips, without extracting them.

Standard library only (and Python 3.8 syntax): the students' `submit.py --check` is this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hw3.submission.rules import PDF_NAME, Inspection, inspect_submission


@dataclass
class CheckResult:
    """One Inspection (problems, PDF pages) per zip, in the order given."""

    inspections: dict[Path, Inspection]

    @property
    def valid(self) -> int:
        return sum(not inspection.problems for inspection in self.inspections.values())

    @property
    def all_valid(self) -> bool:
        return self.valid == len(self.inspections)

    def lines(self) -> list[str]:
        """The report, zip by zip: `PATH: problem` for each problem, or `PATH: ok (HW3__Solution.pdf: N page(s))`."""
        lines = []
        for path, inspection in self.inspections.items():
            lines += [f"{path}: {problem}" for problem in inspection.problems]
            if not inspection.problems:
                lines.append(f"{path}: ok ({PDF_NAME}: {inspection.pdf_pages} page(s))")
        return lines

    def summary(self) -> str:
        """`K of N zip(s) valid`."""
        return f"{self.valid} of {len(self.inspections)} zip(s) valid"


def check(
    zips: list[Path],
    *,
    notebooks: tuple[str, ...],
    allow_unanswered: bool = False,
    allow_errors: bool = False,
) -> CheckResult:
    """Inspect each zip against the homework's `notebooks`; a zip is valid when its problem list is empty."""
    return CheckResult(
        {Path(z): inspect_submission(z, notebooks, allow_unanswered, allow_errors) for z in zips}
    )
