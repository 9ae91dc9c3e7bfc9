"""`Archive`: everything the rest of the scraper may ask of its storage, and nothing more.

The crawler, frontier, reextract, demo, export and CLI talk only to this interface; a backend
(SQLite today, PostgreSQL next) implements it. Arguments and results are plain data — strings,
dataclasses from `records`/`frontier`/`article`, dicts — so no backend type leaks out.

Writes happen inside `transaction()`: one atomic unit (a page, its article and the URLs it
revealed land together or not at all). `group_commit()` lets a backend make many units durable
together; a crash then loses at most the open group, whose frontier rows are still pending.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from ..changes import Change, Since
from ..search import SearchQuery
from .records import ArticleSelection, FileRecord, PageRecord, QueryResult, RawPage, SearchResult, StoredFile

if TYPE_CHECKING:
    from ..article import Article
    from ..fetch import Coordination
    from ..frontier import FrontierItem


class ArchiveError(RuntimeError):
    """The archive cannot be opened or queried as asked (missing, damaged, locked, bad SQL).
    The message is one line meant for the user, with a hint when there is one."""


class ArchiveBusy(ArchiveError):
    """Another process holds the crawl lock on this archive."""


class SearchIndexer(Protocol):
    """See `Archive.search_indexer`: call it (from any one thread at a time) to index what
    is stored and committed; returns how many articles it indexed. It calls `holding()` once
    it holds the archive's write lock (or has failed to take it): from then on, a write on
    another connection waits for it rather than the other way round."""

    def __call__(self, holding: Callable[[], None]) -> int: ...


class Archive(ABC):
    """An open archive. Use `open_archive()`; close it (or use it as a context manager)."""

    path: str
    readonly: bool

    # -- lifecycle ---------------------------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """One atomic unit of writes: all of it lands or none of it (an exception rolls it back)."""

    @abstractmethod
    def group_commit(self, max_units: int = 50, max_seconds: float = 1.0) -> AbstractContextManager[None]:
        """Make the units inside durable in groups of `max_units` or every `max_seconds`."""

    @abstractmethod
    def crawl_lock(self) -> AbstractContextManager[None]:
        """Hold the archive for one writer (crawl, reextract, demo); raises `ArchiveBusy` at
        once when another holds it. Released when the holder exits or dies."""

    # -- runs --------------------------------------------------------------------------------
    @abstractmethod
    def start_run(self, args: dict) -> int:
        """Record a crawl starting (runs left 'running' by a crashed process become
        'interrupted'); returns the run id."""

    @abstractmethod
    def finish_run(self, run_id: int, outcome: str, counts: dict[str, int], stats: dict) -> None: ...

    def update_search_index(self) -> int:
        """Bring the full-text index up to the stored articles (a writer calls it when its
        writes are done: the end of a crawl run, of a reextract); returns how many articles it
        indexed. `search` finds every article either way. A backend whose index follows each
        write needs nothing here."""
        return 0

    def search_indexer(self) -> SearchIndexer | None:
        """`update_search_index` on a connection of its own, for a thread to run while this
        one goes on writing; None when the backend has nothing to fill (or cannot do it so)."""
        return None

    def commit_group(self) -> None:
        """Make the open `group_commit` group durable now (another connection may then write:
        see `search_indexer`); the next unit opens a new group."""

    # -- frontier ----------------------------------------------------------------------------
    @abstractmethod
    def enqueue(self, items: Iterable[FrontierItem], run_id: int | None) -> int:
        """Queue URLs not seen before; a known article already done comes back to pending when
        `lastmod` is newer than the one it was fetched under, and a queued URL takes the higher
        priority. Returns how many rows were inserted or updated."""

    @abstractmethod
    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of `urls` are queued or done already."""

    @abstractmethod
    def requeue(self, site: str, *, kinds: Sequence[str] | None, first_seen_since: str | None,
                retry_reasons: Sequence[str], max_attempts: int, always_kinds: Sequence[str],
                recheck_reasons: Sequence[str], entry_kinds: Sequence[str] = ()) -> None:
        """Make done URLs of `site` pending again: those of `kinds` (None: all), and articles first
        seen since `first_seen_since`; of `entry_kinds` only those not found on a page of their
        own kind (a list's first page, not its pagination). Failed URLs with a reason in
        `retry_reasons` become pending while attempts < `max_attempts` (those of `always_kinds`
        regardless, and start URLs and robots.txt sitemaps whatever the reason); skipped ones
        with a reason in `recheck_reasons` too."""

    @abstractmethod
    def sweep(self, site: str, runs: int, priority: int) -> None:
        """Make the 1/`runs` share of `site`'s done articles that no sitemap dates pending again
        at `priority`, those checked longest ago first."""

    @abstractmethod
    def news_in_run(self, urls: Sequence[str], run_id: int | None) -> bool:
        """Whether run `run_id` queued or settled one of `urls`, unless it is an article whose
        text an earlier run stored (re-checked, unchanged)."""

    @abstractmethod
    def frontier_states(self, urls: Sequence[str]) -> dict[str, tuple[str, int | None]]:
        """(state, run that last queued or settled it) of those of `urls` in the frontier."""

    @abstractmethod
    def found_on(self, url: str, page: str) -> None:
        """Record that queued `url` was found on `page` (whether it is a list's first page
        depends on that page's kind)."""

    @abstractmethod
    def defer(self, url: str, priority: int) -> None:
        """Queue a pending URL at `priority` (a lower urgency) from now on."""

    @abstractmethod
    def reopen(self, url: str) -> None:
        """Make a done URL pending again (a page to re-read this run)."""

    @abstractmethod
    def adopt_origins(self, site: str, origins: list[str], run_sites: list[str]) -> None:
        """Label `site` the queued URLs, pages, articles and URL patterns of `origins`
        ('scheme://host[:port]') held under another name that is none of `run_sites`: a site
        renamed in sites.toml keeps what it had."""

    @abstractmethod
    def unskip(self, site: str, reason: str) -> None:
        """Make the URLs of `site` skipped for `reason` pending again."""

    # -- learned state -----------------------------------------------------------------------
    @abstractmethod
    def url_patterns(self, site: str) -> list[tuple[str, int, int, int, int, str | None]]:
        """(pattern, fetched, yielded, articles, idle, alias) of every URL pattern of `site`."""

    @abstractmethod
    def merge_url_patterns(self, site: str, changes: list[tuple[str, int, int, int, int, str | None]]
                           ) -> list[tuple[str, int, int, int, int, str | None]]:
        """Add what a crawler counted since its last merge — (pattern, fetched, yielded, articles,
        idle, alias) as `yields.PatternChange` says — to the stored figures of `site`, and return
        the sums: processes sharing the archive then judge a pattern by all their fetches."""

    @abstractmethod
    def site_profile(self, site: str) -> tuple[str, int] | None:
        """(profile JSON, pages it was learned from) of `site`, None when none is stored."""

    @abstractmethod
    def save_site_profile(self, site: str, profile: str, pages: int) -> None:
        """Store `site`'s extraction profile (JSON) learned from `pages` pages, replacing the
        earlier one (see `scraper.extract.profile`)."""

    @abstractmethod
    def claim(self, site: str, limit: int, exclude: set[str]) -> list[FrontierItem]:
        """The most urgent pending URLs of `site` (priority, then queue order), not in `exclude`."""

    @abstractmethod
    def complete(self, url: str, state: str, *, reason: str | None = None, kind: str | None = None,
                 run_id: int | None = None) -> None:
        """Record a URL's outcome: state done/failed/skipped, why, and (when learned) its kind.
        A failure counts one more attempt in a row; success resets the count."""

    @abstractmethod
    def frontier_counts(self, site: str | None = None) -> dict[str, int]:
        """URLs per frontier state."""

    # -- pages -------------------------------------------------------------------------------
    @abstractmethod
    def save_page(self, page: PageRecord) -> None:
        """Keep the newest fetch of a URL; a failed refetch never erases a good stored body."""

    @abstractmethod
    def validators(self, url: str) -> tuple[str | None, str | None] | None:
        """(etag, last_modified) of the stored body of `url`, None when no body is stored."""

    @abstractmethod
    def mark_not_modified(self, url: str, run_id: int | None) -> None:
        """A conditional GET answered 304: the stored page stands, fetched now."""

    @abstractmethod
    def has_raw_page(self, url: str) -> bool: ...

    @abstractmethod
    def raw_page(self, url: str) -> RawPage | None:
        """The stored HTML page body of `url` (what the crawler re-reads once the site's profile
        is known), None when none is stored."""

    @abstractmethod
    def raw_pages(self, site: str | None = None) -> Iterator[RawPage]:
        """Every stored HTML page body (for `reextract`); safe to write while iterating."""

    # -- articles ----------------------------------------------------------------------------
    @abstractmethod
    def save_article(self, article: Article, url: str, site: str, run_id: int | None, view: bool = False) -> str:
        """Store one article under `url`; returns 'new', 'changed', 'unchanged' or 'alias'.
        The same text under another URL becomes an alias of the stored one (the plainer URL is
        the identity, unless `url` is known to be a print or mobile view: on a site whose every
        URL has a query, `/print.asp?id=5` is shorter than `/news_show.asp?id=5`); a changed
        text keeps the previous text as an older version."""

    @abstractmethod
    def refresh_extraction(self, article: Article, url: str) -> bool:
        """Overwrite a stored article's extracted fields in place (no new version: the page did
        not change, our reading of it did). Returns whether anything changed."""

    @abstractmethod
    def has_article(self, url: str) -> bool: ...

    @abstractmethod
    def page_count(self, url: str) -> int:
        """How many pages the article stored under `url` spans (0 when there is none)."""

    @abstractmethod
    def resolve_alias(self, url: str) -> str:
        """The URL the article found at `url` is stored under (`url` itself when no alias)."""

    @abstractmethod
    def add_alias(self, alias: str, url: str) -> None:
        """Record `alias` as another URL of the article at `url` (never a stored article's URL)."""

    @abstractmethod
    def take_over(self, url: str, old: str) -> None:
        """The article stored under `old` is known under `url` (a plainer URL of the same page
        holding no article) from now on, with its versions and aliases; `old` becomes an alias."""

    @abstractmethod
    def delete_sites(self, name_prefix: str) -> None:
        """Forget everything of the sites whose name starts with `name_prefix`."""

    # -- downloaded attachments --------------------------------------------------------------
    @abstractmethod
    def save_file(self, record: FileRecord) -> bool:
        """Keep a downloaded attachment: its bytes once per content (sha256), the URL it came
        from with its validators. Returns whether the content is new to the archive."""

    @abstractmethod
    def file_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """(etag, last_modified) of the attachment last fetched from `url`, None if never."""

    @abstractmethod
    def iter_files(self, site: str | None = None) -> Iterator[StoredFile]:
        """Every kept attachment as each article links it (link text, URL, sha256, MIME, bytes)."""

    # -- reading -----------------------------------------------------------------------------
    @abstractmethod
    def query(self, sql: str, params: Sequence[object] | Mapping[str, object] = (), *,
              time_limit: float | None = None) -> QueryResult:
        """Run the user's own read-only statement (in the backend's SQL dialect), with positional
        or named parameters. On an archive opened read-only anything that writes is refused with
        `ArchiveError`; one running past `time_limit` seconds is stopped with `ArchiveError`."""

    @abstractmethod
    def search(self, query: SearchQuery, limit: int, offset: int = 0) -> SearchResult:
        """Articles matching `query` (every clause, no excluded term, its site and dates), best
        first — relevance, then newest — the same ordering for every term length; with the
        total count of matches."""

    @abstractmethod
    def iter_articles(self, selection: ArticleSelection = ArticleSelection(),
                      fields: Sequence[str] | None = None) -> Iterator[dict]:
        """The selected articles as dicts of `fields` (default `ARTICLE_COLUMNS` less run_id;
        images and attachments as lists), ordered by site, published_at, url; one row in memory
        at a time. Raises ValueError for an unknown field."""

    def iter_article_json(self, selection: ArticleSelection = ArticleSelection(),
                          fields: Sequence[str] | None = None) -> Iterator[bytes]:
        """`iter_articles` as UTF-8 JSON text, one object per article (same keys, same order):
        the path of JSON and JSON Lines export, which a backend may let its database build."""
        for record in self.iter_articles(selection, fields):
            yield json.dumps(record, ensure_ascii=False).encode("utf-8")

    @abstractmethod
    def iter_responses(self, selection: ArticleSelection = ArticleSelection()) -> Iterator[tuple]:
        """(url, final_url, status, content_type, etag, last_modified, fetched_at, body bytes) of
        the stored page of each selected article."""

    @abstractmethod
    def changes(self, since: Since, site: str | None = None) -> Iterator[Change]:
        """Articles new or changed by the runs after `since` (or started at/after its time), and
        stored articles whose page answered 404/410 since then ('gone')."""

    @abstractmethod
    def versions(self, url: str) -> list[dict]:
        """Every stored version of the article at `url` (or an alias of it), oldest first: url,
        version, `VERSIONED_COLUMNS`, first_seen, last_seen, run_id (the run that stored it) and
        stored_at (when that run started)."""

    @abstractmethod
    def stats(self) -> list[tuple[str, QueryResult]]:
        """Titled tables for `scraper stats` after `site_stats`: pages by outcome, frontier
        states, recent runs."""

    @abstractmethod
    def site_stats(self) -> list[dict]:
        """Per site: articles, oldest/newest published_at, `fields` (share of articles with each
        field non-empty), last_fetch, last_run and last_run_outcome (the newest run that fetched
        from it), `failures` (fetched pages by failure reason)."""

    @abstractmethod
    def field_counts(self, fields: Sequence[str], site_prefix: str = "") -> tuple[int, dict[str, int]]:
        """How many articles (of sites named `site_prefix`…) there are, and how many have each
        of `fields` non-empty."""

    @abstractmethod
    def newest_articles(self, limit: int, site_prefix: str = "") -> QueryResult:
        """The newest articles of each site in turn (site, title, published_at, author,
        source, editor)."""

    # -- many crawler processes on one archive -------------------------------------------------
    # A backend shared by workers on several machines (PostgreSQL) overrides these; for one
    # process on one machine (SQLite) claims need no lease and pacing stays in memory.
    lease_seconds: float | None = None      # how long a claim holds a URL unless renewed (None: no leases)

    def coordination(self) -> Coordination | None:
        """What crawler processes share besides the frontier (per-host pacing, robots.txt), or
        None when this archive has one crawler at a time."""
        return None

    def claimed_elsewhere(self, site: str) -> bool:
        """Whether another live worker holds pending URLs of `site` (they may reveal more)."""
        return False

    def renew_claims(self) -> None:
        """Extend the leases of the URLs this process claimed (call well within `lease_seconds`)."""

    def release_claims(self) -> None:
        """Give back the URLs this process claimed and did not finish."""

    def save_sites(self, sites: Iterable[tuple[str, str]]) -> None:
        """Record (name, JSON config) of the sites a crawl seeded, for workers started later."""

    def seeded_sites(self) -> list[tuple[str, str]]:
        """(name, JSON config) of every seeded site: what a worker crawls."""
        return []

    # -- copying an archive to another backend -------------------------------------------------
    @abstractmethod
    def table_columns(self, table: str) -> list[str]:
        """The columns of one of the archive's tables, in order ([] if it has no such table)."""

    @abstractmethod
    def table_rows(self, table: str, columns: Sequence[str]) -> Iterator[tuple]:
        """Every row of `table` (those columns), in queue order for the frontier; streamed."""

    @abstractmethod
    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        """Append rows as they are (ids included); returns how many."""
