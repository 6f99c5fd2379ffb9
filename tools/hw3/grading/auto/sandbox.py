"""Run one untrusted command confined: a bubblewrap sandbox when it works, limits per sandbox, pipes only.

The sandbox holds only what `allowlist.py` lists, read-only, plus two private size-capped tmpfs
folders (the work folder the notebook runs in, and /tmp) that vanish with it: no host folder is
writable, so nothing the command leaves can be read back by the grader. It talks to the trusted side
through its stdin and stdout pipes alone. It has no network, no capabilities, its own pid namespace,
and it dies with its parent (`--die-with-parent`).

Limits hold for the sandbox as a whole: a watchdog thread counts the processes of the whole process
tree and sums their memory (proportional set sizes) every `POLL_S`, and kills everything past
`Limits.processes` or `Limits.memory_mb` (`Confined.exceeded` says which). Each process also gets an address-space cap
(`RLIMIT_AS`, a huge allocation fails in its cell), no core files, and an `RLIMIT_NPROC` backstop
(which Linux does not apply to root, so the watchdog is what holds there).

Without a working `bwrap` the command runs directly in a private temporary folder with the same
environment, limits and pipes, and the caller flags its rows `unsandboxed`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from hw3.common.notebook_run import GRADING_ENV
from hw3.grading.auto.allowlist import (
    SANDBOX_HOME,
    SANDBOX_TMP,
    WORK_DIR,
    mounts,
    write_generated_etc,
)
from hw3.grading.auto.limits import Limits

BWRAP = "bwrap"
MB = 1024 * 1024
CHECK_TIMEOUT_S = 20
KILL_WAIT_S = 10
POLL_S = 0.1
NPROC_BACKSTOP = 4096  # threads count too: torch and the kernel's I/O threads stay far below
RUN_TOKEN_VAR = "HW3_GRADE_RUN"  # marks every process of one unsandboxed run, to find strays

# Applies the limits, then becomes the real command (exec keeps the pid, so --die-with-parent
# still watches the grader). A separate interpreter because preexec_fn is unsafe with threads.
# Unsandboxed, PR_SET_PDEATHSIG (Linux) does what --die-with-parent does for bwrap.
LIMITS_LAUNCHER = """\
import os, resource, signal, sys
grader, memory, nproc = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
try:
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
except (ValueError, OSError):
    pass
try:
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != grader:  # the grader died before the line above: nothing would kill us later
    sys.exit(137)
os.execvp(sys.argv[4], sys.argv[4:])
"""


def die_with_parent(parent: int) -> None:
    """Have Linux SIGKILL this process when `parent` dies (PR_SET_PDEATHSIG); exit now if it already has.

    The harness calls it first: a `kill -9` of `hw3 grade` then takes the harness, and with it
    (`--die-with-parent`) the sandbox, instead of leaving them to finish a notebook nobody waits for.
    """
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        sys.exit(137)


@dataclass
class Sandbox:
    """How commands are confined: `enabled` False means unsandboxed (`reason` says why). `readable` are the
    host paths bound read-only besides the system entries, `etc_dir` holds the generated passwd and group."""

    enabled: bool
    reason: str = ""
    readable: list[str] = field(default_factory=list)
    etc_dir: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def namespace_args() -> list[str]:
    """No network, own pid/ipc/uts/user namespaces, no capabilities, dies with the grader."""
    return ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]


def bwrap_args(box: Sandbox, data_dir: Path | None, disk_mb: int) -> list[str]:
    """bwrap's arguments: the allow-list's mounts, the work folder as the working folder, then `--`."""
    args = [BWRAP, *namespace_args()]
    readable = [Path(p) for p in box.readable]
    for mount in mounts(readable, Path(box.etc_dir or ""), data_dir):
        if mount.kind == "tmpfs":
            args += ["--size", str(disk_mb * MB)]  # applies to the tmpfs that follows
        args += mount.args()
    return args + ["--chdir", WORK_DIR, "--"]


def check_bwrap(readable: list[Path]) -> str:
    """'' when bwrap can run this Python inside the allow-list sandbox here, else why not (one line)."""
    if shutil.which(BWRAP) is None:
        return "bwrap is not installed"
    with tempfile.TemporaryDirectory(prefix="hw3-sandbox-check-") as tmp:
        box = Sandbox(
            True,
            readable=[str(p) for p in readable],
            etc_dir=str(write_generated_etc(Path(tmp) / "etc")),
        )
        cmd = bwrap_args(box, None, 1) + [sys.executable, "-I", "-c", "pass"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"bwrap failed to start ({err})"
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return f"bwrap cannot create a sandbox here ({lines[-1] if lines else f'exit {proc.returncode}'})"
    return ""


def detect(readable: list[Path], etc_dir: Path, disabled: bool = False) -> Sandbox:
    """The sandbox to use: bwrap when it works here (and not `disabled`), else an unsandboxed one."""
    if disabled:
        return Sandbox(False, "disabled with --no-sandbox")
    reason = check_bwrap(readable)
    if reason:
        return Sandbox(False, reason)
    return Sandbox(True, "", [str(p) for p in readable], str(write_generated_etc(etc_dir)))


def confined_env(box: Sandbox, work: Path, token: str) -> dict:
    """A minimal environment: threads pinned, HW3_GRADING=1, home and temp inside the sandbox.

    Nothing else of the TA's environment (tokens, keys) reaches the student's code.
    """
    home = Path(SANDBOX_HOME) if box.enabled else work / ".home"
    tmp = Path(SANDBOX_TMP) / "tmp" if box.enabled else work / ".tmp"
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter-runtime"),
        "IPYTHONDIR": str(home / ".ipython"),
        "MPLCONFIGDIR": str(home / ".matplotlib"),
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUSERBASE": user_base(),
        RUN_TOKEN_VAR: token,
        **GRADING_ENV,
    }


def user_base() -> str:
    """The TA's user site base (pip --user installs), which moving HOME would otherwise hide."""
    import site

    return os.environ.get("PYTHONUSERBASE") or site.getuserbase()


def proportional_bytes(process: psutil.Process) -> int:
    """A process's proportional set size (shared pages split between their users, so forked children do
    not count the pages they share with their parent twice); its resident size where PSS cannot be read."""
    try:
        with open(f"/proc/{process.pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


class Confined:
    """A confined command: its pipes (`stdin`, `stdout` fds), a watchdog on the whole tree, `stop()`."""

    def __init__(self, proc: subprocess.Popen, limits: Limits, token: str):
        self.proc, self.limits, self.token = proc, limits, token
        self.stdin, self.stdout = proc.stdin.fileno(), proc.stdout.fileno()
        self.exceeded = ""  # memory | processes
        self.peak_mb = 0.0
        self.done = threading.Event()
        self.watchdog = threading.Thread(target=self.watch, daemon=True)
        self.watchdog.start()

    def tree(self) -> list[psutil.Process]:
        """The command and every process below it (in a pid namespace nothing can leave the tree)."""
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def watch(self) -> None:
        """Every POLL_S: kill the whole tree once it has too many processes or uses too much memory."""
        while not self.done.wait(POLL_S):
            processes = self.tree()
            if not processes:
                return
            if len(processes) > self.limits.processes:
                self.exceeded = "processes"
            else:
                used = sum(proportional_bytes(p) for p in processes) / MB
                self.peak_mb = max(self.peak_mb, used)
                if used > self.limits.memory_mb:
                    self.exceeded = "memory"
            if self.exceeded:
                self.kill()
                return

    def kill(self) -> None:
        """SIGKILL the command's process group and, unsandboxed, every process carrying its token."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for process in psutil.process_iter(["environ"]):
            try:
                environ = process.info.get("environ") or {}
            except psutil.Error:
                continue
            if environ.get(RUN_TOKEN_VAR) == self.token and process.pid != os.getpid():
                try:
                    process.kill()
                except psutil.Error:
                    pass

    def stop(self) -> None:
        """End the command and everything it started: close its pipes, kill the tree, reap it.

        Nothing of the command is needed once the conversation is over, so it gets no time to
        shut down (a kernel's graceful shutdown costs seconds per notebook)."""
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.done.set()
        self.kill()
        try:
            self.proc.wait(timeout=KILL_WAIT_S)
        except subprocess.TimeoutExpired:
            pass


def start(
    cmd: list[str], *, sandbox: Sandbox, limits: Limits, data_dir: Path | None, work_dir: Path
) -> Confined:
    """Start `cmd` confined, with pipes on its stdin and stdout and its stderr discarded.

    Sandboxed, `data_dir` is bound read-only at WORK_DIR/data; unsandboxed, the command runs in
    `work_dir` (a private folder of the caller's) with `data_dir` copied into it.
    """
    token = uuid.uuid4().hex
    cwd = Path(WORK_DIR) if sandbox.enabled else work_dir
    env = confined_env(sandbox, cwd, token)
    prefix = bwrap_args(sandbox, data_dir, limits.disk_mb) if sandbox.enabled else []
    if not sandbox.enabled:
        for var in ("HOME", "TMPDIR"):
            Path(env[var]).mkdir(parents=True, exist_ok=True)
        if data_dir is not None:
            shutil.copytree(data_dir, work_dir / "data", dirs_exist_ok=True)
    launcher = [
        sys.executable,
        "-I",
        "-c",
        LIMITS_LAUNCHER,
        str(os.getpid()),
        str(limits.memory_mb * MB),
        str(NPROC_BACKSTOP),
    ]
    proc = subprocess.Popen(
        launcher + prefix + cmd,
        cwd=work_dir,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )
    return Confined(proc, limits, token)
