"""Every number the student-facing text states about a measured result is the measured one.

The measurements are the committed bench reports, `reference/<name>/bench.json` (`hw3 bench <name>
--out reference/<name>/bench.json`); facts of the data (days, prices, characters) are computed from
the data here. Each `Claim` finds one quote in a text (a master's markdown, the student README, the
theory answers) and compares each number it quotes with what was measured, by a stated rule:

- "rounded": the measured value rounded to the digits quoted ("about 5.8" for 5.83; "0.998" for 0.9976);
- "below": every measured value is under the quoted bound ("less than 2 %");
- "within N%": the quoted value is within N % of the measured one ("about 400 days" for 406).

A sweep then finds every number in the notebooks' prose that sits beside a unit of measurement
(perplexity, bits, nats, %, ×, seconds, minutes, steps, passes) and fails when no claim covers it and
it is not listed in `NOT_MEASURED` with the reason it is no measurement.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import nbformat
import numpy as np
import pytest
from support import REPO, REPOSITORY, released

WORDS = {"two": 2, "three": 3, "five": 5, "six": 6, "eight": 8, "ten": 10}


@cache
def bench(name: str) -> dict:
    return json.loads((REPO / "reference" / name / "bench.json").read_text())


@cache
def text(source: str) -> str:
    """The student-facing text of `source` on one line: a master's markdown cells, or a Markdown file."""
    if source == "README":
        raw = (REPO / "reference" / "STUDENT_README.md").read_text(encoding="utf-8")
    elif source == "answers":
        raw = (REPOSITORY.theory / "answers.md").read_text(encoding="utf-8")
    else:
        nb = nbformat.read(REPOSITORY.master(source), as_version=4)
        raw = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return " ".join(raw.split())


# ------------------------------------------------------------------ what was measured
@cache
def closes() -> np.ndarray:
    return np.loadtxt(REPO / "data" / "aapl_daily.csv", delimiter=",", skiprows=1, usecols=5)


def apple_periods() -> dict:
    return bench("apple_stock")["baselines"]["periods"]


def apple_runs() -> list[dict]:
    """Every reference run of the Apple bench: the grading seeds, then the student-budget seeds."""
    report = bench("apple_stock")
    return report["grading_seeds"] + report["student_seeds"]


def scaled(price: float) -> float:
    """A price on the textbook design's axis: 0 and 1 are the training period's lowest and highest close."""
    train = apple_periods()["train"]
    return (price - train["close_min"]) / (train["close_max"] - train["close_min"])


def validation_fall_percent() -> list[float]:
    """Per Apple run, how far the validation loss falls from its first evaluation to its lowest, in %."""
    return [100 * (r["val_loss"][0] - min(r["val_loss"])) / r["val_loss"][0] for r in apple_runs()]


def textbook_runs() -> list[dict]:
    return [r for r in bench("apple_stock")["student_seeds"] if "textbook_ratio" in r]


@cache
def divan() -> str:
    """The corpus file the students' notebook reads (data/hafez.txt of the release)."""
    return (released("student", "hafez").parent / "data" / "hafez.txt").read_text(encoding="utf-8")


def train_characters() -> int:
    """Characters of the training split, as the notebook's `split_text` joins it: ghazal k trains unless
    k % 20 is 0 (test) or 10 (validation)."""
    ghazals = divan().strip("\n").split("\n\n")
    train = [g for k, g in enumerate(ghazals, start=1) if k % 20 not in (0, 10)]
    return len("\n\n".join(train) + "\n")


def hemistich_length() -> float:
    """Mean characters per hemistich, its line break included (the characters the model predicts per line)."""
    lines = [line for line in divan().split("\n") if line]
    return sum(len(line) + 1 for line in lines) / len(lines)


def hafez_student() -> dict:
    """The Hafez reference at the student budget: means over the bench's student seeds."""
    return bench("hafez")["student_budget"]


def hafez_student_ppls() -> list[float]:
    return [r["test_ppl"] for r in bench("hafez")["student_budget_seeds"]]


def ngram_ppl(order: int | str) -> float:
    return bench("hafez")["ngram"][str(order)]["test_ppl"]


def best_ngram() -> dict:
    """The n-gram order chosen on validation, with its test perplexity."""
    return bench("hafez")["best_ngram"]


def gap_nats() -> float:
    """How much less the student-budget reference pays per test character than the best n-gram, in nats."""
    return math.log(best_ngram()["test_ppl"] / hafez_student()["test_ppl"])


@dataclass(frozen=True)
class Claim:
    """Numbers one quote states: where, the quote (a regex, one group per number), the measured values, how compared."""

    source: str
    quote: str
    measured: Callable[[], list]  # per quoted number, a value or the list of values of every run
    rules: tuple[str, ...] = ("rounded",)

    def __str__(self) -> str:
        return f"{self.source}: {self.quote}"


def number(quoted: str) -> float:
    return float(WORDS.get(quoted, quoted.replace(",", "")))


def agrees(quoted: str, measured: float, rule: str) -> bool:
    value = number(quoted)
    if rule == "rounded":
        if quoted in WORDS:
            return value == measured
        exponent = Decimal(quoted.replace(",", "")).as_tuple().exponent
        return abs(value - measured) <= 0.5 * 10.0**exponent * (1 + 1e-9)
    if rule == "below":
        return measured < value
    if match := re.fullmatch(r"within (\d+)%", rule):
        return abs(value - measured) <= int(match.group(1)) / 100 * abs(measured)
    raise ValueError(f"unknown rule {rule!r}")


CLAIMS = [
    # ------------------------------------------------------------- apple_stock: facts of the data
    Claim("apple_stock", r"The data are ([\d,]+) trading days", lambda: [len(closes())]),
    Claim(
        "apple_stock",
        r"Prices in the test period \(\$(\d+)–\$(\d+)\)",
        lambda: [apple_periods()["test"]["close_min"], apple_periods()["test"]["close_max"]],
    ),
    Claim(
        "apple_stock",
        r"anything in the training period \(\$(\d+)–\$(\d+)\)",
        lambda: [apple_periods()["train"]["close_min"], apple_periods()["train"]["close_max"]],
    ),
    Claim(
        "apple_stock",
        r"\(the training period's \$(\d+)–\$(\d+)\)",
        lambda: [apple_periods()["train"]["close_min"], apple_periods()["train"]["close_max"]],
    ),
    Claim(
        "apple_stock",
        r"scaled prices lie between about ([\d.]+) and ([\d.]+)",
        lambda: [
            scaled(apple_periods()["test"]["close_min"]),
            scaled(apple_periods()["test"]["close_max"]),
        ],
    ),
    Claim(
        "apple_stock",
        r"skill on about (\d+) days",
        lambda: [apple_periods()["test"]["days"]],
        ("within 5%",),
    ),
    # ------------------------------------------------------------- apple_stock: measured by the bench
    Claim(
        "apple_stock",
        r"runs on one CPU thread in under (\d+) minutes",
        lambda: [[r["seconds"] / 60 for r in bench("apple_stock")["student_seeds"]]],
        ("below",),
    ),
    Claim(
        "apple_stock",
        r"validation loss falls by less than (\d+) % from its first evaluation to its lowest",
        lambda: [validation_fall_percent()],
        ("below",),
    ),
    Claim(
        "apple_stock",
        r"reaches\s+about ([\d.]+) to ([\d.]+) on the test days",
        lambda: [
            min(r["textbook_output_min"] for r in textbook_runs()),
            max(r["textbook_output_max"] for r in textbook_runs()),
        ],
    ),
    Claim(
        "apple_stock",
        r"\(([\d.]+), ([\d.]+) and ([\d.]+) × persistence's RMSE for (three) seeds",
        lambda: [*sorted(r["textbook_ratio"] for r in textbook_runs()), len(textbook_runs())],
    ),
    Claim(
        "apple_stock",
        r"over (eight) runs of the reference the LSTM's test RMSE is ([\d.]+)–([\d.]+) ×",
        lambda: [
            len(apple_runs()),
            min(r["ratio"] for r in apple_runs()),
            max(r["ratio"] for r in apple_runs()),
        ],
    ),
    Claim(
        "apple_stock",
        r"persistence's \(\$([\d.]+)\), its MAE is within ([\d.]+) % of persistence's \(\$([\d.]+)\)",
        lambda: [
            bench("apple_stock")["baselines"]["errors"]["persistence"]["rmse"],
            max(
                100 * abs(r["mae"] - r["persistence_mae"]) / r["persistence_mae"]
                for r in apple_runs()
            ),
            bench("apple_stock")["baselines"]["errors"]["persistence"]["mae"],
        ],
        ("rounded", "below", "rounded"),
    ),
    Claim(
        "apple_stock",
        r"directional\s+accuracy is ([\d.]+)–([\d.]+) %",
        lambda: [
            100 * min(r["directional_accuracy"] for r in apple_runs()),
            100 * max(r["directional_accuracy"] for r in apple_runs()),
        ],
    ),
    Claim(
        "apple_stock",
        r"The validation loss falls by less than (\d+) % from its first value",
        lambda: [validation_fall_percent()],
        ("below",),
    ),
    Claim(
        "apple_stock",
        r"On about (\d+) days the standard error of a hit rate near 50% is about ([\d.]+)\s+percentage",
        lambda: [
            apple_periods()["test"]["days"],
            100 * math.sqrt(0.25 / apple_periods()["test"]["days"]),
        ],
        ("within 5%", "rounded"),
    ),
    # ------------------------------------------------------------- hafez: facts of the data
    Claim(
        "hafez",
        r"With about ([\d,]+) training characters",
        lambda: [train_characters()],
        ("within 1%",),
    ),
    Claim(
        "hafez",
        r"the (\d+) characters of the vocabulary are a choice among \d+ \(([\d.]+) bits\)",
        lambda: [len(set(divan())), math.log2(len(set(divan())))],
    ),
    Claim("hafez", r"a hemistich of about ([\d.]+) characters", lambda: [hemistich_length()]),
    # ------------------------------------------------------------- hafez: measured by the bench
    Claim(
        "hafez",
        r"The student budget takes about (\d+) minutes on 2 CPU threads",
        lambda: [[r["train_seconds"] / 60 for r in bench("hafez")["student_budget_seeds"]]],
        ("within 20%",),  # seconds depend on the machine and its load (the bench records both)
    ),
    Claim(
        "hafez",
        r"What does a perplexity of ([\d.]+) mean\?",
        lambda: [hafez_student()["test_ppl"]],
    ),
    Claim(
        "hafez",
        r"a perplexity of ([\d.]+) is \$\\ln [\d.]+ = ([\d.]+)\$ nats, or about \*\*([\d.]+) bits per character",
        lambda: [
            hafez_student()["test_ppl"],
            math.log(hafez_student()["test_ppl"]),
            math.log2(hafez_student()["test_ppl"]),
        ],
    ),
    Claim(
        "hafez",
        r"at the student budget \(the notebook's seed, 2 CPU threads\), reaches a test perplexity of about (\d+\.\d+)",
        lambda: [hafez_student_ppls()],
    ),
    Claim(
        "hafez",
        r"a 1-gram\) bring it to about (\d+) \(([\d.]+) bits\)",
        lambda: [ngram_ppl(1), math.log2(ngram_ppl(1))],
    ),
    Claim(
        "hafez",
        r"the best (\d+)-gram to ([\d.]+) \(([\d.]+) bits\)",
        lambda: [
            best_ngram()["order"],
            best_ngram()["test_ppl"],
            math.log2(best_ngram()["test_ppl"]),
        ],
    ),
    Claim(
        "hafez",
        r"The step from ([\d.]+) to ([\d.]+) looks small, but it is about ([\d.]+) nats",
        lambda: [best_ngram()["test_ppl"], hafez_student()["test_ppl"], gap_nats()],
    ),
    Claim(
        "hafez",
        r"\$e\^\{([\d.]+) \\times ([\d.]+)\} \\approx (\d+)\$ times the probability",
        lambda: [hemistich_length(), gap_nats(), math.exp(hemistich_length() * gap_nats())],
    ),
    Claim(
        "hafez",
        r"the first letter of a word costs about ([\d.]+) bits \(the poet's choice of the next word\), "
        r"a letter inside a word (\d+\.\d+) and a space (\d+\.\d+)",
        lambda: [
            hafez_student()["test_bits_by_position"][kind]
            for kind in ("word_start", "inside_word", "space")
        ],
    ),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=str)
def test_quoted_numbers_are_the_measured_ones(claim):
    found = re.findall(claim.quote, text(claim.source))
    assert len(found) == 1, f"{claim.source}: the quote {claim.quote!r} occurs {len(found)} times"
    quoted = found[0] if isinstance(found[0], tuple) else (found[0],)
    measured = claim.measured()
    rules = claim.rules * len(quoted) if len(claim.rules) == 1 else claim.rules
    for index, (q, rule) in enumerate(zip(quoted, rules)):
        values = measured[index] if isinstance(measured[index], list) else [measured[index]]
        wrong = [v for v in values if not agrees(q, v, rule)]
        assert not wrong, f"{claim.source}: {claim.quote!r} quotes {q} ({rule}); measured {wrong}"


# a number beside a unit of measurement, or after a word that introduces a measured value
MEASURE = re.compile(
    r"(?<![\w.$])(\d[\d,]*(?:\.\d+)?)(?=\s*(?:%|×|bits\b|nats\b|seconds\b|minutes\b|steps\b|passes\b))"
    r"|(?:perplexity of|reaches|about)\s+\$?(\d[\d,]*(?:\.\d+)?)"
)
NOT_MEASURED = [  # (source, quote): numbers beside a unit that are no measurement, each with why
    (
        "apple_stock",
        r"the oldest 70% of days train, the next 15% validate \(early stopping\), the newest 15% test",
    ),
    # the split's fractions, which the notebook sets
    ("apple_stock", r"at most 1\.10 × persistence's and at least 0\.80 ×"),  # the q6 test's band
    ("apple_stock", r"a 1% move looks the same"),  # an illustration of scale-free returns
    (
        "apple_stock",
        r"directional accuracy of 52% be evidence",
    ),  # a hypothetical the question asks about
    ("apple_stock", r"so 52% is well within chance"),  # the same hypothetical, answered
]


def covered_spans(source: str) -> list[tuple[int, int]]:
    quotes = [c.quote for c in CLAIMS if c.source == source] + [
        q for s, q in NOT_MEASURED if s == source
    ]
    return [m.span() for q in quotes for m in re.finditer(q, text(source))]


@pytest.mark.parametrize("source", ["hafez", "apple_stock", "README"])
def test_every_measured_number_in_the_prose_is_claimed(source):
    spans = covered_spans(source)
    loose = [
        text(source)[max(0, m.start() - 40) : m.end() + 20]
        for m in MEASURE.finditer(text(source))
        if not any(a <= m.start() and m.end() <= b for a, b in spans)
    ]
    assert not loose, f"{source}: numbers beside a unit that no claim checks: {loose}"
