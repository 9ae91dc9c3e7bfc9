"""What happens to fetched bytes, as picklable calls: decode → extract → discover for a page,
parse for a sitemap.

They run in worker processes (CPU-bound parsing off the crawler's event loop), so they take and
return plain data, and compress the raw bytes there too.
"""
from __future__ import annotations

from dataclasses import dataclass

from .article import Article
from .decode import decode_html
from .discover import Link, discover_links
from .extract import extract_article
from .sitemaps import Sitemap, parse_sitemap
from .store import compress


@dataclass
class Processed:
    article: Article
    links: list[Link]
    encoding: str
    raw: bytes          # compressed page bytes (store.compress), ready for the `pages` table


def process_page(content: bytes, url: str, http_charset: str | None = None,
                 overrides: dict[str, str] | None = None) -> Processed:
    text, encoding = decode_html(content, http_charset)
    article = extract_article(text, url, overrides=overrides)
    article.encoding = encoding
    return Processed(article=article, links=discover_links(text, url), encoding=encoding, raw=compress(content))


def process_sitemap(content: bytes, url: str, content_type: str | None = None) -> tuple[Sitemap, bytes]:
    """The parsed sitemap (a 50,000-URL file takes most of a second) and its compressed bytes."""
    return parse_sitemap(content, url, content_type), compress(content)
