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
    # The tags are read twice only when some are cut: tuples from findall cost half of what
    # match objects do, and on most big pages nothing is (a 760 KB page: 5.3 -> 4.1 ms).
    cut = _cut_tags(_TAG.findall(text), max_depth)
    if not cut:
        return None
    parts, last = [], 0
    for i, m in enumerate(_TAG.finditer(text)):
        if i in cut:
            parts.append(text[last:m.start()])
            last = m.end()
    parts.append(text[last:])
    return "".join(parts)


def _cut_tags(tags: list[tuple[str, str]], max_depth: int) -> set[int]:
    """Indices of the (end slash, name) tags that `flatten` drops."""
    stack: list[str] = []
    dropped: dict[str, int] = {}
    cut: set[int] = set()
    for i, (end, name) in enumerate(tags):
        name = name.lower()
        if name in _FLAT:
            continue
        if not end:
            if len(stack) >= max_depth:
                dropped[name] = dropped.get(name, 0) + 1
                cut.add(i)
            else:
                stack.append(name)
        elif dropped.get(name):
            dropped[name] -= 1
            cut.add(i)
        elif name in stack:
            del stack[len(stack) - 1 - stack[::-1].index(name):]
    return cut
