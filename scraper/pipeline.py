"""What happens to fetched bytes, as picklable calls: decode → extract → discover for a page,
parse for a sitemap.

They run in worker processes (CPU-bound parsing off the crawler's event loop), so they take and
return plain data, and compress the raw bytes there too.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from .article import Article
from .discover import Link, article_parts, discover_links
from .extract import PageTraits, SiteProfile, extract_traced, parse_page
from .sitemaps import Sitemap, parse_sitemap
from .store import compress
from .urls import Scope, canonicalize, strip_params


@dataclass
class Processed:
    article: Article
    links: list[Link]
    encoding: str | None
    raw: bytes          # compressed page bytes (store.compress), ready for the `pages` table
    # canonical URL of each link, when a scope was given (the links are then only those in it)
    canonical: dict[str, str] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)   # the other pages of a multi-page article, in order
    traits: PageTraits | None = None    # what the page tells of its site's profile


def process_page(content: bytes, url: str, http_charset: str | None = None,
                 overrides: dict[str, str] | None = None, scope: Scope | None = None,
                 profile: SiteProfile | None = None, idle: frozenset[str] = frozenset(),
                 maybe_idle: frozenset[str] = frozenset()) -> Processed:
    """With `scope`, links outside it are dropped and the others canonicalized here: a real
    page links 100-300 URLs, mostly elsewhere, and checking them cost the crawler's loop more
    than anything else it did per page. `idle` are query parameters the site's pages do not
    depend on (see scraper.dust): links are read without them, so that a multi-page article's
    pager (`5001_2.htm?sid=…` on a page fetched at `5001.htm?sid=…`) still names its parts.
    `maybe_idle` are parameters that may be (candidates): the pager is read without them too,
    but the links keep them until the crawl knows."""
    parsed = parse_page(content, http_charset=http_charset)
    # one parse for both; discovery first, since extraction drops hidden elements from the tree
    host_allowed = scope.allows_host if scope is not None else None
    links = discover_links(parsed.text, url, tree=parsed.tree, host_allowed=host_allowed,
                           encoding=parsed.encoding) if parsed.text else []
    if idle:                        # a URL that two links now share keeps its first, as discovery does
        plain: dict[str, Link] = {}
        for link in links:
            plain.setdefault(strip_params(link.url, idle), link)
        links = [replace(link, url=url) for url, link in plain.items()]
    article, traits = extract_traced(parsed, url, overrides=overrides, profile=profile)
    canonical = {}
    if scope is not None:
        for link in links:
            canon = canonicalize(link.url)
            if canon is not None and scope.allows(canon):
                canonical[link.url] = canon
        links = [link for link in links if link.url in canonical]
    unread = idle | maybe_idle
    parts = article_parts(strip_params(url, unread), links, unread) if article.reason is None else []
    return Processed(article=article, links=links, encoding=parsed.encoding, raw=compress(content),
                     canonical=canonical, parts=parts, traits=traits if parsed.tree is not None else None)


def reread_page(content: bytes, url: str, http_charset: str | None = None, overrides: dict[str, str] | None = None,
                profile: SiteProfile | None = None) -> tuple[Article, PageTraits]:
    """A stored page extracted again (its links were followed when it was fetched), with what
    it tells of its site's profile."""
    return extract_traced(parse_page(content, http_charset=http_charset), url, overrides=overrides, profile=profile)


def process_sitemap(content: bytes, url: str, content_type: str | None = None) -> tuple[Sitemap, bytes]:
    """The parsed sitemap (a 50,000-URL file takes most of a second) and its compressed bytes."""
    return parse_sitemap(content, url, content_type), compress(content)
