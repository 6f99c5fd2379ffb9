"""TeX math in answers and reference answers, turned into MathML when the packet is written.

latex2mathml converts `$...$` and `$$...$$`; Chromium and Firefox draw MathML natively, so the
packet needs no script and fetches nothing. The converter copies some input through unescaped
(`\\text{<b>}`, `\\href`), so its output is parsed as XML and rebuilt from MathML elements and
presentation attributes only (the text of anything else stays, as text); anything it cannot
convert, or that does not parse, is shown as the TeX source in a code span.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
from latex2mathml.converter import convert
from markupsafe import Markup

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
ELEMENTS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac",
    "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded",
    "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts", "none", "semantics",
}  # fmt: skip
ATTRIBUTES = {
    "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "minsize",
    "maxsize", "symmetric", "largeop", "movablelimits", "accent", "accentunder", "linethickness",
    "columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame",
    "width", "height", "depth", "scriptlevel", "displaystyle", "notation", "form",
}  # fmt: skip
MAX_TEX_CHARS = 2000


def rebuild(element: ET.Element) -> ET.Element | None:
    """A copy of a parsed MathML element with only allowed elements and attributes (None to drop it)."""
    name = element.tag.split("}", 1)[-1]
    if name not in ELEMENTS:
        return None
    copy = ET.Element(name, {k: v for k, v in element.attrib.items() if k in ATTRIBUTES})
    copy.text = element.text
    for child in element:
        kept = rebuild(child)
        if kept is not None:
            kept.tail = child.tail
            copy.append(kept)
            continue
        text = "".join(child.itertext()) + (
            child.tail or ""
        )  # a dropped element's text stays, as text
        if len(copy):
            copy[-1].tail = (copy[-1].tail or "") + text
        else:
            copy.text = (copy.text or "") + text
    return copy


def to_mathml(tex: str, display: bool) -> Markup:
    """`tex` as sanitised MathML, or as its source in a code span when it cannot be converted."""
    fallback = Markup('<code class="tex">{}</code>').format(f"$${tex}$$" if display else f"${tex}$")
    if len(tex) > MAX_TEX_CHARS:
        return fallback
    try:
        raw = convert(tex, display="block" if display else "inline")
        parsed = SafeET.fromstring(raw)
    except Exception:  # noqa: BLE001 - any converter or parser failure shows the source instead
        return fallback
    clean = rebuild(parsed)
    if clean is None:
        return fallback
    clean.set("xmlns", MATHML_NS)
    clean.set("display", "block" if display else "inline")
    return Markup(ET.tostring(clean, encoding="unicode", method="html"))


def render_math(content: str, options: dict) -> str:
    """The renderer the dollarmath plugin calls for each formula."""
    return str(to_mathml(content, bool(options.get("display_mode"))))
