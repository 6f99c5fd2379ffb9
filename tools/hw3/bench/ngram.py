"""Character n-gram language model with interpolated modified Kneser-Ney smoothing (Chen & Goodman, 1998).

The benchmark's baseline for the Hafez LSTM: the highest order uses raw counts, lower orders use
continuation counts (how many distinct characters precede an n-gram), each order has three
discounts estimated from its count-of-counts, and order 1 interpolates with the uniform distribution.
"""

import math
from collections import Counter, defaultdict


def _discounts(counts: Counter) -> tuple[float, float, float]:
    """Modified-KN discounts (D1, D2, D3+) from the count-of-counts of one order."""
    n = Counter(c for c in counts.values() if c <= 4)
    n1, n2, n3, n4 = (max(n[k], 1) for k in (1, 2, 3, 4))
    y = n1 / (n1 + 2 * n2)
    return 1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3


class KneserNey:
    """Order-`order` character model over `vocab`, trained on `text`."""

    def __init__(self, text: str, order: int, vocab):
        self.order, self.vocab_size = order, len(set(vocab))
        top = Counter(text[i - order : i] for i in range(order, len(text) + 1))
        self.counts = {order: top}
        for k in range(order - 1, 0, -1):
            # continuation count of a k-gram: the distinct characters seen before it
            self.counts[k] = Counter(gram[1:] for gram in self.counts[k + 1])
        self.discounts = {k: _discounts(c) for k, c in self.counts.items()}
        self.context_total, self.context_types = {}, {}
        for k, counts in self.counts.items():
            total, types = defaultdict(int), defaultdict(lambda: [0, 0, 0])
            for gram, c in counts.items():
                total[gram[:-1]] += c
                types[gram[:-1]][min(c, 3) - 1] += 1
            self.context_total[k], self.context_types[k] = total, types

    def prob(self, history: str, ch: str) -> float:
        """P(ch | last order-1 characters of history)."""
        p = 1.0 / self.vocab_size
        for k in range(1, self.order + 1):
            context = history[len(history) - (k - 1) :] if k > 1 else ""
            if k > 1 and len(context) < k - 1:
                break
            total = self.context_total[k].get(context, 0)
            if total == 0:
                continue
            d = self.discounts[k]
            c = self.counts[k].get(context + ch, 0)
            discounted = max(c - d[min(c, 3) - 1], 0.0) if c else 0.0
            gamma = sum(di * ni for di, ni in zip(d, self.context_types[k][context])) / total
            p = discounted / total + gamma * p
        return p

    def perplexity(self, text: str) -> float:
        """exp(mean NLL) of text[1:] given everything before, as the LSTM is scored."""
        nll = sum(
            -math.log(self.prob(text[max(0, i - self.order + 1) : i], text[i]))
            for i in range(1, len(text))
        )
        return math.exp(nll / (len(text) - 1))
