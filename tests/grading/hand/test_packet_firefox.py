"""The packet in Firefox too: marks given on one page, opened from file://, are seen on the others.

Playwright's Python client can drive only its own Firefox build, which is downloaded (never here), and
geckodriver is neither a Debian package nor on PyPI or npm in a form that installs offline. Debian's
firefox-esr speaks WebDriver BiDi itself, so puppeteer-core (npm, it downloads no browser; pinned in
firefox/package.json, installed by `npm ci --prefix tests/grading/hand/firefox`) drives it from a
small script, `firefox/scores_across_pages.mjs`, whose JSON report this test checks.
"""

import json
import shutil
import subprocess
from pathlib import Path

import packet_fixtures as pf
from support import needs_tool

from hw3.common.pdfwrite import one_page_pdf

FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")
NODE = shutil.which("node")
DRIVER = Path(__file__).parent / "firefox"
QUESTION = "hafez_q8_compare"
TIMEOUT_S = 180


def test_marks_given_on_one_page_show_on_the_others_in_firefox_from_file_urls(tmp_path):
    needs_tool(FIREFOX is not None, "no firefox-esr here (apt-get install firefox-esr)")
    needs_tool(NODE is not None, "no node here (apt-get install nodejs npm)")
    needs_tool(
        (DRIVER / "node_modules" / "puppeteer-core").is_dir(),
        f"puppeteer-core not installed: PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix {DRIVER}",
    )
    course = pf.course_with_theory_rubric(tmp_path / "course")
    _, out, _ = pf.grade_class(tmp_path, one_page_pdf("Theory"), "--course", str(course))
    done = subprocess.run(
        [NODE, str(DRIVER / "scores_across_pages.mjs"), FIREFOX, str(out / "packet"), QUESTION],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        cwd=DRIVER,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "firefox" in seen["userAgent"].lower()
    assert seen["total"] == "1 / 3"  # items 1 and 3 of hafez q8: 0.5 + 0.5
    assert seen["progress"] == "1 / 5" and seen["theory"] == "1 / 20"
    assert seen["pressed"] == ["perplexities", "winner"]
    assert seen["mathml"] is True  # the reference answer's formula is laid out, with no script
