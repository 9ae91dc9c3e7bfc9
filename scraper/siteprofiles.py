"""A site's extraction profile as a crawl learns it (see `scraper.extract.profile`).

The worker processes send, with every HTML page, a few strings and line keys (`PageTraits`);
the crawl keeps them per site and, once the site has `profile_after` pages, learns the
profile from them — no page is parsed again for it. The profile is learned again each time
the site's page count doubles (up to `MAX_PAGES`), and whenever it comes to read pages
differently, the pages extracted before under another profile are re-read from their stored
bytes, so the first pages of a site end as right as its later ones.
"""
from __future__ import annotations

from .extract import PageTraits, SiteProfile, learn_profile

MAX_PAGES = 200     # pages a profile is learned from (enough to see what a site's pages share)


class ProfileLearner:
    """Per site during a crawl: the current profile, the traits seen, the pages to re-read."""

    def __init__(self, after: int, profile: SiteProfile | None = None):
        self.after = after
        self.profile = profile
        self.traits: list[PageTraits] = []
        self.next_at: int | None = after if after > 0 else None   # page count of the next learning
        self._read_with: list[tuple[str, SiteProfile | None]] = []    # page URL → the profile it was read with

    def observe(self, page_url: str, traits: PageTraits, used: SiteProfile | None,
                rereadable: bool = True) -> tuple[SiteProfile, list[str]] | None:
        """Count one page read with profile `used`. When that makes it time to learn,
        returns the profile learned (to store and use from now on) and the URLs of the pages
        read before with one that reads pages differently (to re-read). `rereadable` is False
        for a page whose record is more than that page (a multi-page article)."""
        if self.next_at is None:
            return None
        self.traits.append(traits)
        if rereadable:
            self._read_with.append((page_url, used))
        if len(self.traits) < self.next_at:
            return None
        self.next_at = self.next_at * 2 if self.next_at < MAX_PAGES else None
        if self.next_at is not None:
            self.next_at = min(self.next_at, MAX_PAGES)
        learned = learn_profile(self.traits)
        stale = [url for url, read_with in self._read_with if not learned.same_rules(read_with)]
        self._read_with = []
        self.profile = learned
        return learned, stale
