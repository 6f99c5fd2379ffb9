"""The outputs of `hw3 similarity`: CSVs of pairs, known-source matches and clusters, and one HTML page.

The page (a jinja2 template, autoescaped: student text can hold anything) shows what was compared
and how, the submissions skipped and why, the matches with known sources, the clusters, the
ranked pairs, and side by side, each shared question of the top source matches (the submission
against the source) and of the top pairs: answer cells, starter lines greyed, the tokens of
shared fingerprints in <mark>, then the outputs the two alone share.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

from markupsafe import Markup, escape

from hw3.common.atomic import write_atomic
from hw3.common.templates import html_environment
from hw3.similarity import fingerprints, rare
from hw3.similarity.compare import (
    Pair,
    SourceMatch,
    Weigher,
    is_run_specific,
    shared_outputs,
    source_own,
    source_regions,
)
from hw3.similarity.evidence import BIN, FLAG_STUDENT_RATE, UNUSUAL_PAIR_RATE, Threshold
from hw3.similarity.results import Comparison

MAX_SHOWN_OUTPUTS = 20
RARE_ROWS = 100  # CSV rows (besides those with a verdict) whose rare lines are written out
RARE_IN_CSV = 3  # rare blocks per row in the CSV, most bits first
# columns added after `evidence` (the columns before it are the contract TAs' scripts read)
EVIDENCE_COLUMNS = [
    "evidence_bits",
    "unusual_from_bits",
    "flagged_from_bits",
    "verdict",
    "honest_share",
    "rare_lines",
]
TABLE_ROWS = 100  # pairs and source matches listed in the tables (all flagged ones too); the CSVs have them all
TEMPLATES = Path(__file__).parent / "templates"
ENVIRONMENT = html_environment(TEMPLATES)


def weigher(result: Comparison) -> Weigher:
    return Weigher(result.corpus, result.calibrations.counts)


def weighed(
    bits: dict[int, float], holders: dict, aside: frozenset, solutions: int
) -> list[tuple[int, float, int, int]]:
    """(fingerprint, bits, other classmates holding it, corpus solutions judged) for `rare.rare_blocks`."""
    return [
        (value, share, len(holders.get(value, frozenset()) - aside), solutions)
        for value, share in sorted(bits.items())
    ]


def pair_rare(result: Comparison, pair: Pair) -> dict[str, list[rare.RareBlock]]:
    """{key: the rare blocks the two answers share}, questions in notebook order."""
    if result.calibrations is None:
        return {}
    weigh = weigher(result)
    left_out = weigh.excluded(weigh.own(pair.a), weigh.own(pair.b))
    a, b = result.submissions[pair.a], result.submissions[pair.b]
    both = frozenset((pair.a, pair.b))
    found = {}
    for key in result.keys:
        if pair.question_bits.get(key, 0.0) <= 0:
            continue
        excluded = left_out.get(key, 0)
        shared = (set(a.regions[key].prints) & set(b.regions[key].prints)) - result.common[key]
        holders = result.calibrations.counts.holders[key]
        bits = weigh.pair_bits(key, shared, pair.a, pair.b, excluded)
        solutions = (result.corpus.answered.get(key, 0) & ~excluded).bit_count()
        rows = weighed(bits, holders, both, solutions)
        found[key] = rare.rare_blocks(a.regions[key], b.regions[key], rows, others(result, key))
    return found


def match_rare(result: Comparison, match: SourceMatch) -> dict[str, list[rare.RareBlock]]:
    """{key: the rare blocks a submission shares with a known source}."""
    if result.calibrations is None:
        return {}
    weigh = weigher(result)
    source = result.sources[match.source]
    regions = source_regions(source, result.keys)
    left_out = weigh.excluded(
        weigh.own(match.submission), source_own(source, result.keys, result.corpus)
    )
    mine = result.submissions[match.submission]
    view = result.calibrations.source_views[match.source]
    counts, me = result.calibrations.counts, frozenset((match.submission,))
    found = {}
    for key in result.keys:
        if match.question_bits.get(key, 0.0) <= 0:
            continue
        excluded = left_out.get(key, 0)
        shared = set(mine.regions[key].prints) & set(regions[key].prints)
        bits = weigh.source_bits(key, shared, match.submission, excluded, view)
        solutions = (result.corpus.answered.get(key, 0) & ~excluded).bit_count()
        rows = weighed(bits, counts.holders[key], view.near | me, solutions)
        looked_at = view.classmates(counts, key, me)
        found[key] = rare.rare_blocks(mine.regions[key], regions[key], rows, looked_at)
    return found


def others(result: Comparison, key: str) -> int:
    """Classmates other than the two compared that answered `key`."""
    return result.calibrations.counts.answered.get(key, 2) - 2


def evidence_cells(
    result: Comparison, item: Pair | SourceMatch, blocks: dict | None, first_side
) -> list:
    """The EVIDENCE_COLUMNS of one CSV row; `blocks` None when its rare lines are not written out."""
    threshold = item.threshold
    share = threshold.honest_share(item.bits) if threshold else None
    lines = []
    for key, found in (blocks or {}).items():
        lines += [(b.bits, rare.summary(key, b, first_side.regions[key])) for b in found]
    lines.sort(key=lambda line: -line[0])
    return [
        f"{item.bits:.1f}",
        "" if threshold is None or threshold.unusual is None else f"{threshold.unusual:.1f}",
        "" if threshold is None or threshold.flag is None else f"{threshold.flag:.1f}",
        item.verdict,
        "" if share is None else f"{share:.2g}",
        " | ".join(text for _, text in lines[:RARE_IN_CSV]),
    ]


def write_csv(path: Path, result: Comparison) -> None:
    """similarity.csv: rank, the two zips, flags, overall and per-question scores, evidence."""
    header = [
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
        *result.keys,
        "evidence",
        *EVIDENCE_COLUMNS,
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for rank, pair in enumerate(result.pairs, start=1):
            a, b = result.submissions[pair.a], result.submissions[pair.b]
            blocks = pair_rare(result, pair) if pair.verdict or rank <= RARE_ROWS else None
            per_question = [
                f"{pair.questions[k][1]:.3f}" if k in pair.questions else "" for k in result.keys
            ]
            writer.writerow(
                [
                    rank,
                    a.label,
                    b.label,
                    a.path.name,
                    b.path.name,
                    "+".join(pair.flags),
                    f"{pair.score:.3f}",
                    pair.shared,
                    pair.outputs_shared,
                    pair.outputs_run_specific,
                    f"{pair.outputs_score:.3f}",
                    *per_question,
                    pair.evidence,
                    *evidence_cells(result, pair, blocks, a),
                ]
            )


def write_sources_csv(path: Path, result: Comparison) -> None:
    """sources.csv: one row per submission and known source sharing code, flagged first; per-question containment."""
    header = [
        "rank",
        "student",
        "file",
        "source",
        "flagged",
        "score",
        "shared_fingerprints",
        *result.keys,
        "evidence",
        *EVIDENCE_COLUMNS,
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for rank, match in enumerate(result.matches, start=1):
            submission, source = result.submissions[match.submission], result.sources[match.source]
            blocks = match_rare(result, match) if match.verdict or rank <= RARE_ROWS else None
            per_question = [
                f"{match.questions[k][1]:.3f}" if k in match.questions else "" for k in result.keys
            ]
            writer.writerow(
                [
                    rank,
                    submission.label,
                    submission.path.name,
                    source.name,
                    match.flag,
                    f"{match.score:.3f}",
                    match.shared,
                    *per_question,
                    match.evidence,
                    *evidence_cells(result, match, blocks, submission),
                ]
            )


def write_clusters_csv(path: Path, result: Comparison) -> None:
    """clusters.csv: one row per member of each cluster, with the cluster's size, questions and closest source."""
    header = [
        "cluster",
        "members",
        "fingerprints",
        "questions",
        "source",
        "source_share",
        "student",
        "file",
        "share",
        "coverage",
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for number, cluster in enumerate(result.clusters, start=1):
            questions = "; ".join(f"{key}={count}" for key, count in cluster.questions.items())
            source, share = cluster.source or ("", 0.0)
            for index in cluster.members:
                submission = result.submissions[index]
                writer.writerow(
                    [
                        number,
                        len(cluster.members),
                        cluster.size,
                        questions,
                        source,
                        f"{share:.3f}" if source else "",
                        submission.label,
                        submission.path.name,
                        f"{cluster.shares[index]:.3f}",
                        f"{cluster.coverage[index]:.3f}",
                    ]
                )


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
        if cell_spans and not source[cell_spans[-1][1] : token.start].strip():
            cell_spans[-1] = (cell_spans[-1][0], token.end)
        else:
            cell_spans.append((token.start, token.end))
    return spans


def marked_source(source: str, marks, starter) -> Markup:
    """`source` escaped, with `marks` in <mark> and `starter` spans greyed."""
    style = bytearray(len(source))  # bit 1: shared, bit 2: starter
    for start, end in merged_spans(marks):
        style[start:end] = bytes(b | 1 for b in style[start:end])
    for start, end in starter:
        style[start:end] = bytes(b | 2 for b in style[start:end])
    parts, at = [], 0
    for flag, run in itertools.groupby(style):
        length = sum(1 for _ in run)
        text = escape(source[at : at + length])
        if flag & 1:
            text = Markup("<mark>{}</mark>").format(text)
        if flag & 2:
            text = Markup('<span class="starter">{}</span>').format(text)
        parts.append(text)
        at += length
    return Markup("").join(parts)


def region_cells(region, shared: set) -> list[dict]:
    """The answer cells of one student for one question: cell number and marked-up source."""
    spans = shared_spans(region, shared)
    return [
        {
            "number": cell_index + 1,
            "source": marked_source(source, spans.get(position, []), region.starter[position]),
        }
        for position, (cell_index, source) in enumerate(region.cells)
    ]


def rare_view(blocks, a, b) -> list[dict]:
    """The rare blocks of one question as rows: A's lines, B's lines, why rare."""
    return [
        {
            "a": "\n".join(block.text(a, block.lines_a)),
            "b": "\n".join(block.text(b, block.lines_b)),
            "why": rare.why(block),
        }
        for block in blocks
    ]


def pair_view(result: Comparison, rank: int, pair: Pair) -> dict:
    """What the template shows of one top pair."""
    a, b = result.submissions[pair.a], result.submissions[pair.b]
    blocks = pair_rare(result, pair)
    questions = []
    for key in result.keys:
        if key in pair.questions:
            region_a, region_b = a.regions[key], b.regions[key]
            shared = (set(region_a.prints) & set(region_b.prints)) - result.common[key]
            count, score = pair.questions[key]
            questions.append(
                {
                    "key": key,
                    "count": count,
                    "score": score,
                    "bits": pair.question_bits.get(key, 0.0),
                    "rare": rare_view(blocks.get(key, []), region_a, region_b),
                    "a": region_cells(region_a, shared),
                    "b": region_cells(region_b, shared),
                }
            )
    units = shared_outputs(a, b, result.common)
    outputs = [
        {"run_specific": is_run_specific(unit), "text": a.outputs[unit]}
        for unit in units[:MAX_SHOWN_OUTPUTS]
    ]
    return {
        "rank": rank,
        "pair": pair,
        "a": a,
        "b": b,
        "share": pair.threshold.honest_share(pair.bits) if pair.threshold else None,
        "questions": questions,
        "outputs": outputs,
        "outputs_total": len(units),
        "outputs_hidden": max(0, len(units) - MAX_SHOWN_OUTPUTS),
    }


def match_view(result: Comparison, rank: int, match: SourceMatch) -> dict:
    """What the template shows of one top source match: each shared question, the submission beside the source."""
    submission, source = result.submissions[match.submission], result.sources[match.source]
    regions = source_regions(source, result.keys)
    blocks = match_rare(result, match)
    questions = []
    for key in result.keys:
        if key in match.questions:
            mine, theirs = submission.regions[key], regions[key]
            shared = set(mine.prints) & set(theirs.prints)
            count, score = match.questions[key]
            questions.append(
                {
                    "key": key,
                    "count": count,
                    "score": score,
                    "bits": match.question_bits.get(key, 0.0),
                    "rare": rare_view(blocks.get(key, []), mine, theirs),
                    "a": region_cells(mine, shared),
                    "b": region_cells(theirs, shared),
                }
            )
    return {
        "rank": rank,
        "match": match,
        "submission": submission,
        "source": source,
        "share": match.threshold.honest_share(match.bits) if match.threshold else None,
        "questions": questions,
    }


def calibration_view(result: Comparison) -> dict:
    """What the report says about the corpus and the thresholds every comparison without left-out solutions uses."""
    pairs = result.calibrations.for_pair({}) if result.calibrations else Threshold(None, None, 0.0)
    sources = (
        result.calibrations.for_source({}) if result.calibrations else Threshold(None, None, 0.0)
    )
    rows = []
    for key in result.keys:
        stats = result.corpus.stats.get(key)
        if stats is None:
            continue
        honest = pairs.honest.get(key, [])
        rows.append(
            {
                "key": key,
                "stats": stats,
                "calibrated": result.corpus.calibrated(key),
                "honest_median": sorted(honest)[len(honest) // 2] if honest else None,
                "honest_max": max(honest) if honest else None,
            }
        )
    return {
        "pairs": pairs,
        "sources": sources,
        "rows": rows,
        "solutions": [s.name for s in result.corpus.solutions],
        "unusual_rate": UNUSUAL_PAIR_RATE,
        "student_rate": FLAG_STUDENT_RATE,
        "bin": BIN,
    }


def write_html(path: Path, result: Comparison, top: int) -> None:
    """Write the report of `result` to `path`."""
    flagged = sum(1 for pair in result.pairs if pair.flags)
    listed = result.pairs[: max(top, TABLE_ROWS, flagged)]
    flagged_matches = sum(1 for match in result.matches if match.flag)
    listed_matches = result.matches[: max(top, TABLE_ROWS, flagged_matches)]
    notes = [escape(note) for note in result.notes]
    notes += [
        Markup("<code>{}</code>: {}").format(s.path.name, note)
        for s in result.submissions
        for note in s.notes
    ]
    notes += [
        Markup("source:{} (<code>{}</code>): {}").format(s.name, s.origin, note)
        for s in result.sources
        for note in s.notes
    ]
    page = ENVIRONMENT.get_template("report.html.j2").render(
        result=result,
        calibration=calibration_view(result),
        flagged=flagged,
        top=top,
        listed=listed,
        more=len(result.pairs) - len(listed),
        timing=", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings.items()),
        kgram=fingerprints.KGRAM,
        window=fingerprints.WINDOW,
        notes=notes,
        skipped=[(Path(file).name, why) for file, why in result.skipped],
        source_skipped=[(Path(file).name, why) for file, why in result.source_skipped],
        flagged_matches=flagged_matches,
        listed_matches=listed_matches,
        more_matches=len(result.matches) - len(listed_matches),
        matches=[
            match_view(result, rank, match)
            for rank, match in enumerate(result.matches[:top], start=1)
        ],
        pairs=[
            pair_view(result, rank, pair) for rank, pair in enumerate(result.pairs[:top], start=1)
        ],
    )
    write_atomic(path, page)
