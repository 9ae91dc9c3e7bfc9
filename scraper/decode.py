"""Bytes -> text for Chinese web pages.

Declared charsets lie often (``gb2312`` pages full of GBK-only characters, ``utf-8`` pages that
are really GBK, pages that say ``gb2312`` but are UTF-8), so a declaration is only a hint: the
codec chosen is the first candidate that decodes the bytes cleanly. UTF-8 goes first among the
guesses because a GBK page practically never happens to be valid UTF-8, while UTF-8 bytes often
"decode" as GB18030 into mojibake.
"""
from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{2,40})""", re.I)
_SNIFF_BYTES = 4096
_BINARY_SNIFF = 2048
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)   # all but \t \n \v \f \r

# Legacy Chinese names decoded as their superset, so GBK-only characters never break a page.
_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "gb_2312-80": "gb18030", "csgb2312": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "gb18030",
    "big5": "big5hkscs", "x-big5": "big5hkscs",
    "utf8": "utf-8", "unicode": "utf-8",
    # Chinese pages declaring Latin-1/ASCII are mis-declared; fall through to the guesses.
    "iso-8859-1": None, "latin1": None, "latin-1": None, "ascii": None, "us-ascii": None,
    "windows-1252": None, "cp1252": None,
}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _codec(name: str | None) -> str | None:
    """Normalize a declared charset to a Python codec name, or None when unusable."""
    if not name:
        return None
    key = name.strip().strip("\"'").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        info = codecs.lookup(key)
    except LookupError:
        return None
    # bytes-to-bytes or str-to-str codecs (hex, zip, rot13 …) are not text encodings
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _strict(data: bytes, codec: str) -> str | None:
    """Decode without errors, tolerating a sequence cut off at the end (truncated downloads)."""
    try:
        return codecs.getincrementaldecoder(codec)("strict").decode(data, final=False)
    except (UnicodeError, LookupError):    # UnicodeError too: a UTF-16 stream without BOM raises it
        return None


def looks_binary(data: bytes) -> bool:
    """True for bytes that are no text in any encoding a page uses (an image, an archive, a PDF
    served as text/html): NUL bytes or many control bytes near the start. UTF-16 text, which
    is full of NULs, is recognised by its byte order mark."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    head = data[:_BINARY_SNIFF]
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > len(head) // 20


def declared_charset(data: bytes) -> str | None:
    """The charset named by a ``<meta charset>`` / ``http-equiv`` tag near the top, if any."""
    m = _META_CHARSET.search(data[:_SNIFF_BYTES])
    return m.group(1).decode("ascii", "replace") if m else None


def decode_html(data: bytes, http_charset: str | None = None) -> tuple[str, str]:
    """bytes -> (text, codec name used). Never raises; worst case 'utf-8' with replacement."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        return ("" if data is None else str(data)), "utf-8"
    data = bytes(data)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, "replace"), codec.replace("-le", "").replace("-be", "")
    if data.isascii():
        return data.decode("ascii"), "utf-8"
    candidates: list[str] = ["utf-8"]
    for name in (http_charset, declared_charset(data)):
        named = _codec(name)
        if named and named not in candidates:
            candidates.append(named)
    if "gb18030" not in candidates:
        candidates.append("gb18030")
    for codec in candidates:
        text = _strict(data, codec)
        if text is not None:
            return text, codec
    # Nothing decodes cleanly (damaged bytes): keep the reading with the fewest replacements.
    best = min(candidates, key=lambda c: data.decode(c, "replace").count("\ufffd"))
    return data.decode(best, "replace"), best
