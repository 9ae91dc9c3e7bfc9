"""scraper: crawl Chinese news sites into a queryable SQLite archive.

Public API (everything else may change): `extract_article`, `Article`, `crawl`, `open_archive`.
Imported lazily so that `import scraper.urls` (or the CLI's `--help`) does not load the parsers.
"""
from importlib import import_module

_API = {
    "Article": "scraper.article",
    "crawl": "scraper.crawler",
    "extract_article": "scraper.extract",
    "open_archive": "scraper.store",
}
__all__ = list(_API)


def __getattr__(name: str):
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'scraper' has no attribute {name!r}")
