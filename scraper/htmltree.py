"""HTML → lexbor tree for every box that reads pages (extract, discover), with nesting capped.

An HTML5 tree builder checks element scope by walking its stack of open elements, so parsing
costs about (tags × nesting depth): 10^5 nested `<div>`s take lexbor about two minutes, which
one hostile page must not cost a worker. Browsers cap the depth (Blink at 512: deeper elements
become siblings); `parse_html` does the same to the markup before lexbor sees it. Only pages
with more tags than `_SCAN_ABOVE` are scanned — below that even the worst nesting parses in
well under a second, and counting '<' is all a normal page pays.
"""
from __future__ import annotations

import re
from collections import Counter

from selectolax.lexbor import LexborHTMLParser

MAX_DEPTH = 512
_SCAN_ABOVE = 8000
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*>?")
# Elements that never nest in the tree (void ones) or that the parser closes by itself when
# the next one opens (unclosed <p>/<li>/<td> are everywhere and never make a page deep).
_FLAT = frozenset(
    "area base br col embed hr img input link meta param source track wbr keygen "
    "p li dt dd tr td th option optgroup thead tbody tfoot colgroup caption rb rt rp".split()
)


def parse_html(markup: str | bytes) -> LexborHTMLParser:
    """The lexbor tree of `markup` (str, or bytes that are UTF-8), nesting capped at MAX_DEPTH."""
    if isinstance(markup, bytes):   # replace jumps between '<'s with memchr: 2x faster than count
        tags = len(markup) - len(markup.replace(b"<", b""))
    else:                           # (for str, count is the faster of the two)
        tags = markup.count("<")
    if tags > _SCAN_ABOVE:
        text = markup.decode("utf-8", "replace") if isinstance(markup, bytes) else markup
        flattened = flatten(text)
        if flattened is not None:
            return LexborHTMLParser(flattened)
    return LexborHTMLParser(markup)


def flatten(text: str, max_depth: int = MAX_DEPTH) -> str | None:
    """`text` without the start tags that would open an element deeper than `max_depth`, nor
    the end tags that would close them (their content stays, as siblings at the cap); None
    when nothing is that deep. An approximation of the tree builder, used only on deep pages."""
    stack: list[str] = []
    dropped: Counter[str] = Counter()
    cuts: list[tuple[int, int]] = []
    for m in _TAG.finditer(text):
        name = m.group(2).lower()
        if name in _FLAT:
            continue
        if not m.group(1):
            if len(stack) >= max_depth:
                dropped[name] += 1
                cuts.append(m.span())
            else:
                stack.append(name)
        elif dropped[name]:
            dropped[name] -= 1
            cuts.append(m.span())
        elif name in stack:
            del stack[len(stack) - 1 - stack[::-1].index(name):]
    if not cuts:
        return None
    parts, last = [], 0
    for start, end in cuts:
        parts.append(text[last:start])
        last = end
    parts.append(text[last:])
    return "".join(parts)
