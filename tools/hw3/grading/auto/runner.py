"""The sandboxed side of grading: run one notebook, then answer probes (`python -m hw3.grading.auto.runner`).

Started by the trusted harness (`harness.py`) inside the sandbox, it speaks the line protocol of
`protocol.py` on its stdin and stdout and holds nothing secret: no hidden test, no expected value,
no points. It executes the notebook it is sent with nbclient (one kernel, every code cell in order,
errors recorded and the run going on), with a per-cell timeout that escalates: SIGINT at the
timeout, and if the kernel has not answered a ping after the grace period, SIGKILL, after which no
later cell runs. Then each probe request becomes one cell, `kernel_probe.answer(...)`, whose
displayed reply is passed back as it is. The kernel shares this process's sandbox, so anything here
can be replaced by the student's code: the harness trusts none of it.

The kernel inherits neither the protocol's pipes nor a terminal: fds 0-2 point at /dev/null and a
log file in the sandbox's own size-capped tmpfs before the kernel starts.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import sys
from pathlib import Path

from hw3.grading.auto import protocol
from hw3.grading.auto.kernel_probe import MIME

LOG_NAME = ".runner.log"
LOG_TAIL_BYTES = 64 * 1024
STARTUP_TIMEOUT_S = 120
TIMEOUT_ENAME = "CellTimeoutError"
MAX_TEXT_CHARS = 4000  # of a reported cell's text output
MAX_IMAGE_BYTES = 4 * 1024 * 1024
MAX_OUTPUTS = 8  # per reported cell
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
INLINE_BACKEND = (
    "module://matplotlib_inline.backend_inline"  # figures become outputs, as in Jupyter
)
PROBE_CALL = '__import__("hw3.grading.auto.kernel_probe", fromlist=["answer"]).answer({request!r})'


class Runner:
    """One notebook's kernel, driven cell by cell."""

    def __init__(self, out_fd: int, job: dict):
        import nbformat
        from nbclient import NotebookClient

        self.out_fd = out_fd
        self.nb = nbformat.reads(job["notebook"], as_version=4)
        self.cell_timeout = int(job["cell_timeout"])
        self.grace = int(job["grace"])
        self.report = {int(i) for i in job.get("report", [])}
        self.alive = True
        self.client = NotebookClient(
            self.nb,
            timeout=self.cell_timeout,
            startup_timeout=STARTUP_TIMEOUT_S,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "interrupted", "traceback": []},
            allow_errors=True,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": os.getcwd()}},
            on_cell_executed=self.record_reply,
        )
        self.last_reply: dict = {}

    def send(self, message: dict) -> None:
        protocol.send(self.out_fd, message)

    def execute(self, index: int, timeout: int) -> dict:
        """Run cell `index` within `timeout` s; {"status", "ename", "evalue"}; kills an unresponsive kernel."""
        from nbclient.exceptions import DeadKernelError

        self.client.timeout = timeout
        self.last_reply = {}
        try:
            self.client.execute_cell(self.nb.cells[index], index)
        except DeadKernelError:
            self.alive = False
            return {"status": "died"}
        content = self.last_reply.get("content", {})
        if content.get("ename") == TIMEOUT_ENAME:
            if not self.answers_ping():
                self.kill_kernel()
                return {"status": "killed"}
            return {"status": "timeout"}
        if content.get("status") == "error":
            return {
                "status": "error",
                "ename": content.get("ename", ""),
                "evalue": content.get("evalue", ""),
            }
        return {"status": "ok"}

    def record_reply(self, cell, cell_index, execute_reply) -> None:
        """nbclient's on_cell_executed hook: keep the last execute reply (a timeout is only seen there)."""
        self.last_reply = execute_reply or {}

    def answers_ping(self) -> bool:
        """Whether the kernel runs a trivial cell within the grace period (it heeded the interrupt)."""
        import nbformat

        self.nb.cells.append(nbformat.v4.new_code_cell("pass"))
        index = len(self.nb.cells) - 1
        self.client.timeout = self.grace
        self.last_reply = {}
        try:
            self.client.execute_cell(self.nb.cells[index], index)
        except Exception:  # noqa: BLE001 - a dead or hung kernel does not answer
            return False
        return self.last_reply.get("content", {}).get("status") == "ok"

    def kill_kernel(self) -> None:
        """SIGKILL the kernel and everything it started (its own session)."""
        self.alive = False
        process = getattr(getattr(self.client.km, "provisioner", None), "process", None)
        if process is not None:
            for kill in (lambda: os.killpg(process.pid, signal.SIGKILL), lambda: process.kill()):
                try:
                    kill()
                except (OSError, ProcessLookupError):
                    pass

    def run_notebook(self) -> None:
        """Every code cell in order, one event each; outputs of the reported cells; then `ready`."""
        for index, cell in enumerate(list(self.nb.cells)):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            outcome = self.execute(index, self.cell_timeout)
            if outcome["status"] in ("killed", "died"):
                self.send({"event": "stopped", "index": index, "why": outcome["status"]})
                break
            self.send({"event": "cell", "index": index, **outcome})
            if index in self.report:
                self.send({"event": "outputs", "index": index, "outputs": reported(cell)})
            cell.outputs = []  # the kernel's output is never kept beyond what is reported
        self.send({"event": "ready", "alive": self.alive})

    def probe(self, message: dict) -> None:
        """One probe: a cell calling kernel_probe.answer, its displayed reply passed back."""
        import nbformat

        reply = {"event": "probe", "id": message.get("id")}
        if not self.alive:
            self.send({**reply, "error": "kernel stopped"})
            return
        cell = nbformat.v4.new_code_cell(PROBE_CALL.format(request=str(message.get("request", ""))))
        self.nb.cells.append(cell)
        outcome = self.execute(
            len(self.nb.cells) - 1, int(message.get("timeout", self.cell_timeout))
        )
        replies = [o["data"][MIME] for o in cell.get("outputs", []) if MIME in o.get("data", {})]
        cell.outputs = []
        if outcome["status"] in ("timeout", "killed"):
            self.send({**reply, "error": "timeout"})
        elif outcome["status"] == "died":
            self.send({**reply, "error": "kernel died"})
        elif not replies:
            self.send({**reply, "error": "no reply"})
        else:
            text = replies[-1]
            self.send({**reply, "reply": text if isinstance(text, str) else json.dumps(text)})


def reported(cell) -> list[dict]:
    """A reported cell's outputs, capped: text (streams, text/plain) and images."""
    kept = []
    for output in cell.get("outputs", [])[: MAX_OUTPUTS * 4]:
        data = output.get("data", {})
        image = next((m for m in IMAGE_MIMES if m in data), None)
        if image is not None:
            payload = data[image]
            raw = payload.encode("utf-8") if image == "image/svg+xml" else None
            text = base64.b64encode(raw).decode("ascii") if raw is not None else str(payload)
            if len(text) <= MAX_IMAGE_BYTES * 4 // 3 + 4:
                kept.append({"mime": image, "data": text})
        elif output.get("output_type") == "stream":
            kept.append({"text": str(output.get("text", ""))[:MAX_TEXT_CHARS]})
        elif "text/plain" in data:
            kept.append({"text": str(data["text/plain"])[:MAX_TEXT_CHARS]})
        if len(kept) >= MAX_OUTPUTS:
            break
    return kept


def log_tail() -> str:
    try:
        with open(LOG_NAME, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - LOG_TAIL_BYTES))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def write_fonts(fonts) -> None:
    """Seed matplotlib's fresh config folder with the TA's font lists (saves rebuilding them, ~2 s)."""
    folder = os.environ.get("MPLCONFIGDIR")
    if not folder or not isinstance(fonts, dict):
        return
    for name, text in fonts.items():
        if (
            isinstance(name, str)
            and name.startswith("fontlist-")
            and "/" not in name
            and isinstance(text, str)
        ):
            Path(folder, name).write_text(text, encoding="utf-8")


def detach_stdio() -> tuple[int, int]:
    """Keep the protocol on private fds; point 0 at /dev/null and 1, 2 at the log for the kernel."""
    in_fd, out_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    log = os.open(LOG_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout = open(1, "w", closefd=False)  # the process's own fds, kept open
    sys.stderr = open(2, "w", closefd=False)
    return in_fd, out_fd


def main() -> int:
    for var in ("HOME", "TMPDIR", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR", "IPYTHONDIR"):
        if os.environ.get(var):
            Path(os.environ[var]).mkdir(parents=True, exist_ok=True)
    in_fd, out_fd = detach_stdio()
    reader = protocol.LineReader(in_fd)
    job = reader.read()
    if job.get("op") != "run":
        return 2
    Path(Path(str(job.get("name") or "notebook.ipynb")).name).write_text(
        job["notebook"], encoding="utf-8"
    )
    write_fonts(job.get("fonts"))
    if job.get("report"):  # only then are figures worth drawing: the kernel inherits the backend
        os.environ["MPLBACKEND"] = INLINE_BACKEND
    runner = Runner(out_fd, job)
    with runner.client.setup_kernel():
        runner.run_notebook()
        while True:
            try:
                message = reader.read()
            except protocol.ProtocolError:
                break
            if message.get("op") == "probe":
                runner.probe(message)
            elif message.get("op") == "log":
                runner.send({"event": "log", "text": log_tail()})
            else:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
