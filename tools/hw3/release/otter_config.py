"""What a master's assignment config asks of the release beyond its data.

The config is the master's first raw cell, `# ASSIGNMENT CONFIG` then YAML (otter's format). Two keys
matter here:

- `autograder_files:` files otter puts in the autograder zip only, read from the master's folder,
  such as `HW3_GRADING`, the grading-budget marker (README, "Grading budget"). otter assign needs
  them beside the master, so the release stages them with it.
- `requirements:` the autograder's pip requirements. Every package that `grading-requirements.txt`
  (the repository's root: the versions the hidden tests' thresholds were calibrated on) pins must be
  pinned the same way, so the zips' `environment.yml` installs what calibration ran on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import yaml
from packaging.requirements import InvalidRequirement, Requirement

from hw3.errors import Hw3Error

CONFIG_HEADER = "# ASSIGNMENT CONFIG"
GRADING_REQUIREMENTS = "grading-requirements.txt"  # at the repository's root


class AssignmentConfigError(Hw3Error):
    """A master's assignment config is unreadable, names a missing file or drifts from the pins."""


def assignment_config(master: Path) -> dict:
    """The YAML of the master's `# ASSIGNMENT CONFIG` raw cell, as a dict."""
    nb = nbformat.read(master, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.lstrip().startswith(CONFIG_HEADER):
            try:
                config = yaml.safe_load(cell.source) or {}
            except yaml.YAMLError as err:
                raise AssignmentConfigError(
                    f"{master}: the {CONFIG_HEADER} cell is not YAML ({err}): fix its syntax"
                ) from None
            if not isinstance(config, dict):
                raise AssignmentConfigError(
                    f"{master}: the {CONFIG_HEADER} cell is not a YAML mapping: write key: value lines"
                )
            return config
    raise AssignmentConfigError(
        f"{master}: no raw cell starting with {CONFIG_HEADER}: add one first"
    )


def stage_autograder_files(master: Path, stage: Path) -> list[Path]:
    """Copy each file the master's `autograder_files:` names from its folder to the same path under `stage`."""
    staged = []
    for name in assignment_config(master).get("autograder_files") or []:
        source = master.parent / name
        if not source.is_file():
            raise AssignmentConfigError(
                f"{master}: autograder_files names {name}, which is not in {master.parent}: "
                "restore it or drop it from the list"
            )
        target = stage / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
        staged.append(target)
    return staged


def requirement_lines(text: str) -> list[str]:
    """The requirement lines of a pip requirements text: no comments, blanks or `--option` lines."""
    lines = (line.split(" #")[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith(("#", "-"))]


def pins(requirements: list[str], where: str) -> dict[str, str]:
    """Package name (normalised, lower case) -> its version specifier, of each requirement line."""
    found = {}
    for line in requirements:
        try:
            requirement = Requirement(line)
        except InvalidRequirement as err:
            raise AssignmentConfigError(f"{where}: {line!r} is not a requirement ({err})") from None
        found[requirement.name.lower().replace("_", "-")] = str(requirement.specifier)
    return found


def grading_pins(root: Path) -> dict[str, str]:
    """The pins of the repository's grading-requirements.txt."""
    path = root / GRADING_REQUIREMENTS
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AssignmentConfigError(
            f"{path} is missing: restore it (the versions the thresholds were calibrated on)"
        ) from None
    return pins(requirement_lines(text), str(path))


def check_pins(master: Path, root: Path) -> None:
    """AssignmentConfigError unless the master pins every package it lists that grading-requirements.txt
    pins, exactly as that file does."""
    listed = assignment_config(master).get("requirements") or []
    if isinstance(listed, str):
        raise AssignmentConfigError(
            f"{master}: requirements: is a file name; list the requirements in the config"
        )
    if not listed:
        return
    wanted = grading_pins(root)
    have = pins(requirement_lines("\n".join(map(str, listed))), f"{master}: requirements")
    for package, specifier in sorted(have.items()):
        if package in wanted and specifier != wanted[package]:
            raise AssignmentConfigError(
                f"{master}: requirements: {package}{specifier or ' (unpinned)'}, but "
                f"{GRADING_REQUIREMENTS} pins {package}{wanted[package]}: write the same pin in both"
            )
