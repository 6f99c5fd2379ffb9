"""The limits one graded notebook runs under: time, memory, processes and disk, per sandbox."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TIMEOUT_S = (
    900  # the whole notebook and its tests; the references grade in ~30-60 s on 2 cores
)
DEFAULT_CELL_TIMEOUT_S = 300  # a training cell at the grading budget takes seconds
DEFAULT_MEMORY_MB = 4096  # torch alone maps ~0.8 GB; the Hafez reference needs more than 1.5 GB


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Per notebook: `timeout` for everything, `cell_timeout` per cell (SIGINT, then SIGKILL after
    `grace` if the kernel does not answer), `probe_timeout` per test probe, `memory_mb` for the whole
    sandbox's resident memory (and each process's address space), `processes` in the sandbox at
    once, `disk_mb` for each of its two writable folders (tmpfs: the work folder and /tmp)."""

    timeout: int = DEFAULT_TIMEOUT_S
    cell_timeout: int = DEFAULT_CELL_TIMEOUT_S
    grace: int = 10
    probe_timeout: int = 60
    memory_mb: int = DEFAULT_MEMORY_MB
    processes: int = 64
    disk_mb: int = 512
