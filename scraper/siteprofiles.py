"""A site's extraction profile as a crawl learns it (see `scraper.extract.profile`).

The worker processes send, with every HTML page, a few strings and line keys (`PageTraits`);
the crawl keeps them per site and, once the site has `profile_after` pages, learns the profile
from them — no page is parsed again for it. The profile is learned again each time the site's
page count doubles (up to `MAX_PAGES`) and once more when the site's crawl ends; whenever it
comes to read pages differently, the pages read before under another profile (or none) are
re-read from their stored bytes, so the first pages of a site end as right as its later ones.
"""
from __future__ import annotations

from .extract import PageTraits, SiteProfile, learn_profile

MAX_PAGES = 200     # pages a profile is learned from (enough to see what a site's pages share)


class ProfileLearner:
    """Per site during a crawl: the current profile, the traits seen, which profile each page
    was read with (all of them while the profile may still change; afterwards only those read
    with an older one, the pages in flight when it last changed)."""

    def __init__(self, after: int, profile: SiteProfile | None = None):
        self.after = after
        self.profile = profile
        self.traits: list[PageTraits] = []
        self.next_at: int | None = after if after > 0 else None   # page count of the next learning
        self._learned_from = 0
        self._read_with: list[tuple[str, SiteProfile | None]] = []    # page URL → the profile it was read with

    def observe(self, page_url: str, traits: PageTraits, used: SiteProfile | None,
                rereadable: bool = True) -> tuple[SiteProfile, list[str]] | None:
        """Count one page read with profile `used`. When that makes it time to learn, returns
        the profile learned (to store and use from now on) and the URLs of the pages read with
        one that reads pages differently (to re-read). `rereadable` is False for a page whose
        record is more than that page (a multi-page article)."""
        if rereadable and (self.next_at is not None or used is not self.profile):
            self._read_with.append((page_url, used))
        if self.next_at is None:
            return None
        self.traits.append(traits)
        if len(self.traits) < self.next_at:
            return None
        self.next_at = min(self.next_at * 2, MAX_PAGES) if self.next_at < MAX_PAGES else None
        return self._learn()

    def finish(self) -> tuple[SiteProfile, list[str]] | None:
        """At the end of the site's crawl: the profile learned from the pages seen since it was
        last learned, and the pages read otherwise (None when there is nothing to do)."""
        if self.after and len(self.traits) >= self.after and len(self.traits) > self._learned_from:
            return self._learn()
        if self.profile is None:
            return None
        current = self.profile
        stale = [url for url, read_with in self._read_with if not current.same_rules(read_with)]
        self._read_with = []
        return (current, stale) if stale else None

    def _learn(self) -> tuple[SiteProfile, list[str]]:
        learned = learn_profile(self.traits)
        self._learned_from = len(self.traits)
        stale = [url for url, read_with in self._read_with if not learned.same_rules(read_with)]
        # the stale pages are re-read with it, the others read the same: all read with it now
        self._read_with = [(url, learned) for url, _ in self._read_with] if self.next_at is not None else []
        self.profile = learned
        return learned, stale
