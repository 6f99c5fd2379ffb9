"""`hw3 demo`'s example scores: every rubric item to the reference, nothing to the others, each comment
saying it is an example, and a file `hw3 grade --manual` accepts."""

from packet_fixtures import COURSE, grade_class
from support import ASSIGNMENTS

from hw3.common.pdfwrite import one_page_pdf
from hw3.demo import EXAMPLE_COMMENT, FULL_MARKS, example_scores
from hw3.grading.hand.course import load_course
from hw3.grading.hand.rubric import load_rubrics
from hw3.grading.hand.sheet import make_sheet, read_scores
from hw3.grading.hand.workflow import sheet_rows


def test_the_demos_example_scores_are_marked_as_example_and_merge_to_full_and_zero(tmp_path):
    zips, out, _ = grade_class(tmp_path, one_page_pdf("x"))
    course = load_course(COURSE)
    # the class's reference zip is named "Reference" as the demo's is
    path = example_scores(out / "manual_scores.csv", course, list(ASSIGNMENTS), tmp_path / "ex.csv")
    paths = sorted(zips.values())
    stems = {p: p.stem for p in paths}
    sheet = make_sheet(
        course, list(ASSIGNMENTS), sheet_rows(paths, stems), load_rubrics(course, list(ASSIGNMENTS))
    )
    scores = read_scores(path, sheet)
    for row in sheet.rows:
        marks = scores.marks[row.submission]
        assert {m.comment for m in marks.values()} == {EXAMPLE_COMMENT}
        total = sum(marks[c.name].score(c.rubric) for c in sheet.columns)
        full = sum(c.points for c in sheet.columns)
        assert total == (full if row.full_name == FULL_MARKS else 0), row.full_name
    q8 = scores.marks[zips["reference"].stem]["hafez_q8_compare"]
    assert q8.applied == ("perplexities", "parameters", "winner", "gradient_paths")
