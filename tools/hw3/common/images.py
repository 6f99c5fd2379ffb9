"""Images out of students' notebooks, made safe to show: PNG/JPEG re-encoded, SVG rebuilt from an allow-list.

A notebook's image outputs and Markdown attachments are untrusted bytes. Only `image/png`,
`image/jpeg` and `image/svg+xml` are taken, each under a size cap; a raster image must decode as
what it claims, within a pixel cap, and is re-encoded (nothing but pixels survives: no polyglot, no
metadata); an SVG is parsed without entities and rebuilt with SVG elements and plain attributes only
(no script, no event handler, no foreign object, no link outside the picture), so it stays inert
even when opened on its own. Kept images are stored once per content hash (`ImageStore`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import threading
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from PIL import Image, UnidentifiedImageError

from hw3.common.atomic import write_atomic

MB = 1024 * 1024
MAX_IMAGE_BYTES = 2 * MB  # one image as the notebook stores it, decoded
MAX_PIXELS = 16_000_000  # a 4000 x 4000 figure; matplotlib's are well under 1 megapixel
MAX_IMAGES_PER_CELL = 8
JPEG_QUALITY = 90
HASH_CHARS = 20
RASTER = {"image/png": ("PNG", "png"), "image/jpeg": ("JPEG", "jpg")}
SVG_MIME = "image/svg+xml"
MIMES = (*RASTER, SVG_MIME)  # in order of preference within one output
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
SVG_ELEMENTS = {
    "svg",
    "g",
    "defs",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "clipPath",
    "use",
    "style",
    "title",
    "desc",
    "linearGradient",
    "radialGradient",
    "stop",
    "pattern",
    "mask",
    "marker",
    "symbol",
    "image",
}
EMBEDDED_RASTER = re.compile(r"^data:image/(png|jpeg);base64,[A-Za-z0-9+/=\s]*$")
URL_REFERENCE = re.compile(r"url\(\s*['\"]?\s*([^)'\"\s]*)", re.IGNORECASE)
UNSAFE_TEXT = re.compile(r"javascript:|@import|expression\(", re.IGNORECASE)

Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow itself refuses anything twice this size as a bomb

ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


class Refused(ValueError):
    """An image that is not shown; the message says why in a few words, for the TA's page."""


@dataclass(frozen=True)
class Stored:
    """An image kept in the store: its file name there and its pixel size (None for SVG)."""

    name: str
    width: int | None = None
    height: int | None = None


def decode(mime: str, value) -> bytes:
    """The bytes of a notebook's image value: base64 text (str or list of lines) for rasters, text for SVG."""
    text = "".join(value) if isinstance(value, list) else value
    if not isinstance(text, str):
        raise Refused("not text in the notebook")
    if len(text) > MAX_IMAGE_BYTES * 4 // 3 + 4096:
        raise Refused(f"larger than {MAX_IMAGE_BYTES // MB} MB")
    if mime == SVG_MIME:
        return text.encode("utf-8")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise Refused("not valid base64") from None


def sanitise_raster(mime: str, data: bytes) -> tuple[bytes, int, int]:
    """(re-encoded bytes, width, height) of a PNG or JPEG that decodes as what `mime` says."""
    expected, _ = RASTER[mime]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        with image:
            if image.format != expected:
                raise Refused(f"says {mime} but is {image.format or 'not an image'}")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise Refused(
                    f"{width} x {height} pixels (limit {MAX_PIXELS // 1_000_000} megapixels)"
                )
            image.load()
            out = io.BytesIO()
            if expected == "JPEG":
                (image if image.mode in ("L", "RGB", "CMYK") else image.convert("RGB")).save(
                    out, "JPEG", quality=JPEG_QUALITY
                )
            else:
                image.save(out, "PNG")
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(
            f"over {MAX_PIXELS // 1_000_000} megapixels (a decompression bomb?)"
        ) from None
    except UnidentifiedImageError:
        raise Refused(f"not a readable {expected}") from None
    except (OSError, ValueError, SyntaxError) as err:  # truncated or corrupt data
        raise Refused(f"a broken {expected} ({type(err).__name__})") from None
    return out.getvalue(), width, height


def local_name(tag: str) -> tuple[str, str]:
    """(namespace, name) of an ElementTree tag."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def safe_attribute(element: str, name: str, value: str) -> bool:
    """Whether an SVG attribute may stay: no handler, no script, links only inside the picture."""
    namespace, local = local_name(name)
    if local.lower().startswith("on") or UNSAFE_TEXT.search(value):
        return False
    if local == "href" and namespace in ("", XLINK_NS):
        return value.startswith("#") or (
            element == "image" and EMBEDDED_RASTER.match(value) is not None
        )
    if namespace not in ("", XLINK_NS, "http://www.w3.org/XML/1998/namespace"):
        return False
    return all(target.startswith("#") for target in URL_REFERENCE.findall(value))


def rebuilt(source: ET.Element) -> ET.Element | None:
    """A copy of an SVG element keeping only allowed elements and attributes (None for a disallowed one)."""
    namespace, name = local_name(source.tag) if isinstance(source.tag, str) else ("", "")
    if namespace != SVG_NS or name not in SVG_ELEMENTS:
        return None
    if name == "style" and any(
        not ref.startswith("#") for ref in URL_REFERENCE.findall(source.text or "")
    ):
        return None
    if name == "style" and UNSAFE_TEXT.search(source.text or ""):
        return None
    copy = ET.Element(
        source.tag, {k: v for k, v in source.attrib.items() if safe_attribute(name, k, v)}
    )
    copy.text, copy.tail = source.text, source.tail
    for child in source:
        kept = rebuilt(child)
        if kept is not None:
            copy.append(kept)
        elif child.tail and len(copy):  # keep the text that followed a dropped element
            copy[-1].tail = (copy[-1].tail or "") + child.tail
        elif child.tail:
            copy.text = (copy.text or "") + child.tail
    return copy


def sanitise_svg(data: bytes) -> bytes:
    """The SVG rebuilt from its allowed elements and attributes (see the module docstring)."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as err:
        raise Refused(f"not a readable SVG ({type(err).__name__})") from None
    if local_name(root.tag) != (SVG_NS, "svg"):
        raise Refused("not an SVG document")
    return ET.tostring(rebuilt(root), encoding="unicode").encode("utf-8")


def sanitise(mime: str, data: bytes) -> tuple[bytes, str, int | None, int | None]:
    """(safe bytes, file extension, width, height) of one image; Refused when it is not shown."""
    if len(data) > MAX_IMAGE_BYTES:
        raise Refused(f"{len(data) / MB:.1f} MB (limit {MAX_IMAGE_BYTES // MB} MB)")
    if mime in RASTER:
        safe, width, height = sanitise_raster(mime, data)
        return safe, RASTER[mime][1], width, height
    if mime == SVG_MIME:
        return sanitise_svg(data), "svg", None, None
    raise Refused(f"{mime} is not shown (only PNG, JPEG and SVG)")


def bundle_image(data: dict) -> tuple[str, object] | None:
    """(mime, value) of the image in one output's mime bundle, preferring PNG, or None."""
    for mime in MIMES:
        if isinstance(data, dict) and mime in data:
            return mime, data[mime]
    return None


def cell_images(cell: dict) -> list[tuple[str, object]]:
    """(mime, value) of each image output of a code cell (display_data or execute_result), in order."""
    found = []
    for output in cell.get("outputs") or []:
        if isinstance(output, dict) and output.get("output_type") in (
            "display_data",
            "execute_result",
        ):
            image = bundle_image(output.get("data"))
            if image is not None:
                found.append(image)
    return found


class ImageStore:
    """A folder of safe images named by their content hash: each distinct image is written once.

    Safe to share between threads (grading workers add figures to one store).
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.seen: dict[str, Stored | Refused] = {}  # hash of the untrusted bytes -> outcome
        self.lock = threading.Lock()

    def add(self, mime: str, data: bytes) -> Stored:
        """The stored copy of an image (sanitised once per distinct input); Refused when it is not shown."""
        key = hashlib.sha256(mime.encode() + b"\0" + data).hexdigest()
        with self.lock:
            return self.stored(key, mime, data)

    def stored(self, key: str, mime: str, data: bytes) -> Stored:
        if key not in self.seen:
            try:
                safe, ext, width, height = sanitise(mime, data)
                name = f"{hashlib.sha256(safe).hexdigest()[:HASH_CHARS]}.{ext}"
                if not (self.folder / name).is_file():
                    write_atomic(self.folder / name, safe)
                self.seen[key] = Stored(name, width, height)
            except Refused as err:
                self.seen[key] = err
        outcome = self.seen[key]
        if isinstance(outcome, Refused):
            raise outcome
        return outcome

    def add_value(self, mime: str, value) -> Stored:
        """`add` for an image as a notebook stores it (base64 text, or SVG text)."""
        return self.add(mime, decode(mime, value))
