"""Site identity is the origin: two services on one address are two sites, and a site renamed
in sites.toml keeps its queue and its articles."""
from __future__ import annotations

import asyncio
from collections import Counter

from newssites import make_sites, serve_news

from scraper.crawler import crawl_async, sites_from_urls
from scraper.settings import RunSettings, Settings, SiteConfig
from scraper.store import open_archive

FAST = Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=0)
RUN = RunSettings(concurrency=4, extract_workers=0)


def test_two_ports_on_one_address_are_two_sites():
    sites = sites_from_urls(["http://127.0.0.1:8001/", "http://127.0.0.1:8002/a", "https://x.cn/", "http://x.cn/"])
    assert [s.name for s in sites] == ["127.0.0.1:8001", "127.0.0.1:8002", "https://x.cn", "http://x.cn"]
    assert [s.name for s in sites_from_urls(["http://x.cn/a", "http://x.cn/b"])] == ["x.cn"]


def test_a_renamed_site_keeps_its_frontier_and_articles(tmp_path):
    sites = make_sites(8, styles=("vsb",))
    with serve_news(sites) as logs, open_archive(tmp_path / "a.db") as archive:
        start = (sites[0].origin + sites[0].home_path(),)
        asyncio.run(crawl_async([SiteConfig("old", start, settings=FAST)], archive, RUN))
        before = len(logs[sites[0].host])
        report = asyncio.run(crawl_async([SiteConfig("new", start, settings=FAST)], archive, RUN))
        again = Counter(sites[0].label(p) for p in logs[sites[0].host][before:])
        labels = {r[0] for r in archive.query("SELECT DISTINCT site FROM articles")}
        frontier = {r[0] for r in archive.query("SELECT DISTINCT site FROM frontier")}
    assert labels == {"new"} and frontier == {"new"}
    assert report.counts["articles_new"] == 0
    assert again["article"] == 0                 # nothing fetched again but the hubs
