"""The publishing account's card on self-media and blog platforms.

搜狐号, 网易号, 百家号 and blog platforms show the account that published the article in a
card beside or above it: the account's name, its counters (`7.4万文章`, `418亿总阅读`) and a
link to the account's other articles (`查看TA的文章>`). That link is what tells the card from
any other short box; the name is the card's first short linked or heading line. Read only when
the page names no writer itself.
"""
from __future__ import annotations

import re

from .dom import Page
from .fields import clean_value
from .rules import HEADING_TAGS, MEDIA_NAME

# The link to the account's other articles: 查看TA的文章>, TA的主页, 他的博客, 进入TA的专栏
_MORE_BY_ACCOUNT = re.compile(r"^(?:查看|进入)?(?:TA|他|她)的(?:全部)?(?:文章|主页|博客|专栏)\s*[>»›]?$", re.I)
_MORE_MAX_LEN = 12
_CARD_SPAN = 8            # lines a card holds at most above its link
_NAME_MIN, _NAME_MAX = 2, 20
_COUNTER = re.compile(r"\d")   # `7.4万文章`, `418亿总阅读`, `关注 12`: counters, not the name


def account_credit(page: Page) -> tuple[str, str] | None:
    """(field, value) from the publishing account's card: the account is the author, or the
    source when its name reads as an outlet's (某某新闻网)."""
    name = _account_name(page)
    value = clean_value("author", name) if name else ""
    if not value:
        return None
    return ("source" if MEDIA_NAME.search(value) else "author"), value


def _account_name(page: Page) -> str | None:
    """The name on the publishing account's card, or None when the page shows no such card."""
    lines, blocks = page.lines, page.blocks
    for i, line in enumerate(lines):
        if len(line.text) > _MORE_MAX_LEN or not line.link_chars or not _MORE_BY_ACCOUNT.match(line.text):
            continue
        # the card: the smallest block around the link that starts a few lines above it
        card = next((b for b in reversed(line.path)
                     if blocks[b].first < i and blocks[b].first >= i - _CARD_SPAN), -1)
        if card < 0:
            continue
        for j in range(blocks[card].first, i):
            name = lines[j]
            tag = blocks[name.block].tag if name.path else ""
            if (_NAME_MIN <= len(name.text) <= _NAME_MAX and not _COUNTER.search(name.text)
                    and (name.link_chars or tag in HEADING_TAGS)):
                return name.text
    return None
