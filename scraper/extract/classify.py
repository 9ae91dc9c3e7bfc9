"""Is this an article at all? Garbage bytes and list/index pages get a reason instead.

The crawler archives only pages with ``reason is None``, so list pages (many short linked items,
dates beside them, pagination) must not pass, while a two-paragraph government notice must.
"""
from __future__ import annotations

import re

from ..article import Article
from ..decode import looks_binary
from .body import links_to_files
from .dates import DATE_RE, normalize_digits
from .dom import Line, Page
from .rules import PAGINATION, SENTENCE_END

_SHORT_DATE = re.compile(r"(?<!\d)(?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])(?!\d)")   # 03-14 in lists
_MIN_BODY = 20          # characters: less than this is no article
_SHORT_BODY = 200       # a body this short needs article signals
_UNDATED_MAX = 1500     # an undated page needs this much text to count as an article
_LINK_ITEM_MAX = 60     # a list item: mostly-link line of at most this many characters
_TEASERS = 5            # linked headlines inside the text that make it a list of teasers
_MANY_ITEMS = 60        # link items that make a portal front page
_PAGED_ITEMS = 20       # link items that, with pagination, make a list page
_DATED_ITEMS = 5        # linked headlines with dates that make a list page
_LIST_ROWS = 10         # … and that make one even with a paragraph of text above the list
_HEADLINE_MIN = 8       # characters: column names are shorter than headlines
_DATE_SPAN = 24         # characters of the next line where a list row's date may stand


def garbage_reason(data: bytes) -> str | None:
    """'empty' / 'binary' for bytes that cannot be a page, else None."""
    if not data.strip():
        return "empty"
    return "binary" if looks_binary(data) else None


def _is_link_item(line: Line) -> bool:
    return len(line.text) <= _LINK_ITEM_MAX and line.link_chars * 10 >= len(line.text) * 7


def is_list_page(page: Page, art: Article, kept: list[int], title_line: int, dated: bool) -> bool:
    """True for index/list pages and pages with too little text to be an article.

    List evidence: linked headlines with dates beside them, pagination, teasers between links.
    Article evidence: prose with sentences, and a headline on the page with a dated header under
    it — which lets a two-paragraph notice beside a long dated sidebar still count."""
    body = art.body
    n = len(body)
    if n < _MIN_BODY:
        return True
    if kept:
        teasers = sum(1 for line in page.lines[kept[0]: kept[-1] + 1]
                      if _is_link_item(line) and not links_to_files(line))   # 附件 lists are text
        if teasers >= _TEASERS and teasers * 3 >= len(kept):
            return True
    sentences = sum(map(body.count, SENTENCE_END))
    items = sum(1 for line in page.lines if _is_link_item(line))
    signals = sum((art.published_at is not None, art.title is not None,
                   any(v is not None for v in (art.author, art.source, art.editor))))
    headline = title_line >= 0 and len(page.lines[title_line].text) >= _HEADLINE_MIN
    if art.published_at is None and n < _UNDATED_MAX and not headline:
        return True   # no date anywhere and a column name for title: an about/contact/intro page
    if n >= _SHORT_BODY:
        # Long text on a page dominated by link items (portal front pages) with little prose,
        # or text without a single sentence on a page that names no title, date or author.
        if (items > _MANY_ITEMS and sentences < 3) or (sentences == 0 and signals == 0):
            return True
        if n >= _UNDATED_MAX or (headline and dated):
            return False
        return _dated_items(page) >= _LIST_ROWS   # a column page: a blurb above a long dated list
    if sentences < 1 or signals < 2:
        return True
    if headline and dated:
        return False
    paged = any(PAGINATION.search(line.text) for line in page.lines if len(line.text) <= 80)
    return (paged and items > _PAGED_ITEMS) or _dated_items(page) >= _DATED_ITEMS


def _dated_items(page: Page) -> int:
    """Linked headlines with a date on the same line (which lowers its link share, hence the
    looser test) or on the next one: the rows of a list page."""
    lines = page.lines
    count = 0
    for i, line in enumerate(lines):
        text = line.text
        if len(text) > _LINK_ITEM_MAX + _DATE_SPAN or line.link_chars * 2 < len(text):
            continue
        near = text if i + 1 == len(lines) else text + " " + lines[i + 1].text[:_DATE_SPAN]
        if DATE_RE.search(normalize_digits(near)) or _SHORT_DATE.search(near):
            count += 1
    return count
