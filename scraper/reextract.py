"""Re-run extraction over the raw pages kept in the archive, without fetching anything.

When the extractor improves (or a site's CSS overrides change), stored articles are brought up
to date in place: the page did not change, only our reading of it, so no new version is made.
Pages that now read as articles but were not stored are added.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from .pipeline import process_page
from .store import open_archive


def reextract(db: str | Path, *, site: str | None = None,
              overrides: dict[str, dict[str, str]] | None = None) -> Counter:
    """Returns counts: updated, unchanged, added, not-article, alias. `overrides` maps site name →
    field → CSS selector (as in sites.toml). Holds the crawl lock while it writes."""
    open_archive(db, readonly=True).close()        # "no archive at …" rather than creating one
    counts: Counter = Counter()
    with open_archive(db) as archive, archive.crawl_lock():
        for page in archive.raw_pages(site):
            key = archive.resolve_alias(page.url)     # a redirect's page is stored under the old URL
            if key != page.url and archive.has_raw_page(key):
                counts["alias"] += 1                  # the article's own page is re-read instead
                continue
            article = process_page(page.content, page.final_url or page.url, page.encoding,
                                   (overrides or {}).get(page.site)).article
            with archive.transaction():
                if not article.is_article:
                    counts["not-article"] += 1
                    continue
                article.url = key
                if archive.has_article(key):
                    counts["updated" if archive.refresh_extraction(article, key) else "unchanged"] += 1
                else:
                    outcome = archive.save_article(article, key, page.site, None)
                    counts["added" if outcome == "new" else outcome] += 1
        archive.update_search_index()
    return counts
