"""Re-run extraction over the raw pages kept in the archive, without fetching anything.

When the extractor improves (or a site's CSS overrides change), stored articles are brought up
to date in place: the page did not change, only our reading of it, so no new version is made.
Pages that now read as articles but were not stored are added. Each site's profile is learned
again from its stored pages (and stored); a site with too few pages keeps the one stored.
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from .article import Article
from .extract import PageTraits, SiteProfile, learn_profile
from .pipeline import reread_page
from .siteprofiles import MAX_PAGES
from .store import Archive, ArticleSelection, RawPage, open_archive

log = logging.getLogger(__name__)


def reextract(db: str | Path, *, site: str | None = None,
              overrides: dict[str, dict[str, str]] | None = None) -> Counter:
    """Returns counts: updated, unchanged, added, not-article, alias. `overrides` maps site name →
    field → CSS selector (as in sites.toml). Holds the crawl lock while it writes."""
    open_archive(db, readonly=True).close()        # "no archive at …" rather than creating one
    counts: Counter = Counter()
    with open_archive(db) as archive, archive.crawl_lock():
        _warn_selectors_left_out(archive, site, overrides or {})
        profiles = site_profiles(archive, site)
        for page in archive.raw_pages(site):
            article, _ = reread_page(page.content, page.final_url or page.url, page.encoding,
                                     (overrides or {}).get(page.site), profiles.get(page.site))
            with archive.transaction():
                counts[store_reread(archive, page, article)] += 1
        archive.update_search_index()
    return counts


def _warn_selectors_left_out(archive: Archive, site: str | None, overrides: dict[str, dict[str, str]]) -> None:
    """A site whose articles were read with [site.extract] selectors (evidence 'config') and
    that is given none now is read by the heuristics alone: say so, and how to keep them."""
    read_with: Counter = Counter()
    for record in archive.iter_articles(ArticleSelection(site=site), ("site", "evidence")):
        if "config" in (record.get("evidence") or {}).values() and not overrides.get(record["site"]):
            read_with[record["site"]] += 1
    for name, count in sorted(read_with.items()):
        log.warning("site %s: %d article(s) were read with [site.extract] selectors, and none are given now: "
                    "their fields are read without them (give --config with the sites.toml that has them)",
                    name, count)


def store_reread(archive: Archive, page: RawPage, article: Article, run_id: int | None = None) -> str:
    """Bring the stored record of `page` up to `article`, its new reading (call inside a
    transaction); returns what happened: updated, unchanged, added, not-article or alias. An
    article added is credited to `run_id` (the crawl re-reading it), so `changes` lists it."""
    key = archive.resolve_alias(page.url)     # a redirect's page is stored under the old URL
    if key != page.url and archive.has_raw_page(key):
        return "alias"                        # the article's own page is re-read instead
    if not article.is_article:
        return "not-article"
    article.url = key
    if archive.has_article(key):
        return "updated" if archive.refresh_extraction(article, key) else "unchanged"
    outcome = archive.save_article(article, key, page.site, run_id)
    return "added" if outcome == "new" else outcome


def site_profiles(archive: Archive, site: str | None = None) -> dict[str, SiteProfile]:
    """A profile per site, learned from (up to `MAX_PAGES` of) its stored pages and stored; the
    stored one where the pages are too few to learn from. Pages that read as no article count
    too: a page may read as none only for want of the profile."""
    traits: dict[str, list[PageTraits]] = {}
    for page in archive.raw_pages(site):
        seen = traits.setdefault(page.site, [])
        if len(seen) < MAX_PAGES:
            seen.append(reread_page(page.content, page.final_url or page.url, page.encoding)[1])
    profiles: dict[str, SiteProfile] = {}
    for name, found in traits.items():
        profile = learn_profile(found)
        if profile.learned:
            with archive.transaction():
                archive.save_site_profile(name, profile.to_json(), profile.pages)
        else:
            stored = archive.site_profile(name)
            profile = SiteProfile.from_json(stored[0] if stored else None) or profile
        profiles[name] = profile
    return profiles
