"""End to end: crawl the bundled fixture sites over loopback HTTP and compare the archive with
the sites' truth file — every article once, fields right, nothing disallowed or off-site asked
for — then check that a second run fetches only what changed."""
from __future__ import annotations

import asyncio
import threading
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from scraper import crawler
from scraper.crawler import CrawlReport, crawl_async
from scraper.settings import RunSettings, Settings, SiteConfig
from scraper.store import open_archive
from scraper.testsite import FIXTURE_SITES_DIR, FixtureServer, bundled_sites, serve_sites

TRUTH = json.loads((FIXTURE_SITES_DIR / "truth.json").read_text(encoding="utf-8"))
FAST = Settings(delay=0.0, per_host_concurrency=4, timeout=5.0, max_retries=2,
                backoff_base=0.01, backoff_max=0.05)
RUN = RunSettings(concurrency=4, extract_workers=0)
FIELDS = ("title", "published_at", "author", "source", "editor")


def bigram_f1(a: str, b: str) -> float:
    a, b = "".join(a.split()), "".join(b.split())
    ga, gb = Counter(a[i:i + 2] for i in range(len(a) - 1)), Counter(b[i:i + 2] for i in range(len(b) - 1))
    overlap = sum((ga & gb).values())
    if not overlap:
        return 0.0
    p, r = overlap / sum(ga.values()), overlap / sum(gb.values())
    return 2 * p * r / (p + r)


def crawl_sites(db: Path, servers: dict[str, FixtureServer], settings: Settings = FAST, run: RunSettings = RUN,
                **kw) -> CrawlReport:
    sites = [SiteConfig(name=name, start_urls=(s.origin + "/",), settings=settings) for name, s in servers.items()]
    with open_archive(db) as archive:
        return asyncio.run(crawl_async(sites, archive, run, **kw))


def articles(db: Path) -> dict[str, dict]:
    with open_archive(db, readonly=True) as archive:
        result = archive.query("SELECT * FROM articles")
        return {row[0]: dict(zip(result.columns, row)) for row in result}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Two runs over both sites: the first archives everything, the second is incremental."""
    db = tmp_path_factory.mktemp("e2e") / "archive.db"
    with serve_sites(bundled_sites()) as servers:
        first = crawl_sites(db, servers)
        requests_first = {n: list(s.requests) for n, s in servers.items()}
        for s in servers.values():
            s.requests.clear()
        second = crawl_sites(db, servers)
        requests_second = {n: list(s.requests) for n, s in servers.items()}
        origins = {n: s.origin for n, s in servers.items()}
    return db, origins, first, second, requests_first, requests_second


def test_every_article_archived_once_with_right_fields(crawled):
    db, origins, first, *_ = crawled
    stored = articles(db)
    expected_urls = set()
    misses = []
    for name, site in TRUTH["sites"].items():
        for truth in site["articles"]:
            url = origins[name] + truth["path"]
            expected_urls.add(url)
            got = stored.get(url)
            assert got is not None, f"missing {url}"
            assert got["site"] == name
            misses += [(url, f, got[f], truth[f]) for f in FIELDS if got[f] != truth[f]]
            if bigram_f1(got["body"], truth["body"]) < 0.9:
                misses.append((url, "body", got["body"][:80], truth["body"][:80]))
    assert misses == []
    extra = set(stored) - expected_urls
    non_articles = {origins[n] + p for n, s in TRUTH["sites"].items() for p in s["non_articles"]}
    assert not extra & non_articles, f"non-article pages archived as articles: {extra & non_articles}"
    assert first.outcome == "completed"
    assert first.counts["articles_new"] == len(stored)


def test_aliases_robots_and_scope(crawled):
    db, origins, _, _, requests, _ = crawled
    with open_archive(db, readonly=True) as archive:
        aliases = dict(archive.query("SELECT alias, url FROM aliases"))
    for name, site in TRUTH["sites"].items():
        paths = [p for _, p in requests[name]]
        for disallowed in site["disallowed"]:
            assert disallowed not in paths, f"robots.txt disallows {disallowed}"
        assert "/robots.txt" in paths
        assert len(paths) == len(set(paths)), "a URL was requested twice in one run"
        for alias, target in site["aliases"].items():
            assert aliases.get(origins[name] + alias) == origins[name] + target
    every_path = {p for reqs in requests.values() for _, p in reqs}
    assert not any(p.startswith(("javascript", "mailto")) for p in every_path)


def test_second_run_fetches_only_what_changed(crawled):
    db, _, first, second, requests_first, requests_second = crawled
    assert second.outcome == "completed"
    assert second.counts["articles_new"] == 0 and second.counts["articles_changed"] == 0
    assert second.counts["not_modified"] > 0
    # no article is fetched again, except the rolling re-check's share (conditional: 304s)
    for name, site in TRUTH["sites"].items():
        article_paths = {a["path"].split("?")[0] for a in site["articles"]}
        refetched = [p for _, p in requests_second[name] if p.split("?")[0] in article_paths]
        assert len(refetched) <= -(-len(article_paths) // FAST.recheck_sweep), (name, refetched)
    assert sum(map(len, requests_second.values())) < sum(map(len, requests_first.values())) / 2
    with open_archive(db, readonly=True) as archive:
        runs = list(archive.query("SELECT outcome, articles_new FROM runs ORDER BY id"))
    assert runs == [("completed", first.counts["articles_new"]), ("completed", 0)]


def _copy_gov(tmp_path: Path) -> Path:
    root = tmp_path / "gov"
    shutil.copytree(FIXTURE_SITES_DIR / "gov", root)
    return root


def test_changed_article_with_newer_lastmod_becomes_a_new_version(tmp_path):
    root = _copy_gov(tmp_path)
    sitemap = root / "sitemap-2023.xml"
    text = sitemap.read_text(encoding="utf-8")
    entry = re.search(r"<loc>http://SITE_ORIGIN(/[^<]+)</loc><lastmod>([^<]+)</lastmod>", text)
    path = entry.group(1)
    db = tmp_path / "a.db"
    with FixtureServer(root) as server:
        crawl_sites(db, {"gov": server})
        page = root / path.lstrip("/")
        page.write_text(page.read_text(encoding="utf-8").replace("。</p>", "（更正）。</p>"), encoding="utf-8")
        sitemap.write_text(text.replace(entry.group(0), entry.group(0).replace(entry.group(2), "2030-01-01")),
                           encoding="utf-8")
        report = crawl_sites(db, {"gov": server})
    assert report.counts["articles_changed"] == 1 and report.counts["articles_new"] == 0
    url = server.origin + path
    with open_archive(db, readonly=True) as archive:
        version, body = archive.query("SELECT version, body FROM articles WHERE url=?", (url,)).first()
        old_bodies = list(archive.query("SELECT body FROM article_versions WHERE url=?", (url,)))
    assert version == 2 and "（更正）" in body
    assert len(old_bodies) == 1 and "（更正）" not in old_bodies[0][0]


def test_faults_are_recorded_and_the_crawl_goes_on(tmp_path):
    truth = TRUTH["sites"]["univ"]["articles"]
    flaky, looping, huge, binary = (a["path"] for a in truth[:4])
    db = tmp_path / "a.db"
    with FixtureServer(bundled_sites()["univ"]) as server:
        server.set_response(flaky, status=503, headers={"Retry-After": "0"}, times=2)
        server.set_response(looping, status=302, headers={"Location": f"http://SITE_ORIGIN{looping}"})
        server.set_response(huge, body=b"<html>" + b"x" * 200_000, headers={"Content-Type": "text/html"})
        server.set_response(binary, body=bytes(range(256)) * 10, headers={"Content-Type": "application/octet-stream"})
        report = crawl_sites(db, {"univ": server}, FAST.with_overrides(max_bytes=100_000))
        origin = server.origin
    stored = articles(db)
    assert origin + flaky in stored, "a 503 with Retry-After is retried"
    with open_archive(db, readonly=True) as archive:
        reasons = dict(archive.query("SELECT url, reason FROM pages WHERE reason IS NOT NULL"))
    assert reasons[origin + looping] == "redirect-loop"
    assert reasons[origin + huge] == "too-large"
    assert reasons[origin + binary] == "not-html"
    assert not {origin + p for p in (looping, huge, binary)} & set(stored)
    assert report.outcome == "completed"
    assert len(stored) >= len(truth) - 3


def test_max_pages_stops_early_and_the_next_run_resumes(tmp_path):
    db = tmp_path / "a.db"
    with FixtureServer(bundled_sites()["univ"]) as server:
        partial = crawl_sites(db, {"univ": server}, run=RUN.with_overrides(max_pages=10))
        assert partial.outcome == "limit" and partial.counts["pages_fetched"] <= 10
        rest = crawl_sites(db, {"univ": server})
        origin = server.origin
    assert rest.outcome == "completed"
    stored = articles(db)
    assert {origin + a["path"] for a in TRUTH["sites"]["univ"]["articles"]} <= set(stored)


def test_a_worker_killed_mid_crawl_loses_no_page(tmp_path):
    """The default crawl runs HTTP and parsing in worker processes; SIGKILL one of them while
    pages are in flight and the crawl still archives every article."""
    import os
    import signal

    from scraper import crawler

    killed = []
    real_handle = crawler._SiteCrawl._handle

    async def handle_and_kill(self, item):
        if not killed and self.pool and self.counts["pages_fetched"] >= 5:
            victim = self.pool.workers[0].process
            os.kill(victim.pid, signal.SIGKILL)
            killed.append(victim.pid)
        return await real_handle(self, item)

    crawler._SiteCrawl._handle = handle_and_kill
    try:
        with FixtureServer(bundled_sites()["univ"]) as server:
            report = crawl_sites(tmp_path / "a.db", {"univ": server}, run=RUN.with_overrides(extract_workers=2))
            origin = server.origin
            expected = {origin + a["path"] for a in TRUTH["sites"]["univ"]["articles"]}
            missing = expected - set(articles(tmp_path / "a.db"))
            with open_archive(tmp_path / "a.db", readonly=True) as archive:
                failed = {r[0] for r in archive.query("SELECT url FROM frontier WHERE state='failed'")}
            # a page whose parsing died with the worker is marked for the next run, never lost
            assert missing <= failed
            crawl_sites(tmp_path / "a.db", {"univ": server}, run=RUN.with_overrides(extract_workers=2))
    finally:
        crawler._SiteCrawl._handle = real_handle
    assert killed and report.outcome == "completed"
    assert expected <= set(articles(tmp_path / "a.db"))


def test_recheck_days_rechecks_recent_articles_with_conditional_get(tmp_path):
    db = tmp_path / "a.db"
    paths = {a["path"] for a in TRUTH["sites"]["univ"]["articles"]}
    with FixtureServer(bundled_sites()["univ"]) as server:
        crawl_sites(db, {"univ": server})
        server.requests.clear()
        report = crawl_sites(db, {"univ": server}, FAST.with_overrides(recheck_days=1.0))
        rechecked = {p for _, p in server.requests if p in paths}
    assert rechecked >= paths - {p for p in paths if "?" in p}
    assert report.counts["articles_new"] == 0 and report.counts["not_modified"] >= len(rechecked)


def _index_fills(tmp_path) -> tuple[list[int], int]:
    """How many articles each fill of the search index took during a crawl (the run's last
    one included), and how many were stored. All but the last ran in a thread of their own."""
    with FixtureServer(bundled_sites()["univ"]) as server, open_archive(tmp_path / "a.db") as archive:
        fills, threads = [], []
        fill = archive.update_search_index
        archive.update_search_index = lambda: fills.append(fill()) or fills[-1]
        make_indexer = archive.search_indexer

        class Counting:
            def __init__(self):
                self.inner = make_indexer()

            def __call__(self, holding):
                threads.append(threading.current_thread())
                fills.append(self.inner(holding))
                return fills[-1]

        archive.search_indexer = Counting
        site = SiteConfig(name="univ", start_urls=(server.origin + "/",), settings=FAST)
        asyncio.run(crawl_async([site], archive, RUN))
        stored = archive.query("SELECT COUNT(*) FROM articles").first()[0]
    assert len(threads) == len(fills) - 1 and threading.main_thread() not in threads
    return fills, stored


def test_the_search_index_is_filled_as_the_crawl_goes_not_all_at_its_end(tmp_path, monkeypatch):
    """Trigram-indexing costs the loop more per article than all its other work: a batch at a
    time it runs while pages are parsed, instead of as a serial tail after the last page."""
    every = 4                                   # the fixture site is smaller than a real batch
    monkeypatch.setattr(crawler, "_INDEX_EVERY", every)
    fills, stored = _index_fills(tmp_path)
    assert stored >= 2 * every and sum(fills) == stored      # each article indexed once
    assert sum(fills[:-1]) >= stored - every       # the end of the run found little left
    assert fills[-1] < every


def test_a_slow_crawl_fills_the_search_index_by_time_too(tmp_path, monkeypatch):
    """A polite crawl stores an article every few seconds: its articles are searchable after
    _INDEX_SECONDS, not only once a batch is full."""
    monkeypatch.setattr(crawler, "_INDEX_SECONDS", 0.0)
    fills, stored = _index_fills(tmp_path)
    assert stored < crawler._INDEX_EVERY and sum(fills) == stored
    # each article is indexed by the next fill after it was stored (those stored while a fill
    # ran, by the one after it); only the last few wait for the run's end
    assert max(fills) < stored // 4 and sum(fills[:-1]) >= stored * 3 // 4
