"""Run one untrusted command confined: a bubblewrap sandbox when it works, rlimits, its own session, a hard timeout.

The sandbox holds only what `allowlist.py` lists (read-only, except the command's own scratch
folder), a private size-capped `/tmp` that vanishes with it (otter unpacks the hidden tests there),
no network, no capabilities, its own pid namespace, and it dies with its parent
(`--die-with-parent`). Without a working `bwrap` the same command runs directly, with the same
environment and limits, and the caller flags its rows `unsandboxed`.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from hw3.common.notebook_run import GRADING_ENV
from hw3.grading.auto.allowlist import SANDBOX_HOME, SANDBOX_TMP, mounts, write_generated_etc

BWRAP = "bwrap"
MB = 1024 * 1024
# torch's address space alone is ~0.8 GB; grading the Hafez reference fails at 1.5 GB and passes at 2.5 GB
DEFAULT_MEMORY_MB = 4096
MAX_FILE_BYTES = (
    512 * MB
)  # RLIMIT_FSIZE: no file the command writes (its log included) grows past this
TMPFS_BYTES = (
    1024 * MB
)  # the sandbox's /tmp: otter's grading folder and whatever the notebook writes
PROBE_TIMEOUT_S = 20
KILL_WAIT_S = 10
POLL_S = 0.5
RUN_TOKEN_VAR = "HW3_GRADE_RUN"  # marks every process of one run, to find strays when unsandboxed
METRICS_LOG_VAR = (
    "HW3_METRICS_LOG"  # threshold tests append their measured values here (hw3 calibrate)
)
METRICS_LOG_NAME = "metrics.jsonl"

# Applies the limits, then becomes the real command (exec keeps the pid, so --die-with-parent
# still watches the grader). A separate interpreter because preexec_fn is unsafe with threads.
# Unsandboxed, PR_SET_PDEATHSIG (Linux) does what --die-with-parent does for bwrap: `kill -9` of
# the grader takes the grading process with it.
LIMITS_LAUNCHER = """\
import os, resource, signal, sys
grader, memory, file_size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
try:
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != grader:  # the grader died before the line above: nothing would kill us later
    sys.exit(137)
os.execvp(sys.argv[4], sys.argv[4:])
"""


@dataclass
class Sandbox:
    """How commands are confined: `enabled` False means unsandboxed (`reason` says why). `readable` are the
    host paths bound read-only besides the system entries, `etc_dir` holds the generated passwd and group."""

    enabled: bool
    reason: str = ""
    readable: list[Path] = field(default_factory=list)
    etc_dir: Path | None = None


@dataclass
class Outcome:
    """How a confined command ended: its exit code (None when killed at the timeout) and wall seconds."""

    returncode: int | None
    timed_out: bool
    seconds: float


def namespace_args() -> list[str]:
    """No network, own pid/ipc/uts/user namespaces, no capabilities, dies with the grader."""
    return ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]


def bwrap_args(sandbox: Sandbox, scratch: Path) -> list[str]:
    """bwrap's arguments: the allow-list's mounts (scratch writable, last), the working folder, then `--`."""
    args = [BWRAP, *namespace_args()]
    for mount in mounts(sandbox.readable, sandbox.etc_dir, scratch):
        if mount.kind == "tmpfs":
            args += ["--size", str(TMPFS_BYTES)]  # applies to the tmpfs that follows
        args += mount.args()
    return args + ["--chdir", str(scratch), "--"]


def probe(readable: list[Path]) -> str:
    """'' when bwrap can run this Python inside the allow-list sandbox here, else why not (one line)."""
    if shutil.which(BWRAP) is None:
        return "bwrap is not installed"
    with tempfile.TemporaryDirectory(prefix="hw3-sandbox-probe-") as tmp:
        box = Sandbox(True, readable=list(readable), etc_dir=write_generated_etc(Path(tmp) / "etc"))
        scratch = Path(tmp) / "scratch"
        scratch.mkdir()
        cmd = bwrap_args(box, scratch) + [sys.executable, "-I", "-c", "pass"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
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
    reason = probe(readable)
    return Sandbox(
        not reason, reason, list(readable), write_generated_etc(etc_dir) if not reason else None
    )


def confined_env(sandbox: Sandbox, scratch: Path, token: str) -> dict:
    """A minimal environment: threads pinned, HW3_GRADING=1, home and temp inside the sandbox.

    Nothing else of the TA's environment (tokens, keys) reaches the student's code.
    """
    home = Path(SANDBOX_HOME) if sandbox.enabled else scratch / "home"
    tmp = Path(SANDBOX_TMP) / "tmp" if sandbox.enabled else scratch / "tmp"
    env = {
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
        METRICS_LOG_VAR: str(scratch / METRICS_LOG_NAME),
        **GRADING_ENV,
    }
    return env


def user_base() -> str:
    """The TA's user site base (pip --user installs), which moving HOME would otherwise hide."""
    import site

    return os.environ.get("PYTHONUSERBASE") or site.getuserbase()


def marked_pids(token: str) -> list[int]:
    """Pids of processes whose environment carries `RUN_TOKEN_VAR=token` (Linux /proc; [] elsewhere)."""
    marker = f"{RUN_TOKEN_VAR}={token}".encode()
    pids = []
    proc_root = Path("/proc")
    if not proc_root.is_dir():
        return pids
    for entry in proc_root.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def kill_all(pgid: int, token: str) -> None:
    """SIGKILL the command's process group and every process marked with its token (the kernel runs
    in a session of its own). Call it only before the group leader is reaped."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    kill_marked(token)


def kill_marked(token: str) -> None:
    """SIGKILL every process that carries this run's token in its environment."""
    for pid in marked_pids(token):
        if pid != os.getpid():
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def run_confined(
    cmd: list[str],
    *,
    sandbox: Sandbox,
    scratch: Path,
    timeout: float,
    memory_mb: int,
    log_path: Path,
    stop: threading.Event | None = None,
) -> Outcome:
    """Run `cmd` in `scratch` under the sandbox and limits, its output to `log_path`; kill it all at
    `timeout`, or as soon as `stop` is set (the grader was interrupted)."""
    token = uuid.uuid4().hex
    env = confined_env(sandbox, scratch, token)
    if not sandbox.enabled:
        for var in ("HOME", "TMPDIR"):
            Path(env[var]).mkdir(parents=True, exist_ok=True)
    launcher = [
        sys.executable,
        "-I",
        "-c",
        LIMITS_LAUNCHER,
        str(os.getpid()),
        str(memory_mb * MB),
        str(MAX_FILE_BYTES),
    ]
    full = launcher + (bwrap_args(sandbox, scratch) if sandbox.enabled else []) + cmd
    start = time.monotonic()
    returncode, timed_out = None, False
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            full,
            cwd=scratch,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
        try:
            deadline = start + timeout
            while (
                returncode is None and time.monotonic() < deadline and not (stop and stop.is_set())
            ):
                try:
                    returncode = proc.wait(
                        timeout=min(POLL_S, max(0.0, deadline - time.monotonic()))
                    )
                except subprocess.TimeoutExpired:
                    pass
            timed_out = returncode is None and not (stop and stop.is_set())
        finally:
            if (
                returncode is None
            ):  # timed out or the grader was interrupted: not reaped, so its pgid is still ours
                kill_all(proc.pid, token)
                try:
                    proc.wait(timeout=KILL_WAIT_S)
                except subprocess.TimeoutExpired:
                    pass
    # a kernel that outlived its otter process (only possible unsandboxed: bwrap's pid namespace
    # takes every process with it)
    kill_marked(token)
    return Outcome(returncode, timed_out, time.monotonic() - start)
