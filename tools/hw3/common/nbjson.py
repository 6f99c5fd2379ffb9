"""Reading notebook JSON: the one parser every verb uses, strict for the submission rules, lenient for grading.

Standard library only (and Python 3.8 syntax): `hw3 release` copies this module into the
students' `submit.py`, so nbformat is not used here; `hw3.common.notebooks` turns the result into
an nbformat NotebookNode. The strict check is the part of the nbformat 4 schema that matters for
running and grading a notebook: the top-level keys, each cell's type, source and metadata, each
code cell's outputs. otter reads notebooks that break the rest of the schema, and so does the
lenient reader.
"""

from __future__ import annotations

import json

CELL_TYPES = ("code", "markdown", "raw")
OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error")
REQUIRED_OUTPUT_KEYS = {
    "stream": ("name", "text"),
    "display_data": ("data",),
    "execute_result": ("data",),
    "error": ("ename", "evalue", "traceback"),
}
MAX_SHOWN = 80  # characters of a JSON error shown in a message
FIX = "save it from Jupyter again (File > Save) or download the released notebook and copy your answers"


def joined(text) -> str:
    """A notebook string field as one string: nbformat stores multi-line text as a list of lines."""
    if isinstance(text, list):
        return "".join(part for part in text if isinstance(part, str))
    return text if isinstance(text, str) else ""


def schema_problem(nb: dict) -> str:
    """The first way `nb` breaks the nbformat 4 structure, as a short phrase, or ''."""
    if not isinstance(nb.get("metadata", {}), dict):
        return "metadata is not an object"
    for number, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict):
            return f"cell {number} is not an object"
        if cell.get("cell_type") not in CELL_TYPES:
            return f"cell {number} has no valid cell_type"
        source = cell.get("source")
        if not (
            isinstance(source, str)
            or (isinstance(source, list) and all(isinstance(s, str) for s in source))
        ):
            return f"cell {number} has no text source"
        if not isinstance(cell.get("metadata", {}), dict):
            return f"cell {number} has metadata that is not an object"
        if cell["cell_type"] != "code":
            continue
        count = cell.get("execution_count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
            return f"cell {number} has an execution_count that is not a number"
        outputs = cell.get("outputs")
        if not isinstance(outputs, list):
            return f"code cell {number} has no outputs list"
        for output in outputs:
            kind = output.get("output_type") if isinstance(output, dict) else None
            if kind not in OUTPUT_TYPES:
                return f"code cell {number} has an output of unknown type {kind!r}"
            if any(key not in output for key in REQUIRED_OUTPUT_KEYS[kind]):
                return f"code cell {number} has an incomplete {kind} output"
    return ""


def decode(name: str, data: bytes):
    """(the JSON value in `data`, []) or (None, [one problem line naming `name` and the fix])."""
    if not data:
        return None, [f"{name}: is empty: {FIX}"]
    if data.startswith(b"PK\x03\x04"):
        return None, [
            f"{name}: is a zip (otter's export zip?), not a notebook: put the .ipynb file itself"
        ]
    try:
        return json.loads(data.decode("utf-8")), []
    except UnicodeDecodeError:
        return None, [f"{name}: is not UTF-8 text: {FIX}"]
    except json.JSONDecodeError as err:
        return None, [
            f"{name}: is not valid JSON (line {err.lineno}: {err.msg[:MAX_SHOWN]}): {FIX}"
        ]
    except RecursionError:
        return None, [f"{name}: is not valid JSON (nested too deeply): {FIX}"]


def is_notebook_4(raw) -> bool:
    """Whether a JSON value is an nbformat 4 notebook at all (a dict, nbformat 4, a list of cells)."""
    return isinstance(raw, dict) and raw.get("nbformat") == 4 and isinstance(raw.get("cells"), list)


def parse_strict(name: str, data: bytes):
    """(notebook dict, []) for a well-formed nbformat 4 notebook, else (None, [one problem line])."""
    raw, problems = decode(name, data)
    if problems:
        return None, problems
    if not is_notebook_4(raw):
        version = raw.get("nbformat") if isinstance(raw, dict) else None
        return None, [f"{name}: is not an nbformat 4 notebook (nbformat={version!r}): {FIX}"]
    problem = schema_problem(raw)
    if problem:
        return None, [f"{name}: is not a valid notebook ({problem}): {FIX}"]
    return raw, []


def parse_lenient(name: str, data: bytes):
    """(notebook dict, []) for anything nbformat 4 with a list of cells, repaired so every cell has a
    cell_type, a string source, a metadata object and (code cells) an outputs list; else (None, [problem])."""
    raw, problems = decode(name, data)
    if problems:
        return None, problems
    if not is_notebook_4(raw):
        return parse_strict(name, data)
    if not isinstance(raw.get("metadata"), dict):
        raw["metadata"] = {}
    cells = []
    for cell in raw["cells"]:
        if not isinstance(cell, dict):
            continue
        if cell.get("cell_type") not in CELL_TYPES:
            cell["cell_type"] = "raw"
        cell["source"] = joined(cell.get("source"))
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
        if cell["cell_type"] == "code":
            outputs = cell.get("outputs")
            cell["outputs"] = (
                [o for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else []
            )
            cell.setdefault("execution_count", None)
        cells.append(cell)
    raw["cells"] = cells
    return raw, []
