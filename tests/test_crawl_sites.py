"""Site identity is the origin: two services on one address are two sites, and a site renamed
in sites.toml keeps its queue and its articles."""
from __future__ import annotations

import asyncio
import time
from collections import Counter

from newssites import make_sites, serve_news
from test_crawl_traps import ARTICLE, serve

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
    # nothing fetched again but the hubs and the rolling re-check's share of the articles
    assert again["article"] <= -(-len(sites[0].articles) // FAST.recheck_sweep)


def test_a_long_retry_after_holds_its_own_origin_not_another_port_of_the_host(tmp_path):
    def busy(path: str):
        if path == "/robots.txt":
            return 404, {}, ""
        return 429, {"Retry-After": "86400"}, ""          # a day: longer than any run waits

    def calm(path: str):
        if path == "/robots.txt":
            time.sleep(0.3)                                 # the other port's 429 comes first
            return 404, {}, ""
        if path == "/":
            return 200, {}, "<html><body><a href='/news/2023/11/05/1.htm'>新闻</a></body></html>"
        if path == "/news/2023/11/05/1.htm":
            return 200, {}, ARTICLE.format(t="市应急管理局部署冬季安全生产工作")
        return 404, {}, ""

    with serve(busy) as (busy_origin, busy_log), serve(calm) as (calm_origin, calm_log):
        sites = sites_from_urls([busy_origin + "/", calm_origin + "/"], FAST)
        with open_archive(tmp_path / "a.db") as archive:
            report = asyncio.run(crawl_async(sites, archive, RUN))
            stored = {r[0] for r in archive.query("SELECT url FROM articles")}
    assert busy_log == ["/robots.txt", "/"]
    assert [p for p in calm_log if "sitemap" not in p] == ["/robots.txt", "/", "/news/2023/11/05/1.htm"]
    assert stored == {calm_origin + "/news/2023/11/05/1.htm"}
    assert report.counts["reason:http-429"] == 1


def test_a_retry_after_pauses_its_own_origin_while_another_port_of_the_host_goes_on(tmp_path):
    both: list[str] = []          # the two servers' requests in arrival order
    asked = Counter()

    def busy(path: str):
        both.append("busy" + path)
        if path == "/robots.txt":
            return 404, {}, ""
        asked[path] += 1
        if asked[path] == 1:
            return 503, {"Retry-After": "2"}, ""            # come back in two seconds
        return 200, {}, ARTICLE.format(t="市应急管理局部署冬季安全生产工作")

    def calm(path: str):
        both.append("calm" + path)
        if path == "/robots.txt":
            time.sleep(0.3)                                 # busy's 503 comes first
            return 404, {}, ""
        if path == "/":
            return 200, {}, "<html><body><a href='/news/2023/11/05/1.htm'>新闻</a></body></html>"
        if path == "/news/2023/11/05/1.htm":
            return 200, {}, ARTICLE.format(t="区应急管理局部署冬季安全生产工作")
        return 404, {}, ""

    retrying = Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=1, backoff_max=10.0)
    with serve(busy) as (busy_origin, _), serve(calm) as (calm_origin, _):
        sites = [SiteConfig("busy", (busy_origin + "/",), settings=retrying),
                 SiteConfig("calm", (calm_origin + "/",), settings=retrying)]
        with open_archive(tmp_path / "a.db") as archive:
            asyncio.run(crawl_async(sites, archive, RUN))
            stored = {r[0] for r in archive.query("SELECT url FROM articles")}
    retry = [i for i, p in enumerate(both) if p == "busy/"][1]
    assert both.index("calm/news/2023/11/05/1.htm") < retry     # calm was not held by busy's pause
    assert stored == {busy_origin + "/", calm_origin + "/news/2023/11/05/1.htm"}
