"""Anonymous grading: a stable pseudonym for every submission, and the order the packet lists them in.

A pseudonym is a keyed hash (HMAC-SHA256, the key being the packet's id kept in DIR/.state/) of the
submission's name, written as "Student " and four letters or digits: it stays the same however often
the packet is rebuilt, and says nothing about the student. The packet lists submissions in the order
of those hashes, not by student number, so a position on a page does not give a name away either.
"""

from __future__ import annotations

import hashlib
import hmac

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no I/1, L, O/0, U: read aloud without mistakes
LENGTH = 4


def code(key: str, submission: str) -> bytes:
    return hmac.new(key.encode(), submission.encode(), hashlib.sha256).digest()


def letters(data: bytes, count: int) -> str:
    value = int.from_bytes(data, "big")
    out = []
    for _ in range(count):
        value, rest = divmod(value, len(ALPHABET))
        out.append(ALPHABET[rest])
    return "".join(out)


def pseudonyms(key: str, submissions: list[str]) -> dict[str, str]:
    """{submission: pseudonym}, unique: two that would collide get one more character each."""
    codes = {s: code(key, s) for s in submissions}
    length = LENGTH
    while True:
        names = {s: "Student " + letters(c, length) for s, c in codes.items()}
        if len(set(names.values())) == len(names):
            return names
        length += 1


def anonymous_order(key: str, submissions: list[str]) -> list[str]:
    """The submissions in the packet's order: by their keyed hash."""
    return sorted(submissions, key=lambda s: code(key, s))
