"""What a hand-graded score is tied to besides the submission: a short hash of the answer it was given to.

A notebook answer's hash covers its answer cells as the student left them (cell kind, source with
runs of white space made one, pasted attachments); outputs are left out, so rerunning a notebook
does not change it, but any edit to the text or code does. A theory item's answer is the PDF, so
its hash is the PDF's. `NO_ANSWER` stands for an answer that is not there (no notebook, no region,
no PDF). The packet and the empty scores file carry the current hashes, the browser and the scores
file keep the one each score was given to, and the merge refuses a score whose answer changed.
"""

from __future__ import annotations

import hashlib
import json

from hw3.common.regions import normalised

HASH_CHARS = 12
NO_ANSWER = "none"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def cells_hash(cells) -> str:
    """The hash of a notebook answer: its cells' kinds, normalised sources and attachments."""
    parts = []
    for cell in cells:
        source = cell.get("source", "")
        attachments = cell.get("attachments")
        parts.append(
            [
                str(cell.get("cell_type")),
                normalised(source if isinstance(source, str) else ""),
                attachments if isinstance(attachments, dict) else {},
            ]
        )
    text = json.dumps(parts, sort_keys=True, ensure_ascii=True, default=str)
    return digest(text.encode("utf-8"))


def bytes_hash(data: bytes | None) -> str:
    """The hash of a theory PDF (NO_ANSWER when there is none)."""
    return NO_ANSWER if data is None else digest(data)
