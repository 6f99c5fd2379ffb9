"""What `hw3 similarity` found: the one result its API returns and its report shows.

Built by `run.similarity` from the pairs and source matches (`compare.py`, weighed and judged by
`evidence.py` on the independent solutions of `honest.py`) and the clusters (`clusters.py`); read
by `report.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hw3.similarity.clusters import Cluster
from hw3.similarity.compare import Pair, SourceMatch
from hw3.similarity.evidence import Calibrations
from hw3.similarity.honest import Corpus
from hw3.similarity.sources import Source
from hw3.similarity.submissions import Submission


@dataclass(kw_only=True)
class Comparison:
    """Everything the CSV and the report show."""

    submissions: list[Submission]
    skipped: list[tuple[str, str]]  # (file, why)
    notes: list[str]
    keys: list[str]  # assignment:question, in notebook order
    pairs: list[Pair]  # sharing anything, strongest first
    common: dict[str, set]  # key (or 'outputs') -> fingerprints/units dropped as boilerplate
    max_common: int
    pairs_compared: int
    sources: list[Source] = field(default_factory=list)
    source_skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    matches: list[SourceMatch] = field(
        default_factory=list
    )  # sharing anything with a source, strongest first
    clusters: list[Cluster] = field(default_factory=list)  # largest first
    corpus: Corpus = field(default_factory=Corpus)  # the independent solutions that weigh the code
    calibrations: Calibrations | None = None  # the thresholds, per set of corpus solutions left out
    timings: dict[str, float] = field(default_factory=dict)
