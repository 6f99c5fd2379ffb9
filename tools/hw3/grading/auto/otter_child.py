"""Grade one notebook with otter inside the sandbox, with a per-cell timeout; write a summary JSON.

    python -m hw3.grading.auto.otter_child NOTEBOOK AUTOGRADER_ZIP SUMMARY_JSON --cell-timeout SEC [--font-cache DIR]
                                      [--figures CELLS_JSON]

Runs in the confined process that `hw3 grade` starts (hw3/grading/auto/sandbox.py): everything here, otter's
unpickling of the kernel's results included, is as untrusted as the student's code, so the summary
is only data for the parent to validate. Its format:

    {"error": null or one line,
     "interrupted": [source of each cell stopped by the per-cell timeout, as otter ran it],
     "raised": [{"source": cell source, "ename": exception name, "evalue": its message}, one per cell that raised],
     "figures": [[{"mime": "image/png", "data": base64 text}, ..., {"mime": "text/plain", "data": printed
                  text}] per source listed in CELLS_JSON],
     "questions": {name: {"score": float, "max_score": float, "passed": [bool per test case],
                          "messages": [str or null per test case; null for hidden cases]}}}

otter 7.0.0 has no timeout (upstream issue #469); it builds its nbconvert ExecutePreprocessor by
name at call time, so replacing that name with a subclass that has `timeout` and
`interrupt_on_timeout` interrupts a hung cell and lets the rest of the notebook grade. The
interrupted cells are recorded through nbclient's public `on_cell_executed` hook (the reply of an
interrupted cell carries `error_on_timeout`'s exception name), the cells that raised and their
figures through nbconvert's `preprocess_cell`, the documented place to look at each executed cell. otter's
results.json is not written: it holds the hidden tests' source.

CELLS_JSON lists the sources of the cells whose figures the TA's grading packet shows (a hand-graded
answer, the provided cell that draws it, and the cells a rubric names as evidence); the kernel then
draws figures inline (the sandbox sets Agg, which draws nothing) and the image outputs and printed
text of those cells are kept, capped in count and size.
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from hw3.common.atomic import write_atomic

MAX_MESSAGE_CHARS = 4000  # a public test's failure message; student output can make it huge
MAX_SOURCE_CHARS = 2000  # of an interrupted cell, for the parent to find it in the submission
MAX_RAISED_CELLS = 20
MAX_EVALUE_CHARS = 300
MAX_FIGURES_PER_CELL = 4
MAX_FIGURE_CHARS = 3 * 1024 * 1024  # of one image's base64 or SVG text
MAX_FIGURES_CHARS = 4 * 1024 * 1024  # of all of them: the parent reads at most 8 MB of summary
FIGURE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
TEXT_MIME = "text/plain"  # an entry of "figures" holding a kept cell's printed text
MAX_TEXT_CHARS = 4000  # of one kept cell's printed text: its head and its end, where results are
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
TIMEOUT_ENAME = "CellTimeoutError"


def figure_outputs(cell) -> list[dict]:
    """{"mime", "data"} of each image output of an executed cell (one per output, PNG preferred)."""
    found = []
    for output in cell.get("outputs", []):
        data = (
            output.get("data", {})
            if output.get("output_type") in ("display_data", "execute_result")
            else {}
        )
        mime = next((m for m in FIGURE_MIMES if m in data), None)
        if mime is not None:
            value = data[mime]
            found.append(
                {"mime": mime, "data": "".join(value) if isinstance(value, list) else str(value)}
            )
    return found


def text_output(cell) -> str:
    """The printed text of an executed cell (streams, and the text/plain of results that are not
    images), its head and end kept when it is longer than MAX_TEXT_CHARS."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(str(output.get("text", "")))
        elif output.get("output_type") in ("display_data", "execute_result"):
            data = output.get("data", {})
            if TEXT_MIME in data and not any(m in data for m in FIGURE_MIMES):
                parts.append(str(data[TEXT_MIME]) + "\n")
    text = "".join(parts)
    if len(text) <= MAX_TEXT_CHARS:
        return text
    head = MAX_TEXT_CHARS // 4
    return text[:head] + "\n[...]\n" + text[-(MAX_TEXT_CHARS - head) :]


def keep_figures(cell, wanted: list[str], figures: list[list]) -> None:
    """Add the figures of `cell`, then its printed text as a {"mime": "text/plain"} entry, to the entry
    of the first wanted source it ran (otter prepends a seed line)."""
    body = cell.source.strip()
    budget = MAX_FIGURES_CHARS - sum(len(f["data"]) for kept in figures for f in kept)
    for number, source in enumerate(wanted):
        if source and body.endswith(source) and not figures[number]:
            for figure in figure_outputs(cell)[:MAX_FIGURES_PER_CELL]:
                if len(figure["data"]) <= min(MAX_FIGURE_CHARS, budget):
                    figures[number].append(figure)
                    budget -= len(figure["data"])
            text = text_output(cell)
            if text and len(text) <= budget:
                figures[number].append({"mime": TEXT_MIME, "data": text})
            return


def install_cell_timeout(
    seconds: int, interrupted: list, raised: list, wanted: list[str], figures: list[list]
) -> None:
    """Make otter's notebook executor interrupt any cell that runs longer than `seconds`, record every
    cell whose execution raised (its source, exception name and message) in `raised`, and keep the
    figures of the `wanted` cells in `figures`."""
    import nbconvert.preprocessors
    from traitlets import Bool, Callable, Dict, Integer

    base = nbconvert.preprocessors.ExecutePreprocessor
    # Without error_on_timeout nbclient keeps waiting for the interrupted cell's reply and re-sends
    # SIGINT in a tight loop; with it, the cell counts as failed at once and the next one runs.
    reply = {
        "ename": TIMEOUT_ENAME,
        "traceback": [],
        "evalue": f"interrupted after {seconds} s (hw3 grade --cell-timeout)",
    }

    def record_timeout(cell, cell_index, execute_reply):
        if (execute_reply or {}).get("content", {}).get("ename") == TIMEOUT_ENAME:
            source = cell.source[:MAX_SOURCE_CHARS]
            if source not in interrupted:
                interrupted.append(source)

    class CellTimeoutPreprocessor(base):
        timeout = Integer(seconds, allow_none=True).tag(config=True)
        interrupt_on_timeout = Bool(True).tag(config=True)
        error_on_timeout = Dict(reply, allow_none=True).tag(config=True)
        on_cell_executed = Callable(record_timeout, allow_none=True).tag(config=True)

        def preprocess_cell(self, cell, resources, index):
            cell, resources = super().preprocess_cell(cell, resources, index)
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors and len(raised) < MAX_RAISED_CELLS:
                raised.append(
                    {
                        "source": cell.source[:MAX_SOURCE_CHARS],
                        "ename": str(errors[0].get("ename", ""))[:100],
                        "evalue": str(errors[0].get("evalue", ""))[:MAX_EVALUE_CHARS],
                    }
                )
            if wanted:
                keep_figures(cell, wanted, figures)
            return cell, resources

    nbconvert.preprocessors.ExecutePreprocessor = CellTimeoutPreprocessor


def copy_font_cache(source: Path | None) -> None:
    """Seed matplotlib's fresh config folder with the TA's font list (saves rebuilding it, ~2 s)."""
    target = os.environ.get("MPLCONFIGDIR")
    if not source or not target or not source.is_dir():
        return
    Path(target).mkdir(parents=True, exist_ok=True)
    for font_list in source.glob("fontlist-*.json"):
        shutil.copy(font_list, target)


def wanted_sources(path: Path | None) -> list[str]:
    """The stripped cell sources listed in the --figures file (none when it is absent or unreadable)."""
    if path is None:
        return []
    try:
        listed = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [s.strip() for s in listed if isinstance(s, str)] if isinstance(listed, list) else []


def summarise(results) -> dict:
    """The per-question part of the summary from otter's GradingResults; hidden messages left out."""
    questions = {}
    for name, test_file in results.results.items():
        outcome = {tcr.test_case.name: tcr for tcr in test_file.test_case_results}
        passed, messages = [], []
        for case in test_file.test_cases:
            tcr = outcome.get(case.name)
            passed.append(bool(tcr and tcr.passed))
            text = None if case.hidden or tcr is None else (tcr.message or "")[:MAX_MESSAGE_CHARS]
            messages.append(text)
        questions[str(name)] = {
            "score": float(test_file.score),
            "max_score": float(test_file.possible),
            "passed": passed,
            "messages": messages,
        }
    return questions


def one_line(err: BaseException) -> str:
    """`Type: first line of message` of an exception."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0][:200]}" if text else type(err).__name__


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hw3.grading.auto.otter_child", description=__doc__.splitlines()[0]
    )
    parser.add_argument("notebook", type=Path)
    parser.add_argument("autograder", type=Path)
    parser.add_argument("summary", type=Path)
    parser.add_argument("--cell-timeout", type=int, required=True)
    parser.add_argument("--font-cache", type=Path)
    parser.add_argument(
        "--figures", type=Path, help="JSON list of the cell sources whose figures to keep"
    )
    args = parser.parse_args(argv)
    for var in ("HOME", "TMPDIR", "JUPYTER_RUNTIME_DIR"):
        if os.environ.get(var):
            Path(os.environ[var]).mkdir(parents=True, exist_ok=True)
    copy_font_cache(args.font_cache)

    interrupted: list[str] = []
    raised: list[dict] = []
    wanted = wanted_sources(args.figures)
    figures: list[list] = [[] for _ in wanted]
    if wanted:
        os.environ["MPLBACKEND"] = INLINE_BACKEND
    summary = {
        "error": None,
        "interrupted": interrupted,
        "raised": raised,
        "figures": figures,
        "questions": {},
    }
    try:
        install_cell_timeout(args.cell_timeout, interrupted, raised, wanted, figures)
        from otter.run import main as otter_run

        results = otter_run(
            str(args.notebook), autograder=str(args.autograder), output_dir=None, no_logo=True
        )
        if results.catastrophic_error is not None:
            summary["error"] = f"otter found no results ({one_line(results.catastrophic_error)})"
        else:
            summary["questions"] = summarise(results)
    except BaseException as err:  # noqa: BLE001 - any failure becomes the notebook's error line
        summary["error"] = one_line(err)
    write_atomic(args.summary, json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
