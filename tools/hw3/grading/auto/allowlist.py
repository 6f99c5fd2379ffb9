"""What student code can see while it is graded: the sandbox's allow-list, in one place.

The sandbox starts from an empty root and binds in only what grading needs:

- read-only: `/usr`, `/bin`, `/sbin`, `/lib`, `/lib32`, `/lib64`, `/libx32`, the system's programs
  and libraries (the merged-/usr links stay links);
- read-only: `/etc/ld.so.cache`, `/etc/localtime`, `/etc/hosts`, `/etc/ssl`, `/etc/alternatives`,
  what the loader, time zones, `localhost`, SSL and Debian's program links read;
- read-only: `/etc/passwd`, `/etc/group`, one generated user, `grader`, whose home is `/tmp/home`;
- read-only: `/sys/devices/system/cpu`, the CPU topology torch reads;
- read-only: the Python installation: `sys.prefix`, `sys.base_prefix`, `sys.exec_prefix`, the
  site-packages and user site, and the folders their `.pth` files add, wherever they live (a
  virtualenv in the repository or in the TA's home included);
- read-only: the `hw3` package (the runner the sandbox starts; not `tests/`, not `reference/`);
- tmpfs: `/hw3-work`, private and size-capped, where the notebook runs (the runner writes it there);
- read-only: the released `data/` folder of the notebook being graded, at `/hw3-work/data`;
- tmpfs: `/tmp`, private, size-capped; vanishes with the sandbox;
- bwrap's own `/dev`, `/proc`: minimal devices; the sandbox's own processes only.

Everything else is absent: `/root`, `/home`, `/srv`, `/mnt`, `/media`, `/opt` (unless Python lives
there), `/var`, the release root, the autograder zip and its tests, other checkouts, the
submissions, the whole output folder, and the TA's environment variables (see
`sandbox.confined_env`). No host folder is writable: the sandbox speaks through its pipes only.
"""

from __future__ import annotations

import os
import site
import sys
from dataclasses import dataclass
from pathlib import Path

from hw3.common.folders import inside

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_ENTRIES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/hosts", "/etc/ssl", "/etc/alternatives")
SYS_ENTRIES = ("/sys/devices/system/cpu",)
GENERATED_ETC = ("passwd", "group")
SANDBOX_USER = "grader"
SANDBOX_HOME = "/tmp/home"
SANDBOX_TMP = "/tmp"
WORK_DIR = "/hw3-work"  # where the notebook runs: a private tmpfs, its data read-only inside


@dataclass(frozen=True)
class Mount:
    """One bubblewrap mount: `kind` is ro-bind, bind, symlink (source = the link's target), tmpfs, dev or proc."""

    kind: str
    source: str
    target: str

    def args(self) -> list[str]:
        if self.kind in ("tmpfs", "dev", "proc"):
            return [f"--{self.kind}", self.target]
        return [f"--{self.kind}", self.source, self.target]


def pth_folders(site_dir: Path) -> set[Path]:
    """Folders that the `.pth` files of a site-packages folder add to sys.path (import lines skipped)."""
    found = set()
    for pth in site_dir.glob("*.pth"):
        try:
            lines = pth.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.strip()
            if line and not line.startswith(("#", "import ", "import\t")):
                folder = (site_dir / line).resolve()
                if folder.is_dir():
                    found.add(folder)
    return found


def python_paths() -> set[Path]:
    """The folders of this Python installation that a child interpreter reads."""
    site_dirs = [Path(p) for p in site.getsitepackages() + [site.getusersitepackages()]]
    paths = {
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sys.exec_prefix),
        Path(sys.executable).resolve().parent,
        *site_dirs,
    }
    for site_dir in site_dirs:
        if site_dir.is_dir():
            paths |= pth_folders(site_dir)
    return {p.resolve() for p in paths if p.exists()}


def readable_paths(package_dir: Path) -> list[Path]:
    """Every host path bound read-only besides the fixed system entries: Python and the package;
    paths inside a system folder or inside another listed path are dropped."""
    candidates = sorted(
        python_paths() | {package_dir.resolve()},
        key=lambda p: (len(p.parts), str(p)),
    )
    system = [Path(d) for d in SYSTEM_DIRS if Path(d).exists() and not Path(d).is_symlink()]
    kept: list[Path] = []
    for path in candidates:
        if not any(inside(path, folder) for folder in system + kept):
            kept.append(path)
    return kept


def write_generated_etc(folder: Path) -> Path:
    """Write the sandbox's /etc/passwd and /etc/group (one user, `grader`, with the grader's ids) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    uid, gid = os.getuid(), os.getgid()
    (folder / "passwd").write_text(
        f"{SANDBOX_USER}:x:{uid}:{gid}:{SANDBOX_USER}:{SANDBOX_HOME}:/bin/sh\n", encoding="utf-8"
    )
    (folder / "group").write_text(f"{SANDBOX_USER}:x:{gid}:\n", encoding="utf-8")
    return folder


def mounts(readable: list[Path], etc_dir: Path, data_dir: Path | None) -> list[Mount]:
    """The sandbox's mounts in order: system, /etc, /sys, the two tmpfs (/tmp and the work folder),
    Python and the package (after the tmpfs, so a virtualenv under /tmp stays visible), /dev, /proc,
    and the released data read-only in the work folder."""
    result = []
    for folder in SYSTEM_DIRS:
        path = Path(folder)
        if path.is_symlink():
            result.append(Mount("symlink", os.readlink(path), folder))
        elif path.exists():
            result.append(Mount("ro-bind", folder, folder))
    result += [
        Mount("ro-bind", entry, entry)
        for entry in ETC_ENTRIES + SYS_ENTRIES
        if Path(entry).exists()
    ]
    result += [Mount("ro-bind", str(etc_dir / name), f"/etc/{name}") for name in GENERATED_ETC]
    result += [Mount("tmpfs", "", SANDBOX_TMP), Mount("tmpfs", "", WORK_DIR)]
    result += [Mount("ro-bind", str(path), str(path)) for path in readable]
    result += [Mount("dev", "", "/dev"), Mount("proc", "", "/proc")]
    if data_dir is not None:
        result.append(Mount("ro-bind", str(data_dir), f"{WORK_DIR}/data"))
    return result
