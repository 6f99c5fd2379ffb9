"""The one Jinja2 set-up every HTML page of `hw3` is rendered with (the grading packet, the class report,
the similarity report)."""

from __future__ import annotations

from pathlib import Path

import jinja2


def html_environment(folder: Path) -> jinja2.Environment:
    """Templates read from `folder`: autoescaped HTML, an undefined name an error (never a blank),
    block tags trimmed so loops leave no blank lines."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
