"""Try code mutants against the hidden tests, in-process: `python -m hw3.calibration.mutation_worker JOB RESULTS`.

Runs in a folder staged by `mutation.stage` (the notebook's data, the hidden tests in tests/), with
the grading environment (`HW3_GRADING=1`, one thread). The reference notebook's code cells run once
here (otter's own cells aside), which trains the model as grading does. Each mutant then runs in a
forked child, so it starts from that state and cannot disturb the next one: its mutated answer cell
is executed, the hidden tests of its question run through otter's own test-file runner; if they
all pass and a later cell uses a name the cell defines, the rest of the notebook runs again and
every hidden test runs. A child past its time limit is killed and its mutant counts as killed.

JOB is JSON: {"notebook": path, "jobs": N, "timeout": seconds per mutant, "mutants": [{"id", "question",
"cell", "source"}]}. RESULTS is JSON: [{"id", "killed", "how", "failed"}].
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import linecache
import os
import re
import select
import signal
import sys
import time
from pathlib import Path

OTTER_CELL = re.compile(r"\bgrader\.|otter\.Notebook\(")
POLL_S = 0.2


def code_cells(notebook: Path) -> list[tuple[int, str]]:
    """(cell index, Python source) of the code cells to run, otter's own cells left out, magics translated."""
    import nbformat
    from IPython.core.inputtransformer2 import TransformerManager

    nb = nbformat.read(notebook, as_version=4)
    transform = TransformerManager().transform_cell
    return [
        (index, transform(cell.source))
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and cell.source.strip() and not OTTER_CELL.search(cell.source)
    ]


def run_cell(source: str, name: str, env: dict) -> None:
    """Execute one cell's source in `env`, registered with linecache as IPython does (tests read sources)."""
    linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
    exec(compile(source, name, "exec"), env)


def defined_names(source: str) -> set[str]:
    """Names a cell binds at its top level."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def hidden_tests(folder: Path) -> dict[str, object]:
    """{question: otter ExceptionTestFile} of the hidden tests in folder/tests/."""
    from otter.test_files import ExceptionTestFile

    return {
        path.stem: ExceptionTestFile.from_file(str(path))
        for path in sorted((folder / "tests").glob("*.py"))
    }


def failed_hidden(test_file, env: dict) -> list[str]:
    """Names of the hidden test cases of one test file that fail in `env`."""
    test_file.run(env)
    return [
        f"{test_file.name}: {r.test_case.body.test_func.__name__}"
        for r in test_file.test_case_results
        if r.test_case.hidden and not r.passed
    ]


def try_mutant(mutant: dict, cells: list[tuple[int, str]], env: dict, tests: dict) -> dict:
    """In a forked child: the mutant's outcome (killed by its own tests, after retraining, or survived)."""
    position = next(i for i, (index, _) in enumerate(cells) if index == mutant["cell"])
    namespace = env  # this process is a fork: changing the namespace every cell's functions share is safe here
    try:
        run_cell(mutant["source"], f"<cell {mutant['cell']}>", namespace)
    except Exception:  # noqa: BLE001 - a cell that no longer runs: grading would fail its tests
        return {
            "killed": True,
            "how": "own tests",
            "failed": ["the mutated cell raises when it runs"],
        }
    failed = failed_hidden(tests[mutant["question"]], namespace)
    if failed:
        return {"killed": True, "how": "own tests", "failed": failed}
    names = defined_names(mutant["source"])
    later = cells[position + 1 :]
    if not any(
        re.search(rf"\b{re.escape(name)}\b", source) for name in names for _, source in later
    ):
        return {"killed": False, "how": "", "failed": []}
    for index, source in later:
        try:
            run_cell(source, f"<cell {index}>", namespace)
        except Exception:  # noqa: BLE001 - a provided cell that fails: the tests that need it fail below
            pass
    failed = [name for test_file in tests.values() for name in failed_hidden(test_file, namespace)]
    return {"killed": bool(failed), "how": "after retraining" if failed else "", "failed": failed}


def start_child(mutant: dict, cells, env, tests) -> tuple[int, int]:
    """Fork a child that tries `mutant` and writes its JSON outcome to a pipe; (pid, read end)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: quiet, one answer, then gone
        os.close(read_end)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                outcome = try_mutant(mutant, cells, env, tests)
        except BaseException as err:  # noqa: BLE001 - anything else the mutant does is a failure to grade it
            outcome = {
                "killed": True,
                "how": "own tests",
                "failed": [f"crashed: {type(err).__name__}"],
            }
        os.write(write_end, json.dumps(outcome).encode())
        os._exit(0)
    os.close(write_end)
    return pid, read_end


def read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def run(job: dict, folder: Path) -> list[dict]:
    """Execute the reference once, then try every mutant in forked children, `job['jobs']` at a time."""
    import torch

    torch.set_num_threads(
        1
    )  # forking a process whose thread pools are idle is safe; with one thread there are none
    cells = code_cells(Path(job["notebook"]))
    env: dict = {"__name__": "__main__"}
    for index, source in cells:
        run_cell(source, f"<cell {index}>", env)
    tests = hidden_tests(folder)
    broken = [name for test_file in tests.values() for name in failed_hidden(test_file, env)]
    if broken:  # the reference itself must pass, or no mutant's result means anything
        raise SystemExit(f"the reference fails hidden tests when run here: {broken}")
    pending, running, results = list(job["mutants"]), {}, []
    while pending or running:
        while pending and len(running) < job["jobs"]:
            mutant = pending.pop(0)
            pid, fd = start_child(mutant, cells, env, tests)
            running[fd] = (pid, mutant, time.monotonic())
        ready, _, _ = select.select(list(running), [], [], POLL_S)
        for fd in list(running):
            pid, mutant, started = running[fd]
            limit = job["timeout"]
            if fd in ready:
                data = read_all(fd)
                outcome = (
                    json.loads(data)
                    if data
                    else {"killed": True, "how": "own tests", "failed": ["the child died"]}
                )
            elif time.monotonic() - started > limit:
                os.kill(pid, signal.SIGKILL)
                outcome = {"killed": True, "how": "timeout", "failed": [f"ran past {limit} s"]}
            else:
                continue
            os.close(fd)
            os.waitpid(pid, 0)
            del running[fd]
            results.append({"id": mutant["id"], **outcome})
    return results


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    folder = Path.cwd()
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    results = run(job, folder)
    Path(argv[1]).write_text(json.dumps(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
