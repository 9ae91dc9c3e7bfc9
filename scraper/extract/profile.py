"""Site profiles: what one site's pages share, learned from many of them, for what a single page
leaves uncertain.

A single page cannot tell its headline from the site's name when `<title>` is
`召开会议_计算机与信息工程学院` and no on-page line repeats the headline, nor its article from a
long "about the college" block beside it. Across a site the answer is plain: the `<title>` part
every page repeats is the site's name, and prose that every page repeats is template, not text.
"""
from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from .title import title_parts

_MIN_PAGES = 3          # fewer pages teach nothing
_SHARE = 0.6            # an affix or template line must recur on this share of the pages
TEMPLATE_LINE_MIN = 20  # characters: shorter repeated lines (labels, menus) are judged elsewhere
_TEMPLATE_MAX = 500     # template lines kept per site


def line_key(text: str) -> int:
    """A stable short key of a line of text (stored in the archive, so not Python's hash)."""
    return zlib.crc32(text.encode("utf-8"))


@dataclass(frozen=True)
class SiteProfile:
    title_affixes: tuple[str, ...] = ()   # <title> parts the site's pages share (site, column names)
    template_lines: frozenset[int] = frozenset()   # keys of prose lines the site's pages all show
    pages: int = 0                        # how many pages it was learned from

    def to_json(self) -> str:
        data = asdict(self)
        data["template_lines"] = sorted(self.template_lines)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> SiteProfile | None:
        if not text:
            return None
        data = json.loads(text)
        return cls(tuple(data.get("title_affixes") or ()), frozenset(data.get("template_lines") or ()),
                   int(data.get("pages") or 0))


@dataclass(frozen=True)
class PageTraits:
    """What one page contributes to its site's profile."""

    doc_title: str
    lines: frozenset[int]                 # keys of the page's prose lines


def learn_profile(traits: Iterable[PageTraits]) -> SiteProfile:
    """The affixes at either end of `<title>` and the prose lines that at least 60% of (at least
    three) pages share; nothing where the pages disagree."""
    traits = list(traits)
    n = len(traits)
    if n < _MIN_PAGES:
        return SiteProfile(pages=n)
    need = max(_MIN_PAGES, _SHARE * n)
    ends: Counter[str] = Counter()
    for t in traits:
        parts = title_parts(t.doc_title)
        if len(parts) > 1:
            ends.update({parts[0], parts[-1]})
    affixes = tuple(sorted(p for p, c in ends.items() if c >= need))
    lines: Counter[int] = Counter()
    for t in traits:
        lines.update(t.lines)
    template = frozenset(k for k, c in lines.most_common(_TEMPLATE_MAX) if c >= need)
    return SiteProfile(affixes, template, n)
