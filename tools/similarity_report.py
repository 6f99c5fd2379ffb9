"""The HTML report of `hw3 similarity`: one self-contained page, every student's text escaped.

Shows what was compared and how, the submissions that were skipped and why, the ranked pairs, and
for the top pairs each shared question side by side: the answer cells of both students, starter
lines greyed, the tokens of shared fingerprints in <mark>, then the outputs the two alone share.
"""
import html
import itertools
from pathlib import Path

from tools import fingerprints
from tools.similarity import is_run_specific, shared_outputs

MAX_SHOWN_OUTPUTS = 20
TABLE_ROWS = 100  # pairs listed in the table (all flagged ones too); the CSV has them all
CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; font-size: .9em; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fff3f0; }
.flag { color: #b00; font-weight: bold; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.side > div { min-width: 0; }
pre { background: #fafafa; border: 1px solid #ddd; padding: .5em; overflow-x: auto; white-space: pre-wrap;
      font-size: .85em; line-height: 1.35; }
.cellno { color: #777; font-size: .8em; }
.starter { color: #aaa; }
mark { background: #ffd54f; padding: 0; }
section.pair { border-top: 2px solid #888; margin-top: 2em; }
ul.outputs li { font-family: monospace; font-size: .85em; unicode-bidi: plaintext; }
.muted { color: #666; font-size: .9em; }
"""


def esc(text) -> str:
    """HTML-escaped text, quotes included (student text can hold anything)."""
    return html.escape(str(text), quote=True)


def merged_spans(spans) -> list[tuple[int, int]]:
    """Overlapping or touching (start, end) spans merged, sorted."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def shared_spans(region, shared: set) -> dict[int, list[tuple[int, int]]]:
    """{cell position: character spans} of the tokens covered by the `shared` fingerprints.

    Spans of consecutive tokens are joined across whitespace, so a match reads as one highlight.
    """
    covered = set()
    for value in shared:
        for position in region.prints.get(value, []):
            covered.update(range(position, min(position + fingerprints.KGRAM, len(region.tokens))))
    spans: dict[int, list[tuple[int, int]]] = {}
    for index in sorted(covered):
        token = region.tokens[index]
        cell_spans = spans.setdefault(token.cell, [])
        source = region.cells[token.cell][1]
        if cell_spans and not source[cell_spans[-1][1]:token.start].strip():
            cell_spans[-1] = (cell_spans[-1][0], token.end)
        else:
            cell_spans.append((token.start, token.end))
    return spans


def render_source(source: str, marks, starter) -> str:
    """`source` escaped, with `marks` in <mark> and `starter` spans greyed."""
    style = bytearray(len(source))  # bit 1: shared, bit 2: starter
    for start, end in merged_spans(marks):
        style[start:end] = bytes(b | 1 for b in style[start:end])
    for start, end in starter:
        style[start:end] = bytes(b | 2 for b in style[start:end])
    parts, at = [], 0
    for flag, run in itertools.groupby(style):
        length = sum(1 for _ in run)
        text = esc(source[at:at + length])
        if flag & 1:
            text = f"<mark>{text}</mark>"
        if flag & 2:
            text = f'<span class="starter">{text}</span>'
        parts.append(text)
        at += length
    return "".join(parts)


def render_region(region, shared: set) -> str:
    """The answer cells of one student for one question, as <pre> blocks."""
    spans = shared_spans(region, shared)
    blocks = []
    for position, (cell_index, source) in enumerate(region.cells):
        blocks.append(f'<div class="cellno">cell {cell_index + 1}</div>'
                      f"<pre>{render_source(source, spans.get(position, []), region.starter[position])}</pre>")
    return "".join(blocks)


def pair_title(result, pair) -> str:
    """'A and B' for headings, escaped."""
    a, b = result.submissions[pair.a], result.submissions[pair.b]
    return f"{esc(a.label)} &amp; {esc(b.label)}"


def render_pair(result, rank: int, pair) -> str:
    """One top pair: scores, each shared question side by side, then the shared outputs."""
    a, b = result.submissions[pair.a], result.submissions[pair.b]
    flags = f' <span class="flag">flagged: {esc(", ".join(pair.flags))}</span>' if pair.flags else ""
    parts = [f'<section class="pair" id="pair-{rank}"><h2>#{rank} {pair_title(result, pair)}{flags}</h2>',
             f'<p>overall {pair.score:.0%} ({pair.shared} shared fingerprints); outputs: {pair.outputs_shared} '
             f'shared, {pair.outputs_run_specific} of them run-specific; files <code>{esc(a.path.name)}</code> '
             f'and <code>{esc(b.path.name)}</code></p>']
    for key in result.keys:
        if key not in pair.questions:
            continue
        count, score = pair.questions[key]
        region_a, region_b = a.regions[key], b.regions[key]
        shared = (set(region_a.prints) & set(region_b.prints)) - result.common[key]
        parts.append(f"<h3>{esc(key)}: {count} shared fingerprints, {score:.0%} of the smaller answer</h3>"
                     f'<div class="side"><div><b>{esc(a.label)}</b>{render_region(region_a, shared)}</div>'
                     f'<div><b>{esc(b.label)}</b>{render_region(region_b, shared)}</div></div>')
    units = shared_outputs(a, b, result.common)
    if units:
        items = "".join(f'<li dir="auto">{"<b>run-specific</b> " if is_run_specific(unit) else ""}'
                        f"{esc(a.outputs[unit])}</li>" for unit in units[:MAX_SHOWN_OUTPUTS])
        hidden = len(units) - MAX_SHOWN_OUTPUTS
        more = f"<p class='muted'>and {hidden} more</p>" if hidden > 0 else ""
        parts.append(f"<h3>Outputs only these two share ({len(units)})</h3><ul class='outputs'>{items}</ul>{more}")
    parts.append("</section>")
    return "".join(parts)


def render_table(result, top: int) -> str:
    """The ranked pairs; the first `top` link to their side-by-side section."""
    head = ("<tr><th>#</th><th>student A</th><th>student B</th><th>flagged</th><th>overall</th>"
            "<th>shared fingerprints</th><th>shared outputs</th><th>strongest evidence</th></tr>")
    rows = []
    flagged = sum(1 for pair in result.pairs if pair.flags)
    listed = result.pairs[:max(top, TABLE_ROWS, flagged)]
    for rank, pair in enumerate(listed, start=1):
        a, b = result.submissions[pair.a], result.submissions[pair.b]
        link = f'<a href="#pair-{rank}">{rank}</a>' if rank <= top else str(rank)
        rows.append(f'<tr class="{"flagged" if pair.flags else ""}"><td>{link}</td><td>{esc(a.label)}</td>'
                    f"<td>{esc(b.label)}</td><td>{esc('+'.join(pair.flags))}</td>"
                    f'<td class="num">{pair.score:.0%}</td><td class="num">{pair.shared}</td>'
                    f'<td class="num">{pair.outputs_shared}</td><td dir="auto">{esc(pair.evidence)}</td></tr>')
    more = len(result.pairs) - len(listed)
    rest = f"<p class='muted'>{more} more pairs share a little: see similarity.csv</p>" if more > 0 else ""
    return f"<table>{head}{''.join(rows)}</table>{rest}"


def render_skipped(result) -> str:
    """The zips that could not be read, and the notes on what was not compared."""
    parts = []
    if result.skipped:
        rows = "".join(f"<tr><td><code>{esc(Path(file).name)}</code></td><td>{esc(why)}</td></tr>"
                       for file, why in result.skipped)
        parts.append(f"<h2 id='skipped'>Skipped ({len(result.skipped)})</h2>"
                     f"<table><tr><th>file</th><th>why</th></tr>{rows}</table>")
    notes = [esc(note) for note in result.notes]
    notes += [f"<code>{esc(s.path.name)}</code>: {esc(note)}" for s in result.submissions for note in s.notes]
    if notes:
        items = "".join(f"<li>{note}</li>" for note in notes)
        parts.append(f"<details><summary>Notes ({len(notes)})</summary><ul>{items}</ul></details>")
    return "".join(parts)


def write_html(path: Path, result, top: int) -> None:
    """Write the report of `result` (a similarity.Comparison) to `path`."""
    flagged = sum(1 for pair in result.pairs if pair.flags)
    timing = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings.items())
    shown = [render_pair(result, rank, pair) for rank, pair in enumerate(result.pairs[:top], start=1)]
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hw3 similarity</title><style>{CSS}</style></head>
<body>
<h1>Similarity of submissions</h1>
<p>{len(result.submissions)} submissions read, {len(result.skipped)} skipped; {result.pairs_compared} pairs
compared, {len(result.pairs)} share anything beyond the starter code and the class's common code,
<span class="flag">{flagged} flagged</span>. ({esc(timing)})</p>
<p class="muted">Code: winnowed fingerprints of {fingerprints.KGRAM}-token runs (window {fingerprints.WINDOW}) of
normalised tokens (names, numbers and strings replaced by their kind; comments and layout ignored), in the
answer cells less the starter code. Fingerprints and outputs held by more than {result.max_common}
submissions are ignored as common. Overall = shared fingerprints over the smaller submission's, pooled over
questions. A high score is a reason to read both notebooks, not a verdict.</p>
{render_skipped(result)}
<h2>Pairs</h2>
{render_table(result, top)}
{''.join(shown)}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
