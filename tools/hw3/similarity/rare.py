"""The rare lines two answers share, side by side, with why each is rare: what the report shows a TA.

A shared fingerprint that weighs something (`compare.Weigher`) covers a run of tokens in each
answer; fingerprints whose runs touch the same lines are one block. A block shows the lines of each
side, its bits, and its rarity: how many of the independent solutions judged hold it (none, or it
would weigh nothing) and how many other classmates do.
"""

from __future__ import annotations

from dataclasses import dataclass

from hw3.similarity import fingerprints
from hw3.similarity.submissions import Region

MAX_LINE_CHARS = 160  # a line longer than this is cut in the CSV


@dataclass
class RareBlock:
    """Lines two answers share that independent solutions do not write: (cell position, line number) per side."""

    lines_a: set[tuple[int, int]]
    lines_b: set[tuple[int, int]]
    bits: float
    classmates: int  # the most other classmates holding one of its fingerprints
    solutions: int  # the independent solutions judged, none of which holds it
    looked_at: int  # the other classmates looked at

    def text(self, region: Region, lines: set[tuple[int, int]]) -> list[str]:
        """The block's lines in `region`, in order, stripped."""
        found = []
        for cell, line in sorted(lines):
            source_lines = region.cells[cell][1].splitlines()
            if line < len(source_lines):
                found.append(source_lines[line].strip())
        return found


def covered_lines(region: Region, value: int) -> set[tuple[int, int]]:
    """(cell position, line number) of every token the fingerprint `value` covers in `region`."""
    found = set()
    for position in region.prints.get(value, []):
        for token in region.tokens[position : position + fingerprints.KGRAM]:
            source = region.cells[token.cell][1]
            found.add((token.cell, source.count("\n", 0, token.start)))
    return found


def rare_blocks(
    a: Region, b: Region, weighed: list[tuple[int, float, int, int]], looked_at: int
) -> list[RareBlock]:
    """Blocks of the fingerprints in `weighed` (value, bits, classmates, solutions) that weigh, most bits first."""
    blocks: list[RareBlock] = []
    for value, bits, classmates, solutions in weighed:
        if bits <= 0:
            continue
        block = RareBlock(
            covered_lines(a, value), covered_lines(b, value), bits, classmates, solutions, looked_at
        )
        touching = [
            other
            for other in blocks
            if other.lines_a & block.lines_a or other.lines_b & block.lines_b
        ]
        for other in touching:
            blocks.remove(other)
            block.lines_a |= other.lines_a
            block.lines_b |= other.lines_b
            block.bits += other.bits
            block.classmates = max(block.classmates, other.classmates)
        blocks.append(block)
    return sorted(blocks, key=lambda block: -block.bits)


def why(block: RareBlock) -> str:
    """Why a block is rare, in words."""
    return (
        f"none of the {block.solutions} independent solutions and {block.classmates} of "
        f"{block.looked_at} other classmates write it; {block.bits:.0f} bits"
    )


def summary(key: str, block: RareBlock, a: Region) -> str:
    """One CSV line of a block: the question, its first lines in A, why rare."""
    lines = " / ".join(block.text(a, block.lines_a))
    if len(lines) > MAX_LINE_CHARS:
        lines = lines[: MAX_LINE_CHARS - 3] + "..."
    return f"{key}: `{lines}` ({why(block)})"
