"""The conversation with one sandboxed runner: start it, run the notebook, send probes, stop it.

`Session.remote(function, source)` is what `testfiles.py` puts in place of a test's probe: calling it
sends the probe to the student's kernel (`protocol.py`) and returns the decoded value, or raises a
`ProbeError`: `StudentRaised` when the student's code (or the probe) raised, `SandboxGone` when the
kernel or the runner is gone, the time ran out or the sandbox broke the protocol. Everything the
runner says is untrusted: texts are capped here, values decoded by `codec.py` only.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hw3.grading.auto import codec, protocol, sandbox
from hw3.grading.auto.limits import Limits

REPLY_MARGIN_S = 30  # beyond a probe's timeout and grace: the runner's own bookkeeping
LOG_WAIT_S = 10
MAX_ENAME = 100
MAX_EVALUE = 1000
TIME_RAN_OUT = "the notebook's time ran out"


class ProbeError(Exception):
    """A probe that brought back no value; the message is the grader's own."""


class StudentRaised(ProbeError):
    """The student's code (or the probe around it) raised; `kind` and `text` are the student's."""

    def __init__(self, kind: str, text: str):
        super().__init__(f"{kind}: {text}")
        self.kind, self.text = kind, text


class SandboxGone(ProbeError):
    """No probe can run any more: the kernel or the runner is gone, or the time ran out."""


@dataclass
class Execution:
    """What the runner reported while the notebook ran (texts untrusted, capped)."""

    cells: list[dict] = field(default_factory=list)  # {"index", "status", "ename", "evalue"}
    outputs: dict[int, list] = field(default_factory=dict)  # reported cells' outputs, as sent
    stopped: dict | None = None  # {"index", "why": "killed" | "died"}
    finished: bool = False  # the runner said `ready`


class Session:
    """The runner in its sandbox, started at construction, and the conversation with it."""

    def __init__(self, *, box: sandbox.Sandbox, limits: Limits, data_dir: Path | None):
        self.limits = limits
        self.deadline = time.monotonic() + limits.timeout
        self.broken = ""
        self.next_id = 0
        self.work = tempfile.TemporaryDirectory(prefix="hw3-work-")  # used by unsandboxed runs only
        self.confined = sandbox.start(
            [sys.executable, "-m", "hw3.grading.auto.runner"],
            sandbox=box,
            limits=limits,
            data_dir=data_dir,
            work_dir=Path(self.work.name),
        )
        self.reader = protocol.LineReader(self.confined.stdout)

    @property
    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def send(self, message: dict) -> None:
        try:
            protocol.send(self.confined.stdin, message)
        except OSError as err:
            raise protocol.ProtocolError(f"the runner's stdin is closed ({err})") from None

    def run_notebook(
        self, *, name: str, notebook: str, report: list[int], fonts: dict[str, str]
    ) -> Execution:
        """Send the notebook and read its events until `ready`; ProtocolError past the deadline."""
        execution = Execution()
        self.send(
            {
                "op": "run",
                "name": name,
                "notebook": notebook,
                "cell_timeout": self.limits.cell_timeout,
                "grace": self.limits.grace,
                "report": report,
                "fonts": fonts,
            }
        )
        try:
            while not execution.finished:
                self.read_event(execution)
        except protocol.ProtocolError:
            self.broken = TIME_RAN_OUT if self.time_left <= 0 else "the sandbox stopped answering"
            raise
        return execution

    def read_event(self, execution: Execution) -> None:
        event = self.reader.read(self.deadline)
        kind = event.get("event")
        if kind == "cell":
            execution.cells.append(
                {
                    "index": int_or(event.get("index")),
                    "status": str(event.get("status"))[:20],
                    "ename": str(event.get("ename", ""))[:MAX_ENAME],
                    "evalue": str(event.get("evalue", ""))[:MAX_EVALUE],
                }
            )
        elif kind == "outputs" and isinstance(event.get("outputs"), list):
            execution.outputs[int_or(event.get("index"))] = event["outputs"]
        elif kind == "stopped":
            execution.stopped = {
                "index": int_or(event.get("index")),
                "why": str(event.get("why"))[:20],
            }
        elif kind == "ready":
            execution.finished = True

    def remote(self, function: str, source: str):
        """The stub that replaces one probe: it runs in the student's kernel, its value comes back."""

        def call(*args):
            return self.probe(function, source, args)

        call.__name__ = function
        return call

    def probe(self, function: str, source: str, args: tuple):
        """Run one probe in the kernel; its decoded value, or a ProbeError."""
        if self.broken:
            raise SandboxGone(self.broken)
        if self.time_left <= 0:
            self.broken = TIME_RAN_OUT
            raise SandboxGone(self.broken)
        timeout = max(1, int(min(self.limits.probe_timeout, self.time_left)))
        self.next_id += 1
        request = json.dumps(
            {"source": source, "function": function, "args": codec.encode(list(args))}
        )
        try:
            self.send({"op": "probe", "id": self.next_id, "request": request, "timeout": timeout})
            event = self.reader.read(
                time.monotonic() + timeout + self.limits.grace + REPLY_MARGIN_S
            )
        except protocol.ProtocolError as err:
            self.broken = f"the sandbox stopped answering ({err})"
            raise SandboxGone(self.broken) from None
        if event.get("event") != "probe" or event.get("id") != self.next_id:
            self.broken = "the sandbox answered out of turn"
            raise SandboxGone(self.broken)
        if "error" in event:
            why = str(event["error"])[:40]
            if why in ("kernel died", "kernel stopped"):
                self.broken = f"the notebook's kernel had stopped ({why})"
                raise SandboxGone(self.broken)
            if why == "timeout":
                raise ProbeError(f"your code ran past the {timeout} s a test may take")
            raise ProbeError("your code sent back no answer")
        return decode_reply(event.get("reply"))

    def close(self) -> str:
        """Ask for the runner's log tail, kill the sandbox, and return the tail ('' when it cannot be had)."""
        tail = ""
        if not self.broken:
            try:
                self.send({"op": "log"})
                event = self.reader.read(time.monotonic() + LOG_WAIT_S)
                tail = str(event.get("text", "")) if event.get("event") == "log" else ""
            except protocol.ProtocolError:
                pass
        self.confined.stop()
        self.work.cleanup()
        return tail


def decode_reply(text):
    """The value in the kernel's reply, or StudentRaised; anything malformed is a failed probe."""
    try:
        reply = json.loads(text) if isinstance(text, str) else None
        if not isinstance(reply, dict):
            raise codec.CodecError("a reply that is not an object")
        if "raised" in reply:
            raised = reply["raised"] if isinstance(reply["raised"], dict) else {}
            raise StudentRaised(
                str(raised.get("type", "Exception"))[:MAX_ENAME], str(raised.get("message", ""))
            )
        return codec.decode(reply.get("value"))
    except (codec.CodecError, ValueError, RecursionError) as err:
        raise ProbeError(f"your code sent back something that is not plain data ({err})") from None


def int_or(value, default: int = -1) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
