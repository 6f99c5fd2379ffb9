"""The environment a calibration ran in, beside the versions the autograder zips pin.

The hidden tests' thresholds hold for the library versions they were calibrated on, so each
autograder zip pins torch, numpy and pandas (its `environment.yml`, from the master's
`requirements:`, from `grading-requirements.txt`). A calibration records what it ran on and names
every pinned package whose installed version the zip's pin does not admit: such a run does not
vouch for the environment the zips install.
"""

from __future__ import annotations

import importlib.metadata
import platform
import zipfile
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet

from hw3.release.otter_config import pins, requirement_lines

PINNED = ("torch", "numpy", "pandas")  # what the thresholds depend on
RECORDED = (*PINNED, "otter-grader")
ENVIRONMENT_FILE = "environment.yml"  # in an autograder zip


def installed_versions() -> dict[str, str]:
    """Python's version and each recorded package's installed version ('' when it is not installed)."""
    versions = {"python": platform.python_version()}
    for name in RECORDED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = ""
    return versions


def zip_pins(autograder_zip: Path) -> dict[str, str]:
    """Package -> version specifier of each PINNED package in the zip's environment.yml ('' = unpinned);
    a package the zip does not install is absent."""
    with zipfile.ZipFile(autograder_zip) as zf:
        environment = yaml.safe_load(zf.read(ENVIRONMENT_FILE)) or {}
    pip = [
        line
        for dependency in environment.get("dependencies") or []
        if isinstance(dependency, dict)
        for line in dependency.get("pip") or []
    ]
    found = pins(
        requirement_lines("\n".join(map(str, pip))), f"{autograder_zip}: {ENVIRONMENT_FILE}"
    )
    return {name: found[name] for name in PINNED if name in found}


def version_problems(
    installed: dict[str, str], zip_pins_by_name: dict[str, dict[str, str]]
) -> list[str]:
    """One line per assignment and pinned package whose installed version its zip does not admit."""
    problems = []
    for assignment, pinned in zip_pins_by_name.items():
        for package in PINNED:
            specifier = pinned.get(package)
            if specifier is None:
                problems.append(f"{assignment}: the autograder zip does not install {package}")
            elif not specifier:
                problems.append(
                    f"{assignment}: the autograder zip leaves {package} unpinned; calibrated on "
                    f"{installed.get(package) or 'none'}: pin it in grading-requirements.txt and the master"
                )
            elif not SpecifierSet(specifier).contains(
                installed.get(package) or "0", prereleases=True
            ):
                problems.append(
                    f"{assignment}: calibrated on {package} {installed.get(package) or '(not installed)'}, "
                    f"but the autograder zip pins {package}{specifier}: calibrate in the pinned "
                    "environment (pip install -r grading-requirements.txt) or change the pins"
                )
    return problems
