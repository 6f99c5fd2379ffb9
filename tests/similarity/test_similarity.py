"""`hw3 similarity` (hw3.similarity: stubs, submissions, fingerprints, compare, report, synth).

A class of synthetic Quera zips is built from the released hafez notebook: a solution written for
these tests and its renamed/reformatted copy, two unchanged stubs, the reference solution and a
second independent solution, plus two broken zips. The copy must rank first, the starter-only and
the independent pairs must not be flagged, only the reference's writer matches the reference, and
the report must parse and escape student text.
"""

import csv
import random
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import markupsafe
import nbformat
import pytest
from support import ASSIGNMENTS, REPO, needs_tool

from hw3 import cli
from hw3.common.answers import answer_cells
from hw3.similarity import compare, fingerprints, pool, releases, sources, stubs, submissions
from hw3.similarity import synth as similarity_synth
from hw3.similarity.cli import similarity_main
from hw3.similarity.fingerprints import KGRAM, WINDOW
from hw3.similarity.run import CSV_NAME, HTML_NAME, similarity, zip_paths

RELEASE_DIR, AUTOGRADER_DIR = REPO / "student", REPO / "autograder"
STUB_PATH = REPO / "student" / "hafez" / "hafez.ipynb"
HOSTILE_COMMENT = '# </pre><script>alert("copied")</script>'
VOID_TAGS = {"meta", "br", "hr", "img", "input", "link"}

# Two solutions written independently of each other and of the reference, as students would:
# the body that replaces each stub's `# TODO` and `raise NotImplementedError` lines.
ALPHA = {
    "q2_batches": f"""
n_cols = (ids.numel() - 1) // batch_size  {HOSTILE_COMMENT}
grid_x = ids.narrow(0, 0, n_cols * batch_size).reshape(batch_size, -1)
grid_y = ids.narrow(0, 1, n_cols * batch_size).reshape(batch_size, -1)
chunks = []
start = 0
while start + seq_len <= n_cols:
    chunks.append((grid_x[:, start:start + seq_len], grid_y[:, start:start + seq_len]))
    start += seq_len
return chunks
""",
    "q3_lstm_cell": """
pre = torch.addmm(self.bias_ih, x, self.weight_ih.t()) + torch.addmm(self.bias_hh, h, self.weight_hh.t())
H = self.hidden_size
in_gate = torch.sigmoid(pre[:, :H])
forget_gate = torch.sigmoid(pre[:, H:2 * H])
cell_cand = torch.tanh(pre[:, 2 * H:3 * H])
out_gate = torch.sigmoid(pre[:, 3 * H:])
c_next = forget_gate * c + in_gate * cell_cand
return out_gate * torch.tanh(c_next), c_next
""",
    "q5_train": """
if state is not None:
    state = tuple(s.detach() for s in state)
model.train()
optimizer.zero_grad()
out, new_state = model(x, state)
vocab = out.size(-1)
loss = nn.CrossEntropyLoss()(out.view(-1, vocab), y.view(-1))
loss.backward()
nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)
optimizer.step()
return float(loss.detach()), new_state
""",
    "q6_perplexity": """
model.eval()
dev = next(model.parameters()).device
losses, count, hidden = 0.0, 0, None
with torch.inference_mode():
    pos = 0
    while pos < len(ids) - 1:
        end = min(pos + seq_len, len(ids) - 1)
        inp = ids[pos:end].to(dev)[None, :]
        tgt = ids[pos + 1:end + 1].to(dev)
        scores, hidden = model(inp, hidden)
        losses += F.nll_loss(F.log_softmax(scores[0], dim=-1), tgt, reduction="sum").item()
        count += tgt.numel()
        pos = end
return math.exp(losses / count)
""",
    "q7_sample": """
model.eval()
dev = next(model.parameters()).device
context = torch.tensor([stoi[ch] for ch in prompt], device=dev).view(1, -1)
hidden, chars = None, []
with torch.no_grad():
    logits, hidden = model(context, hidden)
    for step in range(length):
        scores = logits[0, -1, :]
        if temperature <= 0:
            choice = scores.argmax().item()
        else:
            probs = torch.softmax(scores / temperature, dim=-1)
            if top_k:
                vals, idx = probs.topk(top_k)
                choice = idx[torch.multinomial(vals / vals.sum(), 1, generator=generator)].item()
            else:
                choice = torch.multinomial(probs, 1, generator=generator).item()
        chars.append(itos[choice])
        logits, hidden = model(torch.tensor([[choice]], device=dev), hidden)
return "".join(chars)
""",
}
BETA = {
    "q2_batches": """
usable = ((len(ids) - 1) // batch_size) * batch_size
xs = ids[:usable].view(batch_size, -1)
ys = ids[1:usable + 1].view(batch_size, -1)
n_chunks = xs.shape[1] // seq_len
return [(xs[:, k * seq_len:(k + 1) * seq_len], ys[:, k * seq_len:(k + 1) * seq_len]) for k in range(n_chunks)]
""",
    "q3_lstm_cell": """
z = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
gi, gf, gg, go = z.split(self.hidden_size, dim=-1)
c2 = torch.sigmoid(gf) * c + torch.sigmoid(gi) * torch.tanh(gg)
h2 = torch.sigmoid(go) * torch.tanh(c2)
return h2, c2
""",
    "q5_train": """
state = detach_state(state)
model.train()
logits, state = model(x, state)
loss = F.cross_entropy(logits.transpose(1, 2), y)
for p in model.parameters():
    p.grad = None
loss.backward()
torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
optimizer.step()
return loss.item(), state
""",
    "q6_perplexity": """
was_training = model.training
model.eval()
device = next(model.parameters()).device
nll, state = [], None
with torch.no_grad():
    for i in range(0, ids.numel() - 1, seq_len):
        chunk = ids[i:i + seq_len + 1].to(device)
        out, state = model(chunk[:-1].unsqueeze(0), state)
        nll.append(F.cross_entropy(out.squeeze(0), chunk[1:], reduction="none"))
model.train(was_training)
return torch.cat(nll).mean().exp().item()
""",
    "q7_sample": """
model.eval()
device = next(model.parameters()).device
ids = encode(prompt, stoi).to(device)[None]
out_ids, state = [], None
with torch.no_grad():
    logits, state = model(ids, state)
    while len(out_ids) < length:
        last = logits[:, -1, :].squeeze(0)
        if temperature == 0:
            nxt = int(torch.argmax(last))
        else:
            last = last / temperature
            if top_k is not None:
                cutoff = last.topk(top_k).values.min()
                last = torch.where(last < cutoff, torch.full_like(last, -float("inf")), last)
            nxt = int(torch.multinomial(last.softmax(-1), num_samples=1, generator=generator))
        out_ids.append(nxt)
        logits, state = model(torch.tensor([[nxt]], device=device), state)
return decode(out_ids, itos)
""",
}
# who is who in the synthetic class: (student number, name)
COPIED = ("401000001", "AlphaOriginal")
COPY = ("401000002", "AlphaCopy")
STARTER_ONLY = (("401000003", "StubOnlyOne"), ("401000004", "StubOnlyTwo"))
REFERENCE = ("401000005", "ReferenceWriter")
BETA_WRITER = ("401000006", "BetaWriter")
NOT_A_ZIP = "DL_HW3__401000007__NotAZip.zip"
BROKEN_NOTEBOOK = ("401000008", "BrokenNotebook")


def label(student) -> str:
    return f"{student[0]} {student[1]}"


def stub_notebook():
    return nbformat.read(STUB_PATH, as_version=4)


def stub_keep() -> frozenset:
    """The names the comparison keeps for hafez (builtins and what any release of the notebook defines)."""
    earlier = releases.earlier_releases(REPO, ["hafez"])["hafez"]
    return stubs.load_stub("hafez", STUB_PATH, earlier).keep


def answers_from(bodies: dict[str, str]) -> dict[str, list[str]]:
    """{question: cell sources} for the answers written as bodies."""
    stub = stub_notebook()
    cells = answer_cells(stub)
    return {
        q: [pool.answered(stub.cells[cells[q][0]].source, [body])] for q, body in bodies.items()
    }


def write_student(folder: Path, student, answers, outputs) -> Path:
    nb = similarity_synth.submitted_notebook(stub_notebook(), answers, outputs)
    return similarity_synth.submission_zip(folder, *student, {"hafez": nb})


@pytest.fixture(scope="module")
def synthetic_class(tmp_path_factory) -> Path:
    """The folder of zips described in the module docstring."""
    folder = tmp_path_factory.mktemp("class")
    stub = stub_notebook()
    keep = stub_keep()
    alpha = answers_from(ALPHA)
    alpha_outputs = similarity_synth.student_outputs(stub, random.Random(1))
    rng = random.Random(2)
    disguised = {
        q: [similarity_synth.disguise(s, rng, keep) for s in sources]
        for q, sources in alpha.items()
    }
    write_student(folder, COPIED, alpha, alpha_outputs)
    write_student(
        folder, COPY, disguised, alpha_outputs
    )  # copied the executed notebook, outputs and all
    for number, student in enumerate(STARTER_ONLY):
        write_student(
            folder, student, {}, similarity_synth.student_outputs(stub, random.Random(10 + number))
        )
    write_student(
        folder,
        REFERENCE,
        sources.reference_answers("hafez", AUTOGRADER_DIR),
        similarity_synth.student_outputs(stub, random.Random(3)),
    )
    write_student(
        folder,
        BETA_WRITER,
        answers_from(BETA),
        similarity_synth.student_outputs(stub, random.Random(4)),
    )
    (folder / NOT_A_ZIP).write_bytes(b"this was never a zip")
    broken = similarity_synth.submission_zip(folder, *BROKEN_NOTEBOOK, {})
    with zipfile.ZipFile(broken, "a") as zf:
        zf.writestr("hafez.ipynb", "{not json")
    return folder


@pytest.fixture(scope="module")
def report(synthetic_class, tmp_path_factory):
    """(Comparison, output folder) of one run over the synthetic class."""
    out = tmp_path_factory.mktemp("report")
    result = compare_class(synthetic_class, out)
    return result, out


def compare_class(folder: Path, out: Path):
    """The Comparison of every zip under `folder` and the reference, written to `out`, with one reading process."""
    return similarity(
        paths=zip_paths([folder]),
        out=out,
        release_root=REPO,
        jobs=1,
    )


def pair_of(result, first, second):
    """The Pair of two students, or None when they share nothing beyond the common code."""
    wanted = {label(first), label(second)}
    return next(
        (
            p
            for p in result.pairs
            if {result.submissions[p.a].label, result.submissions[p.b].label} == wanted
        ),
        None,
    )


# ---------------------------------------------------------------- fingerprints


def test_renaming_and_reformatting_leave_the_normalised_tokens_unchanged():
    source = ALPHA["q7_sample"]
    twin = similarity_synth.disguise(source, random.Random(5))
    assert twin != source
    assert [t.text for t in fingerprints.normalise(twin)] == [
        t.text for t in fingerprints.normalise(source)
    ]


def test_comments_docstrings_and_trailing_commas_are_ignored():
    plain = "def f(a, b):\n    return g(a, b)\n"
    noisy = (
        'def f(a,\n      b,):\n    """Docstring."""\n    # a comment\n    return g(a, b,)  # why\n'
    )
    assert [t.text for t in fingerprints.normalise(noisy)] == [
        t.text for t in fingerprints.normalise(plain)
    ]


def test_api_names_keep_their_text_and_local_names_do_not():
    texts = [t.text for t in fingerprints.normalise("out = torch.sigmoid(self.gate(x)) + len(x)")]
    assert texts == [
        "N",
        "=",
        "N",
        ".",
        "sigmoid",
        "(",
        "self",
        ".",
        "N",
        "(",
        "N",
        ")",
        ")",
        "+",
        "len",
        "(",
        "N",
        ")",
    ]


def test_broken_code_and_magics_still_give_tokens_with_their_offsets():
    source = "%matplotlib inline\ndef f(:\n        a = 1\n    b = 'unterminated\nc = d(\n"
    tokens = fingerprints.normalise(source)
    assert [t.text for t in tokens][:3] == ["def", "N", "("]
    assert all(source[t.start : t.end].strip() for t in tokens)
    assert "c" in [source[t.start : t.end] for t in tokens]


def test_winnowing_catches_every_shared_run_of_the_guaranteed_length():
    rng = random.Random(0)
    vocabulary = [f"t{k}" for k in range(40)]
    for _ in range(50):
        shared = [rng.choice(vocabulary) for _ in range(KGRAM + WINDOW - 1)]
        left = [rng.choice(vocabulary) for _ in range(rng.randrange(60))] + shared
        right = shared + [rng.choice(vocabulary) for _ in range(rng.randrange(60))]
        as_tokens = [[fingerprints.Token(text, 0, 0, 0) for text in side] for side in (left, right)]
        assert set(fingerprints.fingerprints(as_tokens[0])) & set(
            fingerprints.fingerprints(as_tokens[1])
        )


# ---------------------------------------------------------------- answer regions


def test_starter_lines_are_subtracted_from_the_answer_region():
    stub = stub_notebook()
    released = stubs.load_stub("hafez", STUB_PATH)
    nb = similarity_synth.submitted_notebook(
        stub, answers_from({"q3_lstm_cell": BETA["q3_lstm_cell"]})
    )
    regions, notes = submissions.notebook_regions("hafez", nb, released)
    region = regions["hafez:q3_lstm_cell"]
    source = region.cells[0][1]
    written = {source[t.start : t.end] for t in region.tokens}
    assert {"split", "c2", "h2"} <= written
    assert not {"__init__", "weight_ih", "new_zeros", "uniform_"} & {
        source[t.start : t.end] for t in region.tokens if t.text != "N"
    }
    assert "hafez:q1_vocab" in regions and not regions["hafez:q1_vocab"].tokens, (
        "an unanswered stub is empty"
    )
    assert not notes


def test_notebook_without_answer_tags_is_compared_as_other_cells():
    stub = stub_notebook()
    released = stubs.load_stub("hafez", STUB_PATH)
    nb = similarity_synth.submitted_notebook(stub, answers_from({"q2_batches": BETA["q2_batches"]}))
    for cell in nb.cells:
        cell.metadata.pop("tags", None)
    regions, notes = submissions.notebook_regions("hafez", nb, released)
    assert list(regions) == ["hafez:other"] and "no otter answer tags" in notes[0]
    source_tokens = {src for _, src in regions["hafez:other"].cells}
    assert any("usable" in src for src in source_tokens)
    assert regions["hafez:other"].prints


# ---------------------------------------------------------------- the synthetic class


def test_renamed_reformatted_copy_ranks_first_and_is_flagged(report):
    result, _ = report
    first = result.pairs[0]
    names = {result.submissions[first.a].label, result.submissions[first.b].label}
    assert names == {label(COPIED), label(COPY)}
    assert "code" in first.flags and first.score > 0.9
    assert "outputs" in first.flags, "the copied training log, timings and plots are shared"


def test_pair_sharing_only_the_starter_code_is_not_flagged(report):
    result, _ = report
    pair = pair_of(result, *STARTER_ONLY)
    assert pair is None or (not pair.flags and pair.shared == 0)


def test_independent_solutions_are_not_flagged(report):
    result, _ = report
    independent = [COPIED, REFERENCE, BETA_WRITER]
    for first, second in [(a, b) for i, a in enumerate(independent) for b in independent[i + 1 :]]:
        pair = pair_of(result, first, second)
        assert pair is None or not pair.flags, f"{first} and {second}: {pair.evidence}"
    assert [p for p in result.pairs if p.flags] == [result.pairs[0]]


def test_only_the_reference_writer_matches_the_reference(report):
    result, _ = report
    flagged = {result.submissions[m.submission].label: m.flag for m in result.matches if m.flag}
    assert flagged == {label(REFERENCE): "source:reference"}


def test_unreadable_zips_are_skipped_or_noted_without_stopping(report):
    result, _ = report
    skipped = {Path(file).name: why for file, why in result.skipped}
    assert "not a zip file" in skipped[NOT_A_ZIP]
    broken = f"DL_HW3__{BROKEN_NOTEBOOK[0]}__{BROKEN_NOTEBOOK[1]}.zip"
    assert "not valid JSON" in skipped[broken]
    assert len(result.submissions) == 6


def test_csv_lists_pairs_strongest_first_with_a_column_per_question(report):
    result, out = report
    with (out / CSV_NAME).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(result.pairs)
    assert {rows[0]["student_a"], rows[0]["student_b"]} == {label(COPIED), label(COPY)}
    assert "code" in rows[0]["flagged"] and float(rows[0]["hafez:q3_lstm_cell"]) > 0.9
    assert rows[0]["evidence"]
    assert [float(r["score"]) for r in rows if not r["flagged"]] == sorted(
        (float(r["score"]) for r in rows if not r["flagged"]), reverse=True
    )


class Structure(HTMLParser):
    """Collects start tags, checks that elements nest properly, and records text inside <mark>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.errors, self.marked, self.ids = [], [], [], [], set()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids.update(value for name, value in attrs if name == "id")
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        if "mark" in self.stack:
            self.marked.append(data)


def test_report_renders_side_by_side_with_highlights_and_escaped_student_text(report):
    result, out = report
    page = (out / HTML_NAME).read_text(encoding="utf-8")
    parser = Structure()
    parser.feed(page)
    parser.close()
    assert not parser.errors and not parser.stack, parser.errors[:3]
    assert "script" not in parser.tags, "student text must be escaped"
    assert (
        str(markupsafe.escape(HOSTILE_COMMENT)) in page
    )  # the report's templates escape with markupsafe
    assert "pair-1" in parser.ids and 'class="side"' in page
    marked = "".join(parser.marked)
    assert "addmm" in marked and "forget_gate" in page
    assert NOT_A_ZIP in page, "skipped zips are listed"


# ---------------------------------------------------------------- the command


def test_command_writes_both_files_and_is_a_verb_of_hw3(synthetic_class, tmp_path, capsys):
    assert "similarity" in cli.VERBS
    assert (
        cli.main(
            [
                "similarity",
                str(synthetic_class),
                "--out",
                str(tmp_path / "out"),
                "--jobs",
                "2",
                "--top",
                "3",
            ]
        )
        == 0
    )
    printed = capsys.readouterr()
    assert "6 submissions, 15 pairs" in printed.out and "1 pair(s) flagged" in printed.out
    assert f"skipped {synthetic_class / NOT_A_ZIP}" in printed.out
    assert (tmp_path / "out" / CSV_NAME).exists() and (tmp_path / "out" / HTML_NAME).exists()


@pytest.mark.parametrize(
    "argv, says",
    [
        (["no/such/folder"], "no/such/folder: no such file or folder"),
        ([], "give the folder of Quera zips"),
        (["--top", "-1", "."], "--top must be >= 0"),
        (
            ["--bench", "5", "--against", "earlier/"],
            "--bench builds its own class and known sources",
        ),
    ],
)
def test_bad_input_is_one_line_error_without_traceback(argv, says, tmp_path, capsys):
    assert similarity_main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_folder_without_zips_is_one_line_error(tmp_path, capsys):
    assert similarity_main([str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "holds no .zip files" in err and len(err.strip().splitlines()) == 1


def test_bench_finds_its_planted_copy(tmp_path, capsys):
    assert similarity_main(["--bench", "8", "--out", str(tmp_path), "--jobs", "1"]) == 0
    printed = capsys.readouterr().out
    assert (
        "8 submissions, 28 pairs" in printed
        and "copies of a classmate flagged with their original: 1 of 1" in printed
    )


def test_report_renders_in_headless_chromium(report, tmp_path):
    browser = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    needs_tool(
        browser is not None, "no headless Chromium here (apt-get install chromium-headless-shell)"
    )
    _, out = report
    page = (out / HTML_NAME).resolve().as_uri()
    dom = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path}",
            "--dump-dom",
            page,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert dom.count("<mark>") > 10 and "<script" not in dom and 'id="pair-1"' in dom


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        similarity_main(["--help"])
    assert exit_info.value.code == 0 and "--max-common" in capsys.readouterr().out


def test_zips_are_found_in_subfolders_once_and_never_in_the_output_folder(
    synthetic_class, tmp_path
):
    nested = tmp_path / "downloads" / "section 2"
    nested.mkdir(parents=True)
    original = sorted(synthetic_class.glob("*.zip"))[0]
    shutil.copy(original, nested / original.name)
    out = tmp_path / "downloads" / "report"
    out.mkdir()
    shutil.copy(original, out / "left-over.zip")
    copied = nested / original.name
    found = zip_paths([tmp_path / "downloads", copied], out)
    assert found == [copied]


def test_zip_with_an_unsafe_member_path_is_skipped(tmp_path):
    path = tmp_path / "DL_HW3__401000009__Climber.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hafez.ipynb", nbformat.writes(stub_notebook()))
        zf.writestr("../escape.txt", "x")
    released, _ = stubs.load_stubs(RELEASE_DIR, ASSIGNMENTS)
    file, why = submissions.load_submission(path, released)
    assert file == str(path) and "climbs out of the zip" in why


def test_notebook_that_only_breaks_the_schema_is_still_compared(tmp_path):
    nb = similarity_synth.submitted_notebook(
        stub_notebook(), answers_from({"q2_batches": BETA["q2_batches"]})
    )
    raw = nbformat.writes(nb).replace('"execution_count": 1,', '"execution_count": "one",', 1)
    path = tmp_path / "DL_HW3__401000010__Sloppy.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("folder/hafez.ipynb", raw)
    released, _ = stubs.load_stubs(RELEASE_DIR, ASSIGNMENTS)
    submission = submissions.load_submission(path, released)
    assert isinstance(submission, submissions.Submission), submission
    assert submission.regions["hafez:q2_batches"].prints


def test_identical_seeded_logs_without_shared_timings_do_not_flag_outputs(tmp_path):
    # the same seeded code on the same kind of machine prints the same losses; only timings differ
    stub = stub_notebook()
    training = next(
        i for i, c in enumerate(stub.cells) if "train_lm(" in c.source and "print(" in c.source
    )
    log = "".join(
        f"| step {step:5d} | loss {3 - step / 100:5.2f} | ppl {20 - step / 20:6.2f} |\n"
        for step in range(50, 251, 50)
    )

    def run_log(seconds: int, rate: float) -> dict:
        timing = f"250 steps in {seconds} s; test perplexity 7.25\n"
        bar = f"training: 100%| | 250/250 [00:{seconds}<00:00, {rate:.2f}it/s]"
        return {
            training: [
                similarity_synth.stream(log + timing),
                nbformat.v4.new_output("stream", name="stderr", text=bar),
            ]
        }

    write_student(tmp_path, COPIED, answers_from(ALPHA), run_log(41, 6.1))
    write_student(tmp_path, BETA_WRITER, answers_from(BETA), run_log(57, 4.4))
    result = compare_class(tmp_path, tmp_path / "out")
    pair = pair_of(result, COPIED, BETA_WRITER)
    assert pair.outputs_shared >= compare.FLAG_MIN_OUTPUTS and pair.outputs_run_specific == 0
    assert not pair.flags


def test_reformatted_starter_code_is_still_subtracted(tmp_path):
    # both ran a formatter and renamed parameters, but wrote nothing: their starter lines no longer
    # match the stub's, and the starter's k-grams must catch them
    stub = stub_notebook()
    for seed, student in enumerate(STARTER_ONLY):
        rng = random.Random(seed)
        answers = {
            q: [similarity_synth.disguise(stub.cells[i].source, rng, stub_keep()) for i in indices]
            for q, indices in answer_cells(stub).items()
        }
        write_student(tmp_path, student, answers, {})
    result = compare_class(tmp_path, tmp_path / "out")
    assert result.submissions[0].regions["hafez:q3_lstm_cell"].tokens, (
        "the respaced starter is not a diff match"
    )
    pair = pair_of(result, *STARTER_ONLY)
    assert pair is None, pair and pair.evidence


def test_out_that_is_a_file_is_one_line_error(synthetic_class, tmp_path, capsys):
    taken = tmp_path / "report.txt"
    taken.write_text("not a folder")
    assert similarity_main([str(synthetic_class), "--out", str(taken)]) == 2
    err = capsys.readouterr().err
    assert "is a file: give --out a folder" in err and len(err.strip().splitlines()) == 1


def test_fewer_than_two_readable_submissions_still_writes_the_report_and_exits_1(
    synthetic_class, tmp_path, capsys
):
    lone = sorted(synthetic_class.glob("*.zip"))[0]
    assert (
        similarity_main([str(lone), str(synthetic_class / NOT_A_ZIP), "--out", str(tmp_path)]) == 1
    )
    assert "fewer than two readable submissions" in capsys.readouterr().err
    assert NOT_A_ZIP in (tmp_path / HTML_NAME).read_text(encoding="utf-8")


def progress_bars(stub, lines: list[str], widget_id: str | None = None) -> dict:
    """Outputs of the training cell: the given progress-bar lines, and a tqdm widget if `widget_id` is set."""
    training = next(
        i for i, c in enumerate(stub.cells) if "train_lm(" in c.source and "print(" in c.source
    )
    outputs = [nbformat.v4.new_output("stream", name="stderr", text="\n".join(lines))]
    if widget_id:
        outputs.append(
            nbformat.v4.new_output(
                "display_data",
                data={
                    "application/vnd.jupyter.widget-view+json": {
                        "model_id": widget_id,
                        "version_major": 2,
                    },
                    "text/plain": "training: 100%",
                },
            )
        )
    return {training: outputs}


def test_three_progress_bar_lines_shared_by_chance_do_not_flag_a_pair(tmp_path):
    # seen in a synthetic class of 300: two honest runs at the same speed printed three identical bars
    stub = stub_notebook()
    same = [
        f"training: {p}%| | {n}/250 [00:{s:02d}<00:00, {r}it/s]"
        for p, n, s, r in ((40, 100, 8, "11.08"), (60, 150, 13, "12.00"), (100, 250, 22, "12.07"))
    ]
    own = {
        COPIED: "training: 20%| | 50/250 [00:04<00:00, 11.50it/s]",
        BETA_WRITER: "training: 20%| | 50/250 [00:05<00:00, 10.31it/s]",
    }
    write_student(tmp_path, COPIED, answers_from(ALPHA), progress_bars(stub, same + [own[COPIED]]))
    write_student(
        tmp_path, BETA_WRITER, answers_from(BETA), progress_bars(stub, same + [own[BETA_WRITER]])
    )
    pair = pair_of(compare_class(tmp_path, tmp_path / "out"), COPIED, BETA_WRITER)
    assert pair.outputs_run_specific == 3 and "outputs" not in pair.flags


def test_one_shared_progress_widget_id_flags_a_pair(tmp_path):
    stub = stub_notebook()
    widget, log = (
        "3f2a9c4e1b7d4e0fa6c85d2b9e1f7a30",
        ["| step    50 | loss  2.90 |", "| step   100 | loss  2.60 |"],
    )
    write_student(tmp_path, COPIED, answers_from(ALPHA), progress_bars(stub, log, widget))
    write_student(tmp_path, BETA_WRITER, answers_from(BETA), progress_bars(stub, log, widget))
    pair = pair_of(compare_class(tmp_path, tmp_path / "out"), COPIED, BETA_WRITER)
    assert pair.outputs_run_specific == 1 and "outputs" in pair.flags
