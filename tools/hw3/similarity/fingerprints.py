"""Winnowed k-gram fingerprints of Python code, blind to renaming and reformatting.

The code is read with Python's own `tokenize` and every token is normalised: a local name becomes
`N`, a number `NUM`, a string `STR`; comments, docstrings, line breaks, indentation, `;` and a
trailing comma vanish. Attribute names after a dot (`torch.sigmoid`, `gates.chunk`) and names the
caller keeps (builtins, what the released notebook defines) keep their text: they cannot be renamed
without changing what the code calls, and they make the fingerprints specific. `self.<name>` counts
as a local name, since a student chooses it.

Fingerprints follow Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for document
fingerprinting" (SIGMOD 2003), the algorithm behind MOSS: hash every run of KGRAM tokens, then keep
the smallest hash of each window of WINDOW consecutive hashes. Any run of KGRAM + WINDOW - 1 equal
tokens shared by two regions yields at least one shared fingerprint, wherever it sits.
"""

import builtins
import functools
import hashlib
import itertools
import keyword
import re
import tokenize
from typing import NamedTuple

KGRAM = 10  # tokens per k-gram: about one statement, e.g. `c_new = f * c + i * g`
WINDOW = (
    5  # hashes per winnowing window: matches of KGRAM + WINDOW - 1 = 14 tokens are always caught
)
NAME, NUMBER, STRING = "N", "NUM", "STR"
SELF = "self"
BUILTIN_NAMES = frozenset(name for name in dir(builtins) if not name.startswith("_"))
DROPPED = frozenset(
    {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENCODING,
        tokenize.ENDMARKER,
    }
)
STATEMENT_START = frozenset({tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING})
CLOSING = frozenset({")", "]", "}"})
MAGIC_LINE = re.compile(r"^[ \t]*[%!?]")  # IPython magics and shell escapes are not Python


class Token(NamedTuple):
    """One normalised token; `start`/`end` are character offsets into its cell's source."""

    text: str
    cell: int
    start: int
    end: int


def blank_magics(source: str) -> str:
    """`source` with IPython magic and shell lines turned into spaces, so offsets stay put."""
    return "".join(
        " " * len(line.rstrip("\r\n")) + line[len(line.rstrip("\r\n")) :]
        if MAGIC_LINE.match(line)
        else line
        for line in source.splitlines(keepends=True)
    )


def raw_tokens(source: str) -> list[tuple[int, str, int, int]]:
    """(type, text, start offset, end offset) of each token, carrying on past tokenizer errors.

    Cells can hold broken code (an unfinished answer, a stray indent): after an error the rest is
    tokenised again from the next line, so one bad line costs only itself.
    """
    lines = blank_magics(source).splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    found, first = [], 0
    while first < len(lines):
        chunk = lines[first:]
        try:
            for tok in tokenize.generate_tokens(iter(chunk).__next__):
                (row, col), (end_row, end_col) = tok.start, tok.end
                found.append(
                    (
                        tok.type,
                        tok.string,
                        offset(starts, first + row - 1, col),
                        offset(starts, first + end_row - 1, end_col),
                    )
                )
            break
        except SyntaxError as err:
            # an inconsistent dedent: start afresh at the offending line
            first += max(1, (err.lineno or 1) - 1)
        except tokenize.TokenError as err:
            if "string" not in str(err.args[0]):
                break  # EOF inside brackets: every token was already yielded
            first += max(
                1, err.args[1][0]
            )  # an unterminated string: resume after the line it opens on
    return found


def offset(starts: list[int], line: int, col: int) -> int:
    """Character offset of (0-based line, column), clamped to the end of the text."""
    return starts[line] + col if line < len(starts) - 1 else starts[-1]


def is_docstring(kinds: list[int], index: int) -> bool:
    """Whether the STRING run starting at `index` is a whole statement (a docstring or bare string)."""
    before = next(
        (
            kinds[i]
            for i in range(index - 1, -1, -1)
            if kinds[i] not in (tokenize.COMMENT, tokenize.NL)
        ),
        tokenize.NEWLINE,
    )
    after_index = index
    while after_index < len(kinds) and kinds[after_index] == tokenize.STRING:
        after_index += 1
    after = next(
        (
            kinds[i]
            for i in range(after_index, len(kinds))
            if kinds[i] not in (tokenize.COMMENT, tokenize.NL)
        ),
        tokenize.ENDMARKER,
    )
    return before in STATEMENT_START and after in (
        tokenize.NEWLINE,
        tokenize.ENDMARKER,
        tokenize.DEDENT,
    )


def normalise(source: str, cell: int = 0, keep: frozenset = BUILTIN_NAMES) -> list[Token]:
    """The normalised tokens of one cell's Python `source` (see the module docstring)."""
    raw = raw_tokens(source)
    kinds = [kind for kind, *_ in raw]
    out: list[Token] = []
    index = 0
    while index < len(raw):
        kind, text, start, end = raw[index]
        index += 1
        if kind in DROPPED or (kind == tokenize.OP and text == ";"):
            continue
        if kind == tokenize.STRING:
            last = index
            while last < len(raw) and raw[last][0] == tokenize.STRING:
                last += 1  # implicit concatenation "a" "b" reads as one string
            if not is_docstring(kinds, index - 1):
                out.append(Token(STRING, cell, start, raw[last - 1][3]))
            index = last
            continue
        if kind == tokenize.ERRORTOKEN and not text.strip():
            continue
        if kind == tokenize.NUMBER:
            text = NUMBER
        elif kind == tokenize.NAME and not keyword.iskeyword(text) and text != SELF:
            after_dot = bool(out) and out[-1].text == "."
            after_self = after_dot and len(out) > 1 and out[-2].text == SELF
            if after_self or (not after_dot and text not in keep):
                text = NAME
        elif kind == tokenize.OP and text == "," and index < len(raw):
            following = next((tok for tok in raw[index:] if tok[0] not in DROPPED), None)
            if following and following[1] in CLOSING:
                continue  # a trailing comma is formatting
        out.append(Token(text, cell, start, end))
    return out


@functools.lru_cache(maxsize=65536)
def token_code(text: str) -> int:
    """A 64-bit code of one normalised token, the same in every process (unlike `hash` of a str)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def kgram_hashes(tokens: list[Token], k: int = KGRAM) -> list[int]:
    """Hash of the k-gram starting at each token; empty when there are fewer than `k` tokens.

    A tuple of ints hashes the same in every process, so workers agree on fingerprints.
    """
    codes = [token_code(tok.text) for tok in tokens]
    return [hash(tuple(codes[i : i + k])) for i in range(len(codes) - k + 1)]


def winnow(hashes: list[int], window: int = WINDOW) -> list[tuple[int, int]]:
    """(hash, k-gram position) picked by winnowing: the rightmost minimum of each window, once each.

    A sequence shorter than one window contributes its minimum, so short answers still count.
    """
    if not hashes:
        return []
    window = min(window, len(hashes))
    picked, last = [], -1
    for left in range(len(hashes) - window + 1):
        span = hashes[left : left + window]
        smallest = min(span)
        position = left + window - 1 - span[::-1].index(smallest)
        if position != last:
            picked.append((smallest, position))
            last = position
    return picked


def fingerprints(
    tokens: list[Token], k: int = KGRAM, window: int = WINDOW, segments: list[int] | None = None
) -> dict[int, list[int]]:
    """{fingerprint hash: k-gram start positions in `tokens`} of the winnowed k-grams.

    `segments` (one id per token) splits `tokens` into runs that were contiguous in the source; no
    k-gram spans two runs, so the tokens either side of a removed starter line never join into a
    k-gram that neither the student nor the stub wrote.
    """
    if segments is None:
        segments = [0] * len(tokens)
    prints: dict[int, list[int]] = {}
    first = 0
    for _, run in itertools.groupby(segments):
        length = sum(1 for _ in run)
        for value, position in winnow(kgram_hashes(tokens[first : first + length], k), window):
            prints.setdefault(value, []).append(first + position)
        first += length
    return prints


def all_kgrams(tokens: list[Token], k: int = KGRAM) -> set[int]:
    """Every k-gram hash of `tokens`, not winnowed: the starter code's, to subtract from answers."""
    return set(kgram_hashes(tokens, k))
