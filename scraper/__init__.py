"""scraper: crawl Chinese news sites into a queryable SQLite archive.

Public API (everything else may change): `crawl`, `CrawlReport`, `extract_article`, `Article`,
`open_archive`, `load_sites`, `load_config`, `SiteConfig`, `Settings`, `RunSettings` and the
errors `ConfigError`, `ArchiveError`, `ArchiveBusy`. Imported lazily, so that `import scraper.urls`
(or the CLI's `--help`) does not load the parsers; type checkers see the real names below.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from ._version import __version__

if TYPE_CHECKING:
    from .article import Article
    from .crawler import CrawlReport, crawl
    from .extract import extract_article
    from .settings import ConfigError, RunSettings, Settings, SiteConfig, load_config, load_sites
    from .store import ArchiveBusy, ArchiveError, open_archive

_API = {
    "Article": "scraper.article",
    "crawl": "scraper.crawler",
    "CrawlReport": "scraper.crawler",
    "extract_article": "scraper.extract",
    "open_archive": "scraper.store",
    "ArchiveError": "scraper.store",
    "ArchiveBusy": "scraper.store",
    "load_sites": "scraper.settings",
    "load_config": "scraper.settings",
    "SiteConfig": "scraper.settings",
    "Settings": "scraper.settings",
    "RunSettings": "scraper.settings",
    "ConfigError": "scraper.settings",
}
__all__ = ["Article", "ArchiveBusy", "ArchiveError", "ConfigError", "CrawlReport", "RunSettings", "Settings",
           "SiteConfig", "__version__", "crawl", "extract_article", "load_config", "load_sites", "open_archive"]


def __getattr__(name: str):
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'scraper' has no attribute {name!r}")
