"""`hw3 grade`: every zip gets one row, untrusted notebooks stay in their sandbox, runs resume.

The fast tests replace the sandboxed otter run with a stand-in that writes a summary (so they
check reading zips, state, rows and feedback in milliseconds). The slow ones grade real fixture
zips (built by grade_fixtures.py from the committed release) with `otter run` in the sandbox;
most use the cheap student stub notebook, and only the good submission runs the reference.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import grade_fixtures as fx
import pytest
from support import ASSIGNMENTS, REPO

import hw3
from hw3.common.folders import inside
from hw3.common.pdfwrite import one_page_pdf
from hw3.common.safezip import MAX_MEMBERS, MAX_UNCOMPRESSED_BYTES
from hw3.grading.auto import notebook, sandbox
from hw3.grading.auto.allowlist import readable_paths
from hw3.grading.auto.autograder_info import read_autograder
from hw3.grading.auto.intake import find_zips, read_notebooks
from hw3.grading.auto.notebook import SCRATCH_DIR
from hw3.grading.auto.state import STATE_DIR
from hw3.grading.cli import grade_main
from hw3.submission.rules import PDF_NAME

AUTOGRADER = read_autograder(REPO / "autograder" / "hafez" / "hafez-autograder.zip")
MAX = {q: question.points for q, question in AUTOGRADER.questions.items()}
PACKAGE_DIR = Path(hw3.__file__).parent
SANDBOX_REASON = sandbox.check_bwrap(readable_paths(PACKAGE_DIR))
needs_sandbox = pytest.mark.skipif(
    bool(SANDBOX_REASON), reason=f"no working bwrap here: {SANDBOX_REASON}"
)
REQUIRED_COLUMNS = [
    "file",
    "student_number",
    "full_name",
    "status",
    "hafez_total",
    "apple_stock_total",
    "total",
    "max_total",
    "flags",
    "problems",
]
GENEROUS = ["--timeout", "600", "--cell-timeout", "300"]
TIGHT_CELL_S, TIGHT_NOTEBOOK_S = 20, 90  # the hang fixtures; a normal stub cell takes a few seconds
KILL_POLL_S, KILL_WAIT_S = 0.5, 300


def read_gradebook(out: Path) -> dict[str, dict]:
    """Gradebook rows by zip file name."""
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as handle:
        return {Path(row["file"]).name: row for row in csv.DictReader(handle)}


def scores_of(row: dict) -> dict[str, float]:
    return {q: float(row[f"hafez_{q}"]) for q in MAX}


def full(*questions) -> dict[str, float]:
    """Expected scores: full marks on `questions`, 0 elsewhere."""
    return {q: (MAX[q] if q in questions else 0.0) for q in MAX}


ZERO = full()
ALL = full(*MAX)


# ---------------------------------------------------------------- fast: a stand-in for the harness


def passing_report(questions: dict | None = None) -> dict:
    """A harness report in which every case passed (or `questions` as given)."""
    if questions is None:
        questions = {
            q: {
                "score": MAX[q],
                "max_score": MAX[q],
                "cases": [{"passed": True, "message": "", "student_text": ""} for _ in c.cases],
            }
            for q, c in AUTOGRADER.questions.items()
        }
    return {"status": "ok", "cells": [], "outputs": {}, "questions": questions, "tampered": []}


def fake_harness(calls: list, report: dict | None = None):
    """A `notebook.run_harness` stand-in: records what the job holds, returns `report` (default: all passed)."""

    def run_harness(job, limits, stop):
        calls.append([job.name])
        return notebook.HarnessRun(report or passing_report(), 0, 0.1, "")

    return run_harness


@pytest.fixture
def release(tmp_path):
    return fx.hafez_only_release(tmp_path / "release")


def run_grade(paths, out, release, *extra) -> int:
    return grade_main([*map(str, paths), "--out", str(out), "--release", str(release), *extra])


def stub_zip(folder: Path, name: str, tag: str = "") -> Path:
    return fx.write_zip(
        folder / name, fx.submission(fx.read("student"), pdf=one_page_pdf(f"answers {tag}"))
    )


def test_only_the_notebook_reaches_the_grader_and_never_the_otter_log(
    tmp_path, release, monkeypatch
):
    calls = []
    monkeypatch.setattr(notebook, "run_harness", fake_harness(calls))
    marker = tmp_path / "unpickled"
    subs = tmp_path / "subs"
    fx.write_zip(
        subs / "DL_HW3__4015210001__Log.zip",
        fx.submission(fx.read("student"), extra={".OTTER_LOG": fx.crafted_otter_log(marker)}),
    )
    assert run_grade([subs], tmp_path / "out", release, "--jobs", "1") == 0
    assert calls == [["hafez.ipynb"]]
    assert not marker.exists()
    row = read_gradebook(tmp_path / "out")["DL_HW3__4015210001__Log.zip"]
    assert row["status"] == "ok" and ".OTTER_LOG: remove it" in row["problems"]


def test_hidden_messages_never_reach_feedback_and_scores_are_clamped(
    tmp_path, release, monkeypatch
):
    questions = {
        q: {
            "score": 1000,
            "max_score": 1000,
            "cases": [
                {
                    "passed": False,
                    "message": f"SECRET hidden check of {q}"
                    if case.hidden
                    else f"public message of {q}",
                }
                for case in question.cases
            ],
        }
        for q, question in AUTOGRADER.questions.items()
    }
    questions["q_invented"] = {"score": 50, "cases": []}
    monkeypatch.setattr(notebook, "run_harness", fake_harness([], passing_report(questions)))
    stub_zip(tmp_path / "subs", "DL_HW3__4015210001__Forger.zip")
    assert run_grade([tmp_path / "subs"], tmp_path / "out", release) == 0
    row = read_gradebook(tmp_path / "out")["DL_HW3__4015210001__Forger.zip"]
    assert scores_of(row) == MAX and "q_invented" not in " ".join(row)
    text = (tmp_path / "out" / "feedback" / "DL_HW3__4015210001__Forger.md").read_text()
    assert "SECRET" not in text and "public message of q1_vocab" in text
    hidden = next(c for c in AUTOGRADER.questions["q1_vocab"].cases if c.hidden)
    assert f"hidden test `{hidden.name}`: failed" in text


def test_gradebook_columns_identity_and_unsandboxed_flag(tmp_path, release, monkeypatch, capsys):
    monkeypatch.setattr(notebook, "run_harness", fake_harness([]))
    stub_zip(tmp_path / "subs", "DL_HW3_401521234_Ali Momen.zip")
    assert run_grade([tmp_path / "subs"], tmp_path / "out", release, "--no-sandbox") == 0
    header = (tmp_path / "out" / "gradebook.csv").read_text().splitlines()[0].split(",")
    assert set(REQUIRED_COLUMNS) <= set(header)
    assert {f"hafez_{q}" for q in MAX} <= set(header)
    row = read_gradebook(tmp_path / "out")["DL_HW3_401521234_Ali Momen.zip"]
    assert (row["student_number"], row["full_name"]) == ("401521234", "AliMomen")
    assert row["flags"] == "unsandboxed" and "wrong file name" in row["problems"]
    assert row["apple_stock_status"] == "skipped" and row["max_total"] == f"{sum(MAX.values()):g}"
    err = capsys.readouterr().err
    assert err.count("not sandboxed") == 1 and "otter grade" in err
    assert "apple_stock-autograder.zip is missing" in err
    assert not list((tmp_path / "out").rglob("*.part"))


def test_rerun_skips_graded_zips_by_content_and_force_regrades(tmp_path, release, monkeypatch):
    calls = []
    monkeypatch.setattr(notebook, "run_harness", fake_harness(calls))
    subs = tmp_path / "subs"
    stub_zip(subs, "DL_HW3__4015210001__One.zip", "1")
    stub_zip(subs, "DL_HW3__4015210002__Two.zip", "2")
    (subs / "again").mkdir()
    (subs / "again" / "DL_HW3__4015210001__One.zip").write_bytes(
        (subs / "DL_HW3__4015210001__One.zip").read_bytes()
    )
    assert run_grade([subs], tmp_path / "out", release) == 0
    assert len(calls) == 2  # the copy is graded once
    rows = list(csv.DictReader((tmp_path / "out" / "gradebook.csv").open()))
    assert len(rows) == 3
    assert len(list((tmp_path / "out" / "feedback").glob("DL_HW3__4015210001__One-*.md"))) == 2
    assert run_grade([subs], tmp_path / "out", release) == 0
    assert len(calls) == 2
    assert run_grade([subs], tmp_path / "out", release, "--force") == 0
    assert len(calls) == 4


def test_zips_are_found_recursively_but_not_under_the_output_folder(tmp_path):
    stub_zip(tmp_path / "a" / "b", "x.ZIP")
    stub_zip(tmp_path / "a" / "out" / "old", "y.zip")
    (tmp_path / "a" / "notes.txt").write_text("not a zip")
    found = find_zips([tmp_path / "a"], tmp_path / "a" / "out")
    assert [p.name for p in found] == ["x.ZIP"]


@pytest.mark.parametrize(
    "members, why",
    [
        ({"hafez.ipynb": b"{}", "../escape.txt": b"x"}, "climbs out"),
        ({"hafez.ipynb": b"{}", "/tmp/hw3-absolute.txt": b"x"}, "absolute path"),
        ({"hafez.ipynb": b"{}", "padding.bin": b"\0" * (MAX_UNCOMPRESSED_BYTES + 1)}, "zip bomb"),
        ({f"f{i}.txt": b"x" for i in range(MAX_MEMBERS + 1)}, "entries"),
    ],
)
def test_unsafe_or_oversized_zips_are_refused_before_extraction(tmp_path, members, why):
    path = fx.write_zip(tmp_path / "s.zip", members)
    datas, missing, refused = read_notebooks(path, ["hafez.ipynb"])
    assert datas == {} and why in refused


@pytest.mark.parametrize(
    "content, why", [(b"", "empty"), (fx.PNG, "not a zip"), (b"PK\x05\x06" + b"\xff" * 18, "")]
)
def test_files_that_are_not_zips_are_refused(tmp_path, content, why):
    path = tmp_path / "s.zip"
    path.write_bytes(content)
    datas, _, refused = read_notebooks(path, ["hafez.ipynb"])
    assert datas == {} and refused and why in refused


def test_notebooks_are_found_in_one_nested_folder(tmp_path):
    path = fx.write_zip(
        tmp_path / "s.zip", fx.submission(fx.read("student"), folder="DL_HW3__1234567__A/")
    )
    datas, missing, refused = read_notebooks(path, ["hafez.ipynb", "apple_stock.ipynb"])
    assert not refused and set(datas) == {"hafez.ipynb"} and "apple_stock.ipynb" in missing


def test_a_long_or_encoded_public_message_is_cut_flagged_and_kept_for_the_ta(
    tmp_path, release, monkeypatch
):
    payload = (
        "QUJD" * 30
    )  # 120 characters of base64, as a value a test's message quoted from the kernel
    questions = {
        q: {
            "score": 0,
            "max_score": MAX[q],
            "cases": [
                {
                    "passed": False,
                    "message": "" if case.hidden else f"got {payload}\n" + "more\n" * 30,
                }
                for case in question.cases
            ],
        }
        for q, question in AUTOGRADER.questions.items()
    }
    monkeypatch.setattr(notebook, "run_harness", fake_harness([], passing_report(questions)))
    stub_zip(tmp_path / "subs", "DL_HW3__4015210001__Loud.zip")
    assert run_grade([tmp_path / "subs"], tmp_path / "out", release) == 0
    row = read_gradebook(tmp_path / "out")["DL_HW3__4015210001__Loud.zip"]
    assert "hafez:long-message" in row["flags"]
    text = (tmp_path / "out" / "feedback" / "DL_HW3__4015210001__Loud.md").read_text()
    assert payload not in text and "[encoded data removed]" in text and "more\nmore" in text
    kept = list((tmp_path / "out" / "logs").glob("*-hafez.messages.txt"))
    assert len(kept) == 1 and payload in kept[0].read_text() and kept[0].name in row["problems"]


def test_a_missing_path_is_one_line_naming_it(tmp_path, release, capsys):
    assert run_grade([tmp_path / "nowhere"], tmp_path / "out", release) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nowhere: no such file or folder" in err[0]


# ---------------------------------------------------------------- slow: real otter runs in the sandbox


def escape_cell(targets: list[Path]) -> str:
    return (
        "from pathlib import Path\n"
        f"for target in {[str(t) for t in targets]!r}:\n"
        "    try:\n"
        "        Path(target).write_text('escaped')\n"
        "    except OSError as err:\n"
        "        print(type(err).__name__, target)\n"
    )


CHEAT_CELL = (
    "bool = lambda *a, **k: True\n"
    "from otter.test_files.exception_test import ExceptionTestFile\n"
    "ExceptionTestFile.run = lambda self, env: None\n"
)
ALLOC_CODE = (
    "import numpy as _np\n"
    "try:\n"
    f"    _huge = _np.zeros({fx.HUGE_BYTES}, dtype=_np.uint8)\n"
    "except MemoryError:\n"
    "    pass\n"
    "else:\n"
    "    raise RuntimeError('the memory cap did not stop a 20 GiB allocation')\n"
)


def fixture_table(tmp_path: Path, token: str) -> tuple[list[tuple], list[Path]]:
    """([(zip name, members, status, scores or None, flags expected, problem expected)], paths the
    escaping notebook tries to write)."""
    stub = fx.marked(fx.read("student"), token)
    escape_targets = [
        REPO / f"hw3-escape-{token}",
        tmp_path / f"escape-{token}",
        Path.home() / f"hw3-escape-{token}",
        Path("/tmp") / f"hw3-escape-{token}",
        tmp_path / "subs" / f"escape-{token}",
        Path("/var/tmp") / f"hw3-escape-{token}",
    ]
    return [
        ("DL_HW3__4015210001__Good.zip", fx.good_members(token), "ok", ALL, [], None),
        ("DL_HW3_4015210002_Misnamed.zip", fx.submission(stub), "ok", ZERO, [], "wrong file name"),
        (
            "DL_HW3__4015210003__Nested.zip",
            fx.submission(stub, folder="DL_HW3__4015210003__Nested/"),
            "ok",
            ZERO,
            [],
            "inside a folder",
        ),
        (
            "DL_HW3__4015210004__NoPdf.zip",
            fx.submission(stub, pdf=None),
            "ok",
            ZERO,
            [],
            f"{PDF_NAME}: missing",
        ),
        (
            "DL_HW3__4015210005__FakePdf.zip",
            fx.submission(stub, pdf=fx.DOCX),
            "ok",
            ZERO,
            [],
            "is not a PDF",
        ),
        (
            "DL_HW3__4015210006__Missing.zip",
            {PDF_NAME: fx.PDF},
            "invalid",
            ZERO,
            [],
            "hafez.ipynb is not in the zip",
        ),
        (
            "DL_HW3__4015210007__BadJson.zip",
            {"hafez.ipynb": b'{"cells": [', PDF_NAME: fx.PDF},
            "invalid",
            ZERO,
            [],
            "not valid JSON",
        ),
        (
            "DL_HW3__4015210008__ZipSlip.zip",
            fx.submission(stub, extra={"../escape.txt": b"x"}),
            "invalid",
            ZERO,
            [],
            "climbs out",
        ),
        (
            "DL_HW3__4015210009__Absolute.zip",
            fx.submission(stub, extra={f"/tmp/hw3-abs-{token}": b"x"}),
            "invalid",
            ZERO,
            [],
            "absolute path",
        ),
        (
            "DL_HW3__4015210010__Bomb.zip",
            fx.submission(stub, extra={"data.bin": b"\0" * (2 * MAX_UNCOMPRESSED_BYTES)}),
            "invalid",
            ZERO,
            [],
            "zip bomb",
        ),
        ("DL_HW3__4015210011__NotZip.zip", fx.PNG, "invalid", ZERO, [], "not a zip file"),
        ("DL_HW3__4015210012__Empty.zip", b"", "invalid", ZERO, [], "is empty"),
        (
            "DL_HW3__4015210013__Exception.zip",
            fx.submission(
                fx.marked(
                    fx.answer_prepended(
                        fx.partial(["q1_vocab", "q2_batches"]),
                        "q2_batches",
                        "raise RuntimeError('a bug in my answer')",
                    ),
                    token,
                )
            ),
            "ok",
            full("q1_vocab"),
            [],
            # the answer cell, and the provided cells that call the unanswered questions
            "cell(s) raised an exception",
        ),
        (
            "DL_HW3__4015210014__Alloc.zip",
            fx.submission(
                fx.marked(
                    fx.answer_prepended(fx.partial(["q1_vocab"]), "q1_vocab", ALLOC_CODE), token
                )
            ),
            "ok",
            full("q1_vocab"),
            [],
            None,
        ),
        (
            "DL_HW3__4015210015__Exit.zip",
            fx.submission(fx.with_cell(stub, "import os\nos._exit(0)")),
            "error",
            ZERO,
            [],
            "the kernel died",
        ),
        (
            "DL_HW3__4015210016__Escape.zip",
            fx.submission(fx.with_cell(stub, escape_cell(escape_targets))),
            "ok",
            ZERO,
            ["hafez:reads-filesystem("],
            None,
        ),
        (
            "DL_HW3__4015210017__Cheat.zip",
            fx.submission(fx.with_cell(stub, CHEAT_CELL)),
            "ok",
            ZERO,
            ["hafez:otter-internals(", "hafez:shadows-builtin(bool)"],
            None,
        ),
        (
            "DL_HW3__4015210018__EditedCell.zip",
            fx.submission(
                fx.marked(
                    fx.answer_prepended(fx.read("student"), "q1_vocab", "import builtins"), token
                )
            ),
            "ok",
            ZERO,
            ["hafez:builtins("],
            None,
        ),
    ], escape_targets


def files_under(folder: Path, skip: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*") if not inside(p.resolve(), skip.resolve())}


def notebook_copies(token: str) -> list[Path]:
    """Copies of this run's notebooks left anywhere under the host's /tmp."""
    left = []
    for candidate in Path("/tmp").rglob("*.ipynb"):
        try:
            if token in candidate.read_text(errors="ignore"):
                left.append(candidate)
        except OSError:
            pass
    return left


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    """Grade every fixture zip once (two jobs, sandboxed); its gradebook, feedback and what leaked."""
    tmp = tmp_path_factory.mktemp("grade")
    token = uuid.uuid4().hex[:12]
    table, escape_targets = fixture_table(tmp, token)
    for name, members, *_ in table:
        if isinstance(members, bytes):
            (tmp / "subs").mkdir(exist_ok=True)
            (tmp / "subs" / name).write_bytes(members)
        else:
            fx.write_zip(tmp / "subs" / name, members)
    release = fx.hafez_only_release(tmp / "release")
    before = files_under(tmp, tmp / "out")
    start = time.monotonic()
    code = run_grade([tmp / "subs"], tmp / "out", release, "--jobs", "2", *GENEROUS)
    return {
        "code": code,
        "seconds": time.monotonic() - start,
        "table": table,
        "out": tmp / "out",
        "rows": read_gradebook(tmp / "out"),
        "new_files": files_under(tmp, tmp / "out") - before,
        "escaped": [t for t in escape_targets if t.exists()],
        "notebook_copies": notebook_copies(token),
    }


@pytest.mark.slow
@needs_sandbox
def test_every_fixture_zip_gets_one_row_with_its_status_scores_and_flags(fixture_run):
    assert fixture_run["code"] == 1  # graded, with invalid, error and timeout rows among them
    assert fixture_run["seconds"] < int(
        GENEROUS[1]
    )  # bounded: no fixture gets near a notebook's time limit
    rows = fixture_run["rows"]
    assert sorted(rows) == sorted(name for name, *_ in fixture_run["table"])
    for name, _, status, scores, flags, problem in fixture_run["table"]:
        row = rows[name]
        assert row["status"] == status, (name, row["problems"])
        if scores is not None:
            assert scores_of(row) == scores, name
            assert float(row["hafez_total"]) == sum(scores.values()) == float(row["total"]), name
        for flag in flags:
            assert flag in row["flags"], (name, row["flags"])
        if not flags:
            assert row["flags"] == "", (name, row["flags"])
        if problem:
            assert problem in row["problems"], (name, row["problems"])


@pytest.mark.slow
@needs_sandbox
def test_good_submission_has_no_problem_with_its_notebook(fixture_run):
    row = fixture_run["rows"]["DL_HW3__4015210001__Good.zip"]
    assert "hafez.ipynb" not in row["problems"] and row["flags"] == ""


@pytest.mark.slow
@needs_sandbox
def test_no_file_escapes_the_output_folder_or_the_sandbox(fixture_run):
    assert fixture_run["escaped"] == []
    assert fixture_run["new_files"] == set()
    assert fixture_run["notebook_copies"] == []
    assert not (fixture_run["out"] / SCRATCH_DIR).exists()


@pytest.mark.slow
@needs_sandbox
def test_what_a_cell_raised_is_quoted_in_the_feedback_as_the_students(fixture_run):
    text = (fixture_run["out"] / "feedback" / "DL_HW3__4015210013__Exception.md").read_text()
    assert "your answer, raised an exception" in text and "Its text, quoted from your code:" in text
    assert "```\nRuntimeError: a bug in my answer\n```" in text


@pytest.mark.slow
@needs_sandbox
def test_feedback_never_shows_hidden_test_source(fixture_run):
    with zipfile.ZipFile(REPO / "autograder" / "hafez" / "hafez-autograder.zip") as zf:
        sources = [zf.read(n).decode() for n in zf.namelist() if n.startswith("tests/")]
    hidden_lines = hidden_test_lines(sources)
    assert hidden_lines  # something to look for
    texts = {p.name: p.read_text() for p in (fixture_run["out"] / "feedback").glob("*.md")}
    assert len(texts) == len(fixture_run["rows"])
    for name, text in texts.items():
        leaked = [line for line in hidden_lines if line in text]
        assert not leaked, (name, leaked[:3])


def hidden_test_lines(sources: list[str]) -> list[str]:
    """Distinctive lines (over 25 characters) of the hidden test functions' bodies."""
    import ast

    lines = []
    for source in sources:
        tree = ast.parse(source)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and any(
                "hidden=True" in ast.unparse(d) for d in node.decorator_list
            ):
                body = ast.get_source_segment(source, node) or ""
                lines += [line.strip() for line in body.splitlines()[1:] if len(line.strip()) > 25]
    return lines


@pytest.mark.slow
@needs_sandbox
def test_a_hung_cell_is_interrupted_a_deaf_kernel_killed_and_a_slow_notebook_stopped(tmp_path):
    token = uuid.uuid4().hex[:12]
    loop = fx.with_cell(
        fx.marked(fx.partial(["q1_vocab", "q2_batches"]), token), "while True:\n    pass"
    )
    deaf = fx.with_cell(
        fx.marked(fx.partial(["q1_vocab"]), token),
        "import time\nwhile True:\n    try:\n        time.sleep(0.5)\n    except KeyboardInterrupt:\n        pass",
    )
    slow = fx.marked(fx.read("student"), token)
    for _ in range(2 * TIGHT_NOTEBOOK_S // TIGHT_CELL_S):
        slow = fx.with_cell(slow, f"import time\ntime.sleep({TIGHT_CELL_S - 2})")
    fx.write_zip(tmp_path / "subs" / "DL_HW3__4015210021__Loop.zip", fx.submission(loop))
    fx.write_zip(tmp_path / "subs" / "DL_HW3__4015210022__Deaf.zip", fx.submission(deaf))
    fx.write_zip(tmp_path / "subs" / "DL_HW3__4015210023__Slow.zip", fx.submission(slow))
    release = fx.hafez_only_release(tmp_path / "release")
    start = time.monotonic()
    limits = ["--cell-timeout", str(TIGHT_CELL_S), "--timeout", str(TIGHT_NOTEBOOK_S)]
    assert run_grade([tmp_path / "subs"], tmp_path / "out", release, "--jobs", "2", *limits) == 1
    assert time.monotonic() - start < TIGHT_NOTEBOOK_S * 3  # two at a time, each bounded
    rows = read_gradebook(tmp_path / "out")
    looped = rows["DL_HW3__4015210021__Loop.zip"]
    assert looped["status"] == "timeout" and "was interrupted" in looped["problems"]
    assert scores_of(looped) == full("q1_vocab", "q2_batches")
    deaf_row = rows["DL_HW3__4015210022__Deaf.zip"]
    assert deaf_row["status"] == "timeout" and "ignored the interrupt" in deaf_row["problems"]
    assert scores_of(deaf_row) == ZERO  # the kernel is gone: no later cell ran, no test reaches q1
    slow_row = rows["DL_HW3__4015210023__Slow.zip"]
    assert slow_row["status"] == "timeout" and "--timeout" in slow_row["problems"]
    assert scores_of(slow_row) == ZERO
    assert notebook_copies(token) == []


@pytest.mark.slow
def test_kill_9_mid_run_then_rerun_finishes_without_regrading(tmp_path):
    import psutil

    subs, out = tmp_path / "subs", tmp_path / "out"
    for i in range(3):
        stub_zip(subs, f"DL_HW3__401521003{i}__Resume.zip", str(i))
    release = fx.hafez_only_release(tmp_path / "release")
    cmd = [sys.executable, "-m", "hw3", "grade", str(subs), "--out", str(out), "--jobs", "1"]
    cmd += ["--release", str(release), *GENEROUS]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + KILL_WAIT_S
    while (
        not ((out / "gradebook.csv").exists() and read_gradebook(out))
        and time.monotonic() < deadline
    ):
        time.sleep(
            KILL_POLL_S
        )  # a zip is graded once its row is published (its record is saved just before)
    done = {p.name: p.stat().st_mtime_ns for p in (out / STATE_DIR).glob("*.json")}
    assert done, "the first zip was never graded"
    below = psutil.Process(proc.pid).children(recursive=True)  # the harness and its sandbox at work
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    _, alive = psutil.wait_procs(
        below, timeout=KILL_WAIT_S
    )  # they die with it; no fixed settle time
    assert [p.pid for p in alive] == []
    assert 1 <= len(read_gradebook(out)) <= len(done)  # whole rows only, never half-written
    rerun = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"{len(done)} already graded" in rerun.stderr
    assert {
        p.name: p.stat().st_mtime_ns for p in (out / STATE_DIR).glob("*.json") if p.name in done
    } == done
    rows = read_gradebook(out)
    assert len(rows) == 3 and all(r["status"] == "ok" for r in rows.values())
    assert not (out / SCRATCH_DIR).exists()


@pytest.mark.slow
@pytest.mark.skipif(
    not (REPO / "autograder" / "apple_stock" / "apple_stock-autograder.zip").exists(),
    reason="apple_stock is not released yet",
)
def test_both_notebooks_of_the_release_are_graded(tmp_path):
    apple = fx.read("student", "apple_stock")
    members = fx.submission(fx.read("student"))
    members["apple_stock.ipynb"] = fx.notebook_bytes(apple)
    fx.write_zip(tmp_path / "subs" / "DL_HW3__4015210041__Both.zip", members)
    assert (
        grade_main(
            [str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--jobs", "2", *GENEROUS]
        )
        == 0
    )
    row = read_gradebook(tmp_path / "out")["DL_HW3__4015210041__Both.zip"]
    assert row["hafez_status"] == "ok" and row["apple_stock_status"] == "ok", row["problems"]
    assert row["status"] == "ok" and row["apple_stock_total"] == "0"


def test_extract_only_writes_just_the_notebooks_for_otter_grade(tmp_path, release):
    subs = tmp_path / "subs"
    stub_zip(subs, "DL_HW3__4015210051__One.zip")
    fx.write_zip(
        subs / "DL_HW3__4015210052__Slip.zip",
        fx.submission(fx.read("student"), extra={"../x": b"x"}),
    )
    assert run_grade([subs], tmp_path / "out", release, "--extract-only") == 0
    written = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*.ipynb"))
    assert written == [Path("notebooks/hafez/DL_HW3__4015210051__One.ipynb")]


@pytest.mark.parametrize(
    "name", [n for n in ASSIGNMENTS if (REPO / "autograder" / n / f"{n}-autograder.zip").exists()]
)
def test_autograder_zips_have_what_otter_grade_and_gradescope_need(name):
    with zipfile.ZipFile(REPO / "autograder" / name / f"{name}-autograder.zip") as zf:
        members = set(zf.namelist())
        environment = zf.read("environment.yml").decode()
        config = json.loads(zf.read("otter_config.json"))
    assert {
        "run_autograder",
        "run_otter.py",
        "setup.sh",
        "environment.yml",
        "otter_config.json",
    } <= members
    assert any(m.startswith("tests/") and m.endswith(".py") for m in members)
    assert (
        "torch" in environment and "otter-grader" in environment
    )  # the Docker/Gradescope image needs both
    assert config.get("assignment_name") == name
    assert not any(".OTTER_LOG" in m or m.startswith("__MACOSX") for m in members)


def test_feedback_before_the_merge_says_the_automatic_part_is_a_part(
    tmp_path, release, monkeypatch
):
    monkeypatch.setattr(notebook, "run_harness", fake_harness([]))
    stub_zip(tmp_path / "subs", "DL_HW3__4015210071__Early.zip")
    run_grade([tmp_path / "subs"], tmp_path / "out", release)
    text = (tmp_path / "out" / "feedback" / "DL_HW3__4015210071__Early.md").read_text()
    total = sum(MAX.values())
    assert (
        f"**Automatic part: {total:g} of {total:g}.** Graded by hand: hafez q8_compare, 3 points, "
        in text
    )
    assert "not graded yet: this is not your final grade." in text and "**Total:" not in text
