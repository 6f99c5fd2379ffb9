"""The independent answers of the synthetic class (hw3.similarity.pool) are correct and not the reference.

Every way of every step is run: for each question, variant j takes way j (mod their number) of
each step, and is executed beside the reference's other answers; a probe per question calls it on
small inputs and must get what the reference gets.
"""

import math
import random

import nbformat
import numpy as np
import pandas as pd
import pytest
import torch
from support import REPO, REPOSITORY

from hw3.common.answers import answer_cells
from hw3.similarity import fingerprints, pool, sources

AUTOGRADER_DIR = REPO / "autograder"
POOLS = pool.load_pools(REPOSITORY.registry())  # reference/<name>/similarity_pool.toml
PRELUDE = {
    "hafez": "import math\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n",
    "apple_stock": "import copy\nimport numpy as np\nimport pandas as pd\nimport torch\nimport torch.nn as nn\n"
    "from tqdm import tqdm\n",
}
PROVIDED = {"hafez": "def detach_state"}  # provided cells the answers call
TOLERANCE = 1e-5
TRAIN_LR, PATIENCE = 0.5, 2  # a rate high enough that the validation loss goes up and down
TRAIN_STEPS, EVAL_EVERY = 60, 7
CLIP = 0.01  # small enough that clipping changes the update
EVALUATIONS = TRAIN_STEPS // EVAL_EVERY + (
    TRAIN_STEPS % EVAL_EVERY != 0
)  # the last step is always evaluated
MAX_SHARED_WITH_REFERENCE = (
    0.4  # of an independent student's k-grams, at most this share is the reference's
)
DRAWS = 20


def stub_cells(name: str) -> tuple[nbformat.NotebookNode, dict[str, list[str]]]:
    nb = nbformat.read(REPO / "student" / name / f"{name}.ipynb", as_version=4)
    return nb, {q: [nb.cells[i].source for i in indices] for q, indices in answer_cells(nb).items()}


def namespace(name: str, answers: dict[str, list[str]]) -> dict:
    """The globals after the imports, the provided helpers the answers use, and `answers`, in notebook order."""
    nb, _ = stub_cells(name)
    scope: dict = {}
    exec(PRELUDE[name], scope)
    for cell in nb.cells:
        if cell.cell_type == "code" and name in PROVIDED and PROVIDED[name] in cell.source:
            exec(cell.source, scope)
    for sources_ in answers.values():
        for source in sources_:
            exec(source, scope)
    return scope


def variants(name: str, question: str) -> list[dict[str, list[str]]]:
    """Answers that use every way of every step of `question`, the reference answering the rest."""
    _, cells = stub_cells(name)
    todos = POOLS[name][question]
    count = max(len(step) for steps in todos for step in steps)
    reference = sources.reference_answers(name, AUTOGRADER_DIR)
    out = []
    for j in range(count):
        bodies = pool.compose(todos, lambda _, step, j=j: step[j % len(step)])
        out.append({**reference, question: [pool.answered(cells[question][-1], bodies)]})
    return out


KINDS = (torch.nn.Embedding, torch.nn.LSTM, torch.nn.GRU, torch.nn.Linear)


@pytest.fixture(autouse=True)
def one_thread():
    """Torch on one thread: the probes are tiny, and two cores shared by other work thrash."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def filled(model: torch.nn.Module) -> torch.nn.Module:
    """`model` with deterministic parameters per module kind and parameter name, whatever the attribute names."""
    for kind in KINDS:
        for k, module in enumerate(m for m in model.modules() if type(m) is kind):
            for p_index, (_, param) in enumerate(sorted(module.named_parameters())):
                generator = torch.Generator().manual_seed(
                    1000 * k + 100 * KINDS.index(kind) + p_index
                )
                with torch.no_grad():
                    param.copy_(torch.randn(param.shape, generator=generator) * 0.3)
    return model


def probe_hafez(question: str, ns: dict, tmp_path):
    torch.manual_seed(0)
    vocab = "abcdefghijk"
    if question == "q1_vocab":
        stoi, itos = ns["build_vocab"]("the cat sat")
        return (
            stoi,
            list(itos),
            ns["encode"]("cat", stoi),
            ns["decode"](torch.tensor([0, 2, 1]), itos),
            ns["decode"]([1, 2], itos),
        )
    if question == "q2_batches":
        return ns["make_batches"](torch.arange(53), 4, 3), ns["make_batches"](
            torch.arange(20), 2, 5
        )
    if question == "q3_lstm_cell":
        cell = ns["LSTMCellScratch"](3, 4)
        x, h, c = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)
        return cell(x), cell(x, (h, c))
    if question == "q3b_gradient_flow":
        lstm, rnn, x = torch.nn.LSTMCell(3, 4), torch.nn.RNNCell(3, 4), torch.randn(5, 2, 3)
        return ns["gradient_norms"](lstm, x), ns["gradient_norms"](rnn, x)
    model = filled(ns["CharLSTM"](len(vocab), 5, 6, 2, 0.0))
    ids = torch.randint(0, len(vocab), (2, 7), generator=torch.Generator().manual_seed(1))
    if question == "q4_model":
        logits, state = model(ids)
        return logits, state, model(ids, state)
    if question == "q5_train":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        first, state = ns["train_chunk"](model, ids, ids.roll(1, 1), None, optimizer, clip=CLIP)
        second, state = ns["train_chunk"](model, ids, ids.roll(1, 1), state, optimizer, clip=CLIP)
        return first, second, state, list(model.parameters())
    if question == "q6_perplexity":
        stream = torch.randint(0, len(vocab), (40,), generator=torch.Generator().manual_seed(2))
        return ns["evaluate_perplexity"](model, stream, seq_len=7), ns["evaluate_perplexity"](
            model, stream, seq_len=50
        )
    stoi, itos = ns["build_vocab"](vocab)
    sample = ns["sample"]
    drawn = sample(
        model, "ab", 30, stoi, itos, temperature=1.0, generator=torch.Generator().manual_seed(3)
    )
    return (
        sample(model, "ab", 12, stoi, itos, temperature=0),
        sample(model, "ab", 12, stoi, itos, 0.7, top_k=1),
        len(drawn),
        set(drawn) <= set(itos),
    )


def probe_apple(question: str, ns: dict, tmp_path):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 40)))
    if question == "q1_load_split":
        dates = pd.date_range("2020-01-01", periods=20).strftime("%Y-%m-%d")
        order = rng.permutation(20)
        path = tmp_path / "prices.csv"
        frame = pd.DataFrame(
            {"date": dates[order], "open": closes[:20][order], "close": closes[20:][order]}
        )
        frame.to_csv(path, index=False)
        frame = ns["load_prices"](path)
        return frame, ns["chronological_split"](frame), ns["chronological_split"](frame, 0.5, 0.3)
    if question == "q2_scale":
        scaler = ns["LogReturnScaler"]().fit(closes[:20])
        z = scaler.transform(closes)
        return (
            scaler.mean_,
            scaler.std_,
            z,
            scaler.inverse_transform(z[:5, None], closes[:5]),
            ns["scale_splits"](closes[:20], closes[20:30], closes[30:], 4)[1:],
        )
    if question == "q3_windows":
        make = ns["make_windows"]
        return (
            make(np.arange(12.0), 4),
            make(np.arange(24.0).reshape(12, 2), 3, horizon=2),
            make(torch.arange(10.0), 2),
        )
    if question == "q4_model":
        x = torch.randn(3, 6, 2)
        return [filled(ns[kind](2, 5, 2))(x) for kind in ("LSTMForecaster", "GRUForecaster")]
    X, y = torch.randn(50, 4, 1), torch.randn(50, 1)
    if question == "q5_train":
        return trained_history(ns, X, y, patience=None), trained_history(
            ns, X, y, patience=PATIENCE
        )
    scaler = ns["LogReturnScaler"]().fit(closes[:20])
    model = filled(ns["LSTMForecaster"](1, 4))
    return (
        ns["persistence_forecast"](closes, 5),
        ns["predict_prices"](model, scaler, closes, 6, 4),
        ns["rmse"](closes[1:], closes[:-1]),
        ns["mae"](closes[1:], closes[:-1]),
        ns["directional_accuracy"](closes[2:], closes[1:-1] * 1.01, closes[1:-1] * 1.001),
        ns["evaluate_forecast"](model, scaler, closes, 25, 4),
    )


def trained_history(ns: dict, X, y, patience):
    """What train_model guarantees whatever batches it draws: evaluation steps, best weights restored, patience."""
    model = filled(ns["LSTMForecaster"](1, 4))
    trained, history = ns["train_model"](
        model,
        (X[:40], y[:40]),
        (X[40:], y[40:]),
        steps=TRAIN_STEPS,
        lr=TRAIN_LR,
        batch_size=8,
        eval_every=EVAL_EVERY,
        patience=patience,
        progress=False,
    )
    with torch.no_grad():
        restored = torch.nn.functional.mse_loss(trained(X[40:]), y[40:]).item()
    best, stale, stopped_at = math.inf, 0, None
    for k, loss in enumerate(history["val_loss"]):
        best, stale = (loss, 0) if loss < best else (best, stale + 1)
        if patience is not None and stale >= patience and stopped_at is None:
            stopped_at = k
    evaluations = len(history["step"])
    expected = stopped_at + 1 if stopped_at is not None else EVALUATIONS
    steps = history["step"] if patience is None else evaluations == expected
    return (
        sorted(history),
        steps,
        len(history["train_loss"]) == evaluations,
        history["best_step"] == history["step"][int(np.argmin(history["val_loss"]))],
        history["best_val_loss"] == min(history["val_loss"]),
        math.isclose(restored, history["best_val_loss"], rel_tol=1e-4),
    )


PROBES = {"hafez": probe_hafez, "apple_stock": probe_apple}


def assert_same(got, want, where: str) -> None:
    """Recursive comparison of probe results: tensors, arrays and floats to TOLERANCE, the rest exactly."""
    if isinstance(want, torch.Tensor):
        assert (
            isinstance(got, torch.Tensor) and got.shape == want.shape and got.dtype == want.dtype
        ), where
        assert torch.allclose(got.detach(), want.detach(), atol=TOLERANCE), where
    elif isinstance(want, np.ndarray):
        got = np.asarray(got)
        assert got.shape == want.shape and got.dtype == want.dtype, (
            f"{where}: {got.dtype} {got.shape}"
        )
        assert np.allclose(got, want, atol=TOLERANCE), where
    elif isinstance(want, pd.DataFrame):
        pd.testing.assert_frame_equal(got, want, obj=where)
    elif isinstance(want, dict):
        assert set(got) == set(want), where
        for key in want:
            assert_same(got[key], want[key], f"{where}[{key!r}]")
    elif isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), where
        for k, (a, b) in enumerate(zip(got, want)):
            assert_same(a, b, f"{where}[{k}]")
    elif isinstance(want, (float, np.floating)) and not isinstance(want, bool):
        assert math.isclose(float(got), float(want), rel_tol=TOLERANCE, abs_tol=TOLERANCE), (
            f"{where}: {got} != {want}"
        )
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


QUESTIONS = [(name, question) for name, questions in POOLS.items() for question in questions]


@pytest.mark.parametrize("name, question", QUESTIONS)
def test_every_way_of_every_step_gives_the_reference_result(name, question, tmp_path):
    want = PROBES[name](
        question, namespace(name, sources.reference_answers(name, AUTOGRADER_DIR)), tmp_path
    )
    for j, answers in enumerate(variants(name, question)):
        assert_same(
            PROBES[name](question, namespace(name, answers), tmp_path),
            want,
            f"{question} variant {j}",
        )


def test_pool_answers_every_autograded_question():
    for name, questions in POOLS.items():
        _, cells = stub_cells(name)
        assert set(questions) == set(cells), name


@pytest.mark.parametrize("name", list(POOLS))
def test_independent_answers_share_little_with_the_reference(name):
    """Composed answers are not the reference in other words: most of their k-grams are their own.

    Pooled over the assignment: a short answer the TODO all but dictates (apple_stock q4_model) may
    be mostly the reference's, as it is for honest students.
    """
    nb, cells = stub_cells(name)
    reference = sources.reference_answers(name, AUTOGRADER_DIR)
    rng = random.Random(name)
    for _ in range(DRAWS):
        answers = pool.independent_answers(POOLS[name], cells, rng)
        shared = total = 0
        for question, answer in answers.items():
            own = kgrams(answer) - kgrams(cells[question])
            shared += len(own & kgrams(reference[question]))
            total += len(own)
        assert shared <= MAX_SHARED_WITH_REFERENCE * total, (
            f"{name}: {shared} of {total} k-grams are the reference's"
        )


def kgrams(sources_: list[str]) -> set:
    """Every k-gram of the normalised cells."""
    return set().union(*(fingerprints.all_kgrams(fingerprints.normalise(s)) for s in sources_))
