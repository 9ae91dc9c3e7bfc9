"""Site profiles: what one site's pages share, learned from many of them, for what a single page
leaves uncertain.

A single page cannot tell its headline from the site's name when `<title>` is
`召开会议_计算机与信息工程学院` and no on-page line repeats the headline, nor its article from a
long "about the college" block beside it. Across a site the answer is plain: the `<title>` part
every page repeats is the site's name, prose that every page repeats is template, not text, the
container most pages' text sits in is where this page's text sits too, and the block most pages
print their date line in is where this page prints it.

Every part is learned only where the pages agree (a share of at least three of them), and is
applied only where the page itself leaves room: a profile that does not fit a page changes
nothing on it.
"""
from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from .dom import Page
from .title import title_parts

_MIN_PAGES = 3          # fewer pages teach nothing
_SHARE = 0.6            # an affix, template line or container must recur on this share of the pages
TEMPLATE_LINE_MIN = 20  # characters: shorter repeated lines (labels, menus) are judged elsewhere
_TEMPLATE_MAX = 500     # template lines kept per site
_KEY_LEVELS = 3         # a container is named by its tag, class and id and those of two ancestors
_DIGITS = re.compile(r"\d+")


def line_key(text: str) -> int:
    """A stable short key of a line of text (stored in the archive, so not Python's hash)."""
    return zlib.crc32(text.encode("utf-8"))


def block_key(page: Page, block: int) -> str:
    """A name for a container that stays the same across a site's pages: tag, class and id of
    the block and its two nearest ancestors (`div.main>div.v_news_content`), digits masked
    (`content_12345`). '' when none of them has a class or id: a bare `<td>` or `<div>` names
    nothing a site shares."""
    if block < 0:
        return ""
    blk = page.blocks[block]
    if blk.first < 0:
        return ""
    path = page.lines[blk.first].path
    if block not in path:
        return ""
    at = path.index(block)
    parts, named = [], False
    for b in path[max(0, at - _KEY_LEVELS + 1): at + 1]:
        node = page.blocks[b].node
        attrs = node.attrs
        cls = " ".join(sorted((attrs.get("class") or "").split()))
        ident = attrs.get("id") or ""
        named = named or bool(cls or ident)
        parts.append(_DIGITS.sub("0", f"{page.blocks[b].tag}.{cls}#{ident}"))
    return ">".join(parts) if named else ""


@dataclass(frozen=True)
class SiteProfile:
    title_affixes: tuple[str, ...] = ()   # <title> parts the site's pages share (site, column names)
    template_lines: frozenset[int] = frozenset()   # keys of prose lines the site's pages all show
    pages: int = 0                        # how many pages it was learned from
    body_container: str = ""              # `block_key` of the container most pages' text is in
    header_block: str = ""                # `block_key` of the block most pages' date line is in

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
                   int(data.get("pages") or 0), str(data.get("body_container") or ""),
                   str(data.get("header_block") or ""))

    @property
    def learned(self) -> bool:
        """Learned from enough pages to say anything (else it holds nothing)."""
        return self.pages >= _MIN_PAGES

    def same_rules(self, other: SiteProfile | None) -> bool:
        """Whether `other` (None: no profile) would read pages the same way, however many pages
        each came from."""
        other = other or SiteProfile()
        return (self.title_affixes, self.template_lines, self.body_container,
                                      self.header_block) == (other.title_affixes, other.template_lines,
                                                             other.body_container, other.header_block)


@dataclass(frozen=True)
class PageTraits:
    """What one page contributes to its site's profile: a few strings and line keys, small
    enough to send from a worker process with every page."""

    doc_title: str
    lines: frozenset[int]                 # keys of the page's prose lines
    body_container: str = ""              # `block_key` of the container the page alone chose
    header_block: str = ""                # `block_key` of the block of its date line under the headline


def _agreed(values: Iterable[str], need: float) -> str:
    """The one non-empty value at least `need` pages share, else ''."""
    counts = Counter(v for v in values if v)
    if not counts:
        return ""
    value, count = counts.most_common(1)[0]
    return value if count >= need else ""


def learn_profile(traits: Iterable[PageTraits]) -> SiteProfile:
    """The affixes at either end of `<title>`, the prose lines, the body container and the
    header block that at least 60% of (at least three) pages share; nothing where they disagree."""
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
    return SiteProfile(affixes, template, n, _agreed((t.body_container for t in traits), need),
                       _agreed((t.header_block for t in traits), need))
