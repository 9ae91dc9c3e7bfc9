"""Crawler workers sharing one PostgreSQL archive, as separate processes (`scraper worker`) on
loopback sites: together they store exactly what one process stores, never crowd a host (the
sites' own request log is the judge), and a worker killed with SIGKILL loses nothing."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

from scraper.crawler import crawl, crawl_async
from scraper.settings import RunSettings, Settings, SiteConfig
from scraper.store import open_archive
from scraper.testfarm import SiteFarm

DELAY = 0.3
# Measured at the server: a request's start is stamped just before it is sent, and it reaches
# the site a little later (connection set-up, parsing in the same event loop: these workers run
# without extraction processes), so two stamps `delay` apart can arrive a few tens of ms closer
# on a loaded machine.
TOLERANCE = 0.06
FAST = Settings(delay=DELAY, timeout=5, max_retries=1, backoff_base=0.01)
RUN = RunSettings(extract_workers=0)


def _sites(farm: SiteFarm, **per_site: Settings) -> list[SiteConfig]:
    return [SiteConfig(name=f"s{i}", start_urls=(origin + "/",), settings=per_site.get(f"s{i}", FAST))
            for i, origin in enumerate(farm.origins)]


def _workers(url: str, n: int, *extra: str) -> list[subprocess.Popen]:
    command = [sys.executable, "-m", "scraper", "worker", "--db", url, "--extract-workers", "0", *extra]
    return [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for _ in range(n)]


def _wait(workers: list[subprocess.Popen]) -> None:
    for w in workers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err[-2000:]


def _archive(db: str) -> tuple[dict, set, set]:
    """What a reader sees: articles (less run bookkeeping), aliases, frontier outcomes."""
    with open_archive(db, readonly=True) as a:
        articles = {r["url"]: {k: v for k, v in r.items() if k not in ("first_seen", "last_seen")}
                    for r in a.iter_articles()}
        aliases = set(a.query("SELECT alias, url FROM aliases"))
        frontier = set(a.query("SELECT url, state, reason, kind FROM frontier"))
    return articles, aliases, frontier


def test_three_workers_store_what_one_process_does_and_keep_every_host_polite(pg_url, tmp_path):
    wide = Settings(delay=DELAY, per_host_concurrency=2, timeout=5, max_retries=1, backoff_base=0.01)
    with SiteFarm(sites=3, articles=4, latency=0.05) as farm:
        sites = _sites(farm, s0=wide)
        alone = str(tmp_path / "alone.db")
        crawl(sites, alone, run=RUN)
        farm.hits.clear()
        crawl(sites, pg_url, run=RUN, work=False)           # crawl --seed-only
        _wait(_workers(pg_url, 3, "--concurrency", "4"))
        assert _archive(pg_url) == _archive(alone)
        close = [(h, a.path, b.path, round(b.start - a.start, 4)) for h, hits in farm.by_host().items()
                 for a, b in zip(hits, hits[1:]) if b.start - a.start < DELAY - TOLERANCE]
        assert farm.politeness_violations(DELAY, TOLERANCE) == 0, close
        host0 = farm.origins[0].split("//")[1].split(":")[0]
        assert all(n <= (2 if host == host0 else 1) for host, n in farm.max_in_flight().items())
        robots = [h for h in farm.hits if h.path == "/robots.txt"]
        assert len(robots) == len(farm.origins)               # once per host, for all workers
    with open_archive(pg_url, readonly=True) as a:
        assert len(list(a.iter_articles())) == 3 * 4
        assert {r[0] for r in a.query("SELECT outcome FROM runs")} == {"completed"}


def test_a_killed_worker_loses_nothing(pg_url):
    with SiteFarm(sites=2, articles=6, latency=0.2) as farm:
        sites = _sites(farm)
        crawl(sites, pg_url, run=RUN, work=False)
        victim, survivor = _workers(pg_url, 2, "--lease", "1")
        deadline = time.monotonic() + 60
        while len(farm.hits) < 6:                              # both are under way
            assert time.monotonic() < deadline and victim.poll() is None
            time.sleep(0.05)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        _wait([survivor])
        with open_archive(pg_url, readonly=True) as a:
            stored = {r["url"] for r in a.iter_articles()}
            states = dict(a.query("SELECT state, COUNT(*) FROM frontier GROUP BY state"))
        assert stored == farm.article_urls()
        assert set(states) == {"done"}
        assert farm.politeness_violations(DELAY, TOLERANCE) == 0


def test_a_worker_stopped_by_its_budget_gives_its_claims_back(pg_url):
    with SiteFarm(sites=1, articles=3) as farm:
        sites = _sites(farm)
        with open_archive(pg_url) as archive:
            asyncio.run(crawl_async(sites, archive, RunSettings(extract_workers=0, max_pages=2)))
            assert archive.conn.execute("SELECT COUNT(*) FROM frontier WHERE lease_owner IS NOT NULL").fetchone() == (0,)
        _wait(_workers(pg_url, 1))
        with open_archive(pg_url, readonly=True) as a:
            assert {r["url"] for r in a.iter_articles()} == farm.article_urls()


def test_a_worker_leases_a_sites_urls_only_as_it_fetches_them(pg_url):
    """No hoarding: with one request at a time per host, a worker holds at most one URL of a
    site (the one it is fetching), so another worker with free request slots finds the rest."""
    with SiteFarm(sites=1, articles=6, latency=0.1) as farm:
        crawl(_sites(farm), pg_url, run=RUN, work=False)
        [worker] = _workers(pg_url, 1)
        most = 0
        with open_archive(pg_url, readonly=True) as a:
            while worker.poll() is None:
                leased = a.query("SELECT COUNT(*) FROM frontier WHERE state = 'pending'"
                                 " AND lease_until >= now()").first()[0]
                most = max(most, leased)
                time.sleep(0.02)
        _wait([worker])
        assert 0 < most <= 1
        with open_archive(pg_url, readonly=True) as a:
            assert {r["url"] for r in a.iter_articles()} == farm.article_urls()
