"""Markdown answers render to inert HTML: no raw HTML, no script links, no image from outside the packet."""

import pytest

from hw3.common.images import Refused
from hw3.grading.hand.markdown import render


def no_images(src):
    raise Refused("not here")


@pytest.mark.parametrize(
    "text, absent, present",
    [
        ("<script>alert(1)</script>", "<script", "&lt;script&gt;"),
        ('<img src=x onerror="alert(1)">', "<img", "&lt;img"),
        ("[x](javascript:alert(1))", "href", "[x](javascript:alert(1))"),
        ("[x](JaVaScRiPt:alert(1))", "href", "[x]"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "href", "[x]"),
        ("[x](file:///etc/passwd)", "href", "[x]"),
        ("![t](http://198.51.100.7/t.png)", "<img", "not shown"),
        ("[x](../../feedback/other.md)", "href", "<a>x</a>"),
        ('[ok](https://example.org "t")', "javascript", 'href="https://example.org"'),
    ],
)
def test_hostile_markdown_stays_text(text, absent, present):
    html = str(render(text, no_images))
    assert absent not in html and present in html


def test_links_open_apart_without_a_referrer_and_attachments_resolve():
    html = str(
        render("[n](https://example.org) ![a](attachment:a.png)", lambda src: "../images/abc.png")
    )
    assert (
        'rel="noopener noreferrer nofollow"' in html
        and '<img src="../images/abc.png" alt="a" loading="lazy">' in html
    )


def test_a_long_answer_is_cut_with_a_note():
    html = str(render("word " * 10, no_images, limit=12))
    assert "[cut: 38 more characters not shown]" in html


def test_tex_becomes_mathml_without_anything_the_converter_lets_through():
    html = render(r"$\text{<script>x</script>}$ and $\href{javascript:alert(1)}{y}$ $$c_t$$")
    assert "<script" not in html and "href" not in html and "javascript" not in html
    assert html.count('xmlns="http://www.w3.org/1998/Math/MathML"') == 3
    assert '<code class="tex">$\\frac{$</code>' in render(r"$\frac{$")
