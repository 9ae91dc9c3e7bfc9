"""Names a page gives its site and columns: what a `<title>` part or a heading is when it is not
the headline (`headline_栏目名_某某大学`, a logo `<h1>`, `XX新闻网_(新闻)`).

Evidence, strongest first: `og:site_name`/`application-name`, the logo's `alt`, the affixes the
site's other pages share (a site profile learned during a crawl), the words of the copyright and
主办 footer, and the texts of navigation and breadcrumb links. Gathered on first use, once per
page; the footer pattern is tried only on the lines that hold the words asked about.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .dom import Page
from .rules import SITE_FOOTER, SITE_META_KEYS, SITE_WORD

_ANCHOR_MAX = 10        # longer link texts are headlines (of this article too: tag and
                        # breadcrumb links repeat it), not column names
_NAME_SLACK = 6         # a part may add this many characters to a site name (某某大学 + 新闻网)


def squash(text: str) -> str:
    return "".join(text.split()).lower()


@dataclass
class SiteNames:
    """Squashed site and column names of one page (plus those a site profile adds)."""

    names: set[str] = field(default_factory=set)       # site names proper (meta, logo, profile)
    links: set[str] = field(default_factory=set)       # nav, breadcrumb and column link texts
    short_lines: list[str] = field(default_factory=list)   # page lines short enough to be a footer
    _squashed: str | None = None   # those lines squashed, one a line

    def is_site(self, part: str) -> bool:
        """True when a `<title>` part or a heading names the site or a column, not an article."""
        sq = squash(part).strip("()（）[]【】")
        if not sq:
            return True
        if SITE_WORD.search(sq):
            return True
        for name in self.names:
            if sq == name or sq in name or (name in sq and len(sq) <= len(name) + _NAME_SLACK):
                return True
        return sq in self.links or self._in_footer(sq)

    def _in_footer(self, sq: str) -> bool:
        """`sq` is part of a copyright or 主办 line. The footer pattern is tried only on the few
        lines that hold `sq` (found by substring search in the squashed lines joined), not on
        every line of the page."""
        if self._squashed is None:
            # Page lines are clean (single spaces only): this is `squash` of each line.
            self._squashed = "\n".join(self.short_lines).replace(" ", "").lower()
        joined = self._squashed
        at, line, counted = joined.find(sq), 0, 0
        while at >= 0:   # `sq` holds no whitespace, so a match never spans two lines
            line += joined.count("\n", counted, at)
            if SITE_FOOTER.search(self.short_lines[line]):
                return True
            counted = joined.find("\n", at)
            if counted < 0:
                break
            line, counted = line + 1, counted + 1
            at = joined.find(sq, counted)
        return False


def site_names(page: Page, meta: dict[str, str], extra: tuple[str, ...] = ()) -> SiteNames:
    """The site's names as this page shows them; `extra` adds names learned elsewhere."""
    out = SiteNames()
    for key in SITE_META_KEYS:
        if meta.get(key):
            out.names.add(squash(meta[key]))
    out.names.update(squash(x) for x in extra if x.strip())
    for img in page.images:
        attrs = img.node.attrs
        alt = (attrs.get("alt") or "").strip()
        if alt and "logo" in f"{attrs.get('src') or ''} {attrs.get('class') or ''} {attrs.get('id') or ''}".lower():
            out.names.add(squash(alt))
    out.short_lines = [line.text for line in page.lines if len(line.text) <= 200]
    # anchor texts are clean like lines: one replace does what `squash` does
    out.links = {a.text.replace(" ", "").lower() for a in page.anchors if 2 <= len(a.text) <= _ANCHOR_MAX}
    out.names.discard("")
    return out


class LazySite:
    """`is_site` that gathers the page's site names on first use (most pages never ask)."""

    def __init__(self, page: Page, meta: dict[str, str], extra: tuple[str, ...] = ()) -> None:
        self._args = (page, meta, extra)
        self._names: SiteNames | None = None

    def is_site(self, part: str) -> bool:
        if self._names is None:
            self._names = site_names(*self._args)
        return self._names.is_site(part)
