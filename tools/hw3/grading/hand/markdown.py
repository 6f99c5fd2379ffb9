"""Markdown of untrusted answers rendered to inert HTML, with markdown-it-py (CommonMark, tables, and
`$...$` / `$$...$$` math as MathML: `mathml.py`).

Raw HTML is never passed through (it shows as text); links keep only the http, https and mailto
schemes (`javascript:`, `data:`, `file:` and the rest stay plain text; a relative link keeps its text
and loses its target) and open in a new tab without a referrer; an image is shown only when the
caller's `resolve` maps its source to a stored, safe image (a cell attachment, a file beside the
rubric): any other source, such as a URL that would reach the network, becomes a note naming it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from mdit_py_plugins.dollarmath import dollarmath_plugin

from hw3.common.images import Refused
from hw3.grading.hand.mathml import render_math

ALLOWED_LINKS = ("http://", "https://", "mailto:")
ATTACHMENT = "attachment:"
RELATIVE = re.compile(r"^[\w.-][\w./%-]*$")  # a path with no scheme: letters, digits, dots, slashes
MAX_MARKDOWN_CHARS = 20_000  # of one answer; longer ones are cut with a note
LINK_ATTRIBUTES = {"rel": "noopener noreferrer nofollow", "target": "_blank"}

# resolve(src) -> the URL of the stored image, relative to the page; raises images.Refused (why) otherwise
Resolver = Callable[[str], str]


def allowed(url: str) -> bool:
    """Whether a link or image source may be rendered as one: an allowed scheme, an attachment, or a relative
    path (the link and image rules decide what becomes of it)."""
    lowered = url.strip().lower()
    return lowered.startswith(ALLOWED_LINKS + (ATTACHMENT,)) or RELATIVE.match(lowered) is not None


def render_image(self, tokens, idx, options, env) -> str:
    """An image token: a lazy <img> of the stored copy, or a note saying why it is not shown."""
    token = tokens[idx]
    src = token.attrGet("src") or ""
    alt = self.renderInlineAsText(token.children or [], options, env)
    resolve = env.get("resolve")
    try:
        if resolve is None:
            raise Refused("images are not shown here")
        url = resolve(src)
    except Refused as why:
        return str(
            Markup('<span class="refused">[image {} not shown: {}]</span>').format(src, str(why))
        )
    return str(Markup('<img src="{}" alt="{}" loading="lazy">').format(url, alt))


def render_link_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if not (token.attrGet("href") or "").lower().startswith(ALLOWED_LINKS):
        token.attrs.pop("href", None)
        return self.renderToken(tokens, idx, options, env)
    for name, value in LINK_ATTRIBUTES.items():
        token.attrSet(name, value)
    return self.renderToken(tokens, idx, options, env)


def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    # pandoc's rule for inline math (no space inside the dollars, no digit right after the closing
    # one), so "$14 and $92" stays currency; formulas become MathML (`mathml.py`)
    md.use(
        dollarmath_plugin,
        allow_space=False,
        allow_digits=False,
        double_inline=True,
        renderer=render_math,
    )
    md.validateLink = allowed
    md.add_render_rule("image", render_image)
    md.add_render_rule("link_open", render_link_open)
    return md


PARSER = parser()


def render(text: str, resolve: Resolver | None = None, limit: int = MAX_MARKDOWN_CHARS) -> Markup:
    """`text` as safe HTML (see the module docstring); text past `limit` characters is cut with a note."""
    cut = len(text) > limit
    html = PARSER.render(text[:limit], {"resolve": resolve})
    if cut:
        html += str(
            Markup('<p class="refused">[cut: {} more characters not shown]</p>').format(
                len(text) - limit
            )
        )
    return Markup(html)


@functools.lru_cache(maxsize=1024)
def render_inline(text: str) -> Markup:
    """One line of trusted text (a rubric item, a mistake) as inline HTML, its TeX as MathML, no images."""
    return Markup(PARSER.renderInline(text[:MAX_MARKDOWN_CHARS], {"resolve": None}))


def escape_text(text: str) -> Markup:
    """Plain text as HTML (for code and raw cells)."""
    return escape(text)
