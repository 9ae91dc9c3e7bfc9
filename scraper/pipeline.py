"""decode → extract → discover for one fetched page, as one picklable call.

It runs in a worker process (CPU-bound parsing off the crawler's event loop), so it takes and
returns plain data, and compresses the raw bytes there too.
"""
from __future__ import annotations

from dataclasses import dataclass

from .article import Article
from .decode import decode_html
from .discover import Link, discover_links
from .extract import extract_article
from .store import compress


@dataclass
class Processed:
    article: Article
    links: list[Link]
    encoding: str
    raw: bytes          # zlib-compressed page bytes, ready for the `pages` table


def process_page(content: bytes, url: str, http_charset: str | None = None,
                 overrides: dict[str, str] | None = None) -> Processed:
    text, encoding = decode_html(content, http_charset)
    article = extract_article(text, url, overrides=overrides)
    article.encoding = encoding
    return Processed(article=article, links=discover_links(text, url), encoding=encoding, raw=compress(content))
