"""Re-run extraction over the raw pages kept in the archive, without fetching anything.

When the extractor improves (or a site's CSS overrides change), stored articles are brought up
to date in place: the page did not change, only our reading of it, so no new version is made.
Pages that now read as articles but were not stored are added.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from .pipeline import process_page
from .store import ArchiveError, CrawlLock, open_archive


def reextract(db: str | Path, *, site: str | None = None,
              overrides: dict[str, dict[str, str]] | None = None) -> Counter:
    """Returns counts: updated, unchanged, added, not-article, alias. `overrides` maps site name →
    field → CSS selector (as in sites.toml). Holds the crawl lock while it writes."""
    if not Path(db).exists():
        raise ArchiveError(f"no archive at {db}")
    counts: Counter = Counter()
    with CrawlLock(db), open_archive(db) as archive:
        for url, page_site, raw, encoding in archive.raw_pages(site):
            key = archive.resolve_alias(url)     # a redirect's page is stored under the old URL
            if key != url and archive.conn.execute(
                    "SELECT 1 FROM pages WHERE url=? AND raw IS NOT NULL", (key,)).fetchone():
                counts["alias"] += 1             # the article's own page is re-read instead
                continue
            final = archive.conn.execute("SELECT final_url FROM pages WHERE url=?", (url,)).fetchone()[0]
            article = process_page(raw, final or url, encoding, (overrides or {}).get(page_site)).article
            with archive.transaction():
                known = archive.conn.execute("SELECT 1 FROM articles WHERE url=?", (key,)).fetchone()
                if not article.is_article:
                    counts["not-article"] += 1
                elif known:
                    article.url = key
                    counts["updated" if archive.refresh_extraction(article, key) else "unchanged"] += 1
                else:
                    article.url = key
                    outcome = archive.save_article(article, key, page_site, None)
                    counts["added" if outcome == "new" else outcome] += 1
    return counts
