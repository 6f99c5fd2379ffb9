"""The grading sandbox keeps the TA's files private: an allow-list filesystem, a clean environment, and
feedback that carries nothing a notebook read.

The slow tests plant canaries where a TA's machine keeps private things (the home folder, a sibling of
the release, another checkout of this repository with its reference solutions, /srv and /opt, an
environment variable) and grade notebooks that walk the whole filesystem looking for them.
"""

import base64
import json
import os
import shutil
import sys
import uuid
from pathlib import Path

import grade_fixtures as fx
import pytest
from support import REPO, needs_tool

import hw3
from hw3.common.folders import inside
from hw3.grading.auto import allowlist, sandbox
from hw3.grading.auto.allowlist import (
    ETC_ENTRIES,
    GENERATED_ETC,
    SANDBOX_TMP,
    SYS_ENTRIES,
    SYSTEM_DIRS,
    WORK_DIR,
    readable_paths,
)
from hw3.grading.auto.limits import Limits
from hw3.grading.auto.results import ENCODED_MARKER, MAX_MESSAGE_CHARS, cut_message
from hw3.grading.cli import grade_main

PACKAGE_DIR = Path(hw3.__file__).parent
CANARY_PREFIX = "HW3-CANARY-"
LISTING_TIMEOUT_S = 60
MEMORY_MB = 4096
HUNT_SECONDS = 15  # how long each call of the hostile build_vocab walks the filesystem (the tests call it 3 times)


def sandbox_or_skip() -> list[Path]:
    """The allow-list's readable paths, when bubblewrap works here (else skip, or fail under CI=true)."""
    readable = readable_paths(PACKAGE_DIR)
    reason = sandbox.check_bwrap(readable)
    needs_tool(not reason, f"no working bubblewrap sandbox here: {reason}")
    return readable


def test_bwrap_binds_only_the_allow_list_read_only_and_no_host_folder_writable(tmp_path):
    data = tmp_path / "release" / "student" / "hafez" / "data"
    box = sandbox.Sandbox(
        True, readable=[str(p) for p in readable_paths(PACKAGE_DIR)], etc_dir=str(tmp_path / "etc")
    )
    args = sandbox.bwrap_args(box, data, 64)
    binds = [
        (args[i], args[i + 1], args[i + 2])
        for i in range(len(args) - 2)
        if args[i] in ("--ro-bind", "--bind")
    ]
    assert ("--ro-bind", "/", "/") not in binds, "the root must not be bound: start from nothing"
    assert [b for b in binds if b[0] != "--ro-bind"] == [], "no host folder is writable"
    sources = {Path(source) for _, source, _ in binds}
    assert (
        REPO not in sources and REPO / "tests" not in sources and REPO / "reference" not in sources
    )
    assert not any(
        inside(REPO / "autograder", s) or inside(s, REPO / "autograder") for s in sources
    )
    assert PACKAGE_DIR.resolve() in sources or any(
        inside(PACKAGE_DIR.resolve(), s) for s in sources
    )
    assert ("--ro-bind", str(tmp_path / "etc" / "passwd"), "/etc/passwd") in binds
    assert ("--ro-bind", str(data), f"{WORK_DIR}/data") in binds
    listed = {
        *SYSTEM_DIRS,
        *ETC_ENTRIES,
        *SYS_ENTRIES,
        *box.readable,
        *(str(tmp_path / "etc" / name) for name in GENERATED_ETC),
        str(data),
    }
    assert {source for _, source, _ in binds} <= listed, "every bind comes from the allow-list"
    tmpfs = [args[i + 1] for i in range(len(args) - 1) if args[i] == "--tmpfs"]
    sizes = [args[i + 1] for i in range(len(args) - 1) if args[i] == "--size"]
    assert tmpfs == [SANDBOX_TMP, WORK_DIR] and sizes == [str(64 * 2**20)] * 2
    assert {"--unshare-all", "--die-with-parent", "--new-session"} <= set(args)
    assert args[-3:] == ["--chdir", WORK_DIR, "--"]


def test_readable_paths_drop_what_the_system_folders_already_hold():
    readable = readable_paths(PACKAGE_DIR)
    assert not any(
        inside(p, Path(d)) for p in readable for d in SYSTEM_DIRS if not Path(d).is_symlink()
    )
    assert all(not inside(p, q) for p in readable for q in readable if p != q), (
        "no path inside another"
    )


LISTING = """
import json, os, sys
known = sys.argv[1:]
seen = {}
for path in ["/", "/etc", "/sys", "/root", "/home", "/srv", "/opt", "/mnt", "/media", "/var", "/hw3-work",
             "/hw3-work/data", *known]:
    try:
        seen[path] = sorted(os.listdir(path))
    except OSError as err:
        seen[path] = type(err).__name__
print(json.dumps({"listing": seen, "environ": sorted(os.environ)}))
"""


@pytest.mark.slow
def test_what_the_sandbox_shows_is_the_documented_allow_list(tmp_path):
    readable = sandbox_or_skip()
    box = sandbox.detect(readable, tmp_path / "etc")
    private = [
        str(REPO / "reference"),
        str(REPO / "tests"),
        str(REPO / "autograder"),
        str(Path.home()),
        str(tmp_path),
    ]
    confined = sandbox.start(
        [sys.executable, "-c", LISTING, *private],
        sandbox=box,
        limits=Limits(memory_mb=MEMORY_MB),
        data_dir=REPO / "student" / "hafez" / "data",
        work_dir=tmp_path,
    )
    output = os.read(confined.stdout, 1 << 20).decode()
    exit_code = confined.proc.wait(timeout=60)
    confined.stop()
    assert exit_code == 0, output[-2000:]
    seen = json.loads(output.strip().splitlines()[-1])
    listing = seen["listing"]
    allowed_top = {Path(d).name for d in SYSTEM_DIRS if Path(d).exists()}
    allowed_top |= {"etc", "sys", "tmp", "dev", "proc", Path(WORK_DIR).name} | {
        Path(p).parts[1] for p in readable
    }
    assert set(listing["/"]) <= allowed_top, set(listing["/"]) - allowed_top
    assert set(listing["/etc"]) == {Path(e).name for e in ETC_ENTRIES if Path(e).exists()} | set(
        GENERATED_ETC
    )
    assert listing[WORK_DIR] == ["data"] and listing[f"{WORK_DIR}/data"] == ["hafez.txt"]
    for private_path in ["/srv", "/mnt", "/media", "/var", *private[:3]]:
        assert listing[private_path] == "FileNotFoundError", (private_path, listing[private_path])
    home = listing[str(Path.home())]
    python_in_home = {
        p.relative_to(Path.home()).parts[0] for p in readable if inside(p, Path.home())
    }
    assert home == "FileNotFoundError" or set(home) <= python_in_home, home
    assert set(seen["environ"]) <= set(sandbox.confined_env(box, Path(WORK_DIR), "token")) | {
        "PWD",
        "SHLVL",
        "_",
    }


HUNT = f'''
def build_vocab(text):
    """Walks the whole filesystem, reads every file it can and raises what looks like a canary."""
    import base64, os, time
    found, start = [], time.monotonic()
    found += [f"env {{k}}={{v}}" for k, v in os.environ.items() if "{CANARY_PREFIX}" in v]
    for root, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if root != "/" or d not in ("proc", "dev", "sys")]
        if time.monotonic() - start > {HUNT_SECONDS}:
            break
        for name in files:
            try:
                with open(os.path.join(root, name), "rb") as handle:
                    head = handle.read(200)
            except OSError:
                continue
            if b"{CANARY_PREFIX}" in head:
                found.append(head.decode(errors="replace"))
    report = "; ".join(found)
    if ENCODE:
        report = base64.b64encode(report.encode()).decode()
    raise ValueError(f"found {{len(found)}} canaries: {{report}}")
'''


def hunting_notebook(encode: bool):
    """The student notebook whose q1 answer is HUNT: the public test of q1 calls build_vocab."""
    nb = fx.read("student")
    index = fx.answers.answer_cells(nb)["q1_vocab"][0]
    stubs_after_build_vocab = "def encode" + nb.cells[index]["source"].split("def encode", 1)[1]
    nb.cells[index]["source"] = f"ENCODE = {encode}\n" + HUNT + "\n\n" + stubs_after_build_vocab
    return nb


@pytest.fixture
def canaries(tmp_path, monkeypatch):
    """Canary files where a TA keeps private things, and one in the grader's environment; their texts."""
    token = uuid.uuid4().hex[:12]
    planted, texts = [], []
    places = {
        "home": Path.home(),
        "sibling of the release": tmp_path / "sibling",
        "another checkout": tmp_path / "old-checkout" / "reference" / "hafez",
        "/srv": Path("/srv"),
        "/opt": Path("/opt"),
    }
    for where, folder in places.items():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"hw3-canary-{token}.txt"
            path.write_text(f"{CANARY_PREFIX}{token} planted in {where}\n")
        except OSError:
            continue  # not writable here (not root): the others still count
        planted.append(path)
        texts.append(f"{CANARY_PREFIX}{token} planted in {where}")
    shutil.copytree(
        REPO / "reference" / "hafez",
        tmp_path / "old-checkout" / "reference" / "hafez",
        dirs_exist_ok=True,
    )
    monkeypatch.setenv("HW3_SECRET_TOKEN", f"{CANARY_PREFIX}{token} in the environment")
    yield token, texts
    for path in planted:
        path.unlink(missing_ok=True)


@pytest.mark.slow
def test_canaries_never_reach_feedback_and_filesystem_walkers_are_flagged(tmp_path, canaries):
    sandbox_or_skip()
    token, texts = canaries
    subs = tmp_path / "subs"
    fx.write_zip(
        subs / "DL_HW3__4015210061__Plain.zip", fx.submission(hunting_notebook(encode=False))
    )
    fx.write_zip(
        subs / "DL_HW3__4015210062__Encoded.zip", fx.submission(hunting_notebook(encode=True))
    )
    release = fx.hafez_only_release(tmp_path / "release")
    (tmp_path / "release-notes.txt").write_text(f"{CANARY_PREFIX}{token} beside the release\n")
    assert (
        grade_main(
            [str(subs), "--out", str(tmp_path / "out"), "--release", str(release), "--jobs", "2"]
        )
        == 0
    )
    feedback = {p.name: p.read_text() for p in (tmp_path / "out" / "feedback").glob("*.md")}
    assert len(feedback) == 2
    for name, text in feedback.items():
        assert token not in text and CANARY_PREFIX not in text, name
        assert base64.b64encode(f"{CANARY_PREFIX}{token}".encode()).decode()[:16] not in text, name
    assert "found 0 canaries" in feedback["DL_HW3__4015210061__Plain.md"], (
        "the sandbox showed a canary"
    )
    gradebook = (tmp_path / "out" / "gradebook.csv").read_text()
    assert gradebook.count("reads-filesystem(") == 2 and token not in gradebook


def test_public_messages_are_cut_and_encoded_data_replaced():
    payload = base64.b64encode(os.urandom(120)).decode()
    shown, cut = cut_message(f"ValueError: {payload}")
    assert cut and payload not in shown and ENCODED_MARKER in shown
    shown, cut = cut_message("AssertionError: line\n" * 50)
    assert cut and len(shown) <= MAX_MESSAGE_CHARS + 60 and shown.count("\n") < 10
    plain = "AssertionError: encode returns a LongTensor of shape (N,); test_targets_are_next_characters failed"
    assert cut_message(plain) == (plain, False)


def test_allow_list_is_stated_in_one_place_and_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for entry in (*SYSTEM_DIRS, *ETC_ENTRIES, *SYS_ENTRIES):
        assert f"`{entry}`" in allowlist.__doc__ and f"`{entry}`" in readme, entry
