"""The crawl loop: frontier → fetch → (worker process) decode/extract/discover → store.

One asyncio loop does the I/O; parsing runs in a process pool so it never stalls fetching;
every page is committed in its own transaction together with its article and the URLs it
revealed, so a crash at any instant leaves a consistent archive and the next run resumes from the
pending rows of the frontier.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple
from contextlib import AbstractAsyncContextManager, AsyncExitStack, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .article import Article
from .discover import Link, classify_url, first_part, refresh_link
from .extract import SiteProfile
from .fetch import Fetcher, FetchResult, HostPacing, SharedHostPacing, failure_text, remote_exchange
from .files import file_extension
from .frontier import PRIORITY, Frontier, FrontierItem
from .pipeline import Processed, process_page, process_sitemap, reread_page
from .reasons import Reason
from .reextract import store_reread
from .settings import RunSettings, Settings, SiteConfig
from .siteprofiles import ProfileLearner
from .sitemaps import SITEMAP_FALLBACKS, Sitemap
from .search_fill import SearchFill
from .store import DEFAULT_DB, Archive, ArchiveError, FileRecord, PageRecord, open_archive, utcnow
from .urls import Scope, TrapGuard, canonicalize, host_of, not_http, origin_of, registered_domain, strip_params
from .workers import WorkerError, WorkerPool
from .dust import IDLE, IdleParams, idle_param, idle_pattern
from .moves import OriginMoves
from .twins import TWIN, IdTwins, TwinRule
from .yields import PatternStats, YieldTracker, pattern_keys, url_pattern, view_pattern

log = logging.getLogger(__name__)
# The run's summary and periodic progress: the CLI shows this logger at INFO even without -v.
run_log = logging.getLogger("scraper.run")


@dataclass
class CrawlReport:
    """What a run did; `counts` keys: pages_fetched, not_modified, articles_new, articles_changed,
    articles_unchanged, aliases, errors, skipped and one `reason:<name>` per failure reason."""

    run_id: int
    outcome: str                  # 'completed' | 'limit' | 'interrupted'
    counts: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    # sites none of whose start URLs could be fetched this run → why, in plain words
    failed_sites: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The report as plain JSON-ready data (for `crawl --json` and monitoring)."""
        return {"run_id": self.run_id, "outcome": self.outcome, "elapsed": round(self.elapsed, 3),
                "counts": dict(sorted(self.counts.items())), "failed_sites": self.failed_sites}

    def summary(self) -> str:
        c = self.counts
        return (
            f"run {self.run_id} {self.outcome}: {_count(c['pages_fetched'], 'page')} fetched "
            f"({c['not_modified']} not modified), {_count(c['articles_new'], 'new article')}, "
            f"{c['articles_changed']} changed, {c['articles_unchanged']} unchanged, "
            f"{_count(c['aliases'], 'alias', 'aliases')}, {_count(c['errors'], 'error')}, "
            f"{c['skipped']} skipped in {self.elapsed:.1f}s"
        )


def _count(n: int, one: str, many: str | None = None) -> str:
    """`n` things, in the singular for one ("1 error", not "1 errors")."""
    return f"{n} {one if n == 1 else many or one + 's'}"


ProgressCallback = Callable[[str, Counter], None]
_FALLBACK = "sitemap-fallback"   # discovered_from of a guessed sitemap location
# What the worker processes do: HTTP exchanges (httpx costs ~2 ms of CPU per request) and parsing.
WORKER_OPS: dict[str, Callable[..., Any]] = {"exchange": remote_exchange, "process": process_page, "sitemap": process_sitemap,
                                             "reread": reread_page}
TRUSTED_KINDS = ("sitemap", "start", "file")   # fetched whatever their pattern's yield
_EXPECTS = {"sitemap": "sitemap", "file": "attachment"}   # frontier kind → what its fetch expects (else page)
MAX_PARTS = 100                           # pages of one multi-page article fetched beyond the first
ALIAS_VIEWS = ("print", "mobile", "amp")  # alternate views that are aliases of the article they sit on
_PROBED_KINDS = ("article", "other", "sitemap")   # a twin of these shows a parameter changes nothing
_HELD_KINDS = _PROBED_KINDS + ("list",)            # … and these wait for it (see `_verdict`)
_HOLD_POLL = 0.05                       # seconds between two looks at the frontier while hubs are held
_SAVE_PATTERNS_EVERY = 64                # pages between two saves of the learned pattern yields
_FETCHED_QUERIES = 512  # pages fetched at a URL with a query, remembered (see _learn_params)
_MAX_SPARES = 16        # coroutines fetching while the others wait out a search fill (see _store_turn)
_EXCHANGE_HERE_MAX = 2  # requests under way (this one included) up to which the crawler makes them itself
_HOLD_EXCHANGE = 5.0    # seconds of an exchange after which an urgent page stops holding hub URLs (pages answer in < 1 s)
# On a shared archive, how often a site with nothing pending asks the frontier again (seconds)
_LEASED_IDLE_WAIT = 0.5
# When the crawl fills the search index: every _INDEX_EVERY stored articles, or when the oldest
# unindexed one has waited _INDEX_SECONDS (a polite crawl stores one every few seconds, and its
# articles should not wait minutes to be found). Each fill is one INSERT…SELECT whose fixed cost
# (FTS5 flushes a segment and merges levels) dominates small batches: on real-sized pages a fill
# every 8 articles cost 2.1 ms CPU per article; every 64, 1.5 (larger batches save little more).
# Left to the end of the run it was a serial tail of ~10% of the crawl. A fill runs in a thread
# beside the event loop (see scraper.search_fill).
_INDEX_EVERY = 64
_INDEX_SECONDS = 30.0


class _Budget:
    """Run-wide limits shared by all sites (max pages, max duration, stop requests)."""

    def __init__(self, max_pages: int | None, max_duration: float | None):
        self.max_pages = max_pages
        self.deadline = time.monotonic() + max_duration if max_duration is not None else None
        self.spent = 0
        self.stop_reason: str | None = None
        self.heads: dict[str, int] = {}     # site → priority of the URL it fetches next

    def defer(self, site: str, priority: int | None, busy: int | None = None) -> bool:
        """With a page budget, whether `site` should let another site's more urgent URL (an
        article, a list page) have the next page first, so a cut crawl holds the most articles
        whichever site its traps are on. `priority` None: the site has nothing to fetch now;
        `busy`: the most urgent of its fetches in flight, which count as its head meanwhile (a
        list page being read reveals articles that go before another site's hubs)."""
        head = min((p for p in (priority, busy) if p is not None), default=None)
        if head is None:
            self.heads.pop(site, None)
            return False
        self.heads[site] = head
        return (priority is not None and self.max_pages is not None
                and any(p < priority for s, p in self.heads.items() if s != site))

    def hit(self, which: str) -> None:
        if not self.stop_reason:
            run_log.info("%s reached: stopping; the next run continues from here", which)
        self.stop_reason = self.stop_reason or "limit"

    def remaining(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def take(self) -> bool:
        if self.stop_reason:
            return False
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.hit("max_duration")
            return False
        if self.max_pages is not None and self.spent >= self.max_pages:
            self.hit(f"max_pages ({self.max_pages})")
            return False
        self.spent += 1
        return True

    def refund(self) -> None:
        """A URL taken but refused before any request (robots.txt, scope, a host down) cost no
        fetch: max_pages counts requests, as its users count them in their server's log."""
        self.spent -= 1


class _WriteNeeded(Exception):
    """`_SiteCrawl._next(write=False)` got to a step that writes to the archive."""


@dataclass(frozen=True)
class _Found:
    """A URL found on a page. Sitemap entries are trusted (the site lists them itself), and
    the article chain and list pagination do not count as depth: a site may expose thousands
    of older articles only through 下一页 or 上一条 links."""

    url: str
    kind: str
    lastmod: str | None = None
    step: int = 1
    trusted: bool = False
    low: bool = False          # queue after everything else
    canon: str | None = None     # set when the worker already canonicalized it and checked the scope

    def __post_init__(self) -> None:
        object.__setattr__(self, "lastmod", _utc(self.lastmod))


class _FetchedQuery(NamedTuple):
    """A page fetched at a URL with a query, remembered until a parameter in it may be learned
    as idle (see `_SiteCrawl._learn_params`)."""

    url: str
    fetch_url: str
    kind: str                   # the frontier kind it was finished with
    found_on: str | None        # the page it was found on
    article: str | None = None  # the URL its article was stored under; None: a hub or a sitemap


def _utc(stamp: str | None) -> str | None:
    """A sitemap time as UTC 'YYYY-MM-DDTHH:MM:SSZ' (the form fetch times are stored in), so
    lastmods compare as times; a bare date is kept as it is."""
    if not stamp or len(stamp) <= 10:
        return stamp
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone(timedelta(hours=8)))   # Chinese sites: Beijing time
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _link_kind(link: Link) -> str | None:
    """Frontier kind for a discovered link, or None when it is not to be fetched."""
    if link.points_to == "attachment":
        return None                     # recorded with the article, not downloaded
    if link.points_to in ("sitemap", "feed"):
        return "sitemap"
    if link.rel in ("prev", "next"):
        return "article"
    if link.rel in ("page", "sitemap-page") or link.points_to == "list":
        return "list"
    return "article" if link.points_to == "article" else "other"


# What bot filters in front of many gov sites answer every client they do not take for a browser
# (a 412 is a script challenge instead, which another User-Agent does not pass).
_REFUSING = frozenset({Reason.http(403)})


class _SiteCrawl:
    def __init__(self, site: SiteConfig, archive: Archive, run_id: int, budget: _Budget,
                 counts: Counter, pool: WorkerPool | None, progress: ProgressCallback | None,
                 pacing: HostPacing, transport: httpx.AsyncBaseTransport | None, search_fill: SearchFill):
        self.site = site
        self.search_fill = search_fill
        self.settings: Settings = site.settings
        self.archive = archive
        self.frontier = Frontier(archive)
        self.run_id = run_id
        self.budget = budget
        self.counts = counts
        self.pool = pool
        self.progress = progress
        self.scope = Scope(site.start_urls, site.allow_hosts, site.allow_patterns, site.deny_patterns)
        self.guard = TrapGuard(self.settings)
        self.fetcher = Fetcher(self.settings, self.scope, transport=transport, pacing=pacing,
                               exchanger=partial(pool.stream, "exchange") if pool else None,
                               exchange_here=partial(_exchange_here, pool, pacing) if pool else None)
        self.concurrency = pacing.concurrency   # the run's overall limit caps each site too
        self.inflight: dict[str, tuple[int, str]] = {}   # URL under way → (priority, fetch URL)
        self.queue: list[FrontierItem] = []
        # Claims on a shared archive are leases: take only what this process starts soon, so
        # that the other workers get the rest. A site's coroutines take turns to claim and fetch,
        # as many at once as one host takes requests: a URL claimed while its host is busy would
        # wait out the delay in this process while another worker, with request slots free,
        # could fetch it (one worker ended up holding the last of every site). And an empty site
        # asks again only now and then (every idle coroutine asking would be hundreds of
        # queries a second, each blocking this event loop for a round trip to the server).
        leased = bool(archive.lease_seconds)
        self.batch = 1 if leased else 4 * self.concurrency
        self.claims_write = leased          # else a claim only reads the frontier
        self.idle_wait = _LEASED_IDLE_WAIT if leased else 0.0
        self.save_every = 1 if leased else _SAVE_PATTERNS_EVERY   # workers judge patterns together
        self.turn: AbstractAsyncContextManager = (asyncio.Semaphore(self.settings.per_host_concurrency) if leased
                                                  else nullcontext())
        self._empty_until = 0.0
        self.finished = False
        self.spares: set[asyncio.Task] = set()   # coroutines fetching while others wait out a search fill
        self.start_keys = {c for u in site.start_urls if (c := canonicalize(u))}
        # start URL tried this run → None if it worked, else (the reason, the failure in words)
        self.starts: dict[str, tuple[str | None, str] | None] = {}
        self.fetched = self.failed = 0
        self.unreachable: str | None = None        # set when every start URL failed
        self.yields = YieldTracker(self.settings.low_yield_after)
        self._pages_since_save = 0
        self._unindexed = 0                  # articles stored since the last fill of the search index
        self._unindexed_since = 0.0          # time.monotonic() when the first of them was stored
        self.pending_patterns: Counter[str] = Counter()   # fetches under way per URL pattern and family
        self.run_sites: list[str] = [site.name]             # names of all sites of this run
        self.profiles = ProfileLearner(self.settings.profile_after)   # the site's extraction profile
        self.moves = OriginMoves()          # origins that only redirect elsewhere (see scraper.moves)
        self.params = IdleParams()          # query parameters the site's pages do not depend on (scraper.dust)
        self.twins = IdTwins()              # scripts rendering an article named by its id (scraper.twins)
        self.deferred: set[str] = set()     # twins of an article not stored yet, queued last (see _verdict)
        self.sitemap_twins: dict[bytes, str] = {}   # digest of a sitemap (or feed) with a query → its URL
        # the latest pages fetched at a URL with a query: see _FetchedQuery and _learn_params
        self.fetched_queries: deque[_FetchedQuery] = deque(maxlen=_FETCHED_QUERIES)

    # -- seeding -------------------------------------------------------------------------
    async def seed(self) -> None:
        items = []
        for url in self.site.start_urls:
            canon = canonicalize(url)
            if canon:
                items.append(FrontierItem(canon, url, self.site.name, "start"))
        origins = dict.fromkeys(origin_of(i.fetch_url) for i in items)
        shared = self.archive.coordination()
        if shared is not None:
            shared.forget_robots(origins)     # a new crawl reads robots.txt afresh, once for all workers
        for origin in origins:
            robots = await self.fetcher.robots(origin + "/")
            for sm in robots.sitemaps:
                canon = canonicalize(sm)
                if canon and self.scope.allows(canon):
                    items.append(FrontierItem(canon, sm, self.site.name, "sitemap", discovered_from="robots.txt"))
        self._load_yields()
        with self.archive.transaction():
            # a site is its origins, whatever it is called: a renamed site keeps its queue and articles
            self.archive.adopt_origins(self.site.name, list(origins), self.run_sites)
            days = self.settings.recheck_days
            since = None if days is None else (datetime.now(timezone.utc) - timedelta(days=days)).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
            self.frontier.start_run(self.site.name, self.settings.refresh, since, self.settings.recheck_sweep)
            self.frontier.add(items, self.run_id)

    def _load_yields(self) -> None:
        """Start from the pattern yields learned before (by earlier runs, by other workers)."""
        self.yields = YieldTracker(self.settings.low_yield_after, {
            row[0]: PatternStats(*row[1:]) for row in self.archive.url_patterns(self.site.name)})
        self.params.idle |= {name for name in map(idle_param, self.yields.patterns) if name}
        self.twins.rules |= {rule for rule in map(TwinRule.parse, self.yields.patterns) if rule}

    # -- the loop ------------------------------------------------------------------------
    async def _next_now(self) -> tuple[FrontierItem | None, bool]:
        """`_next`, without waiting for a search fill when it can: a URL already claimed and
        needing no write to be handed out is fetched while the fill holds the write lock. A fill
        takes tens of milliseconds; every coroutine waiting for it before taking its next URL
        stopped fetching for that long every `_INDEX_EVERY` articles (at one request per host
        and 4 ms answers, 13% of a crawl's time went so)."""
        if self.search_fill.busy:
            try:
                return self._next(write=False)
            except _WriteNeeded:
                pass
        await self.search_fill.writable()      # _next may claim or settle URLs: writes
        return self._next()

    def _next(self, write: bool = True) -> tuple[FrontierItem | None, bool]:
        """The next URL, and whether the frontier was asked (False: it said 'nothing' a moment ago).
        A batch whose URLs were all settled here without a request (aliases, low-yield, parts)
        says nothing about the URLs behind it: the frontier is asked again, so 'asked and none'
        means the site has no URL left to hand out now, never 'the batch was all skips'.
        Without `write`, raises `_WriteNeeded` (the queue as it was) where it would write."""
        asked = False
        while True:
            if not self.queue:
                if time.monotonic() < self._empty_until:
                    return None, asked
                if not write and self.claims_write:
                    raise _WriteNeeded
                self.queue = self.frontier.next_batch(self.site.name, self.batch, set(self.inflight))
                asked = True
                if not self.queue:
                    self._empty_until = time.monotonic() + self.idle_wait
                    return None, asked
            settled = False
            while self.queue:
                item = self.queue.pop(0)
                if item.url in self.inflight:
                    continue
                verdict, moved = self._verdict(item)
                if verdict == "fetch":
                    return item, asked
                if verdict == "wait":
                    continue                        # one verifying fetch at a time: stays pending
                if verdict == "held":
                    # claimed again, in priority order, once those are in; not asked for again at
                    # every worker's turn meanwhile (each turn is a query)
                    self.queue.clear()
                    self._empty_until = time.monotonic() + _HOLD_POLL
                    return None, asked
                if not write:
                    self.queue.insert(0, item)
                    raise _WriteNeeded
                settled = True
                if verdict == "move":
                    self._move(item, moved)
                elif verdict in ("part", "known"):  # fetched with its article's first page, or as its twin
                    with self.archive.transaction():
                        self.frontier.finish(item, "done", run_id=self.run_id)
                elif verdict == "twin":
                    self._skip(item, Reason.ALIAS, of=moved)
                elif verdict == "defer":
                    self.deferred.add(item.url)
                    with self.archive.transaction():
                        self.frontier.defer(item)
                else:
                    self._skip(item, Reason.ALIAS if verdict == "alias" else Reason.LOW_YIELD)
            if not settled:     # only URLs that wait for a fetch under way: asked again after it
                return None, asked

    def _verdict(self, item: FrontierItem) -> tuple[str, str]:
        """What `_next` does with a queued URL, decided without writing: "fetch" it; leave it
        pending ("wait": a verifying fetch of its view pattern is under way); stop handing out
        ("held", see `_held`); or settle it without a request, a write: "move" (to the URL
        returned beside), "part" (fetched with its article), "known" (its article was stored
        from a twin), "twin" (the dynamic twin of the article stored at the URL returned
        beside: see scraper.twins), "alias" or "low-yield"; or "defer" it, a write too (a
        URL that may be such a twin, or is one whose article is not stored yet, goes last).
        A URL that differs from one fetched only in a parameter that may change nothing waits
        while that one, or another such probe of the parameter, is under way (scraper.dust)."""
        if item.kind != "start" and (moved := self._rewrite(item.url)) != item.url:
            return "move", moved
        if item.kind in _HELD_KINDS and (variant := self.params.variant(item.url)) is not None:
            name, twin = variant     # the same page if `name` changes nothing (scraper.dust)
            if twin in self.inflight or (name in self.params.candidates
                                         and self.pending_patterns[idle_pattern(name)]):
                return "wait", ""    # its twin's answer, or the probe's, tells
            if name in self.params.idle and self.archive.has_article(self.archive.resolve_alias(item.url)):
                return "known", ""   # claimed before its twin was stored as its article
        if (static := self.twins.twin(item.url)) is not None and self.archive.has_article(
                primary := self.archive.resolve_alias(static)):
            return "twin", primary
        # of a script that may render the site's static articles: last, and one at a time
        doubtful = item.kind == "article" and self.twins.doubtful(item.url)
        if item.url not in self.deferred and (doubtful or self.twins.is_twin(item.url)):
            return "defer", ""
        if doubtful and self.pending_patterns[url_pattern(item.url)]:
            return "wait", ""        # one of a script's URLs at a time, until it shows what they are
        if item.kind in TRUSTED_KINDS:
            return "fetch", ""
        if item.kind == "part":
            return "part", ""
        pattern = url_pattern(item.url)
        view_key = view_pattern(item.url, item.discovered_from)
        view = self.yields.patterns.get(view_key)
        alias = view.alias if view else None
        if alias == "yes" and item.discovered_from:
            return "alias", ""            # a view of the article it was found on
        if alias == "probe" and self.pending_patterns[view_key]:
            return "wait", ""
        if self._low_yield(item.url, pattern, self.pending_patterns):
            return "low-yield", ""
        if self._held(item, pattern):
            return "held", ""
        return "fetch", ""

    def _low_yield(self, url: str, pattern: str, pending: Counter[str] | None = None) -> bool:
        """Whether `url` (of `pattern`) is of a low-yield pattern; one shaped as a list is judged
        without its sibling family (see `YieldTracker.is_low`)."""
        return self.yields.is_low(pattern, pending, siblings=classify_url(url) != "list")

    def _rank(self, item: FrontierItem) -> int:
        """Priority among all sites' URLs under a page budget: a list page of a pattern whose
        pages fetched so far revealed nothing (say every article is in the sitemap already),
        or of a tag cloud whose sibling pages did, ranks with the other hubs, after any site's
        articles and productive lists. A start page goes first (`PRIORITY`): each site given is
        started (under `--max-pages 4`, two sites' sitemap guesses took the budget before a
        third site was asked for anything; one site's own sitemap, its start page)."""
        if item.kind == "list" and self.yields.revealed_nothing(url_pattern(item.url)):
            return max(item.priority, PRIORITY["other"])
        return item.priority

    def _held(self, item: FrontierItem, pattern: str) -> bool:
        """A URL of a hub pattern that has not yielded yet waits while more urgent pages of the
        site (sitemaps, lists, articles) are being fetched: they may queue more urgent URLs, and
        once they are in, the pattern is judged on what it adds to all they revealed — a search
        form or a tag cloud fetched first would show articles the lists were about to reveal,
        look productive, and be walked to the full limit. A page whose response has been coming
        for `_HOLD_EXCHANGE` seconds (a drip, a stalled server) holds nothing any more: it would
        keep the rest of the site waiting for its whole timeout and reveal little."""
        if item.priority < PRIORITY["other"] or self.yields.has_yielded(pattern):
            return False
        now = time.monotonic()
        return any(p < item.priority and now - self.fetcher.exchanging.get(fetch_url, now) < _HOLD_EXCHANGE
                   for p, fetch_url in self.inflight.values())

    def _skip(self, item: FrontierItem, reason: Reason, of: str | None = None) -> None:
        """Settle a queued URL without a request: an alternate view of a known article becomes
        its alias (of the article stored at `of`, else of the page it was found on); a URL of a
        low-yield pattern waits (until the pattern yields again)."""
        self.counts["skipped"] += 1
        self.counts[reason] += 1
        with self.archive.transaction():
            if reason == Reason.ALIAS and (of or item.discovered_from):   # _next skips as alias only found pages
                self.archive.add_alias(item.url, of or self.archive.resolve_alias(item.discovered_from or ""))
            self.frontier.finish(item, "skipped", reason=reason, run_id=self.run_id)

    def _move(self, item: FrontierItem, moved: str) -> None:
        """Settle a URL queued before its origin was seen to move (a sitemap listing http://
        URLs of an https site), or before a parameter of it was learned to change nothing: its
        twin `moved` is queued instead, no request made, as found where the URL was found (an
        alternate view is known by its relation to that page)."""
        self.counts["skipped"] += 1
        self.counts[Reason.MOVED] += 1
        # found on that page under its own URL: a list found on `index.asp?sid=…` was found on
        # the home page, and is re-read as a list's first page on later runs (found on a
        # page of the list kind, it was taken for a later page of a list, and never re-read)
        found_on = (replace(item, url=canonicalize(self._rewrite(item.discovered_from)) or item.discovered_from)
                    if item.discovered_from else item)
        twin = self._rewrite(item.fetch_url)    # the form servers answer (`index.html` kept)
        if canonicalize(twin) != canonicalize(moved):
            twin = moved
        with self.archive.transaction():
            if item.discovered_from and self._is_view(item):
                # an alternate view of the page it was found on stays one: judged by the
                # pattern of its new URL (an alias without a request once that one verified)
                found = self._alternate_views([twin], item.discovered_from,
                                              self.archive.resolve_alias(item.discovered_from))
            else:
                found = [_Found(twin, item.kind, item.lastmod, step=0, trusted=True)]
            self._enqueue(found, found_on)
            self.frontier.finish(item, "skipped", reason=Reason.MOVED, run_id=self.run_id)

    async def run(self, seed: bool = True, work: bool = True) -> None:
        started = time.monotonic()
        log.info("site %s: starting from %s", self.site.name, ", ".join(self.site.start_urls))
        async with self.fetcher:
            if seed:
                await self.seed()
            else:           # a worker: another process seeded
                self._load_yields()
            if not work:
                return
            stored = self.archive.site_profile(self.site.name)
            self.profiles.profile = SiteProfile.from_json(stored[0] if stored else None)
            try:
                await asyncio.gather(*(self._worker() for _ in range(self._tasks())))
                await self._spares_done()
                update = self.profiles.finish()     # learned from every page; the last ones re-read
                if update is not None:
                    await self._adopt(*update)
            finally:
                for spare in self.spares:     # a failure or a cancel ended the others early
                    spare.cancel()
                await asyncio.gather(*self.spares, return_exceptions=True)
                await self.search_fill.writable()
                with self.archive.transaction():
                    self._save_patterns()
        self._check_starts()
        log.info("site %s: finished in %.1fs: %s fetched, %d failed", self.site.name,
                 time.monotonic() - started, _count(self.fetched, "page"), self.failed)

    def _check_starts(self) -> None:
        """A site none of whose start URLs could be fetched is down or misconfigured: say why
        (the run's exit code tells a scheduler)."""
        keys = self.start_keys
        if keys and set(self.starts) >= keys and all(self.starts[k] for k in keys):
            failures = {k: failure for k in keys if (failure := self.starts[k]) is not None}
            self.unreachable = "; ".join(f"{k} ({failures[k][1]})" for k in sorted(keys))
            log.error("site %s: every start URL failed: %s", self.site.name, self.unreachable)
            if all(reason in _REFUSING for reason, _ in failures.values()):
                log.error("site %s refuses us, not only a page: some sites answer HTTP 403 to any client they"
                          " do not take for a browser; if its terms allow crawling, try another user_agent for"
                          " it in sites.toml", self.site.name)

    def _tasks(self) -> int:
        """Fetch slots plus room for the pages being parsed and stored. A task holds its page
        until it is stored, while the request slot (`concurrency`, enforced by the fetcher) is
        free again once the answer is in: with only `concurrency` tasks, fetching would pause
        whenever the workers parse."""
        return max(1, self.concurrency) + 2 * (self.pool.size if self.pool else 0)

    def _save_patterns(self) -> None:
        """Add the pattern yields counted since the last save to the stored ones, and take the
        sums (other workers' fetches too) back (call inside a transaction)."""
        self._pages_since_save = 0
        changes = self.yields.changes()
        if changes:
            self.yields.update(self.archive.merge_url_patterns(self.site.name, changes))

    def _record_yield(self, item: FrontierItem, article: bool, new: list[FrontierItem]) -> bool:
        """Count the fetched page in its pattern's yield (see `scraper.yields`); an article also
        credits the pattern of the page it was found on. Call inside the page's transaction.
        Returns whether the page yielded."""
        yields = self.yields
        yielded = article or any(i.kind == "article" or yields.is_productive(url_pattern(i.url)) for i in new)
        revived = yields.record(url_pattern(item.url), article=article, yielded=yielded)
        if article and item.discovered_from and item.discovered_from.startswith("http"):
            revived = yields.credit(url_pattern(item.discovered_from)) or revived
        if revived:
            self.frontier.unskip(self.site.name, Reason.LOW_YIELD)
        self._pages_since_save += 1
        if self._pages_since_save >= self.save_every:
            self._save_patterns()
        return yielded

    async def _worker(self, spare: bool = False) -> None:
        while not self.budget.stop_reason and not self.finished:
            if spare and not self.search_fill.busy:
                return
            async with self.turn:
                if self.finished or not await self._step():
                    return

    async def _store_turn(self) -> None:
        """Wait until a fetched page can be stored: at once, or when the search fill holding the
        write lock is done. Meanwhile a spare coroutine takes this one's place in fetching (up to
        `_MAX_SPARES` in the run, all sites together, so that at most as many more fetched pages
        wait in memory), and leaves once no fill runs. Without spares every coroutine soon held
        a page waiting for the fill, and no request went out until it was done: at one request
        per host and 4 ms answers, 13% of a crawl's time went so, in stalls of 40-120 ms every
        `_INDEX_EVERY` articles."""
        fill = self.search_fill
        if fill.busy and fill.spares < _MAX_SPARES and not self.budget.stop_reason:
            fill.spares += 1
            task = asyncio.create_task(self._worker(spare=True))
            self.spares.add(task)
            task.add_done_callback(self._spare_done)
        await fill.writable()

    def _spare_done(self, task: asyncio.Task) -> None:
        self.spares.discard(task)
        self.search_fill.spares -= 1

    async def _spares_done(self) -> None:
        """Wait for the spare coroutines still fetching (see `_store_turn`)."""
        while self.spares:
            await asyncio.gather(*self.spares)

    async def _step(self) -> bool:
        """Take the next URL and handle it, or wait a little when there is none yet; False
        when this coroutine is done."""
        item, asked = await self._next_now()
        busy = min((p for p, _ in self.inflight.values()), default=None)
        if item is not None and self.budget.defer(self.site.name, self._rank(item), busy):
            self.queue.insert(0, item)
            await asyncio.sleep(0.01)
            return True
        if item is None:
            if asked or busy is not None:   # else it did not look: its head stands meanwhile
                self.budget.defer(self.site.name, None, busy)
            if self.inflight or not asked:
                await asyncio.sleep(max(0.02, self._empty_until - time.monotonic()))
            elif self.archive.claimed_elsewhere(self.site.name):
                await asyncio.sleep(self.idle_wait)   # another worker's pages may reveal more
            else:       # nothing pending and nothing in flight that could add more: the
                self.finished = True        # site's other coroutines need not ask again
                return False
            return True
        if not self.budget.take():
            return False
        keys = pattern_keys(url_pattern(item.url))
        if (view_key := view_pattern(item.url, item.discovered_from)) not in keys:
            keys += (view_key,)         # a verifying fetch of a view pattern under way
        if (item.kind in _PROBED_KINDS and (variant := self.params.variant(item.url)) is not None
                and variant[0] in self.params.candidates):
            keys += (idle_pattern(variant[0]),)     # a probe of a candidate parameter under way
        self.pending_patterns.update(keys)
        self.inflight[item.url] = (item.priority, item.fetch_url)
        self.params.fetching(item.url)
        try:
            await self._handle(item)
        except ArchiveError:
            raise           # the archive cannot be written: no page can be stored, stop
        except Exception:   # a bug or a page nobody foresaw must not stop the other pages
            log.exception("could not handle %s", item.fetch_url)
            self.counts["errors"] += 1
            self.counts[f"reason:{Reason.INTERNAL_ERROR}"] += 1
            await self.search_fill.writable()
            with self.archive.transaction():
                self.frontier.finish(item, "failed", reason=Reason.INTERNAL_ERROR, run_id=self.run_id)
        finally:
            self.pending_patterns.subtract(keys)
            for key in keys:    # no key kept at zero: a site of slug-named URLs has one per page
                if not self.pending_patterns[key]:
                    del self.pending_patterns[key]
            del self.inflight[item.url]
        if self.progress:
            self.progress(item.fetch_url, self.counts)
        return True

    async def _handle(self, item: FrontierItem) -> None:
        etag = last_modified = None
        validators = self.archive.file_validators if item.kind == "file" else self.archive.validators
        if item.fetched:     # only a URL fetched before has validators (even --refresh uses them: 304 = unchanged)
            etag, last_modified = validators(item.url) or (None, None)
        expect = _EXPECTS.get(item.kind, "page")
        profile = self.profiles.profile      # the site's profile when this page is read
        result = await self.fetcher.fetch(
            item.fetch_url, expect=expect, etag=etag, last_modified=last_modified,
            then=self._then(profile) if expect == "page" else None,
        )
        if not result.attempts:
            self.budget.refund()
        await self._store_turn()      # what follows stores the outcome
        self._note(item, result)
        if result.reason == Reason.ROBOTS:
            self.counts["skipped"] += 1
            with self.archive.transaction():
                self.frontier.finish(item, "skipped", reason=Reason.ROBOTS, run_id=self.run_id)
            return
        if result.attempts:          # refusals (robots.txt unreadable, host down) made no request
            self.counts["pages_fetched"] += 1
        if result.not_modified and item.kind == "article" and await self._changed_part(item, result, profile):
            return
        if result.not_modified:
            self.counts["not_modified"] += 1
            with self.archive.transaction():
                self.archive.mark_not_modified(item.url, self.run_id)
                self.frontier.finish(item, "done", run_id=self.run_id)
            return
        if not result.ok:
            self._failed(item, result)
            if item.kind == "start":        # a sitemap may be the only way in left
                await self._guess_sitemap(item)
            return
        if item.kind == "file":
            self._store_file(item, result)
            return
        try:
            if item.kind == "sitemap":
                sitemap, raw = await self._work("sitemap", result.content, result.final_url, result.content_type)
                self._store_sitemap(item, result, sitemap, raw)
            else:
                processed = await self._processed(result, profile)
                first = first_part(self._rewrite(result.final_url), processed.parts) if processed.parts else None
                if first is not None:       # a later page of an article: fetched with the first
                    self._later_part(item, result, processed, first)
                    return
                parts = await self._fetch_parts(item, processed, profile) if processed.parts else []
                self._store_page(item, result, processed, parts)
                if item.kind == "start":
                    await self._guess_sitemap(item, processed.links)
                if processed.traits is not None:
                    await self._learn(item.url, processed, profile, not parts)
        except WorkerError as exc:
            self._failed(item, replace(result, reason=Reason.EXTRACT_ERROR))
            log.warning("parsing failed for %s: %s", item.fetch_url, exc)

    async def _changed_part(self, item: FrontierItem, result: FetchResult, profile: SiteProfile | None) -> bool:
        """A multi-page article whose first page answered 304: revalidate its other pages and,
        when one changed, store a new version of the whole, the unchanged pages read from their
        stored bytes (each page is requested once, not revalidated and then fetched again).
        False when it is no multi-page article or nothing changed (its parts are then marked so)."""
        if self.archive.page_count(self.archive.resolve_alias(item.url)) < 2:
            return False
        first = await self._stored(item.url, profile)
        if first is None or not first.parts:
            return False
        parts = await self._fetch_parts(item, first, profile)
        if all(part_result.not_modified for _, part_result, _ in parts):
            with self.archive.transaction():
                for canon, _, _ in parts:
                    self.archive.mark_not_modified(canon, self.run_id)
            return False
        etag, last_modified = self.archive.validators(item.url) or (None, None)
        kept = {"etag": etag, "last-modified": last_modified}
        self._store_page(item, replace(result, headers={**{k: v for k, v in kept.items() if v}, **result.headers}),
                         first, parts)
        return True

    async def _stored(self, url: str, profile: SiteProfile | None) -> Processed | None:
        """A page as stored at its last fetch, processed again (its 304 said it is unchanged)."""
        page = self.archive.raw_page(url)
        if page is None:
            return None
        return await self._process(page.content, page.final_url or page.url, page.encoding, profile)

    async def _learn(self, page_url: str, processed: Processed, used: SiteProfile | None, single: bool) -> None:
        """Count a page towards the site's profile (a page that reads as no article too: it may
        be one the profile would settle); when one is learned, store it and re-read the pages
        read before under another profile from their stored bytes."""
        assert processed.traits is not None
        update = self.profiles.observe(page_url, processed.traits, used, single)
        if update is not None:
            await self._adopt(*update)

    async def _adopt(self, profile: SiteProfile, stale: list[str]) -> None:
        """Store the site's profile, learned anew, and re-read the `stale` pages with it."""
        await self.search_fill.writable()       # the page just stored may have started a fill
        with self.archive.transaction():
            self.archive.save_site_profile(self.site.name, profile.to_json(), profile.pages)
        log.info("site %s: profile learned from %d pages; re-reading %d", self.site.name, profile.pages, len(stale))
        for url in stale:
            page = self.archive.raw_page(url)
            if page is None:
                continue
            article, _ = await self._work("reread", page.content, page.final_url or page.url, page.encoding,
                                          self.site.extract or None, profile)
            with self.archive.transaction():
                outcome = store_reread(self.archive, page, article, self.run_id)
            self.counts[f"profile:{outcome}"] += 1

    async def _fetch_parts(self, item: FrontierItem, first: Processed,
                           profile: SiteProfile | None = None) -> list[tuple[str, FetchResult, Processed]]:
        """The other pages of a multi-page article, fetched now (each counts as a page fetched)
        so that it is stored as one record; a part's own pager may name parts the first did
        not (下一页 only). Stops at the first part that cannot be fetched or is no article.
        A part fetched before is asked for with its validators; one that answers 304 is read
        from its stored bytes (its result then says `not_modified`)."""
        fetched: list[tuple[str, FetchResult, Processed]] = []
        # parts are known without the parameters that may change nothing: each part's pager
        # may name the others with a new session id
        unread = self.params.idle | self.params.candidates
        todo, seen, done = list(first.parts), {strip_params(p, unread) for p in first.parts}, {strip_params(item.url, unread)}
        while todo and len(fetched) < MAX_PARTS:
            url = todo.pop(0)
            canon = canonicalize(url)
            if canon is None or (plain := strip_params(canon, unread)) in done or not self.scope.allows(canon):
                continue
            done.add(plain)
            etag, last_modified = self.archive.validators(canon) or (None, None)
            result = await self.fetcher.fetch(url, expect="page", etag=etag, last_modified=last_modified,
                                              then=self._then(profile))
            self.budget.spent += 1          # a part is a page fetched, never refused half-way
            self.counts["pages_fetched"] += 1
            if result.not_modified:
                self.counts["not_modified"] += 1
                part = await self._stored(canon, profile)
            elif result.ok:
                part = await self._processed(result, profile)
            else:
                part = None
            if part is None or part.article.reason is not None:
                break
            if part.article.body == first.article.body:
                # the first page again under another URL (`&page=1`, as old ASP pagers write
                # it): not a part, and a lesson for the site's URLs (scraper.dust)
                with self.archive.transaction():
                    self._learn_params(canon, canonicalize(item.url) or item.url)
                continue
            fetched.append((canon, result, part))
            for more in part.parts:
                if (plain := strip_params(more, unread)) not in seen:
                    seen.add(plain)
                    todo.append(more)
        await self.search_fill.writable()      # the caller stores them
        return fetched

    def _note(self, item: FrontierItem, result: FetchResult) -> None:
        """Log one fetch (DEBUG, like Scrapy's `Crawled (200) <GET url> (referer: …)`) and keep
        what the site's summary and its start-URL check need."""
        worked = result.ok or result.not_modified
        if item.url in self.start_keys:
            self.starts[item.url] = None if worked else (result.reason, failure_text(result))
        if result.attempts:
            self.fetched += 1
            served = result.status is not None and not 300 <= result.status < 400
            self.moves.observe(item.fetch_url, result.redirects, served, result.headers)
        self.failed += not worked and item.discovered_from != _FALLBACK     # a guess is no failure
        if log.isEnabledFor(logging.DEBUG):
            outcome = "" if worked else f" {result.reason}: {failure_text(result)}"
            log.debug("%s (%s) <GET %s> (referer: %s)%s", "Crawled" if result.attempts else "Refused",
                      result.status or "-", item.fetch_url, item.discovered_from, outcome)

    def _then(self, profile: SiteProfile | None) -> partial:
        """How a fetched page is processed (see `_processed`), as a picklable call."""
        return partial(process_page, overrides=self.site.extract or None, scope=self.scope, profile=profile,
                       idle=self.params.idle, maybe_idle=self.params.candidates)

    async def _processed(self, result: FetchResult, profile: SiteProfile | None) -> Processed:
        """The page as the worker that fetched it processed it, else processed now (the
        request ran in this process, or the processing failed there and fails again here with
        the error reported as usual)."""
        if result.processed is not None:
            return result.processed
        return await self._process(result.content, result.final_url, result.charset, profile)

    async def _process(self, content: bytes | None, url: str, charset: str | None,
                       profile: SiteProfile | None) -> Processed:
        """`process_page` on a body read here or stored, as `_then` has a worker run it."""
        return await self._work("process", content, url, charset, self.site.extract or None, self.scope, profile,
                                self.params.idle, self.params.candidates)

    async def _work(self, op: str, *args):
        """Run a pipeline step in a worker process (in the loop when there is no pool). Returns,
        or raises, only once no search fill holds the write lock: the caller stores what it made."""
        if self.pool is None:
            return WORKER_OPS[op](*args)
        try:
            return await self.pool.run(op, *args)
        finally:
            await self.search_fill.writable()

    # -- storing outcomes ------------------------------------------------------------------
    def _page_record(self, item: FrontierItem, result: FetchResult, **extra) -> PageRecord:
        return PageRecord(
            url=item.url, site=self.site.name, final_url=result.final_url, status=result.status,
            reason=result.reason, content_type=result.content_type, etag=result.headers.get("etag"),
            last_modified=result.headers.get("last-modified"),
            size=len(result.content) if result.content is not None else result.size,
            fetched_at=utcnow(), run_id=self.run_id, **extra,
        )

    def _failed(self, item: FrontierItem, result: FetchResult) -> None:
        if item.kind == "sitemap" and item.discovered_from != _FALLBACK:
            log.info("sitemap %s failed: %s", item.fetch_url, failure_text(result))
        self.counts["errors"] += 1
        self.counts[f"reason:{result.reason}"] += 1
        state = "skipped" if result.reason is not None and Reason(result.reason).skip else "failed"
        with self.archive.transaction():
            self.archive.save_page(self._page_record(item, result))
            if result.reason and result.reason.startswith("http-4") and item.kind not in TRUSTED_KINDS:
                self._record_yield(item, False, [])    # a pattern of dead links is a trap too
                self._verified(item, False)
            self.frontier.finish(item, state, reason=result.reason, run_id=self.run_id)
            self._next_fallback(item)

    async def _guess_sitemap(self, item: FrontierItem, links: Iterable[Link] = ()) -> None:
        """A start page is read: when neither its origin's robots.txt nor the page's links (an
        XML 地图 / sitemap link, <link rel="sitemap">) name a sitemap, queue the first usual
        location (the next only if that one gives nothing: see `_next_fallback`). A feed does
        not count: it lists only the latest items, without the lastmods that reveal edits."""
        robots = await self.fetcher.robots(item.fetch_url)
        if robots.sitemaps or any(link.points_to == "sitemap" for link in links):
            return
        await self.search_fill.writable()
        with self.archive.transaction():
            self.frontier.add(self._guess(origin_of(item.fetch_url), SITEMAP_FALLBACKS), self.run_id)

    def _next_fallback(self, item: FrontierItem) -> None:
        """A guessed sitemap location gave nothing: queue the next usual one (one at a time, so
        a site with a sitemap at the first costs no second guess)."""
        if item.discovered_from != _FALLBACK:
            return
        path = urlsplit(item.fetch_url).path
        later = SITEMAP_FALLBACKS[SITEMAP_FALLBACKS.index(path) + 1:] if path in SITEMAP_FALLBACKS else ()
        self.frontier.add(self._guess(origin_of(item.fetch_url), later), self.run_id)

    def _guess(self, origin: str, paths: Sequence[str]) -> list[FrontierItem]:
        """The first of the usual sitemap locations `paths` the site's scope allows (a guess
        the scope refuses is not made, rather than counted as a failed fetch)."""
        for path in paths:
            url = origin + path
            canon = canonicalize(url)
            if canon is not None and self.scope.allows(canon):
                return [FrontierItem(canon, url, self.site.name, "sitemap", discovered_from=_FALLBACK)]
        return []

    def _enqueue(self, found: Iterable[_Found], parent: FrontierItem) -> list[FrontierItem]:
        """Queue what `parent` revealed that is in scope and, unless trusted, past the trap guard
        and not of a low-yield pattern; returns the items new to the frontier."""
        candidates = {}
        for f in found:
            canon = f.canon or canonicalize(f.url)
            if canon is not None and (moved := self._rewrite(canon)) != canon:
                # the origin only redirects to another, or the URL has a parameter the site's
                # pages do not depend on: ask where the page is (the found form, rewritten too)
                canon = canonicalize(moved)
                url = self._rewrite(f.url)
                f = replace(f, url=url if url != f.url else moved, canon=None)
            if canon is not None and canon not in candidates and (f.canon or self.scope.allows(canon)):
                candidates[canon] = f
        self.params.note_links(candidates)
        known = self.frontier.known(candidates)
        items, new = [], []
        for canon, f in candidates.items():
            depth = 0 if f.trusted else parent.depth + f.step
            if f.kind == "article":
                self.twins.note(canon)
            # fetched only if its article shows up nowhere else
            low = self.twins.is_twin(canon) or (f.kind == "article" and self.twins.doubtful(canon))
            if not f.trusted and canon not in known:
                refusal = self.guard.admit(canon, depth)
                if refusal is None:
                    pattern = url_pattern(canon)
                    refusal = "low-yield" if self._low_yield(canon, pattern) else None
                    low = low or f.low or self.yields.is_doubtful(pattern)
                if refusal:
                    self.counts[f"trap:{refusal}"] += 1
                    continue
            item = FrontierItem(canon, f.url, self.site.name, f.kind, depth, f.lastmod, parent.url, low=low)
            items.append(item)
            if canon not in known:
                new.append(item)
        self.frontier.add(items, self.run_id)
        return new

    def _rewrite(self, url: str) -> str:
        """`url` where the site serves its page: on the origin it moved to (`moves`), without
        the query parameters its pages do not depend on (`params`)."""
        return self.params.strip(self.moves.rewrite(url))

    def _learn_params(self, url: str, twin: str) -> None:
        """The page fetched at `url` held what was stored from `twin`: learn the parameters
        they differ in as idle when the site's URLs carry them on other paths too (see
        scraper.dust). The pages fetched before at a URL with such a parameter are then known
        under their URL without it, so that none is fetched again there: an article is stored
        under it (or aliased to it when it has an article already), so that none keeps a
        session id in its address; a list, the home page or a feed is done there, of its kind
        (re-read next run). Their links were all queued, and those with the parameter move to
        their plain form when claimed: reading a list again at its plain URL found nothing
        new, and on a session-id site those re-reads took six requests of a crawl cut at 1.2 ×
        the article count, early, where articles should have been. Call inside a transaction."""
        learned = self.params.learn(url, twin, self.yields.paths_with)
        if not learned:
            return
        log.info("site %s: query parameter(s) %s change nothing in its pages; URLs are queued without them",
                 self.site.name, ", ".join(learned))
        for name in learned:        # kept with the pattern yields: later runs start knowing it
            stats = self.yields.stats(idle_pattern(name))
            stats.alias, stats.dirty = IDLE, True
            self.yields.fold(name)
        self._known_plain(self.fetched_queries)

    def _known_plain(self, queries: Sequence[_FetchedQuery]) -> None:
        """Make the pages of `queries` known at their URLs without the idle parameters (see
        `_learn_params`)."""
        plain = {q.url: p for q in queries
                 if (p := canonicalize(self.params.strip(q.url))) is not None and p != q.url}
        done = {url for url, (state, _) in self.archive.frontier_states(list(plain.values())).items()
                if state == "done"}     # the home page its probe twinned keeps its kind
        for q in queries:
            if q.url in plain and plain[q.url] not in done:    # where the server answers (`index.html` kept)
                own = FrontierItem(plain[q.url], self.params.strip(q.fetch_url), self.site.name, q.kind)
                self.frontier.add([own], self.run_id)
                self.frontier.finish(own, "done", kind=q.kind, run_id=self.run_id)
                if q.article is None and q.found_on:
                    # found where its twin was (on the home page: a list's first page, re-read
                    # each run), not on that twin (it links itself: a later page, never re-read)
                    self.frontier.found_on(plain[q.url], canonicalize(self._rewrite(q.found_on)) or q.found_on)
        for q in queries:
            if q.article is None or q.url not in plain or plain[q.url] == q.article:
                continue
            bare_fetched = plain[q.url]
            primary = self.archive.resolve_alias(q.article)
            bare = canonicalize(self.params.strip(primary))
            if bare is not None and bare != primary and bare == bare_fetched and not self.archive.has_article(bare):
                self.archive.take_over(bare, primary)
            else:
                self.archive.add_alias(bare_fetched, primary)

    def _fetched_hub(self, item: FrontierItem, kind: str) -> None:
        """A hub or sitemap was fetched at a URL with a query: remember it for a lesson to come,
        or, fetched with a parameter learned while it was under way (the home page's probe
        teaches it while the lists found beside it are fetched), make it known at its plain
        URL now. Call inside its transaction."""
        query = _FetchedQuery(item.url, item.fetch_url, kind, item.discovered_from)
        self.fetched_queries.append(query)
        if self.params.idle and self.params.strip(item.url) != item.url:
            self._known_plain([query])

    def _learn_twins(self, url: str, primary: str) -> None:
        """The article stored at `url` is the one at `primary`: learn what makes a script's URL
        the dynamic twin of a static page (see scraper.twins). When `url` took the article over
        from a twin with a query, that twin is among the articles fetched at such URLs lately.
        Call inside a transaction."""
        pairs = [(url, primary)] if url != primary else [
            (q.url, primary) for q in self.fetched_queries if q.article is not None
            and self.twins.may_pair(q.article, primary) and self.archive.resolve_alias(q.article) == primary]
        for a, b in pairs:
            for rule in self.twins.learn(a, b):
                log.info("site %s: %s?%s names the article whose URL carries its %s; such links are its aliases",
                         self.site.name, rule.script, "&".join(rule.names), rule.key)
                stats = self.yields.stats(rule.pattern())    # kept: later runs start knowing it
                stats.alias, stats.dirty = TWIN, True

    def _store_sitemap(self, item: FrontierItem, result: FetchResult, sitemap: Sitemap, raw: bytes) -> None:
        if sitemap.error:
            self.counts[f"sitemap:{sitemap.error}"] += 1
            log.info("sitemap %s: %s", item.fetch_url, sitemap.error)
        with self.archive.transaction():
            self.archive.save_page(self._page_record(item, result, raw=raw))
            if "?" in item.url:     # the same bytes at another URL of the same path: a parameter changed nothing
                self._fetched_hub(item, item.kind)
                twin = self.sitemap_twins.setdefault(hashlib.blake2b(raw, digest_size=16).digest(), item.url)
                if twin != item.url:
                    self._learn_params(item.url, twin)
            self._enqueue((_Found(c.url, "sitemap", c.lastmod, trusted=True) for c in sitemap.children), item)
            self._enqueue(
                (_Found(e.url, "list" if classify_url(e.url) == "list" else "article", e.lastmod or e.news_date,
                        trusted=True) for e in sitemap.entries),
                item,
            )
            # an HTML error page or junk is not re-read every run; a truncated sitemap still is
            state = "failed" if sitemap.format == "invalid" else "done"
            self.frontier.finish(item, state, reason=sitemap.error, run_id=self.run_id)
            if not sitemap.entries and not sitemap.children:
                self._next_fallback(item)

    def _store_file(self, item: FrontierItem, result: FetchResult) -> None:
        with self.archive.transaction():
            self.archive.save_page(self._page_record(item, result))
            added = self.archive.save_file(FileRecord(
                item.url, item.fetch_url, self.site.name, result.content or b"", result.content_type,
                result.headers.get("etag"), result.headers.get("last-modified"), self.run_id))
            self.frontier.finish(item, "done", run_id=self.run_id)
        self.counts["files_new" if added else "files_known"] += 1

    def _file_links(self, article) -> list[_Found]:
        """The article's attachments of the types the site keeps (`download_files`), and its
        images when it keeps those (`download_images`): both are fetched as files, politely,
        under the size cap, with conditional GET on later runs."""
        wanted = self.site.settings.download_files
        links = [_Found(a.url, "file", trusted=True) for a in article.attachments
                 if wanted and file_extension(a.url, a.text) in wanted]
        if self.site.settings.download_images:
            links += [_Found(image.src, "file", trusted=True) for image in article.images]
        return links

    def _article_key(self, item: FrontierItem, result: FetchResult, processed: Processed) -> str:
        """The URL an article is stored under: the redirect target, or its rel=canonical when
        that points at another page of the same host (not at a list or the home page). A
        canonical on an origin the site has moved from (templates of sites moved to https keep
        naming http://) is read on the origin it moved to."""
        key = canonicalize(self._rewrite(result.final_url)) or item.url
        declared = canonicalize(processed.article.canonical_url or "", key)
        if declared and (declared == "http://" + key.removeprefix("https://")
                         or declared in {canonicalize(u) for u in (item.fetch_url, *result.redirects)}):
            declared = key          # the page over HTTPS, or a URL the server sent us away from: stale
        elif declared:
            declared = canonicalize(self.moves.rewrite(declared))
        if (
            declared and declared != key and self.scope.allows(declared)
            and host_of(declared) == host_of(key) and urlsplit(declared).path not in ("", "/")
            and classify_url(declared) != "list"
        ):
            return declared
        return key

    def _alternate_views(self, urls: list[str], page: str, article: str) -> list[_Found]:
        """Print/mobile/AMP views of `article`, found on `page`. Of a view pattern (see
        `view_pattern`) the site has shown to serve aliases of its articles, they are recorded as
        aliases without a request; the first of a pattern is fetched once to verify that (queued
        last); of a pattern that did not verify, they are ordinary links."""
        found = []
        for url in urls:
            canon = canonicalize(url)
            if canon is not None and (moved := self._rewrite(canon)) != canon:
                canon = canonicalize(moved)     # as it is queued (and so verified)
            if canon is None or canon == article or not self.scope.allows(canon):
                continue
            stats = self.yields.stats(view_pattern(canon, page))
            if stats.alias == "yes":
                self.archive.add_alias(canon, self.archive.resolve_alias(article))
                self.counts["aliases_unfetched"] += 1
                continue
            if stats.alias is None:
                stats.alias, stats.dirty = "probe", True
            found.append(_Found(url, "other", low=stats.alias == "probe"))
        return found

    def _view_stats(self, item: FrontierItem) -> PatternStats | None:
        """The stats of `item`'s view pattern (see `view_pattern`), if it has any."""
        return self.yields.patterns.get(view_pattern(item.url, item.discovered_from))

    def _is_view(self, item: FrontierItem) -> bool:
        """Whether `item` was queued as an alternate view (print, mobile, AMP) of the page it was
        found on (see `_alternate_views`): never the identity of that page's article, however
        plain its URL looks."""
        stats = self._view_stats(item)
        return stats is not None and stats.alias in ("probe", "yes", "no")

    def _verified(self, item: FrontierItem, alias: bool) -> None:
        """The verifying fetch of an alternate-view pattern came back: alias of an article or not.
        A view of a multi-page article that is no alias proves nothing (it may print one page
        of several): the pattern stays to be verified by another. Before, such a view made
        the pattern 'no' and the site's other views were fetched one by one (61 requests)."""
        stats = self._view_stats(item)
        if stats is None or stats.alias != "probe":
            return
        if not alias and item.discovered_from and self.archive.page_count(
                self.archive.resolve_alias(item.discovered_from)) > 1:
            return
        stats.alias, stats.dirty = ("yes" if alias else "no"), True

    def _later_part(self, item: FrontierItem, result: FetchResult, processed: Processed, first: str) -> None:
        """Reached a later page of a multi-page article first: queue its first page (which
        fetches and merges them all) and keep this one as a part."""
        with self.archive.transaction():
            self.archive.save_page(self._page_record(item, result, raw=processed.raw, encoding=processed.encoding))
            self._enqueue([_Found(first, "article", step=0)], item)
            self.frontier.finish(item, "done", kind="part", run_id=self.run_id)

    def _merge_parts(self, article: Article, parts: Sequence[tuple[str, FetchResult, Processed]]) -> None:
        """One record of a multi-page article: the parts' bodies, images and attachments
        appended in reading order; each part's page stored and done (kind 'part')."""
        for canon, result, part in parts:
            extra = part.article
            article.body = "\n".join(b for b in (article.body, extra.body) if b)
            article.images += extra.images
            article.attachments += extra.attachments
            own = FrontierItem(canon, result.url, self.site.name, "part")
            if result.not_modified:
                self.archive.mark_not_modified(canon, self.run_id)
            else:
                self.archive.save_page(self._page_record(own, result, raw=part.raw, encoding=part.encoding))
            self.frontier.add([own], self.run_id)
            self.frontier.finish(own, "done", kind="part", run_id=self.run_id)
        article.page_count = 1 + len(parts)

    def _shows_news(self, links: list[_Found]) -> bool:
        """Whether a list page links an article (by its URL's shape, or of a pattern that has
        given articles) first seen or re-read this run: then its next page may hold more. The home page's 'latest' box often shows new articles first, so
        'new to the frontier' would stop a later run's paging on the list's first page. An
        article re-checked and found unchanged (the rolling re-check, --recheck-days, --refresh)
        says nothing of the list's next page."""
        articles = [c for f in links if f.kind in ("article", "other") and (c := f.canon or canonicalize(f.url))
                    and (f.kind == "article" or self.yields.is_productive(url_pattern(c)))]
        return bool(articles) and self.frontier.news_in_run(articles, self.run_id)

    def _store_page(self, item: FrontierItem, result: FetchResult, processed: Processed,
                    parts: Sequence[tuple[str, FetchResult, Processed]] = ()) -> None:
        article = processed.article
        is_article = article.reason is None
        links: list[_Found] = []
        views: list[str] = []
        pager = [c for link in processed.links if link.rel == "page"
                 and (c := processed.canonical.get(link.url) or canonicalize(link.url))]
        for link in processed.links:
            if link.points_to == "alternate":
                if link.rel in ALIAS_VIEWS and is_article:
                    views.append(link.url)
                continue                # share and comment links lead to forms, not news
            kind = _link_kind(link)
            if kind == "list" and link.rel == "page" and item.kind == "other":
                kind = "other"          # a hub's next page is a hub too (a tag's page 2)
            if kind:
                links.append(_Found(link.url, kind, step=0 if link.rel in ("prev", "next", "page") else 1,
                                    canon=processed.canonical.get(link.url)))
        for chained in (article.prev_url, article.next_url):
            if chained:
                links.append(_Found(chained, "article", step=0))
        refresh = refresh_link(result.headers.get("refresh"), result.final_url)
        if refresh is not None and (kind := _link_kind(refresh)):
            links.append(_Found(refresh.url, kind, step=0))     # a redirect by another name: no hop
        if is_article:
            links += self._file_links(article)
        with self.archive.transaction():
            self.archive.save_page(
                self._page_record(item, result, raw=processed.raw, encoding=processed.encoding)
            )
            if is_article:
                self._merge_parts(article, parts)
                key = self._article_key(item, result, processed)
                if "?" in item.url:
                    self.fetched_queries.append(_FetchedQuery(item.url, item.fetch_url, "article", item.discovered_from, key))
                article.url = key
                if key != item.url:         # the article's own URL is known and done too
                    own = FrontierItem(key, key, self.site.name, "article")
                    self.frontier.add([own], self.run_id)
                    self.frontier.finish(own, "done", run_id=self.run_id)
                variant = self.params.variant(item.url)     # a probe's twin (scraper.dust)
                outcome = self.archive.save_article(article, key, self.site.name, self.run_id,
                                                    view=self._is_view(item))
                self._verified(item, outcome == "alias")
                # where the text really lives (save_article may have kept a plainer twin)
                primary = self.archive.resolve_alias(key)
                if outcome == "alias":
                    twin = primary if primary != key else variant[1] if variant else None
                    if twin is not None and ("?" in key or "?" in twin):
                        self._learn_params(key, twin)
                    self._learn_twins(key, primary)
                elif outcome == "new" and variant is not None and variant[0] in self.params.candidates:
                    self.params.refute(variant[0])      # another article: the parameter matters
                if outcome == "new" and item.kind == "article":
                    self.twins.refute(item.url)         # a script with articles of its own
                # alias the fetched URL and the parts there, so aliases never point at a URL without an article
                self.archive.add_alias(item.url, primary)
                for canon, _, _ in parts:
                    self.archive.add_alias(canon, primary)
                self.counts["aliases" if outcome == "alias" else f"articles_{outcome}"] += 1
                kind = "article" if item.kind != "start" else None
                # after the save, so that views known to be aliases point where the text lives
                # (a print view fetched to verify its pattern was stored before the article it
                # is an alias of, and the article's AMP view pointed at it)
                links += self._alternate_views(views, item.url, key)
            else:
                self._verified(item, False)
                self.counts[f"not-article:{article.reason}"] += 1
                kind = "list" if item.kind != "start" else None   # a hub: re-read next run
            new = self._enqueue(links, item)    # reads the links for parameters that may change nothing
            if not is_article and (twin := self.params.same_hub(item.url, [f.url for f in links])) is not None:
                self._learn_params(item.url, twin)
            self._record_yield(item, is_article, new)
            if pager and not is_article and self._shows_news(links):
                self.frontier.read_on(pager, self.run_id)
            self.frontier.finish(item, "done", kind=kind, run_id=self.run_id)
            if kind == "list" and "?" in item.url:
                self._fetched_hub(item, kind)
        if is_article:
            if not self._unindexed:
                self._unindexed_since = time.monotonic()
            self._unindexed += 1
            if self._unindexed >= _INDEX_EVERY or time.monotonic() - self._unindexed_since >= _INDEX_SECONDS:
                self._unindexed = 0
                self.search_fill.start()


def _exchange_here(pool: WorkerPool, pacing: HostPacing) -> bool:
    """Whether the crawler makes a request itself rather than in a worker: when at most
    `_EXCHANGE_HERE_MAX` requests are under way in the run (this one included), so that the
    crawl waits on their answers with little else to do, or when every worker is parsing (see
    `WorkerPool.computing_only`). A worker runs at a lower CPU priority and is often busy: each
    hand-over to it and back waits for a process to be scheduled. Real-sized pages, 4 ms
    answers: one request at a time, ratio to the bare fetch 0.56/0.57 with every request in a
    worker, 0.72/0.75 here; two at a time, 0.47 in workers, 0.56/0.58 here. With more under
    way the crawl is CPU-bound and the workers share the reading of bodies (8 in flight: 197
    articles/s with requests in workers, 189 with all here, where the crawler's CPU bounds)."""
    return pacing.under_way <= _EXCHANGE_HERE_MAX or pool.computing_only()


async def _run_all(crawls: list[_SiteCrawl], seed: bool, work: bool) -> None:
    """All sites at once; if one fails unexpectedly the others are cancelled, not orphaned.
    An archive that cannot be written stops them all, reported as the one `ArchiveError`."""
    try:
        async with asyncio.TaskGroup() as group:
            for c in crawls:
                group.create_task(c.run(seed, work))
    except* ArchiveError as errors:
        raise errors.exceptions[0] from None


async def _renew_claims(archive: Archive, every: float) -> None:
    """Keep this process's leases alive while it works (a killed process stops renewing)."""
    while True:
        await asyncio.sleep(every)
        archive.renew_claims()


async def _log_progress(counts: Counter, started: float, every: float) -> None:
    """A stats line every `every` seconds, for logs nobody watches live (cron, systemd)."""
    while True:
        await asyncio.sleep(every)
        minutes = (time.monotonic() - started) / 60
        run_log.info("progress: %d pages fetched (%.0f/min), %d new articles, %d changed, %d errors in %.0f min",
                     counts["pages_fetched"], counts["pages_fetched"] / minutes, counts["articles_new"],
                     counts["articles_changed"], counts["errors"], minutes)


async def crawl_async(sites: list[SiteConfig], archive: Archive, run: RunSettings | None = None, *,
                      run_args: dict | None = None, progress: ProgressCallback | None = None,
                      stats_every: float | None = None,
                      transport: httpx.AsyncBaseTransport | None = None,
                      seed: bool = True, work: bool = True) -> CrawlReport:
    """Crawl `sites` into an already opened archive (the caller holds the crawl lock); with
    `stats_every`, log a progress line that often (seconds).

    `seed` queues the start URLs and re-reads what is due (and, on a shared archive, records
    the sites for workers); `work` fetches until the frontier is empty. A worker on a shared
    archive only works; `crawl --seed-only` only seeds.
    """
    run = run or RunSettings()
    started = time.monotonic()
    run_id = archive.start_run(run_args or {"sites": [s.name for s in sites]})
    counts: Counter = Counter()
    budget = _Budget(run.max_pages, run.max_duration)
    workers = run.extract_workers
    loop = asyncio.get_running_loop()
    running: list[asyncio.Future] = []
    crawls: list[_SiteCrawl] = []

    def interrupt() -> None:
        """Stop now: pages in flight stay pending (the next run fetches them), so nobody
        waits out a long Crawl-delay before systemd gives up on us."""
        budget.stop_reason = "interrupted"
        for future in running:
            future.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, interrupt)
        except (NotImplementedError, RuntimeError, ValueError):
            pass                     # not the main thread: the caller handles signals
    try:
        async with AsyncExitStack() as stack:
            pool = None
            if workers != 0:
                pool = await stack.enter_async_context(WorkerPool(WORKER_OPS, workers or os.cpu_count() or 1))
            # sites sharing a host share its politeness budget; on a shared archive, so do workers
            shared = archive.coordination()
            pacing = HostPacing(run.concurrency) if shared is None else SharedHostPacing(shared, run.concurrency)
            search_fill = SearchFill(archive)
            crawls = [_SiteCrawl(s, archive, run_id, budget, counts, pool, progress, pacing, transport, search_fill)
                      for s in sites]
            for c in crawls:
                c.run_sites = [s.name for s in sites]
            if seed:
                archive.save_sites((s.name, s.to_json()) for s in sites)
            if archive.lease_seconds:
                renewing = asyncio.ensure_future(_renew_claims(archive, archive.lease_seconds / 3))
                stack.callback(renewing.cancel)
                stack.callback(archive.release_claims)
            stack.enter_context(archive.group_commit())
            stack.push_async_callback(search_fill.close)
            if stats_every:
                ticker = asyncio.ensure_future(_log_progress(counts, started, stats_every))
                stack.callback(ticker.cancel)
            crawling = asyncio.ensure_future(_run_all(crawls, seed, work))
            running.append(crawling)
            try:
                # a worker may sleep out a long Crawl-delay: the duration limit cancels it
                await asyncio.wait_for(crawling, budget.remaining())
            except asyncio.TimeoutError:
                budget.hit(f"max_duration ({run.max_duration:g}s)")
            except asyncio.CancelledError:
                if budget.stop_reason != "interrupted":
                    raise
    except BaseException as exc:
        if not isinstance(exc, ArchiveError):    # else the next run marks this one interrupted
            archive.finish_run(run_id, "failed", counts, {})
        raise
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
    outcome = budget.stop_reason or "completed"
    if outcome != "interrupted":    # which stops at once; search scans what is not indexed yet
        archive.update_search_index()
    report = CrawlReport(run_id, outcome, counts, time.monotonic() - started,
                         {c.site.name: c.unreachable for c in crawls if c.unreachable})
    archive.finish_run(run_id, outcome, counts, dict(counts))
    return report


class InvalidStartURL(ValueError):
    """A start URL that is not an absolute http(s) URL."""


def sites_from_urls(urls: Iterable[str], settings: Settings | None = None,
                    same_site: bool = False) -> list[SiteConfig]:
    """One site per start origin (scheme, host, port: two services on one address are two
    sites), named by its host (and port when not the default), so that each keeps its own
    scope and politeness. With
    `same_site`, a site also covers the other hosts of its registered domain
    (news.x.edu.cn → *.x.edu.cn), where universities and ministries spread their news. The
    whitespace around a URL pasted from a page or a terminal is no part of it (as in sites.toml)."""
    by_origin: dict[str, list[str]] = {}
    for url in (u.strip() for u in urls):
        if canonicalize(url) is None:
            raise InvalidStartURL(not_http(url))
        by_origin.setdefault(origin_of(url), []).append(url)
    netlocs = Counter(origin.partition("://")[2] for origin in by_origin)
    sites = []
    for origin, group in by_origin.items():
        host, netloc = host_of(origin), origin.partition("://")[2]
        domain = registered_domain(host) if same_site else None
        sites.append(SiteConfig(name=netloc if netlocs[netloc] == 1 else origin, start_urls=tuple(group),
                                settings=settings or Settings(), allow_hosts=(f"*.{domain}",) if domain else ()))
    return sites


def crawl(sites: list[SiteConfig] | Iterable[str], db: str | Path = DEFAULT_DB, *,
          settings: Settings | None = None, run: RunSettings | None = None,
          progress: ProgressCallback | None = None, run_args: dict | None = None,
          stats_every: float | None = None, seed: bool = True, work: bool = True) -> CrawlReport:
    """Crawl start URLs (each host one site, with `settings`) or configured sites into the
    archive at `db` (public API); `run` holds the budgets and concurrency of the whole run. On a
    shared (PostgreSQL) archive this seeds the frontier for `work()` processes and works beside
    them; `work=False` only seeds.

    Raises `ArchiveBusy` when another crawl holds the archive.
    """
    given = list(sites)
    configs = [s for s in given if isinstance(s, SiteConfig)]
    configs += sites_from_urls([s for s in given if isinstance(s, str)], settings)
    with open_archive(db) as archive, archive.crawl_lock():
        return asyncio.run(crawl_async(configs, archive, run, run_args=run_args, progress=progress,
                                       stats_every=stats_every, seed=seed, work=work))


def work(db: str, run: RunSettings | None = None, *, progress: ProgressCallback | None = None,
         lease_seconds: float | None = None, run_args: dict | None = None,
         stats_every: float | None = None) -> CrawlReport:
    """Work through the frontier of a shared archive beside other workers (on this or other
    machines) until nothing is left: the sites are those a crawl seeded. Raises `ArchiveError`
    when the archive has none."""
    with open_archive(db) as archive:
        sites = [SiteConfig.from_json(config) for _, config in archive.seeded_sites()]
        if not sites:
            raise ArchiveError("no seeded sites: workers need a PostgreSQL archive seeded by"
                               " `scraper crawl --config sites.toml --db postgresql://… --seed-only`")
        if lease_seconds is not None and archive.lease_seconds:
            archive.lease_seconds = lease_seconds
        return asyncio.run(crawl_async(sites, archive, run, run_args=run_args or {"worker": True},
                                       progress=progress, stats_every=stats_every, seed=False))
