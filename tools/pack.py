"""`hw3 pack`: build the Quera submission zip from the two notebooks and the theory PDF.

    hw3 pack --student-number 401521234 --name AliMomen [--from DIR] [--pdf PATH] [--out OUT]

writes `OUT/DL_HW3__401521234__AliMomen.zip` holding exactly hafez.ipynb, apple_stock.ipynb and
HW3__Solution.pdf. Every problem is reported first, one line each with its fix, and then nothing is
written (exit 1). The zip is deterministic: sorted entries, 1980-01-01 mtimes, deflate.
"""
import argparse
import hashlib
import os
import sys
import tempfile
from pathlib import Path

from tools.submission import (
    MAX_ZIP_BYTES,
    NOTEBOOKS,
    PDF_NAME,
    check_identity,
    check_notebook_bytes,
    check_pdf_bytes,
    max_bytes,
    mb,
    zip_name,
)
from tools.zips import write_deterministic_zip

ZIP_DISK_MODE = 0o644  # the temp file is created 0600; the zip itself is an ordinary file
PART_SUFFIX = ".zip.part"


def parse_args(argv):
    """The parsed command line of `hw3 pack`."""
    parser = argparse.ArgumentParser(prog="hw3 pack", description=__doc__.split("\n")[0])
    parser.add_argument("--student-number", required=True, help="digits only, e.g. 401521234")
    parser.add_argument("--name", required=True, help="full name in CamelCase English letters, e.g. AliMomen")
    parser.add_argument("--from", dest="source", type=Path, default=Path("."), metavar="DIR",
                        help="folder holding hafez.ipynb and apple_stock.ipynb (default: current folder)")
    parser.add_argument("--pdf", type=Path, metavar="PATH", help=f"theory answers PDF (default: DIR/{PDF_NAME})")
    parser.add_argument("--out", type=Path, default=Path("."), metavar="DIR", help="folder to write the zip to (default: current folder)")
    parser.add_argument("--allow-unanswered", action="store_true",
                        help="accept questions whose stub still raises NotImplementedError")
    return parser.parse_args(argv)


def near_names(folder: Path, name: str) -> list[str]:
    """Files in `folder` that look like a misnamed `name` (`hafez (1).ipynb`, `Hafez.ipynb`)."""
    stem, suffix = Path(name).stem.lower(), Path(name).suffix.lower()
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() == suffix and p.name != name and p.stem.lower().startswith(stem))


def read_source(name: str, path: Path, flag: str) -> tuple[bytes | None, list[str]]:
    """(bytes, []) of one file to pack, or (None, [problem]) when it is missing, not a file or too big."""
    if not path.exists():
        near = near_names(path.parent, name)
        fix = f"rename {near[0]!r} to {name!r}" if near else f"save it there or pass {flag}"
        return None, [f"{name}: not found at {path}: {fix}"]
    if not path.is_file():
        return None, [f"{name}: {path} is not a file: pass the file itself with {flag}"]
    size = path.stat().st_size
    if size > max_bytes(name):
        return None, [f"{name}: {path} is {mb(size)} (limit {mb(max_bytes(name))}): make it smaller"]
    return path.read_bytes(), []


def collect(args) -> tuple[dict[str, bytes], list[str]]:
    """({name in the zip: bytes}, every problem found) for the parsed arguments."""
    problems = check_identity(args.student_number, args.name)
    members = {}
    for name in NOTEBOOKS:
        data, found = read_source(name, args.source / name, "--from DIR")
        problems += found or check_notebook_bytes(name, data, args.allow_unanswered)
        members[name] = data
    pdf_path = args.pdf if args.pdf is not None else args.source / PDF_NAME
    data, found = read_source(PDF_NAME, pdf_path, "--pdf PATH")
    problems += found or check_pdf_bytes(data)
    members[PDF_NAME] = data
    if args.out.exists() and not args.out.is_dir():
        problems.append(f"--out {args.out}: is a file, not a folder: pass a folder")
    elif (args.out / zip_name(args.student_number, args.name)).is_dir():
        problems.append(f"--out {args.out}: holds a folder named like the zip: move it away")
    return members, problems


def write_atomically(target: Path, members: dict[str, bytes]) -> list[str]:
    """Write the zip to a temp file beside `target` and rename it into place; [] or [problem].

    On any failure the temp file is removed, so no partial zip is ever left.
    """
    temp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=PART_SUFFIX)
        os.close(handle)
        temp = Path(name)
        write_deterministic_zip(temp, members)
        size = temp.stat().st_size
        if size > MAX_ZIP_BYTES:
            return [f"{target.name}: would be {mb(size)} (limit {mb(MAX_ZIP_BYTES)}): "
                    "shrink the PDF or clear huge outputs (large images, long printouts)"]
        temp.chmod(ZIP_DISK_MODE)
        os.replace(temp, target)
        return []
    except OSError as err:
        return [f"{target.name}: cannot be written ({err}): free some disk space or pass another --out"]
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


def manifest(members: dict[str, bytes]) -> list[str]:
    """One line per member, sorted: name, size in bytes, sha256."""
    width = max(len(name) for name in members)
    return [f"  {name:<{width}}  {len(data):>10} B  sha256 {hashlib.sha256(data).hexdigest()}"
            for name, data in sorted(members.items())]


def main(argv=None) -> int:
    """Check everything, then write the zip; exit 1 with every problem listed, 0 with the manifest."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    members, problems = collect(args)
    target = args.out / zip_name(args.student_number, args.name)
    if not problems:
        problems = write_atomically(target, members)
    if problems:
        for problem in problems:
            print(f"hw3 pack: {problem}", file=sys.stderr)
        print(f"hw3 pack: {len(problems)} problem(s); nothing written", file=sys.stderr)
        return 1
    print("\n".join(manifest(members)))
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    print(f"wrote {target} ({target.stat().st_size} B, sha256 {digest}); upload it to Quera as is")
    return 0


if __name__ == "__main__":
    sys.exit(main())
