"""The crawl queue, kept in the archive so that a crash loses nothing.

A URL is 'pending' until the transaction that stores its page marks it 'done' (or 'failed' /
'skipped' with a reason). URLs being fetched are only held in memory, so after a kill -9 they are
simply still pending and the next run fetches them; nothing is claimed twice within a run
because the in-flight set is excluded.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from .store import Archive, utcnow

# Lower first: sitemaps and lists reveal articles, so reading them early finds more sooner.
PRIORITY = {"sitemap": 0, "start": 1, "list": 2, "article": 3, "other": 4}
# Kinds re-read (with conditional GET) at the start of every run: that is where new articles show up.
HUB_KINDS = ("sitemap", "start", "list")
# Failures worth another try on the next run (the server may be back, a dead worker was ours);
# others are final.
RETRYABLE = ("timeout", "slow-body", "connect-error", "host-down", "robots-unreachable", "extract-error", "internal-error",
             "http-429", "http-500", "http-502", "http-503", "http-504")
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

    @property
    def priority(self) -> int:
        return PRIORITY.get(self.kind, PRIORITY["other"])


class Frontier:
    def __init__(self, archive: Archive):
        self.conn: sqlite3.Connection = archive.conn

    def add(self, items: Iterable[FrontierItem], run_id: int | None) -> int:
        """Queue URLs not seen before; returns how many rows were inserted or updated.

        A known article comes back to 'pending' when a sitemap now gives it a newer `lastmod`
        than the one it was fetched under — that is how changed articles are refetched.
        """
        before = self.conn.total_changes
        now = utcnow()
        self.conn.executemany(
            "INSERT INTO frontier(url, fetch_url, site, kind, depth, priority, state, attempts, lastmod,"
            " discovered_from, discovered_at, run_id)"
            " VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)"
            " ON CONFLICT(url) DO UPDATE SET"
            "  lastmod = COALESCE(excluded.lastmod, frontier.lastmod),"
            "  priority = MIN(frontier.priority, excluded.priority),"
            "  state = CASE WHEN frontier.state = 'done' AND frontier.kind = 'article'"
            "    AND excluded.lastmod IS NOT NULL AND frontier.fetched_lastmod IS NOT NULL"
            "    AND excluded.lastmod > frontier.fetched_lastmod THEN 'pending' ELSE frontier.state END"
            " WHERE excluded.lastmod IS NOT NULL OR excluded.priority < frontier.priority",
            [
                (i.url, i.fetch_url, i.site, i.kind, i.depth, i.priority, i.lastmod, i.discovered_from, now, run_id)
                for i in items
            ],
        )
        return self.conn.total_changes - before

    def known(self, urls: Iterable[str]) -> set[str]:
        """Which of `urls` are already queued or done (one query for a page's links)."""
        urls = list(urls)
        found: set[str] = set()
        for i in range(0, len(urls), 500):   # stay under SQLite's bound-parameter limit
            chunk = urls[i:i + 500]
            found.update(r[0] for r in self.conn.execute(
                f"SELECT url FROM frontier WHERE url IN ({', '.join('?' * len(chunk))})", chunk))
        return found

    def start_run(self, site: str, refresh: bool, recheck_since: str | None = None) -> None:
        """Make hubs (with `refresh` every article; with `recheck_since` the articles first seen
        since then) pending again, and give retryable failures another chance. Pending rows left
        by a crashed run stay pending: that is the resume."""
        kinds = "" if refresh else f" AND kind IN ({', '.join('?' * len(HUB_KINDS))})"
        params: tuple = (site,) if refresh else (site, *HUB_KINDS)
        self.conn.execute(f"UPDATE frontier SET state='pending' WHERE site=? AND state='done'{kinds}", params)
        if recheck_since and not refresh:
            self.conn.execute(
                "UPDATE frontier SET state='pending' WHERE site=? AND state='done' AND kind='article'"
                " AND url IN (SELECT url FROM articles WHERE site=? AND first_seen >= ?)",
                (site, site, recheck_since),
            )
        retryable = ", ".join("?" * len(RETRYABLE))
        hubs = ", ".join("?" * len(HUB_KINDS))
        self.conn.execute(
            f"UPDATE frontier SET state='pending' WHERE site=? AND state='failed' AND reason IN ({retryable})"
            f" AND (attempts < ? OR kind IN ({hubs}))",
            (site, *RETRYABLE, MAX_ATTEMPTS, *HUB_KINDS),
        )
        # what the user and robots.txt name is asked again every run, whatever went wrong last time
        self.conn.execute(
            "UPDATE frontier SET state='pending' WHERE site=? AND state='failed'"
            " AND (kind='start' OR discovered_from='robots.txt')",
            (site,),
        )
        # robots.txt may have changed; checking a URL against it again costs no request
        self.conn.execute("UPDATE frontier SET state='pending' WHERE site=? AND state='skipped' AND reason='robots'",
                          (site,))

    def next_batch(self, site: str, limit: int, exclude: set[str]) -> list[FrontierItem]:
        """The most urgent pending URLs of a site, skipping those already in flight."""
        rows = self.conn.execute(
            "SELECT url, fetch_url, site, kind, depth, lastmod, discovered_from, attempts,"
            " fetched_lastmod IS NOT NULL FROM frontier"
            " WHERE state='pending' AND site=? ORDER BY priority, rowid LIMIT ?",
            (site, limit + len(exclude)),
        ).fetchall()
        items = [FrontierItem(*row[:8], fetched=bool(row[8])) for row in rows if row[0] not in exclude]
        return items[:limit]

    def finish(self, item: FrontierItem, state: str, *, reason: str | None = None, kind: str | None = None,
               run_id: int | None = None) -> None:
        """Record the outcome of one URL (call inside the page's transaction)."""
        self.conn.execute(
            "UPDATE frontier SET state=?, reason=?, kind=COALESCE(?, kind),"
            " attempts=CASE WHEN ?='failed' THEN attempts+1 ELSE 0 END,"
            " fetched_lastmod=CASE WHEN ?='done' THEN COALESCE(lastmod, ?) ELSE fetched_lastmod END,"
            " done_at=?, run_id=? WHERE url=?",
            (state, reason, kind, state, state, utcnow(), utcnow(), run_id, item.url),
        )

    def counts(self, site: str | None = None) -> dict[str, int]:
        sql = "SELECT state, COUNT(*) FROM frontier"
        params: tuple = ()
        if site:
            sql += " WHERE site=?"
            params = (site,)
        return dict(self.conn.execute(sql + " GROUP BY state", params).fetchall())
