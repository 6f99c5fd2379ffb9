"""`hw3 grade --manual`: the hand-graded scores merged into final grades of the handout's points, the Quera
export, the feedback and the class report; a bad scores file stops everything with one line per problem."""

import csv
import io
import re
from pathlib import Path

import packet_fixtures as pf
import pytest
from packet_fixtures import grade_class

from hw3.common.pdfwrite import one_page_pdf

FULL = {
    "hafez_q8_compare": 3,
    "apple_stock_q7_plot": 2,
    "apple_stock_q8_textbook": 2,
    "apple_stock_q9_persistence": 2,
}
PARTIAL_MANUAL = {
    "hafez_q8_compare": 1.5,
    "apple_stock_q7_plot": 0,
    "apple_stock_q8_textbook": 1,
    "apple_stock_q9_persistence": 0,
}
PARTIAL_AUTO = {
    "hafez": 2 + 3 + 4,
    "apple_stock": 3,
}  # q1-q3 of hafez, q1 of apple_stock spliced in
PARTIAL_THEORY = 12.5
COMMENT = "Quote your own perplexities, then explain with the gradient paths."


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def fill(
    out: Path,
    scores: dict[str, dict[str, str]],
    comments: dict[str, dict[str, str]] | None = None,
    name: str = "filled.csv",
) -> Path:
    """DIR/manual_scores.csv with `scores` {student number: {column: value}} written in (any column: a
    score, `_rubric` ids, `_adjust`); a copy named `name` beside DIR is returned."""
    records = list(csv.reader(io.StringIO((out / "manual_scores.csv").read_text(encoding="utf-8"))))
    header = records[0]
    for record in records[1:]:
        for column, value in scores.get(record[1], {}).items():
            record[header.index(column)] = str(value)
        for column, text in (comments or {}).get(record[1], {}).items():
            record[header.index(column + "_comment")] = text
    path = out.parent / name
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(records)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def theory_columns(out: Path) -> list[str]:
    return [
        c
        for c in (out / "manual_scores.csv").read_text().splitlines()[0].split(",")
        if c.startswith("theory_") and not c.endswith(("_comment", "_rubric", "_adjust", "_answer"))
    ]


def everyone(out: Path) -> dict[str, dict[str, float]]:
    """Reference full marks, partial some, everyone else 0: every cell filled."""
    theory = theory_columns(out)
    zero = {c: 0 for c in [*FULL, *theory]}
    partial_theory = {
        c: (1 if n < 12 else 0.5 if n == 12 else 0) for n, c in enumerate(theory)
    }  # 12 and 1.2.1 (3) half
    return {
        "4015210001": {**FULL, **{c: 1 for c in theory}},
        "4015210003": {**PARTIAL_MANUAL, **partial_theory},
        "4015210002": zero,
        "4015210004": zero,
        "4015210009": zero,
    }


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    """The class graded, filled completely and merged: (zips, out, exit code, stderr of the merge)."""
    folder = tmp_path_factory.mktemp("merge")
    zips, out, _ = grade_class(folder, one_page_pdf("reference"))
    scores = fill(out, everyone(out), {"4015210003": {"hafez_q8_compare": COMMENT}})
    _, _, code = grade_class(folder, one_page_pdf("reference"), "--manual", str(scores))
    return zips, out, code


def test_final_grades_add_hand_graded_points_to_automatic_ones_out_of_the_handouts(merged):
    _, out, code = merged
    rows = {row["student_number"]: row for row in read_csv(out / "final_grades.csv")}
    assert code == 1  # the zip without hafez.ipynb is still invalid
    reference, partial = rows["4015210001"], rows["4015210003"]
    assert (
        reference["hafez_auto"],
        reference["hafez_manual"],
        reference["hafez_total"],
        reference["hafez_max"],
    ) == ("27", "3", "30", "30")
    assert (reference["apple_stock_total"], reference["apple_stock_max"]) == ("30", "30")
    assert (
        reference["theory_total"],
        reference["theory_max"],
        reference["total"],
        reference["max_total"],
    ) == ("20", "20", "80", "80")
    hafez = PARTIAL_AUTO["hafez"] + PARTIAL_MANUAL["hafez_q8_compare"]
    apple = PARTIAL_AUTO["apple_stock"] + sum(
        v for k, v in PARTIAL_MANUAL.items() if k.startswith("apple")
    )
    assert float(partial["hafez_total"]) == hafez and float(partial["apple_stock_total"]) == apple
    assert float(partial["theory_total"]) == PARTIAL_THEORY
    assert float(partial["total"]) == hafez + apple + PARTIAL_THEORY and partial["missing"] == ""
    assert partial["hafez_q8_compare"] == "1.5"
    quera = read_csv(out / "quera_totals.csv")
    assert list(quera[0]) == ["student_number", "total"]
    assert {row["student_number"]: row["total"] for row in quera}["4015210001"] == "80"


def test_feedback_gains_the_hand_graded_scores_comments_and_final_grade(merged):
    zips, out, _ = merged
    text = (out / "feedback" / f"{zips['partial'].stem}.md").read_text(encoding="utf-8")
    assert "### hafez.ipynb q8_compare: 1.5 / 3" in text and f"> {COMMENT}" in text
    assert (
        "- 1.2.1 (3): 0.5 / 1" in text
        and f"### Theory (HW3__Solution.pdf): {PARTIAL_THEORY:g} / 20" in text
    )
    assert (
        "| **total** | **"
        + f"{PARTIAL_AUTO['hafez'] + 1.5 + PARTIAL_AUTO['apple_stock'] + 1 + PARTIAL_THEORY:g}"
        + " / 80** |"
        in text
    )
    assert "hidden test" in text  # the automatic part is still there


def test_feedback_shows_one_total_the_final_one_after_the_merge(merged):
    zips, out, _ = merged
    text = (out / "feedback" / f"{zips['reference'].stem}.md").read_text(encoding="utf-8")
    assert "**Total:" not in text and text.count("/ 80**") == 1
    assert (
        "**Automatic part: 51 / 51** (the final grade, with the parts graded by hand, is at the end)"
        in text
    )


def test_class_report_shows_each_distribution_with_its_numbers(merged):
    _, out, _ = merged
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') >= 8
    for title in (
        "hafez (out of 30)",
        "apple_stock (out of 30)",
        "Theory (out of 20)",
        "Total (out of 80)",
        "Share of full marks per question",
        "Hidden tests failed most",
        "Statuses",
        "Flags (a flag",
        "Grading seconds per submission",
    ):
        assert title in html, title
    total_table = html.split("Total (out of 80): the numbers")[1].split("</table>")[0]
    counts = total_table.split("<th>submissions</th>")[1]
    assert sum(int(n) for n in re.findall(r'<td class="num">(\d+)</td>', counts)) == 5
    assert '<td>apple_stock_q7_plot</td><td class="num">by hand</td>' in html
    assert "unsandboxed" in html and "Content-Security-Policy" in html


def test_missing_scores_leave_totals_blank_are_reported_and_never_count_as_zero(tmp_path, capsys):
    zips, out, _ = grade_class(tmp_path, one_page_pdf("r"))
    scores = everyone(out)
    del scores["4015210001"]["apple_stock_q9_persistence"]
    del scores["4015210002"]["theory_1.1.1_1"]
    path = fill(out, scores)
    capsys.readouterr()
    _, _, code = grade_class(tmp_path, one_page_pdf("r"), "--manual", str(path))
    err = capsys.readouterr().err
    rows = {row["student_number"]: row for row in read_csv(out / "final_grades.csv")}
    assert (
        code == 1
        and "missing 1 score(s) (apple_stock_q9_persistence): its totals are left blank" in err
    )
    assert (rows["4015210001"]["apple_stock_total"], rows["4015210001"]["total"]) == ("", "")
    assert (
        rows["4015210001"]["hafez_total"] == "30"
        and rows["4015210001"]["missing"] == "apple_stock_q9_persistence"
    )
    assert (rows["4015210002"]["theory_total"], rows["4015210002"]["missing"]) == (
        "",
        "theory_1.1.1_1",
    )
    assert {r["student_number"]: r["total"] for r in read_csv(out / "quera_totals.csv")}[
        "4015210001"
    ] == ""
    feedback = (out / "feedback" / f"{zips['reference'].stem}.md").read_text()
    assert "q9_persistence: not graded yet" in feedback and "**not complete yet**" in feedback


@pytest.mark.parametrize(
    "column, value, says",
    [
        ("hafez_q8_compare", "3.5", "column hafez_q8_compare: 3.5 is out of range"),
        (
            "submission",
            "DL_HW3__4010000000__Ghost",
            "column submission: 'DL_HW3__4010000000__Ghost' is not a submission",
        ),
    ],
)
def test_a_bad_scores_file_is_one_line_per_problem_and_nothing_is_written(
    tmp_path, capsys, column, value, says
):
    _, out, _ = grade_class(tmp_path, one_page_pdf("r"))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".state" not in p.parts}
    scores = everyone(out)
    scores["4015210003"][column] = value
    path = fill(out, scores)
    capsys.readouterr()
    _, _, code = grade_class(tmp_path, one_page_pdf("r"), "--manual", str(path))
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        code == 2 and len(err) == 1 and says in err[0] and "row 4" in err[0] and str(path) in err[0]
    )
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".state" not in p.parts}
    assert (
        after == before
        and not (out / "final_grades.csv").exists()
        and not (out / "report.html").exists()
    )


def test_two_tas_files_merge_into_one_and_a_conflict_writes_nothing(tmp_path, capsys):
    zips, out, _ = grade_class(tmp_path, one_page_pdf("r"))
    scores = everyone(out)
    notebook_ta = {
        n: {c: v for c, v in row.items() if not c.startswith("theory")} for n, row in scores.items()
    }
    theory_ta = {
        n: {c: v for c, v in row.items() if c.startswith("theory")} for n, row in scores.items()
    }
    one, two = fill(out, notebook_ta, name="notebooks.csv"), fill(out, theory_ta, name="theory.csv")
    _, _, code = grade_class(
        tmp_path, one_page_pdf("r"), "--manual", str(one), "--manual", str(two)
    )
    rows = {row["student_number"]: row for row in read_csv(out / "final_grades.csv")}
    assert code == 1 and rows["4015210001"]["total"] == "80" and rows["4015210003"]["missing"] == ""
    before = (out / "final_grades.csv").read_bytes()
    theory_ta["4015210003"]["hafez_q8_compare"] = 2  # the theory TA also scored q8, differently
    clash = fill(out, theory_ta, name="clash.csv")
    capsys.readouterr()
    _, _, code = grade_class(
        tmp_path, one_page_pdf("r"), "--manual", str(one), "--manual", str(clash)
    )
    err = capsys.readouterr().err
    assert code == 2 and "conflicting scores, nothing was written" in err
    assert (
        f"{clash}: row 4 and {one}: row 4: '{zips['partial'].stem}', column hafez_q8_compare" in err
    )
    assert (out / "final_grades.csv").read_bytes() == before


def test_a_rerun_without_manual_remerges_the_last_scores_and_says_so_else_removes_them(
    tmp_path, capsys
):
    zips, out, _ = grade_class(tmp_path, one_page_pdf("r"))
    path = fill(out, everyone(out), {"4015210003": {"hafez_q8_compare": COMMENT}})
    grade_class(tmp_path, one_page_pdf("r"), "--manual", str(path))
    capsys.readouterr()
    _, _, code = grade_class(tmp_path, one_page_pdf("r"))  # no --manual
    err = capsys.readouterr().err
    assert f"no --manual: re-merged the scores of the last merge ({path}, merged " in err
    feedback = (out / "feedback" / f"{zips['partial'].stem}.md").read_text(encoding="utf-8")
    assert (
        "## Graded by hand" in feedback and f"> {COMMENT}" in feedback
    )  # in step with final_grades.csv
    assert {r["student_number"]: r["total"] for r in read_csv(out / "final_grades.csv")}[
        "4015210001"
    ] == "80"
    (out / ".state" / "merged_scores.csv").unlink()
    _, _, code = grade_class(tmp_path, one_page_pdf("r"))
    err = capsys.readouterr().err
    assert "removed final_grades.csv, quera_totals.csv, report.html (from an earlier merge)" in err
    assert not (out / "final_grades.csv").exists() and not (out / "report.html").exists()
    feedback = (out / "feedback" / f"{zips['partial'].stem}.md").read_text(encoding="utf-8")
    # the merged section is gone; the header still names the hand-graded part as still to come
    assert "## Graded by hand" not in feedback and "this is not your final grade" in feedback


def test_a_resubmitted_answer_is_not_scored_with_the_old_marks(tmp_path, capsys):
    zips, out, _ = grade_class(tmp_path, one_page_pdf("r"))
    path = fill(out, everyone(out), {"4015210003": {"hafez_q8_compare": COMMENT}})
    grade_class(tmp_path, one_page_pdf("r"), "--manual", str(path))
    # the student resubmits: same zip name, another hafez q8 answer, apple q8 back to the released text
    nbs = {
        "hafez": pf.with_answers(
            pf.read("autograder", "hafez"), "hafez", texts={0: "A new answer."}
        ),
        "apple_stock": pf.read("student", "apple_stock"),
    }
    pf.fx.write_zip(zips["partial"], pf.members(nbs, one_page_pdf("Partial answers")))
    capsys.readouterr()
    _, _, code = grade_class(tmp_path, one_page_pdf("r"), "--manual", str(path), keep=True)
    err = capsys.readouterr().err
    stem = zips["partial"].stem
    assert code == 1 and f"{stem}: hafez_q8_compare: the answer changed since it was scored" in err
    row = {r["submission"]: r for r in read_csv(out / "final_grades.csv")}[stem]
    assert (row["hafez_q8_compare"], row["hafez_total"], row["missing"]) == (
        "",
        "",
        "hafez_q8_compare apple_stock_q8_textbook",
    )
    feedback = (out / "feedback" / f"{stem}.md").read_text(encoding="utf-8")
    assert "### hafez.ipynb q8_compare: not graded yet" in feedback


def test_an_items_new_points_reach_every_student_who_has_it_on_the_next_merge(tmp_path, capsys):
    course = pf.course_with_theory_rubric(tmp_path / "course")
    zips, out, _ = grade_class(tmp_path, one_page_pdf("r"), "--course", str(course))
    scores = everyone(out)
    items = {
        "4015210001": "perplexities parameters winner gradient_paths",
        "4015210003": "perplexities winner",
    }
    for number, row in scores.items():
        row["hafez_q8_compare"] = {"4015210001": 3, "4015210003": 1}.get(number, 0)  # as downloaded
        row["hafez_q8_compare_rubric"] = items.get(number, "")
        row["hafez_q8_compare_adjust"] = "" if number in items else "0"
    path = fill(out, scores)
    grade_class(tmp_path, one_page_pdf("r"), "--course", str(course), "--manual", str(path))
    before = {r["student_number"]: r for r in read_csv(out / "final_grades.csv")}
    assert before["4015210003"]["hafez_q8_compare"] == "1"
    rubric = course.parent / "hafez" / "rubric.toml"  # 0.5 moves from `winner` to `gradient_paths`
    text = rubric.read_text(encoding="utf-8")
    text = text.replace('id = "winner", points = 0.5', 'id = "winner", points = 0.25')
    text = text.replace(
        'id = "gradient_paths", points = 1.5', 'id = "gradient_paths", points = 1.75'
    )
    rubric.write_text(text, encoding="utf-8")
    capsys.readouterr()
    grade_class(tmp_path, one_page_pdf("r"), "--course", str(course), "--manual", str(path))
    err = capsys.readouterr().err
    after = {r["student_number"]: r for r in read_csv(out / "final_grades.csv")}
    changed = [n for n in after if after[n]["total"] != before[n]["total"]]
    assert changed == ["4015210003"] and after["4015210003"]["hafez_q8_compare"] == "0.75"
    assert after["4015210001"]["hafez_q8_compare"] == "3"  # every item: the same 3 points
    assert "1 score(s) follow the rubric's current points" in err
    feedback = (out / "feedback" / f"{zips['partial'].stem}.md").read_text(encoding="utf-8")
    assert "- Names the cell that wins at this budget" in feedback and "(+0.25)" in feedback


def test_the_reports_90th_percentile_never_passes_the_slowest_submission():
    from types import SimpleNamespace

    from hw3.grading.hand.report import seconds_picture

    seconds = [12.0, 30.5, 41.0, 108.2]  # the default quantile method gave 116.64 here
    graded = [
        SimpleNamespace(gradebook=SimpleNamespace(values={"seconds": str(s)})) for s in seconds
    ]
    note = seconds_picture(graded).notes[0]
    p90 = float(re.search(r"90th percentile ([\d.]+) s", note).group(1))
    assert p90 <= max(seconds) and "max 108.2 s" in note
