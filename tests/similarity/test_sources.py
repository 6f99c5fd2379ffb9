"""Known sources and clusters on real notebooks (hw3.similarity: sources, compare, clusters, report).

The issue's class: 15 of 17 students submit the reference solution, each with one small change
and a disguise of their own; two wrote their own answers. Its fingerprints are held by far more
than max_common, so the pairs cannot see the copies: the reference must flag each of them, and
without the reference they must still show as one cluster. Then sources given with --against:
an earlier term's zip, solution notebooks without otter's tags, and files that cannot be read.
"""

import csv
import io
import random
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from support import REPO, REPOSITORY

from hw3.common.answers import answer_cells
from hw3.similarity import fingerprints, pool, sources, stubs, synth
from hw3.similarity.cli import similarity_main
from hw3.similarity.run import (
    CLUSTERS_CSV_NAME,
    CSV_NAME,
    HTML_NAME,
    SOURCES_CSV_NAME,
    similarity,
    zip_paths,
)

RELEASE_DIR, AUTOGRADER_DIR = REPO / "student", REPO / "autograder"
POOLS = pool.load_pools(REPOSITORY.registry())
COPIERS, INDEPENDENT = 15, 2
# similarity.csv's columns before the known sources existed: TAs' scripts read them
PAIR_COLUMNS = [
    "rank",
    "student_a",
    "student_b",
    "file_a",
    "file_b",
    "flagged",
    "score",
    "shared_fingerprints",
    "outputs_shared",
    "outputs_run_specific",
    "outputs_score",
]
# the columns added after `evidence` by the calibrated screen (#28): the ones before stay as they were
EVIDENCE_COLUMNS = [
    "evidence_bits",
    "unusual_from_bits",
    "flagged_from_bits",
    "verdict",
    "honest_share",
    "rare_lines",
]
SOURCE_COLUMNS = ["rank", "student", "file", "source", "flagged", "score", "shared_fingerprints"]
HOSTILE_NAME = "online <script>alert(1) solution"  # a file name cannot hold "/"


def released(name: str):
    """(released notebook, names kept when normalising, its answer cells per question) of assignment `name`."""
    nb = nbformat.read(RELEASE_DIR / name / f"{name}.ipynb", as_version=4)
    keep = fingerprints.BUILTIN_NAMES | stubs.defined_names(
        c.source for c in nb.cells if c.cell_type == "code"
    )
    return (
        nb,
        keep,
        {q: [nb.cells[i].source for i in indices] for q, indices in answer_cells(nb).items()},
    )


def write_zip(folder: Path, number: int, answers: dict[str, dict[str, list[str]]]) -> Path:
    """A student's Quera zip holding both notebooks answered with `answers` ({assignment: {question: cells}})."""
    notebooks = {
        name: synth.submitted_notebook(released(name)[0], answers[name]) for name in answers
    }
    return synth.submission_zip(
        folder, f"4010{number:05d}", f"Student{chr(65 + number % 26)}", notebooks
    )


def independent(seed: int) -> dict[str, dict[str, list[str]]]:
    rng = random.Random(seed)
    return {
        name: synth.own_answers(
            released(name)[2], POOLS[name], released(name)[1], [], rng, f"own{seed}"
        )
        for name in POOLS
    }


VARIANTS = synth.variant_answers(REPO, list(POOLS))


def variant(index: int) -> dict[str, dict[str, list[str]]]:
    """An honest student who wrote variant `index` of each notebook (a real independent solution).

    The honest students beside a known source that is a pool student: in a class under
    evidence.CLASS_ESTIMATE_MIN the levels rest on the independent solutions alone, and two pool
    students share a third to a half of each answer (the pool's few ways per step), more than any
    two variants do.
    """
    return {name: found[index] for name, found in VARIANTS.items()}


def copied(answers: dict[str, dict[str, list[str]]], seed: int) -> dict[str, dict[str, list[str]]]:
    rng = random.Random(seed)
    return {
        name: synth.light_copy(by_question, released(name)[1], rng)
        for name, by_question in answers.items()
    }


def reference() -> dict[str, dict[str, list[str]]]:
    return {name: sources.reference_answers(name, AUTOGRADER_DIR) for name in POOLS}


@pytest.fixture(scope="module")
def leaked_class(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("leaked")
    for number in range(COPIERS):
        write_zip(folder, number, copied(reference(), number))
    for number in range(COPIERS, COPIERS + INDEPENDENT):
        write_zip(folder, number, independent(number))
    return folder


@pytest.fixture(scope="module")
def leaked(leaked_class, tmp_path_factory):
    """(Comparison, output folder) of the leaked class compared with the reference, defaults otherwise."""
    out = tmp_path_factory.mktemp("leaked-report")
    return similarity(
        paths=zip_paths([leaked_class]),
        out=out,
        release_root=REPO,
        jobs=1,
    ), out


def is_copier(submission) -> bool:
    return int(submission.student_number[4:]) < COPIERS


def test_every_reference_copy_is_flagged_against_the_reference_however_many_share_it(leaked):
    result, _ = leaked
    assert result.max_common < COPIERS, "the copies' fingerprints are common: the pairs drop them"
    flagged = {
        result.submissions[m.submission].path.name
        for m in result.matches
        if m.flag == "source:reference"
    }
    assert flagged == {s.path.name for s in result.submissions if is_copier(s)}
    for match in result.matches:
        if match.flag:
            assert match.score > 0.9 and "of the smaller answer" in match.evidence


def test_independent_answers_are_not_flagged_against_the_reference(leaked):
    result, _ = leaked
    for match in result.matches:
        if not is_copier(result.submissions[match.submission]):
            assert not match.flag, match.evidence
            assert match.score < 0.5


def test_reference_copies_are_one_cluster_named_after_the_reference(leaked):
    result, _ = leaked
    (cluster,) = result.clusters
    assert {result.submissions[i].path.name for i in cluster.members} == {
        s.path.name for s in result.submissions if is_copier(s)
    }
    assert cluster.source[0] == sources.REFERENCE and cluster.source[1] > 0.5
    assert len(cluster.questions) == sum(len(questions) for questions in POOLS.values())


def test_without_the_reference_the_copies_still_show_as_one_cluster(leaked_class, tmp_path):
    result = similarity(
        paths=zip_paths([leaked_class]), out=tmp_path, release_root=REPO, reference=False, jobs=1
    )
    assert result.sources == [] and result.matches == []
    (cluster,) = result.clusters
    assert len(cluster.members) == COPIERS and cluster.source is None


def test_similarity_csv_keeps_its_columns_and_the_new_csvs_list_matches_and_cluster_members(leaked):
    result, out = leaked
    with (out / CSV_NAME).open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == [
            *PAIR_COLUMNS,
            *result.keys,
            "evidence",
            *EVIDENCE_COLUMNS,
        ]
    with (out / SOURCES_CSV_NAME).open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == [
            *SOURCE_COLUMNS,
            *result.keys,
            "evidence",
            *EVIDENCE_COLUMNS,
        ]
    with (out / SOURCES_CSV_NAME).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    flagged = [row for row in rows if row["flagged"]]
    assert len(flagged) == COPIERS and all(row["source"] == sources.REFERENCE for row in flagged)
    assert all(float(row["hafez:q7_sample"]) > 0.8 for row in flagged)
    with (out / CLUSTERS_CSV_NAME).open(encoding="utf-8") as handle:
        members = list(csv.DictReader(handle))
    assert len(members) == COPIERS and {row["cluster"] for row in members} == {"1"}
    assert {row["source"] for row in members} == {sources.REFERENCE}


class Page(HTMLParser):
    """Ids, whether elements nest, and the text inside <mark> of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.ids, self.tags, self.marked, self.errors = [], set(), [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids.update(value for name, value in attrs if name == "id")
        if tag not in ("meta", "br"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.errors.append(tag)

    def handle_data(self, data):
        if "mark" in self.stack:
            self.marked.append(data)


def parsed(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    assert not page.errors and not page.stack, page.errors[:3]
    return page


def test_report_shows_the_sources_the_clusters_and_each_copy_beside_the_reference(leaked):
    _, out = leaked
    page = parsed(out / HTML_NAME)
    assert {"sources", "clusters", "source-1", "cluster-1"} <= page.ids
    assert "source:reference" in (out / HTML_NAME).read_text(encoding="utf-8")
    assert any("generated" in text or "multinomial" in text for text in page.marked)


@pytest.fixture(scope="module")
def earlier_term(tmp_path_factory):
    """(class folder, earlier-term folder): one student copied the earlier zip, two wrote variants."""
    earlier_folder, folder = (
        tmp_path_factory.mktemp("earlier"),
        tmp_path_factory.mktemp("class-with-earlier"),
    )
    earlier = independent(100)
    write_zip(earlier_folder, 99, earlier)
    write_zip(folder, 1, copied(earlier, 1))
    write_zip(folder, 2, variant(0))
    write_zip(folder, 3, variant(3))
    return folder, earlier_folder


def test_earlier_term_zip_given_with_against_flags_its_copy_by_name(earlier_term, tmp_path):
    folder, earlier_folder = earlier_term
    result = similarity(
        paths=zip_paths([folder]),
        out=tmp_path,
        release_root=REPO,
        against=[earlier_folder],
        jobs=1,
    )
    (earlier_zip,) = earlier_folder.glob("*.zip")
    assert [s.name for s in result.sources] == [sources.REFERENCE, earlier_zip.stem]
    flagged = [
        (result.submissions[m.submission].student_number, m.flag) for m in result.matches if m.flag
    ]
    assert flagged == [("401000001", f"source:{earlier_zip.stem}")]


def untagged(cells: list[str]):
    """A notebook as a solution saved from the web: code cells, no otter tags, no check cells."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# My solution")] + [
        nbformat.v4.new_code_cell(c) for c in cells
    ]
    return nb


def test_untagged_solution_notebook_has_its_cells_matched_to_questions_by_name(tmp_path):
    online = independent(200)["hafez"]
    notebook = tmp_path / "sources" / f"{HOSTILE_NAME}.ipynb"
    notebook.parent.mkdir()
    nbformat.write(
        untagged([cell for question in reversed(list(online)) for cell in online[question]]),
        notebook,
    )
    class_folder = tmp_path / "class"
    class_folder.mkdir()
    write_zip(class_folder, 5, copied({"hafez": online}, 5))
    for number, index in ((6, 1), (7, 4)):
        write_zip(class_folder, number, {"hafez": variant(index)["hafez"]})
    result = similarity(
        paths=zip_paths([class_folder]),
        out=tmp_path / "out",
        release_root=REPO,
        reference=False,
        against=[notebook.parent],
        jobs=1,
    )
    (source,) = result.sources
    assert source.name == HOSTILE_NAME and set(source.regions) == {f"hafez:{q}" for q in online}
    assert "matched to questions by the functions" in source.notes[0]
    flagged = [result.submissions[m.submission].student_number for m in result.matches if m.flag]
    assert flagged == ["401000005"]
    page = parsed(tmp_path / "out" / HTML_NAME)
    assert "script" not in page.tags, "a source's name is escaped"
    assert "matched to questions by the functions" in (tmp_path / "out" / HTML_NAME).read_text(
        encoding="utf-8"
    )


def test_notebook_defining_other_names_is_compared_whole_with_every_question(tmp_path):
    body = pool.compose(POOLS["hafez"]["q7_sample"], lambda _, step: step[-1])[0]
    blog = (
        "def generate_text(model, prompt, length, stoi, itos, temperature=1.0, top_k=None, generator=None):\n"
        + "".join(f"    {line}\n" for line in body.splitlines())
    )
    (tmp_path / "blog").mkdir()
    nbformat.write(untagged(["import torch", blog]), tmp_path / "blog" / "hafez.ipynb")
    _, keep, cells = released("hafez")
    copy = synth.light_copy(
        {"q7_sample": [pool.answered(cells["q7_sample"][-1], [body])]}, keep, random.Random(1)
    )
    write_zip(tmp_path, 1, {"hafez": copy})
    write_zip(tmp_path, 2, {"hafez": independent(2)["hafez"]})
    result = similarity(
        paths=zip_paths([tmp_path], tmp_path / "blog"),
        out=tmp_path / "out",
        release_root=REPO,
        reference=False,
        against=[tmp_path / "blog"],
        jobs=1,
    )
    (source,) = result.sources
    assert source.name == "blog/hafez" and list(source.regions) == ["hafez:other"]
    # one copied question in a class of two is below the calibrated flag level: the comparison, not the verdict
    (match,) = [
        m for m in result.matches if result.submissions[m.submission].student_number == "401000001"
    ]
    assert "hafez:q7_sample" in match.evidence and match.questions["hafez:q7_sample"][1] > 0.9


def zip_without_notebooks() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("readme.txt", "the notebooks are missing")
    return buffer.getvalue()


def test_unreadable_sources_are_skipped_with_why_and_listed(leaked_class, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.ipynb").write_text("{not json")
    (bad / "notes.ipynb").write_text(
        nbformat.writes(untagged(["print('nothing of the homework')"]))
    )
    (bad / "DL_HW3__399000002__NotAZip.zip").write_bytes(b"not a zip")
    (bad / "DL_HW3__399000003__NoNotebook.zip").write_bytes(zip_without_notebooks())
    out = tmp_path / "out"
    assert (
        similarity_main(
            [str(leaked_class), "--out", str(out), "--against", str(bad), "--jobs", "2"]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "skipped source" in printed and "broken.ipynb" in printed
    assert "answers none of hafez, apple_stock" in printed and "not a zip file" in printed
    assert "hafez.ipynb is not in the zip" in printed
    assert "broken.ipynb" in (out / HTML_NAME).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "against, says",
    [
        ("no/such/folder", "no/such/folder: no such file or folder"),
        ("notes.txt", "is neither a .zip nor an .ipynb"),
        ("empty", "holds no .zip or .ipynb files"),
    ],
)
def test_bad_against_path_is_one_line_error(leaked_class, against, says, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    path = against if against.startswith("no/") else str(tmp_path / against)
    assert (
        similarity_main([str(leaked_class), "--out", str(tmp_path / "out"), "--against", path]) == 2
    )
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
