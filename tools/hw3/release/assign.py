"""otter assign on one master, made reproducible.

The master and its data (the `[[data]]` files of its `assignment.toml`) are staged in a scratch
folder and `otter assign` runs there (executing the solution against every test, under
`HW3_GRADING=1`). Its output is then normalised: notebook cell ids become positional, execution
timings go, and the autograder zip loses its timestamp (name, entry order, mtimes).
"""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

from hw3.common.notebook_run import grading_env
from hw3.common.zipwrite import write_deterministic_zip
from hw3.errors import Hw3Error
from hw3.grading.auto.testfiles import TestFileError, read_test_files
from hw3.project import Repository
from hw3.registry import DataFile, Declaration
from hw3.release.otter_config import check_pins, stage_autograder_files

OUTPUT_LOG_TAIL = 4000


class ReleaseError(Hw3Error):
    """otter assign failed or an input is missing; the message says which and why."""


def writer(declaration: Declaration, data: DataFile):
    """The function its `writer = "module:function"` names; ReleaseError when it cannot be imported."""
    try:
        return pkgutil.resolve_name(data.writer)
    except (ImportError, AttributeError, ValueError) as err:
        raise ReleaseError(
            f"{declaration.where('[[data]] writer')} = {data.writer!r}: cannot be imported "
            f"({type(err).__name__}: {err}): name an installed module and its function"
        ) from None


def stage_data(repo: Repository, declaration: Declaration, stage: Path) -> None:
    """Write each file the notebook reads (its declaration's `[[data]]`) at its path under `stage`:
    by the declared writer, or copied from the repository."""
    for data in declaration.data:
        target = stage / data.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if data.writer:
            writer(declaration, data)(target)
            continue
        source = repo.root / data.copy
        if not source.is_file():
            fix = (
                f"run `{data.rebuild}` to rebuild it"
                if data.rebuild
                else f"restore it (the copy of [[data]] {data.path} in {declaration.file})"
            )
            raise ReleaseError(f"{source} is missing: {fix}")
        shutil.copy(source, target)


def normalise_notebook(path: Path) -> None:
    """Give every cell a positional id (otter inserts cells with random ids) and drop execution timings."""
    nb = nbformat.read(path, as_version=4)
    nb.nbformat_minor = max(nb.nbformat_minor, 5)  # cell ids exist from nbformat 4.5 on
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index:03d}"
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(nb, path)


def normalise_zip(src: Path, dst: Path) -> None:
    """Rewrite `src` as `dst` reproducibly, keeping each entry's file mode."""
    with zipfile.ZipFile(src) as zin:
        entries = [e for e in zin.infolist() if not e.is_dir()]
        members = {e.filename: zin.read(e) for e in entries}
        modes = {e.filename: e.external_attr for e in entries}
    write_deterministic_zip(dst, members, modes)


def run_otter_assign(name: str, stage: Path) -> Path:
    """Run `otter assign` on the staged master; return its output folder."""
    dist = stage / "dist"
    cmd = [sys.executable, "-m", "otter", "assign", f"{name}.ipynb", str(dist)]
    proc = subprocess.run(cmd, cwd=stage, env=grading_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise ReleaseError(
            f"otter assign failed for reference/{name}/{name}.ipynb:\n"
            f"{(proc.stdout + proc.stderr)[-OUTPUT_LOG_TAIL:]}"
        )
    return dist


def copy_normalised(src: Path, dst: Path, name: str) -> None:
    """Replace `dst` with one otter output folder, normalising notebooks and the autograder zip."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for item in sorted(src.rglob("*")):
        if item.is_dir() or item.name == "__pycache__" or item.name.startswith(".OTTER"):
            continue
        rel = item.relative_to(src)
        if item.suffix == ".zip" and item.name.startswith(f"{name}-autograder"):
            normalise_zip(item, dst / f"{name}-autograder.zip")
            continue
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(item, dst / rel)
        if item.suffix == ".ipynb":
            normalise_notebook(dst / rel)


def assign_one(repo: Repository, declaration: Declaration, out_root: Path) -> None:
    """Build `out_root/student/<name>/` and `out_root/autograder/<name>/` from the master."""
    name = declaration.name
    with tempfile.TemporaryDirectory(prefix=f"hw3-release-{name}-") as tmp:
        stage = Path(tmp)
        shutil.copy(repo.master(name), stage / f"{name}.ipynb")
        stage_data(repo, declaration, stage)
        stage_autograder_files(repo.master(name), stage)
        check_pins(repo.master(name), repo.root)
        dist = run_otter_assign(name, stage)
        copy_normalised(dist / "student", out_root / "student" / name, name)
        copy_normalised(dist / "autograder", out_root / "autograder" / name, name)
    check_trusted_route(out_root / "autograder" / name / f"{name}-autograder.zip")


def check_trusted_route(autograder_zip: Path) -> None:
    """ReleaseError unless `hw3 grade`'s harness can run every test of the zip outside the sandbox
    (each probe self-contained, every case with its points): otter assign checks only the otter route."""
    try:
        read_test_files(autograder_zip, lambda function, source: None)
    except TestFileError as err:
        raise ReleaseError(f"{err} (in the master's test cell)") from None
