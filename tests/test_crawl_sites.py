"""Site identity is the origin: two services on one address are two sites, and a site renamed
in sites.toml keeps its queue and its articles. Sites are asked for what a browser would ask."""
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


def test_a_gbk_site_gets_its_chinese_list_query_in_gbk(tmp_path):
    """A classic ASP site reads `?lb=学校新闻` as GBK bytes; asked in UTF-8 it finds no such
    column and serves an empty list, as real ones do."""
    gbk = {"Content-Type": "text/html; charset=gb2312"}
    column = "/list.asp?lb=%D1%A7%D0%A3%D0%C2%CE%C5"

    def route(path: str):
        if path == "/":
            return 200, gbk, "<html><body><a href='/list.asp?lb=学校新闻'>学校新闻</a></body></html>".encode("gbk")
        if path == column:
            links = "".join(f"<li><a href='/show.asp?id={i}'>新闻{i}</a></li>" for i in (1, 2))
            return 200, gbk, f"<html><body><ul>{links}</ul></body></html>".encode("gbk")
        if path.startswith("/list.asp"):
            return 200, gbk, "<html><body>没有找到该栏目</body></html>".encode("gbk")
        if path.startswith("/show.asp?id="):
            title = f"区教育局召开第{path[-1]}次学校安全工作会议"
            return 200, gbk, ARTICLE.format(t=title).replace("charset='utf-8'", "charset='gb2312'").encode("gbk")
        return 404, {}, ""

    with serve(route) as (origin, log), open_archive(tmp_path / "a.db") as archive:
        asyncio.run(crawl_async(sites_from_urls([origin + "/"], FAST), archive, RUN))
        titles = sorted(r[0] for r in archive.query("SELECT title FROM articles"))
    assert column in log and not any("%E5%AD%A6" in p for p in log)      # 学 in UTF-8: never asked
    assert titles == ["区教育局召开第1次学校安全工作会议", "区教育局召开第2次学校安全工作会议"]


def test_a_site_refusing_every_start_url_with_403_is_told_apart_with_advice(tmp_path, caplog):
    with serve(lambda path: (404, {}, "") if path == "/robots.txt" else (403, {}, "<h1>403 Forbidden</h1>")) as (origin, _), \
            open_archive(tmp_path / "a.db") as archive:
        report = asyncio.run(crawl_async(sites_from_urls([origin + "/"], FAST), archive, RUN))
    assert report.failed_sites and "HTTP 403" in next(iter(report.failed_sites.values()))
    assert "refuses us, not only a page" in caplog.text and "user_agent" in caplog.text


def test_a_home_page_that_sends_browsers_on_with_a_refresh_header_is_followed(tmp_path):
    """`Refresh: 0; url=…` with an empty body, as old portals answer their home page: the page it
    names is read like the target of <meta http-equiv=refresh>."""
    def route(path: str):
        if path == "/":
            return 200, {"Refresh": "0; URL=/col/col1/index.html"}, ""
        if path == "/col/col1/index.html":
            return 200, {}, "<html><body><a href='/art/2023/11/5/art_1_7.html'>市应急管理局部署冬季安全生产工作</a></body></html>"
        if path == "/art/2023/11/5/art_1_7.html":
            return 200, {}, ARTICLE.format(t="市应急管理局部署冬季安全生产工作")
        return 404, {}, ""

    with serve(route) as (origin, log), open_archive(tmp_path / "a.db") as archive:
        asyncio.run(crawl_async(sites_from_urls([origin + "/"], FAST), archive, RUN))
        titles = [r[0] for r in archive.query("SELECT title FROM articles")]
    assert "/col/col1/index.html" in log and titles == ["市应急管理局部署冬季安全生产工作"]


def test_a_crawl_of_several_sites_cut_short_starts_every_one(tmp_path):
    """Under a small page budget, the sitemaps of the sites that start first (a sitemap, or
    a guessed /sitemap.xml, ranks before any start page) used the whole budget: a site given
    was never asked for. Each site's start page now goes before any sitemap."""
    sites = make_sites(24, styles=("wp", "trs", "vsb"))
    with serve_news(sites) as logs, open_archive(tmp_path / "a.db") as archive:
        configs = [SiteConfig(name=s.style, start_urls=(s.origin + s.home_path(),), settings=FAST) for s in sites]
        asyncio.run(crawl_async(configs, archive, RunSettings(concurrency=4, extract_workers=0, max_pages=4)))
    for site in sites:
        assert site.home_path() in logs[site.host], (site.style, logs[site.host])
        # and before its own sitemap: that one took the page before it, one run in ten
        assert not [p for p in logs[site.host][:logs[site.host].index(site.home_path())] if "sitemap" in p]
