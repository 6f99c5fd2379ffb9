"""`hw3 check`'s API: apply the submission rules to existing zips, without extracting them."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hw3.submission.rules import Inspection, inspect_submission


@dataclass
class CheckResult:
    """One Inspection (problems, PDF pages) per zip, in the order given."""
    inspections: dict[Path, Inspection]

    @property
    def valid(self) -> int:
        return sum(not inspection.problems for inspection in self.inspections.values())


def check(zips: list[Path], *, allow_unanswered: bool = False, allow_errors: bool = False) -> CheckResult:
    """Inspect each zip; a zip is valid when its problem list is empty."""
    return CheckResult({Path(z): inspect_submission(z, allow_unanswered, allow_errors) for z in zips})
