"""The smallest PDF the submission rules accept: one A4 page with a line of text, written by hand.

For the demo class and test fixtures, which need a real one-page PDF without a TeX installation.
"""

from __future__ import annotations

A4_POINTS = (595, 842)
FONT_SIZE = 12
TEXT_AT = (72, 770)


def one_page_pdf(text: str = "Theory answers") -> bytes:
    """A valid one-page PDF showing `text` (ASCII; parentheses and backslashes are escaped)."""
    safe = (
        text.encode("ascii", "replace")
        .decode()
        .replace("\\", "\\\\")
        .replace("(", "\\(")
        .replace(")", "\\)")
    )
    content = f"BT /F1 {FONT_SIZE} Tf {TEXT_AT[0]} {TEXT_AT[1]} Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {A4_POINTS[0]} {A4_POINTS[1]}] "
        f"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
