"""Names a page gives its site and columns: what a `<title>` part or a heading is when it is not
the headline (`headline_栏目名_某某大学`, a logo `<h1>`, `XX新闻网_(新闻)`).

Evidence, strongest first: `og:site_name`/`application-name`, the logo's `alt`, the affixes the
site's other pages share (a site profile learned during a crawl), the words of the copyright and
主办 footer, and the texts of navigation and breadcrumb links. Gathered lazily: most pages never
need it, because an on-page line repeats the headline exactly.
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
    footer: list[str] = field(default_factory=list)    # copyright / 主办 lines
    links: set[str] = field(default_factory=set)       # nav, breadcrumb and column link texts

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
        return sq in self.links or any(sq in line for line in self.footer)


def site_names(page: Page, meta: dict[str, str], extra: tuple[str, ...] = ()) -> SiteNames:
    """The site's names as this page shows them; `extra` adds names learned elsewhere."""
    out = SiteNames()
    for key in SITE_META_KEYS:
        if meta.get(key):
            out.names.add(squash(meta[key]))
    out.names.update(squash(x) for x in extra if x.strip())
    for img in page.images:
        attrs = img.node.attrs
        where = f"{attrs.get('src') or ''} {attrs.get('class') or ''} {attrs.get('id') or ''}"
        alt = (attrs.get("alt") or "").strip()
        if alt and "logo" in where.lower():
            out.names.add(squash(alt))
    for line in page.lines:
        if len(line.text) <= 200 and SITE_FOOTER.search(line.text):
            out.footer.append(squash(line.text))
    for anchor in page.anchors:
        if 2 <= len(anchor.text) <= _ANCHOR_MAX:
            out.links.add(squash(anchor.text))
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
