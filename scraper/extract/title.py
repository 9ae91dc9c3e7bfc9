"""The headline as shown: on-page heading, og:title, JSON-LD and <title>, picked consistently.

`<title>` usually holds the headline plus a site suffix (`_新华网`, `-中国电建`, `—人民网`), and
on-page headings include section names and sidebar titles; the headline is the candidate that
both agree on. Line indices of the page model let the caller find the header right below it.
"""
from __future__ import annotations

import re
from typing import Callable

from .dates import find_dates
from .dom import Page, clean
from .rules import HEADING_TAGS, META_TITLE_KEYS, TITLE_SEPARATORS, TITLE_WEAK_SEPARATORS

IsSite = Callable[[str], bool]

_MIN, _MAX = 4, 120
_SHORT_MIN = 2          # a headline this short (a poem's, an entry's name) counts only as a heading opening <title>
_HEADING_LOOKBACK = 12
_PREFIX_MIN = 8         # characters of a cut <title> that must open the on-page headline
_DATED_NEAR = 3         # lines under a headline where its header's date would stand
# A count printed inside the heading after the headline (comments, reads: `第二章 失乡号的船长241`).
_COUNT_BADGE = re.compile(r"\d+(?:\.\d+)?[万千kKwW]?\+?")


def _squash(text: str) -> str:
    return "".join(text.split())


def _never_site(_: str) -> bool:
    return False


def title_parts(title: str) -> list[str]:
    return [p.strip() for p in TITLE_SEPARATORS.split(title) if p and p.strip()]


def strip_site_suffix(title: str, is_site: IsSite = _never_site) -> str:
    """`<title>` minus its site and column names: parts at either end that `is_site` names are
    dropped (`headline_栏目_机构_CN_大学名`), of what is left the longest part is the headline,
    and a site name after a weak separator is cut off it (`headline：某某网`)."""
    parts = title_parts(title)
    if not parts:
        return title.strip()
    while len(parts) > 1 and is_site(parts[-1]):
        parts.pop()
    while len(parts) > 1 and is_site(parts[0]):
        parts.pop(0)
    head = max(parts, key=len)
    words = TITLE_WEAK_SEPARATORS.split(head)
    while len(words) > 1 and is_site(words[-1]):
        words.pop()
        head = head[: head.rfind(words[-1]) + len(words[-1])]
    return head


def all_site(title: str, is_site: IsSite) -> bool:
    """Every part of `<title>` names the site or a column (`XX新闻网_(新闻)`): it holds no headline."""
    parts = title_parts(title)
    return bool(parts) and all(is_site(p) for p in parts)


def find_title(page: Page, meta: dict[str, str], doc_title: str,
               is_site: IsSite = _never_site) -> tuple[str | None, int]:
    """(headline, index of its line or -1). A line that is the site's or a column's name is
    never the headline, however well it matches `<title>`."""
    doc_sq = _squash(doc_title)
    candidates = [meta[k] for k in META_TITLE_KEYS if meta.get(k)]
    best_line, best_len = -1, 0
    # On-page lines that are a substring of <title> (or of og:title): the longest one wins.
    refs = [r for r in (doc_sq, *map(_squash, candidates)) if r]
    openers = {_squash(title_parts(r)[0]) for r in (doc_title, *candidates) if title_parts(r)}
    for i, line in enumerate(page.lines):
        text = line.text
        n = len(text)
        if n < _SHORT_MIN or n > _MAX or n <= best_len or line.link_density > 0.5:
            continue
        sq = _squash(text)
        if n >= _MIN:
            hit = (any(sq in ref and (len(sq) >= 0.45 * len(ref) or n >= 8) for ref in refs)
                   and not _names_site(text, doc_title, is_site))
        else:
            # Too short to trust as a substring: only an unlinked heading that is <title>'s whole
            # first part (a poem's or an entry's name). Not asked of `is_site`: the breadcrumb and
            # list links that repeat such a name make it look like a column.
            hit = sq in openers and line.link_density == 0 and _is_heading(page, i)
        if hit:
            best_line, best_len = i, n
    if best_line >= 0:
        return page.lines[best_line].text, best_line
    # <title> cut short (CMS title-length limits, `…`): the on-page line that starts with it, or
    # with its first part when that is not its longest (`第二章 某某_《书名》小说在线阅读 - 某某网`).
    cut = {_squash(head).rstrip(".…") for r in (doc_title, *candidates) if r
           for head in (strip_site_suffix(r, is_site), *title_parts(r)[:1])}
    heads = [h for h in cut if len(h) >= _PREFIX_MIN]
    if heads:
        for i, line in enumerate(page.lines):
            if _MIN <= len(line.text) <= _MAX and line.link_density <= 0.5:
                sq = _squash(line.text)
                head = max((h for h in heads if sq.startswith(h)), key=len, default=None)
                if head is not None:
                    return _drop_count_badge(line.text, head), i
    for cand in candidates:
        text = clean(cand)
        if text and not all_site(text, is_site):
            return strip_site_suffix(text, is_site), -1
    if doc_title:
        return strip_site_suffix(doc_title, is_site), -1
    return None, -1


def _drop_count_badge(text: str, head: str) -> str:
    """The heading line minus a count that follows the headline `<title>` gives (`head`, squashed):
    sites print comment or read counts inside the `<h1>`, which `<title>` never carries."""
    rest = _squash(text)[len(head):]
    if not _COUNT_BADGE.fullmatch(rest):
        return text
    return text.rstrip()[: -len(rest)].rstrip()   # a badge holds no space: it ends the line as it is


def _names_site(text: str, doc_title: str, is_site: IsSite) -> bool:
    """An on-page line matching `<title>` that is only the site's or a column's name: a logo
    `<h1>`, or a part of `<title>` that is not its longest."""
    if not is_site(text):
        return False
    parts = title_parts(doc_title)
    return len(parts) <= 1 or len(text) < max(map(len, parts)) or all_site(doc_title, is_site)


def nearest_copy(page: Page, title_line: int, body_first: int) -> int:
    """The headline's line nearest above the text. A sticky top bar often prints the headline
    before the article's own header does; the date and 来源 lines follow the copy right above
    the text, not the first one. A headline with a dated line right under it keeps its place (a
    share card repeating the headline between the header and the text is no header)."""
    lines = page.lines
    if any(find_dates(lines[i].text) for i in range(title_line + 1, min(body_first, title_line + 1 + _DATED_NEAR))):
        return title_line
    text = lines[title_line].text
    for i in range(body_first - 1, title_line, -1):
        if lines[i].text == text and _is_heading(page, i):
            return i   # a heading, not an infobox cell or a tag repeating the name
    return title_line


def _is_heading(page: Page, i: int) -> bool:
    """The line is an h1-h6 or a block whose class/id names a title."""
    line = page.lines[i]
    blk = page.blocks[line.block] if line.path else None
    return blk is not None and (blk.tag in HEADING_TAGS or "title" in blk.hint.lower())


def heading_near(page: Page, body_first: int, is_site: IsSite = _never_site) -> int:
    """The line of a heading element just above the text (when <title> named no on-page line):
    the nearest h1-h6 or *title* block within a few lines of the start of the text."""
    lines = page.lines
    for i in range(min(body_first, len(lines) - 1), max(-1, body_first - _HEADING_LOOKBACK), -1):
        line = lines[i]
        if not _MIN <= len(line.text) <= _MAX or line.link_density > 0.5:
            continue
        if _is_heading(page, i) and not is_site(line.text):
            return i
    return -1


def first_heading(page: Page, is_site: IsSite = _never_site) -> str | None:
    """The first h1-h3 line that is not the site's name: the headline of a page without `<title>`."""
    for line in page.lines:
        tag = page.blocks[line.block].tag if line.path else ""
        if tag in ("h1", "h2", "h3") and _MIN <= len(line.text) <= _MAX and not is_site(line.text):
            return line.text
    return None
