"""Multi-page articles (5001.htm, 5001_2.htm…; t…_5001_1.html; ?page=2; /slug/2/) are fetched
and merged into one record; a list page's pagination is not an article's parts."""
from __future__ import annotations

import asyncio

import pytest
from newssites import STYLES, make_sites, serve_news

from scraper.crawler import crawl_async
from scraper.discover import Link, article_parts, first_part
from scraper.settings import RunSettings, Settings, SiteConfig
from scraper.store import open_archive
from scraper.urls import canonicalize

FAST = Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=0)
RUN = RunSettings(concurrency=4, extract_workers=0)


@pytest.mark.parametrize("page, others", [
    ("http://a.cn/info/1012/5001.htm", ["http://a.cn/info/1012/5001_2.htm", "http://a.cn/info/1012/5001_3.htm"]),
    ("http://a.cn/xw/202311/t20231105_5001.html", ["http://a.cn/xw/202311/t20231105_5001_1.html"]),
    ("http://a.cn/art/2023/11/5/art_1_5001.html", ["http://a.cn/art/2023/11/5/art_1_5001.html?page=2"]),
    ("http://a.cn/2023/11/05/news-5001/", ["http://a.cn/2023/11/05/news-5001/2/"]),
    ("http://a.cn/content.jsp?id=7&pageNum=2", ["http://a.cn/content.jsp?id=7", "http://a.cn/content.jsp?id=7&pageNum=3"]),
])
def test_an_articles_pager_names_its_other_pages_in_order(page, others):
    links = [Link(url, "other", "page", text) for url, text in zip(reversed(others), ("下一页", "2"))]
    links += [Link("http://a.cn/info/1012/5002.htm", "article", None, "2"),        # another article
              Link("http://a.cn/list/2.htm", "list", "page", "下一页")]
    assert article_parts(page, links) == others


def test_a_pager_whose_links_carry_a_new_session_id_still_names_the_parts():
    """Each answer puts a new `sid` on its links: the page fetched at `?sid=a` links its
    parts at `?sid=b`. Read without the parameter, they are its parts all the same."""
    page = "http://a.cn/info/1012/5001.htm?sid=a"
    links = [Link("http://a.cn/info/1012/5001.htm?sid=b", "other", "page", "1"),
             Link("http://a.cn/info/1012/5001_2.htm?sid=b", "other", "page", "2"),
             Link("http://a.cn/info/1012/5002_2.htm?sid=b", "other", "page", "下一页")]   # another article's
    assert article_parts(page, links) == []
    assert article_parts("http://a.cn/info/1012/5001.htm", links, {"sid"}) == ["http://a.cn/info/1012/5001_2.htm?sid=b"]


def test_a_later_page_points_at_the_first():
    parts = ["http://a.cn/info/1012/5001.htm", "http://a.cn/info/1012/5001_3.htm"]
    assert first_part("http://a.cn/info/1012/5001_2.htm", parts) == "http://a.cn/info/1012/5001.htm"
    assert first_part("http://a.cn/info/1012/5001.htm", ["http://a.cn/info/1012/5001_2.htm"]) is None


def _crawl(sites, db):
    configs = [SiteConfig(name=s.style, start_urls=(s.origin + s.home_path(),), settings=FAST) for s in sites]
    with open_archive(db) as archive:
        asyncio.run(crawl_async(configs, archive, RUN))
        rows = {r[0]: r[1:] for r in archive.query("SELECT url, body, page_count, version FROM articles")}
        aliases = dict(archive.query("SELECT alias, url FROM aliases"))
    return rows, aliases


def test_multi_page_articles_are_one_record_and_a_changed_part_is_a_new_version(tmp_path):
    sites = make_sites(8, styles=STYLES)
    with serve_news(sites):
        rows, aliases = _crawl(sites, tmp_path / "a.db")
        for site in sites:
            multi = [a for a in site.articles.values() if a.parts > 1]
            assert multi
            for art in multi:
                url = canonicalize(site.origin + site.article_path(art))
                body, page_count, _ = rows[url]
                assert page_count == art.parts
                assert body == art.body()                       # every part, in order
                for part in range(2, art.parts + 1):
                    part_url = canonicalize(site.origin + site.article_path(art, part))
                    assert part_url not in rows and aliases[part_url] == url
        assert len(rows) == sum(len(s.articles) for s in sites)
        trs = sites[1]
        art = next(a for a in trs.articles.values() if a.parts > 1)
        art.version += 1                                         # the sitemap gives it a newer lastmod
        rows, _ = _crawl(sites, tmp_path / "a.db")
        body, page_count, version = rows[canonicalize(trs.origin + trs.article_path(art))]
        assert version == 2 and body == art.body() and page_count == art.parts


def test_a_changed_later_part_costs_one_request_per_page(tmp_path):
    """The sitemap says an article changed, but only its last page did: the first page and
    the unchanged parts answer 304 and are read from their stored bytes, so each page of the
    article is requested once (not revalidated, then fetched again in full)."""
    sites = make_sites(8, styles=("trs",))
    trs = sites[0]
    art = next(a for a in trs.articles.values() if a.parts > 2)
    with serve_news(sites) as logs:
        url = canonicalize(trs.origin + trs.article_path(art))
        _crawl(sites, tmp_path / "a.db")
        log = logs[trs.host]
        for edited, first_status in ((art.parts, 304), (1, 200)):   # the last page, then the first
            log.clear()
            art.version, art.edited_part = art.version + 1, edited
            rows, _ = _crawl(sites, tmp_path / "a.db")
            body, page_count, version = rows[url]
            assert version == art.version and page_count == art.parts and body == art.body()
            for part in range(1, art.parts + 1):
                assert log.count(trs.article_path(art, part)) == 1, (part, log)
            with open_archive(tmp_path / "a.db") as archive:
                statuses = dict(archive.query("SELECT url, status FROM pages"))
            assert statuses[url] == first_status
            assert statuses[canonicalize(trs.origin + trs.article_path(art, 2))] == 304
