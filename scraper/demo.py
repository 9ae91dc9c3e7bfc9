"""`scraper demo`: crawl the bundled fixture news sites over loopback HTTP and show the result.

The sites are served from `scraper/demo_sites/` (package data, so an installed wheel has them) by stdlib servers on 127.0.0.1 (ephemeral
ports), so the demo needs no internet and stops everything it started. Because the ports change
from one demo to the next, the demo first forgets its own earlier records (sites named
`demo-*`); every other site in the archive is left untouched.
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .article import TEXT_FIELDS
from .crawler import CrawlReport, crawl_async
from .settings import RunSettings, Settings, SiteConfig
from .store import open_archive
from .testsite import FIXTURE_SITES_DIR, serve_sites

DEMO_PREFIX = "demo-"
# Gentle but quick: the fixture servers are ours, and one of them asks for a Crawl-delay anyway.
DEMO_SETTINGS = Settings(delay=0.0, per_host_concurrency=2, timeout=10.0, max_retries=1, backoff_base=0.2)
DEMO_RUN = RunSettings(concurrency=4)


def demo_sites_dir() -> Path:
    if not FIXTURE_SITES_DIR.is_dir():
        raise FileNotFoundError(
            f"fixture sites not found at {FIXTURE_SITES_DIR}: the package was installed without its data files"
        )
    return FIXTURE_SITES_DIR


def crawl_demo(db: str | Path, settings: Settings = DEMO_SETTINGS) -> tuple[CrawlReport, dict[str, str]]:
    """Serve every fixture site, crawl them all into `db`; returns the report and name → origin."""
    root = demo_sites_dir()
    roots = {p.name: p for p in sorted(root.iterdir()) if (p / "robots.txt").is_file()}
    with open_archive(db) as archive, archive.crawl_lock(), serve_sites(roots) as servers:
        sites = [SiteConfig(name=DEMO_PREFIX + name, start_urls=(server.origin + "/",), settings=settings)
                 for name, server in servers.items()]
        archive.delete_sites(DEMO_PREFIX)   # earlier demos' URLs carry ports that no longer exist
        report = asyncio.run(crawl_async(sites, archive, DEMO_RUN, run_args={"demo": sorted(servers)}))
        return report, {name: server.origin for name, server in servers.items()}


def run_demo(db: str | Path, sample_rows: int = 10, console: Console | None = None) -> CrawlReport:
    console = console or Console()
    started = time.monotonic()
    report, origins = crawl_demo(db)
    if report.outcome == "interrupted":   # Ctrl-C: a half-crawled demo is nothing to show
        raise KeyboardInterrupt
    elapsed = time.monotonic() - started
    # not read-only: SQLite removes the -wal and -shm files when the last connection closes,
    # except a read-only one, and a first-time user finds them beside demo.db
    with open_archive(db) as archive:
        total, found = archive.field_counts(TEXT_FIELDS, DEMO_PREFIX)
        sample = list(archive.newest_articles(sample_rows, DEMO_PREFIX))
    c = report.counts
    console.print(
        f"[bold]demo:[/bold] served {len(origins)} fixture sites ({', '.join(f'{n} {o}' for n, o in origins.items())})"
    )
    reasons = ", ".join(f"{k.split(':', 1)[1]} ×{n}" for k, n in sorted(c.items()) if k.startswith("reason:"))
    console.print(
        f"fetched {c['pages_fetched']} pages, stored {total} articles "
        f"({c['articles_new']} new), {c['errors']} failed fetches{f' ({reasons})' if reasons else ''}, "
        f"{c['skipped']} skipped by robots.txt, in {elapsed:.1f}s → {db}"
    )
    console.print("fields found: " + ", ".join(f"{f} {n}/{total}" for f, n in found.items()))
    if sample:
        table = Table("site", "title", "published_at", "author", "source", "editor",
                      title=f"{len(sample)} of {total} archived articles, newest of each site")
        for row in sample:
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print(table)
    console.print(f'next: scraper query "SELECT title, published_at FROM articles LIMIT 5" --db {db}',
                  soft_wrap=True)   # a command to paste: never wrapped
    return report
