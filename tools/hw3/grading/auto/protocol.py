"""The line protocol between the trusted harness and the sandboxed runner: one JSON object per line.

The harness writes requests to the runner's stdin and reads its events from the runner's stdout.
Everything the runner sends comes from inside the sandbox, so the harness reads it like untrusted
input: a size cap per line, a deadline per read, and JSON objects only; a line that breaks any of
these ends the conversation (`ProtocolError`), never the grader.

Requests (harness -> runner):

    {"op": "run", "notebook": <nbformat JSON text>, "cell_timeout": s, "grace": s, "report": [cell index, ...]}
    {"op": "probe", "id": n, "request": <JSON text for kernel_probe.answer>, "timeout": s}
    {"op": "log"}          the tail of the runner's log; then the harness kills the sandbox

Any other request, or the end of stdin, ends the runner.

Events (runner -> harness):

    {"event": "cell", "index": i, "status": "ok" | "error" | "timeout", "ename": ..., "evalue": ...}
    {"event": "outputs", "index": i, "outputs": [{"text": ...} | {"mime": ..., "data": base64}, ...]}
    {"event": "stopped", "index": i, "why": "killed" | "died"}   the kernel is gone; no cell after i ran
    {"event": "ready", "alive": true | false}                     the notebook has run
    {"event": "probe", "id": n, "reply": <JSON text from the kernel>} or {"event": "probe", "id": n, "error": why}
    {"event": "log", "text": ...}
"""

from __future__ import annotations

import json
import os
import select
import time

MAX_LINE_BYTES = (
    80 * 1024 * 1024
)  # a probe's reply (a trained model's weights) fits with room to spare
READ_CHUNK = 1024 * 1024


class ProtocolError(Exception):
    """The other side broke the protocol, went silent past a deadline, or closed the pipe."""


def send(fd: int, message: dict) -> None:
    """Write one message as a JSON line to the file descriptor `fd`."""
    data = (json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8")
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class LineReader:
    """Reads capped JSON lines from a file descriptor, each within a deadline."""

    def __init__(self, fd: int, max_line: int = MAX_LINE_BYTES):
        self.fd = fd
        self.max_line = max_line
        self.buffer = bytearray()

    def read(self, deadline: float | None = None) -> dict:
        """The next message; ProtocolError at EOF, past `deadline` (time.monotonic), or on a bad line."""
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 1]
                return parse(line)
            if len(self.buffer) > self.max_line:
                raise ProtocolError(f"a line longer than {self.max_line} bytes")
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                    raise ProtocolError("no answer before the deadline")
            chunk = os.read(self.fd, READ_CHUNK)
            if not chunk:
                raise ProtocolError("the other side closed the pipe")
            self.buffer += chunk


def parse(line: bytes) -> dict:
    """One JSON object from a line, or ProtocolError."""
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        raise ProtocolError("a line that is not JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("a line that is not a JSON object")
    return message
