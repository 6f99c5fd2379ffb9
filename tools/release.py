"""`hw3 release`: turn the reference masters into `student/` and `autograder/` with otter assign.

For each assignment the master and its data are staged in a scratch folder, `otter assign` runs
there (executing the solution against every test, under `HW3_GRADING=1`), and its output is made
reproducible before it replaces `student/<name>/` and `autograder/<name>/`:
notebook cell ids become positional, and the autograder zip loses its timestamp (name, entry
order, mtimes). The student tree also gets the theory template and a README, and everything a
student receives is bundled into `dist/HW3_student_release.zip` (not committed).
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

from tools import corpus, theory
from tools.notebook_run import grading_env
from tools.zips import write_deterministic_zip

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ("hafez", "apple_stock")
STOCK_CSV = REPO_ROOT / "data" / "aapl_daily.csv"
STUDENT_README = REPO_ROOT / "reference" / "STUDENT_README.md"
STUDENT_BUNDLE = Path("dist") / "HW3_student_release.zip"
BUNDLE_ROOT = "HW3"


class ReleaseError(RuntimeError):
    """otter assign failed or an input is missing; the message says which and why."""


def mastered_assignments(reference_root: Path = REPO_ROOT / "reference") -> list[str]:
    """The assignments whose master notebook exists under `reference_root`, in course order."""
    return [name for name in ASSIGNMENTS if (reference_root / name / f"{name}.ipynb").is_file()]


def stage_data(name: str, stage: Path) -> None:
    """Write the data files the `name` notebook reads into `stage/data/`."""
    if name == "hafez":
        corpus.write_corpus(stage / "data" / "hafez.txt")
    elif name == "apple_stock":
        if not STOCK_CSV.exists():
            raise ReleaseError(f"{STOCK_CSV} is missing: run `hw3 stock-data` to rebuild it")
        (stage / "data").mkdir(parents=True, exist_ok=True)
        shutil.copy(STOCK_CSV, stage / "data" / STOCK_CSV.name)


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


def assign(name: str, stage: Path) -> Path:
    """Run `otter assign` on the staged master; return its output folder."""
    dist = stage / "dist"
    cmd = [sys.executable, "-m", "otter", "assign", f"{name}.ipynb", str(dist)]
    proc = subprocess.run(cmd, cwd=stage, env=grading_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise ReleaseError(f"otter assign failed for reference/{name}/{name}.ipynb:\n"
                           f"{(proc.stdout + proc.stderr)[-4000:]}")
    return dist


def copy_normalised(src: Path, dst: Path, name: str) -> None:
    """Copy one otter output folder to `dst`, normalising notebooks and the autograder zip."""
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


def release_one(name: str, out_root: Path, reference_root: Path) -> None:
    """Build `out_root/student/<name>/` and `out_root/autograder/<name>/` from the master."""
    master_dir = reference_root / name
    with tempfile.TemporaryDirectory(prefix=f"hw3-release-{name}-") as tmp:
        stage = Path(tmp)
        shutil.copy(master_dir / f"{name}.ipynb", stage / f"{name}.ipynb")
        stage_data(name, stage)
        dist = assign(name, stage)
        copy_normalised(dist / "student", out_root / "student" / name, name)
        copy_normalised(dist / "autograder", out_root / "autograder" / name, name)


def write_student_extras(out_root: Path) -> Path:
    """Theory template and README into `student/`, then the bundle of the whole student tree."""
    student = out_root / "student"
    theory.write_student_template(student / "theory")
    shutil.copyfile(STUDENT_README, student / "README.md")
    members = {f"{BUNDLE_ROOT}/{p.relative_to(student).as_posix()}": p.read_bytes()
               for p in sorted(student.rglob("*")) if p.is_file()}
    bundle = out_root / STUDENT_BUNDLE
    bundle.parent.mkdir(parents=True, exist_ok=True)
    write_deterministic_zip(bundle, members)
    return bundle


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="hw3 release", description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS), choices=ASSIGNMENTS,
                        metavar="ASSIGNMENT", help=f"which to build (default: all of {', '.join(ASSIGNMENTS)})")
    parser.add_argument("--out", type=Path, default=REPO_ROOT,
                        help="root that receives student/ and autograder/ (default: the repository)")
    args = parser.parse_args(argv)
    for name in args.assignments:
        try:
            release_one(name, args.out, REPO_ROOT / "reference")
        except (ReleaseError, corpus.CorpusError) as err:
            print(f"hw3 release: {err}", file=sys.stderr)
            return 1
        print(f"released {name}: {args.out / 'student' / name}, {args.out / 'autograder' / name}")
    print(f"student bundle: {write_student_extras(args.out)}")
    return 0
