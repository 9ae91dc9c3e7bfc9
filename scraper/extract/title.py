"""The headline as shown: on-page heading, og:title, JSON-LD and <title>, picked consistently.

`<title>` usually holds the headline plus a site suffix (`_新华网`, `-中国电建`, `—人民网`), and
on-page headings include section names and sidebar titles; the headline is the candidate that
both agree on. Line indices of the page model let the caller find the header right below it.
"""
from __future__ import annotations

from .dom import Page, clean
from .rules import HEADING_TAGS, META_TITLE_KEYS, TITLE_SEPARATORS

_MIN, _MAX = 4, 120
_HEADING_LOOKBACK = 12
_PREFIX_MIN = 8         # characters of a cut <title> that must open the on-page headline


def _squash(text: str) -> str:
    return "".join(text.split())


def strip_site_suffix(title: str) -> str:
    """`<title>` minus its site name: the longest separator-delimited part."""
    parts = [p for p in TITLE_SEPARATORS.split(title) if p]
    if len(parts) <= 1:
        return title.strip()
    return max(parts, key=len).strip()


def find_title(page: Page, meta: dict[str, str], doc_title: str) -> tuple[str | None, int]:
    """(headline, index of its line or -1)."""
    doc_sq = _squash(doc_title)
    candidates = [meta[k] for k in META_TITLE_KEYS if meta.get(k)]
    best_line, best_len = -1, 0
    # On-page lines that are a substring of <title> (or of og:title): the longest one wins.
    refs = [r for r in (doc_sq, *map(_squash, candidates)) if r]
    for i, line in enumerate(page.lines):
        text = line.text
        n = len(text)
        if n < _MIN or n > _MAX or n <= best_len or line.link_density > 0.5:
            continue
        sq = _squash(text)
        if any(sq in ref and (len(sq) >= 0.45 * len(ref) or n >= 8) for ref in refs):
            best_line, best_len = i, n
    if best_line >= 0:
        return page.lines[best_line].text, best_line
    # <title> cut short (CMS title-length limits, `…`): the on-page line that starts with it.
    heads = {_squash(strip_site_suffix(r)).rstrip(".…") for r in (doc_title, *candidates) if r}
    heads = [h for h in heads if len(h) >= _PREFIX_MIN]
    if heads:
        for i, line in enumerate(page.lines):
            if _MIN <= len(line.text) <= _MAX and line.link_density <= 0.5:
                sq = _squash(line.text)
                if any(sq.startswith(h) for h in heads):
                    return line.text, i
    for cand in candidates:
        text = clean(cand)
        if text:
            return strip_site_suffix(text), -1
    if doc_title:
        return strip_site_suffix(doc_title), -1
    return None, -1


def heading_near(page: Page, body_first: int) -> int:
    """The line of a heading element just above the text (when <title> named no on-page line):
    the nearest h1-h6 or *title* block within a few lines of the start of the text."""
    lines, blocks = page.lines, page.blocks
    for i in range(min(body_first, len(lines) - 1), max(-1, body_first - _HEADING_LOOKBACK), -1):
        line = lines[i]
        if not _MIN <= len(line.text) <= _MAX or line.link_density > 0.5:
            continue
        blk = blocks[line.block] if line.path else None
        if blk is not None and (blk.tag in HEADING_TAGS or "title" in blk.hint.lower()):
            return i
    return -1
