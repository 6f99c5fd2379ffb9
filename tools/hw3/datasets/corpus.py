"""The Divan of Hafez as plain text, read from the `hafez` package's data file.

The package's `__init__` imports `requests`, so the JSON file is located through the
distribution's file list instead of importing the package.
"""

import importlib.metadata
import json
from pathlib import Path

from hw3.errors import Hw3Error

DISTRIBUTION = "hafez"
DATA_FILE = "hafez/data/hafez.json"
GHAZAL_COUNT = 495
TEST_EVERY, TEST_REMAINDER, VALIDATION_REMAINDER = 20, 0, 10


class CorpusError(Hw3Error):
    """The corpus cannot be read; the message names the fix."""


def corpus_json_path() -> Path:
    """Path of `hafez/data/hafez.json` inside the installed `hafez` distribution."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise CorpusError("the Hafez corpus is missing: run `pip install hafez`") from None
    for file in dist.files or []:
        if file.as_posix().endswith(DATA_FILE):
            return Path(dist.locate_file(file))
    raise CorpusError(
        f"{DATA_FILE} not found in the installed hafez package: run `pip install --force-reinstall hafez`"
    )


def load_ghazals() -> list[tuple[int, str]]:
    """All ghazals as (id, text), text = hemistichs joined by newlines, ordered by id."""
    records = json.loads(corpus_json_path().read_text(encoding="utf-8"))
    ghazals = sorted((int(r["id"]), "\n".join(line.strip() for line in r["poem"])) for r in records)
    if len(ghazals) != GHAZAL_COUNT:
        raise CorpusError(
            f"expected {GHAZAL_COUNT} ghazals in {corpus_json_path()}, found {len(ghazals)}: reinstall hafez"
        )
    return ghazals


def split_of(ghazal_id: int) -> str:
    """'test', 'val' or 'train': interleaved by id because the Divan is ordered by rhyme letter."""
    remainder = ghazal_id % TEST_EVERY
    if remainder == TEST_REMAINDER:
        return "test"
    if remainder == VALIDATION_REMAINDER:
        return "val"
    return "train"


def corpus_text() -> str:
    """The whole Divan: ghazals in id order separated by one blank line, ending in a newline."""
    return "\n\n".join(text for _, text in load_ghazals()) + "\n"


def write_corpus(path: Path) -> Path:
    """Write `corpus_text()` to `path` (UTF-8), creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(corpus_text(), encoding="utf-8")
    return path
