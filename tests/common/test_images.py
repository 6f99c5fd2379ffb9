"""Images from students' notebooks: only real PNG, JPEG and SVG, capped, re-encoded or rebuilt, stored once."""

import io
import re

import packet_fixtures as pf
import pytest
from PIL import Image

from hw3.common import images
from hw3.common.images import ImageStore, Refused, sanitise


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), "blue").save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_png_is_re_encoded_to_the_same_pixels_without_extra_chunks():
    payload = b"<script>alert(1)</script>"
    data = pf.STUDENT_FIGURE + payload  # bytes after IEND: a polyglot's hiding place
    safe, ext, width, height = sanitise("image/png", data)
    assert ext == "png" and payload not in safe
    with (
        Image.open(io.BytesIO(safe)) as again,
        Image.open(io.BytesIO(pf.STUDENT_FIGURE)) as original,
    ):
        assert (width, height) == again.size == original.size
        assert again.convert("RGBA").tobytes() == original.convert("RGBA").tobytes()


@pytest.mark.parametrize(
    "mime, data, says",
    [
        ("image/png", jpeg(), "says image/png but is JPEG"),
        ("image/jpeg", b"GIF89a" + b"\0" * 40, "not a readable JPEG"),
        ("image/png", pf.STUDENT_FIGURE[:200], "broken PNG"),
        ("image/png", pf.huge_png(), "megapixels"),
        ("image/png", b"\x89PNG" + b"\0" * (images.MAX_IMAGE_BYTES + 1), "limit"),
        ("image/gif", b"GIF89a", "only PNG, JPEG and SVG"),
        ("text/html", b"<script>alert(1)</script>", "only PNG, JPEG and SVG"),
    ],
)
def test_anything_but_a_real_capped_image_is_refused_with_the_reason(mime, data, says):
    with pytest.raises(Refused) as caught:
        sanitise(mime, data)
    assert says in str(caught.value)


def test_an_svg_keeps_its_drawing_and_loses_scripts_handlers_foreign_content_and_outside_links():
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="x()">'
        b'<script>alert(1)</script><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>'
        b'<a xlink:href="javascript:alert(2)"><rect width="5" height="5"/></a>'
        b'<defs><clipPath id="c"><rect width="9" height="9"/></clipPath></defs>'
        b'<rect width="40" height="20" fill="url(http://198.51.100.7/x)" onclick="y()"/>'
        b'<path d="M0 0L9 9" clip-path="url(#c)" style="stroke: url(https://198.51.100.7/s)"/>'
        b'<image xlink:href="http://198.51.100.7/p.png"/><use xlink:href="#c"/>'
        b'<style>@import url(http://198.51.100.7/c.css);</style><text x="1">label</text></svg>'
    )
    safe, ext, _, _ = sanitise("image/svg+xml", svg)
    text = safe.decode()
    assert (
        ext == "svg" and "label" in text and 'clip-path="url(#c)"' in text and 'href="#c"' in text
    )
    for gone in (
        "script",
        "onload",
        "onclick",
        "foreignObject",
        "javascript",
        "198.51.100.7",
        "@import",
    ):
        assert gone not in text, gone
    assert re.search(r"<path [^>]*d=\"M0 0L9 9\"", text) and "style=" not in text


def test_an_svg_with_entities_or_another_root_is_refused():
    with pytest.raises(Refused):
        sanitise(
            "image/svg+xml",
            b'<!DOCTYPE s [<!ENTITY a "aaaaaaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
        )
    with pytest.raises(Refused):
        sanitise(
            "image/svg+xml",
            b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
        )


def test_the_store_writes_each_distinct_image_once_named_by_its_content(tmp_path):
    store = ImageStore(tmp_path / "images")
    first = store.add("image/png", pf.STUDENT_FIGURE)
    again = store.add_value("image/png", pf.image_output(pf.STUDENT_FIGURE)["data"]["image/png"])
    other = store.add("image/png", pf.GRADED_FIGURE)
    assert first == again and first.name != other.name
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == sorted(
        [first.name, other.name]
    )
    with pytest.raises(Refused):
        store.add_value("image/png", "not base64 at all!")
