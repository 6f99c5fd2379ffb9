"""Every number the reference answers derive is recomputed here from what it is derived from (the
gradient-flow table and the parameter counts are rerun against the notebook and torch in
test_theory.py). A number is compared as quoted: equal to half a unit in its last quoted digit.

Numbers that are facts from a cited source (BERT's 15 % of masked tokens, word2vec's k = 5 to 20 and
subsampling threshold, ELMo's six benchmarks) are checked by their citation, not here.
"""

import math
import re
from decimal import Decimal
from fractions import Fraction

import pytest
import torch
from support import REPO, REPOSITORY

ANSWERS = REPOSITORY.theory / "answers.md"
HAFEZ_TEXT = REPO / "student" / "hafez" / "data" / "hafez.txt"  # the notebook's corpus, as released
TABLE_ROW = re.compile(r"^\| (\d+) \| ([\d.e+-]+) \| ([\d.e+-]+) \|$", re.MULTILINE)  # 1.1.1 (2)
SCIENTIFIC = re.compile(r"([\d.]+) \\cdot 10\^\{(-?\d+)\}")  # "5.39 \cdot 10^{-11}"


@pytest.fixture(scope="module")
def text():
    return ANSWERS.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def flow_table(text):
    """Steps back -> (vanilla RNN, LSTM) norms, as 1.1.1 (2) quotes them."""
    return {int(steps): (float(rnn), float(lstm)) for steps, rnn, lstm in TABLE_ROW.findall(text)}


def quoted(text: str, pattern: str) -> tuple[str, ...]:
    """The groups of the one place `pattern` (a regex) matches in the answers."""
    found = re.findall(pattern, text)
    assert len(found) == 1, f"{pattern!r} is quoted {len(found)} times in answers.md"
    return found[0] if isinstance(found[0], tuple) else (found[0],)


def number(quote: str) -> float:
    """A quoted number: "0.97", "2.6 \\times 10^{7}", "5.39 \\cdot 10^{-11}", "10^{17}", "24{,}832"."""
    quote = quote.replace("{,}", "").replace(",", "").replace("\\times", "\\cdot")
    if match := SCIENTIFIC.fullmatch(quote.strip()):
        return float(f"{match.group(1)}e{match.group(2)}")
    if match := re.fullmatch(r"10\^\{(-?\d+)\}", quote.strip()):
        return float(f"1e{match.group(1)}")
    return float(quote)


def agrees(quote: str, value: float) -> bool:
    """`value` rounds to what is quoted: within half a unit of the quote's last digit."""
    mantissa = SCIENTIFIC.fullmatch(quote.replace("\\times", "\\cdot").strip())
    digits = mantissa.group(1) if mantissa else quote.replace("{,}", "").replace(",", "")
    exponent = Decimal(digits).as_tuple().exponent
    scale = 10 ** int(mantissa.group(2)) if mantissa else 1
    return abs(number(quote) - value) <= 0.5 * 10.0**exponent * scale * (1 + 1e-9)


def test_powers_that_show_exponential_behaviour(text):
    small, large = quoted(
        text, r"\$0\.9\^\{50\} \\approx ([\d.]+)\$ while \$1\.1\^\{50\} \\approx (\d+)\$"
    )
    assert agrees(small, 0.9**50) and agrees(large, 1.1**50)


def test_saturation_example_matrix_has_spectral_radius_one_half_and_a_saturated_eigenvalue(text):
    a, b, c, d = quoted(
        text,
        r"W = \\begin\{pmatrix\} ([\d.-]+) & ([\d.-]+) \\\\ ([\d.-]+) & ([\d.-]+) \\end\{pmatrix\}",
    )
    rho, saturated = quoted(
        text, r"(?s)has \$\\rho\(W\) = ([\d.]+)\$, yet while.*?has the\s+eigenvalue ([\d.]+)\."
    )
    w = torch.tensor([[float(a), float(b)], [float(c), float(d)]], dtype=torch.float64)
    assert torch.linalg.eigvals(w).abs().max().item() == pytest.approx(float(rho))
    one_saturated = torch.diag(torch.tensor([1.0, 0.0], dtype=torch.float64)) @ w
    assert float(saturated) in [
        round(v.real, 12) for v in torch.linalg.eigvals(one_saturated).tolist()
    ]
    assert float(saturated) > 1 > float(rho)


def test_sigmoid_derivative_bound_is_a_quarter(text):
    (gamma,) = quoted(text, r"\$\\gamma = (\d/\d)\$ for the sigmoid")
    z = torch.linspace(-10, 10, 20001, dtype=torch.float64)
    slope = torch.sigmoid(z) * (1 - torch.sigmoid(z))
    assert slope.max().item() == pytest.approx(float(Fraction(gamma)))


def test_rates_and_orders_of_magnitude_follow_from_the_gradient_flow_table(text, flow_table):
    late, early, rate = quoted(
        text,
        r"\(\$\(([\d.]+ \\cdot 10\^\{-\d+\}) / ([\d.]+ \\cdot 10\^\{-\d+\})\)\^\{1/30\} \\approx ([\d.]+)\$",
    )
    assert (number(late), number(early)) == (flow_table[40][0], flow_table[10][0])
    assert agrees(rate, (number(late) / number(early)) ** (1 / 30))

    first, last, orders = quoted(
        text, r"\(\$([\d.]+) / \(([\d.]+ \\cdot 10\^\{-\d+\})\) \\approx (10\^\{\d+\})\$\)"
    )
    assert (float(first), number(last)) == (flow_table[0][0], flow_table[59][0])
    exponent = round(math.log10(float(first) / number(last)))
    assert number(orders) == float(f"1e{exponent}") and exponent == 17
    assert "about seventeen orders of magnitude" in text

    lstm_late, lstm_early, lstm_rate = quoted(
        text, r"\(\$\(([\d.]+) / ([\d.]+)\)\^\{1/30\} \\approx ([\d.]+)\$\)"
    )
    assert (float(lstm_late), float(lstm_early)) == (flow_table[40][1], flow_table[10][1])
    per_step = (float(lstm_late) / float(lstm_early)) ** (1 / 30)
    assert agrees(lstm_rate, per_step)
    (percent,) = quoted(text, r"decays by only about (\d+) % per step")
    assert int(percent) == round(100 * (1 - per_step))

    at_59, at_40 = quoted(text, r"\(([\d.]+) at 59 steps back,\s+above the ([\d.]+) at 40\)")
    assert (float(at_59), float(at_40)) == (flow_table[59][1], flow_table[40][1])
    assert float(at_59) > float(at_40), "the LSTM column no longer decays after 40 steps back"


def test_kept_fractions_after_forty_steps(text, flow_table):
    kept, percent = quoted(text, r"keeps \$([\d.]+) / [\d.]+ \\approx (\d+)\\,\\%\$ of the")
    assert float(kept) == flow_table[40][1]
    assert int(percent) == round(100 * flow_table[40][1] / flow_table[0][1])
    rnn, ratio = quoted(
        text,
        r"the vanilla RNN \$([\d.]+ \\cdot 10\^\{-\d+\}) / [\d.]+ \\approx (\d \\cdot 10\^\{-\d+\})\$",
    )
    assert number(rnn) == flow_table[40][0]
    assert agrees(ratio, number(rnn) / flow_table[0][1])


def test_forget_gate_at_initialisation_and_its_fortieth_power(text):
    answers = re.findall(r"\\sigma\(2\) \\approx ([\d.]+)", text)
    assert answers and all(
        agrees(value, torch.sigmoid(torch.tensor(2.0)).item()) for value in answers
    )
    base, power = quoted(text, r"\$([\d.]+)\^\{40\} \\approx ([\d.]+)\$")
    assert agrees(power, float(base) ** 40)


def test_parameter_example_and_the_gru_saving(text):
    hidden, d_plus_h, biases, block, total = quoted(
        text, r"\$4\\,\((\d+) \\cdot (\d+) \+ 2 \\cdot (\d+)\) = 4 \\cdot ([\d{},]+) = ([\d{},]+)\$"
    )
    assert int(number(block)) == int(hidden) * int(d_plus_h) + 2 * int(biases)
    assert int(number(total)) == 4 * int(number(block))
    (fewer,) = quoted(text, r"about (\d+) % fewer parameters and operations")
    assert int(fewer) == round(100 * (1 - Fraction(3, 4)))


@pytest.mark.parametrize("window", [1, 2, 5, 10])
def test_skip_gram_makes_m_plus_one_predictions_on_average(text, window):
    """word2vec draws the window size b uniformly from 1..m and predicts 2b context words."""
    assert "$m + 1$ on average" in text
    assert Fraction(sum(2 * b for b in range(1, window + 1)), window) == window + 1


def test_bits_per_character_and_perplexity_of_the_example_loss(text):
    nats, bits, ppl = quoted(
        text,
        r"\$([\d.]+) / \\ln 2 \\approx ([\d.]+)\$ bits per character and a perplexity of "
        r"\$e\^\{[\d.]+\} \\approx ([\d.]+)\$",
    )
    assert agrees(bits, float(nats) / math.log(2)) and agrees(ppl, math.exp(float(nats)))


def test_softmax_and_lstm_step_costs(text):
    vocabulary, hidden, softmax_cost = quoted(
        text,
        r"\\lvert V \\rvert = ([\d{},]+)\$ and \$H = (\d+)\$ this is about \$([\d.]+ \\times 10\^\{\d+\})\$",
    )
    assert agrees(softmax_cost, number(vocabulary) * int(hidden))
    lstm_cost, gates, width, inputs = quoted(
        text,
        r"about \$([\d.]+ \\times 10\^\{\d+\})\$ for an LSTM step with \$D = H = \d+\$ "
        r"\(\$(\d) \\cdot (\d+) \\cdot (\d+)\$\)",
    )
    assert int(inputs) == 2 * int(width)  # H (D + H) with D = H
    assert agrees(lstm_cost, int(gates) * int(width) * int(inputs))


def test_hafez_vocabulary_size(text):
    (size,) = quoted(text, r"a few dozen characters, (\d+) in the\s+Divan of Hafez")
    assert int(size) == len(set(HAFEZ_TEXT.read_text(encoding="utf-8")))
