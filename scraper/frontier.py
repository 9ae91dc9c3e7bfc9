"""The crawl queue, kept in the archive so that a crash loses nothing.

A URL is 'pending' until the transaction that stores its page marks it 'done' (or 'failed' /
'skipped' with a reason). URLs being fetched are only held in memory, so after a kill -9 they are
simply still pending and the next run fetches them; nothing is claimed twice within a run
because the in-flight set is excluded.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .reasons import RETRYABLE, Reason

if TYPE_CHECKING:
    from .store import Archive

# Lower first: the pages the user named (one request each: under a page budget every site given
# is started, and its own sitemaps do not take the budget first), sitemaps reveal articles,
# articles are what a crawl cut short should hold most of, list pages lead to more of them (in
# pagination order: rowid), then other hubs; URLs of a pattern whose pages have stopped yielding
# go last (see `scraper.yields`).
PRIORITY = {"start": 0, "sitemap": 1, "article": 2, "list": 3, "other": 4}
LOW_PRIORITY = 5
# Kinds re-read (with conditional GET) at the start of every run: that is where new articles show up.
HUB_KINDS = ("sitemap", "start", "list")
MAX_ATTEMPTS = 5    # consecutive failed runs after which an article is given up (hubs never are)


@dataclass
class FrontierItem:
    url: str                    # canonical URL: the identity
    fetch_url: str              # the URL as found (servers may not answer the canonical form)
    site: str
    kind: str                   # a PRIORITY key
    depth: int = 0
    lastmod: str | None = None
    discovered_from: str | None = None
    attempts: int = 0           # failures in a row (reset by success)
    fetched: bool = False       # fetched successfully before: the archive has its validators
    low: bool = False           # of a doubtful pattern: queued after everything else

    @classmethod
    def from_row(cls, row: Sequence) -> FrontierItem:
        """From the stores' claim query: url, fetch_url, site, kind, depth, lastmod,
        discovered_from, attempts, then whether it was fetched before (a 0/1 or a bool)."""
        url, fetch_url, site, kind, depth, lastmod, discovered_from, attempts, fetched = row[:9]
        return cls(url, fetch_url, site, kind, depth, lastmod, discovered_from, attempts, bool(fetched))

    @property
    def priority(self) -> int:
        return LOW_PRIORITY if self.low else PRIORITY.get(self.kind, PRIORITY["other"])


class Frontier:
    """The crawl queue's policy (what is retried, what is re-read each run) over an archive."""

    def __init__(self, archive: Archive):
        self.archive = archive

    def add(self, items: Iterable[FrontierItem], run_id: int | None) -> int:
        """Queue URLs not seen before; returns how many rows were inserted or updated.

        A known article comes back to 'pending' when a sitemap now gives it a newer `lastmod`
        than the one it was fetched under — that is how changed articles are refetched.
        """
        return self.archive.enqueue(items, run_id)

    def known(self, urls: Iterable[str]) -> set[str]:
        """Which of `urls` are already queued or done (one query for a page's links)."""
        return self.archive.known_urls(urls)

    def start_run(self, site: str, refresh: bool, recheck_since: str | None = None, sweep: int = 0) -> None:
        """Make hubs (with `refresh` every article; with `recheck_since` the articles first seen
        since then; with `sweep` N the 1/N of the articles no sitemap dates that were checked
        longest ago, queued after everything else, so that an edit nothing else reveals is
        found within N runs) pending again — of list pages, only the first of each list: its further
        pages are read as far as they hold something new (see `read_on`) — and give retryable failures another chance. Pending rows left
        by a crashed run stay pending: that is the resume. What the user and robots.txt name is
        asked again every run whatever went wrong last time, and robots.txt refusals are checked
        again (robots.txt may have changed; checking costs no request)."""
        self.archive.requeue(
            site, kinds=None if refresh else HUB_KINDS,
            first_seen_since=None if refresh else recheck_since,
            retry_reasons=RETRYABLE, max_attempts=MAX_ATTEMPTS, always_kinds=HUB_KINDS,
            recheck_reasons=(Reason.ROBOTS,), entry_kinds=("list",),
        )
        if sweep and not refresh:
            self.archive.sweep(site, sweep, LOW_PRIORITY)

    def news_in_run(self, urls: list[str], run_id: int | None) -> bool:
        """Whether run `run_id` queued one of `urls` or stored its text anew (an article re-checked
        and found unchanged, by a 304 or by its text, tells nothing of the pages around it)."""
        return self.archive.news_in_run(urls, run_id)

    def read_on(self, pager: list[str], run_id: int | None) -> str | None:
        """A list page showed something new this run: the next page of its pager (the first of
        `pager`, links in reading order, not read this run) is read again if an earlier run had
        read it; a new one is pending anyway. Returns the URL made pending, if any. So a later run
        pages through a list only as far as it holds new URLs."""
        states = self.archive.frontier_states(pager)
        for url in pager:
            state, run = states.get(url, (None, None))
            if state == "done" and run == run_id:
                continue
            if state == "done":
                self.archive.reopen(url)
                return url
            return None
        return None

    def found_on(self, url: str, page: str) -> None:
        """`url` was found on `page`, whatever page queued it first (see `_SiteCrawl._known_plain`)."""
        self.archive.found_on(url, page)

    def defer(self, item: FrontierItem) -> None:
        """Queue a pending URL after everything else from now on (call inside a transaction)."""
        self.archive.defer(item.url, LOW_PRIORITY)

    def unskip(self, site: str, reason: str) -> None:
        """Make URLs skipped for `reason` pending again (a low-yield pattern came back to life:
        they are checked again when their turn comes, at no request for those still low)."""
        self.archive.unskip(site, reason)

    def next_batch(self, site: str, limit: int, exclude: set[str]) -> list[FrontierItem]:
        """The most urgent pending URLs of a site, skipping those already in flight."""
        return self.archive.claim(site, limit, exclude)

    def finish(self, item: FrontierItem, state: str, *, reason: str | None = None, kind: str | None = None,
               run_id: int | None = None) -> None:
        """Record the outcome of one URL (call inside the page's transaction)."""
        self.archive.complete(item.url, state, reason=reason, kind=kind, run_id=run_id)

    def counts(self, site: str | None = None) -> dict[str, int]:
        return self.archive.frontier_counts(site)
