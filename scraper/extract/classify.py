"""Is this an article at all? Garbage bytes and list/index pages get a reason instead.

The crawler archives only pages with ``reason is None``, so list pages (many short linked items,
dates beside them, pagination) must not pass, while a two-paragraph government notice must.
"""
from __future__ import annotations

from ..article import Article
from .dom import Page
from .rules import PAGINATION, SENTENCE_END

_SNIFF = 2048
_MIN_BODY = 20          # characters: less than this is no article
_SHORT_BODY = 200       # a body this short needs article signals
_LINK_ITEM_MAX = 60     # a list item: mostly-link line of at most this many characters


def garbage_reason(data: bytes) -> str | None:
    """'empty' / 'binary' for bytes that cannot be a page, else None."""
    if not data.strip():
        return "empty"
    head = data[:_SNIFF]
    if b"\x00" in head:
        return "binary"
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return "binary" if controls > len(head) // 20 else None


def is_list_page(page: Page, art: Article) -> bool:
    """True for index/list pages and pages with too little text to be an article."""
    body = art.body
    n = len(body)
    if n < _MIN_BODY:
        return True
    sentences = sum(1 for ch in body if ch in SENTENCE_END)
    items = sum(1 for line in page.lines if len(line.text) <= _LINK_ITEM_MAX and line.link_chars * 10 >= len(line.text) * 7)
    paged = any(PAGINATION.search(line.text) for line in page.lines if len(line.text) <= 80)
    signals = sum((art.published_at is not None, art.title is not None,
                   any(v is not None for v in (art.author, art.source, art.editor))))
    if n < _SHORT_BODY:
        # Short text: an article only when it reads as sentences and the page says so.
        return sentences < 1 or signals < 2 or (paged and items > 20)
    # Long text on a page dominated by link items (portal front pages) with little prose.
    return items > 60 and sentences < 3
