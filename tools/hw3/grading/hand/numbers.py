"""The one way a score or an adjustment is written, shared by the scores file and the packet's script.

A number is an optional sign (`+`, `-` or the minus sign `−`), then decimal digits with at most one
decimal point: `2`, `0.5`, `.5`, `1.`, `-0.5`. Persian and Arabic-Indic digits (`۰.۵`) and the
Arabic decimal separator (`٫`) read as their ASCII forms, so a TA typing on a Persian keyboard is
understood. Nothing else is a number here: no exponent (`5e-1`), no digit separators (`0.5_0`,
`1,5`), no `inf` or `nan`. static/packet.js implements the same rule (`HW3.number`), and a test runs
both over one table of cases.
"""

from __future__ import annotations

import re

# Persian (U+06F0..), Arabic-Indic (U+0660..) digits, the Arabic decimal separator and the minus sign
LOCAL_FORMS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫−", "01234567890123456789.-")
DECIMAL = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$")
HOW = "write a plain decimal like 0.5 (a dot for decimals)"


def parse_number(text: str) -> tuple[float | None, str]:
    """(value, '') for a number, (None, '') for a blank, (None, why) otherwise (see the module docstring)."""
    text = text.strip()
    if not text:
        return None, ""
    plain = text.translate(LOCAL_FORMS)
    if not DECIMAL.match(plain):
        return None, f"{text!r} is not a number: {HOW}"
    return float(plain), ""


def shown(value: float) -> str:
    """A number as the scores file writes it: the shortest form, at most six decimals (29.5, 30, -0.25)."""
    text = f"{round(value, 6):g}"
    return "0" if text == "-0" else text
