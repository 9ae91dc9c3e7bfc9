"""Alternate views (print, mobile, AMP, share, comments) are recognised and not fetched: a
site's print or mobile pattern is verified once, then its views are aliases without a request."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from newssites import make_sites, serve_news

from scraper.crawler import crawl_async
from scraper.discover import discover_links
from scraper.settings import RunSettings, Settings, SiteConfig
from scraper.store import open_archive
from scraper.urls import canonicalize

FAST = Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=0, low_yield_after=5)
RUN = RunSettings(concurrency=4, extract_workers=0)
PAGE = "http://a.cn/info/1012/5001.htm"


@pytest.mark.parametrize("anchor, view", [
    ("<a href='/info/1012/5001.htm?print=1'>【打印】</a>", "print"),
    ("<a href='/print/5001.html'>x</a>", "print"),
    ("<a href='/info/1012/5001_print.htm'>x</a>", "print"),
    ("<a href='javascript:void(0)' onclick=\"window.open('/p.jsp?id=5001')\">打印本页</a>", "print"),
    ("<a href='/m/info/1012/5001.htm'>手机版</a>", "mobile"),
    ("<a href='/2023/11/05/news-1/amp/'>x</a>", "amp"),
    ("<a href='/x.htm?amp=1'>x</a>", "amp"),
    ("<a href='/share?url=x'>分享到微博</a>", "share"),
    ("<a href='/2023/11/05/news-1/?replytocom=12'>回复</a>", "comments"),
    ("<a href='/comment/list.jsp?id=5001'>发表评论</a>", "comments"),
])
def test_alternate_views_are_recognised_by_label_and_shape(anchor, view):
    links = discover_links(f"<html><body>{anchor}</body></html>", PAGE)
    assert [(l.points_to, l.rel) for l in links] == [("alternate", view)]


def test_head_links_name_amp_and_mobile_twins():
    html = ("<html><head><link rel='amphtml' href='/a/amp/'>"
            "<link rel='alternate' media='only screen and (max-width: 640px)' href='http://m.a.cn/a'>"
            "</head><body></body></html>")
    assert [(l.points_to, l.rel) for l in discover_links(html, PAGE)] == [("alternate", "amp"), ("alternate", "mobile")]


@pytest.mark.parametrize("head, view", [
    # WordPress: every post links its comments feed, the site its comments feed, an archive page its own feed
    ("<link rel='alternate' type='application/rss+xml' title='某大学 &raquo; 学校召开会议的评论Feed'"
     " href='/2023/11/05/meeting/feed/'>", "comments"),
    ("<link rel='alternate' type='application/rss+xml' title='Uni &raquo; Meeting Comments Feed'"
     " href='/comment-rss/5001.xml'>", "comments"),
    ("<link rel='alternate' type='application/rss+xml' title='某大学 &raquo; 评论Feed' href='/comments/feed/'>", "comments"),
    ("<a href='/?feed=comments-rss2'>评论RSS</a>", "comments"),
    ("<a href='/2023/11/05/meeting/feed'>订阅</a>", "own-feed"),
])
def test_feeds_that_list_no_news_are_not_followed(head, view):
    links = discover_links(f"<html><head>{head}</head><body><p>正文</p></body></html>",
                           "http://a.cn/2023/11/05/meeting/")
    assert [(l.points_to, l.rel) for l in links] == [("alternate", view)]


def test_news_feeds_are_followed_whatever_their_title():
    head = ("<link rel='alternate' type='application/rss+xml' title='某大学 &raquo; Feed' href='/feed/'>"
            "<link rel='alternate' type='application/rss+xml' title='评论频道' href='/rss/pinglun.xml'>"
            "<link rel='alternate' type='application/rss+xml' title='时事评论RSS' href='/rss/sspl.xml'>"
            "<a href='/category/news/feed/'>RSS</a><a href='/?feed=rss2'>订阅</a>")
    links = discover_links(f"<html><head>{head}</head><body><p>正文</p></body></html>",
                           "http://a.cn/2023/11/05/meeting/")
    assert [(l.url, l.points_to) for l in links] == [
        ("http://a.cn/feed/", "feed"), ("http://a.cn/rss/pinglun.xml", "feed"), ("http://a.cn/rss/sspl.xml", "feed"),
        ("http://a.cn/category/news/feed/", "feed"), ("http://a.cn/?feed=rss2", "feed")]
    home = discover_links("<html><head><link rel='alternate' type='application/rss+xml' href='/feed/'></head></html>",
                          "http://a.cn/")
    assert [(l.url, l.points_to) for l in home] == [("http://a.cn/feed/", "feed")]   # the site's feed


def test_ordinary_links_are_not_views():
    html = "<html><body><a href='/info/1012/5002.htm'>打印机采购公告</a><a href='/news/printing.htm'>印刷</a></body></html>"
    assert all(l.points_to != "alternate" for l in discover_links(html, PAGE))


def test_a_view_pattern_is_fetched_once_then_its_views_are_aliases(tmp_path):
    sites = make_sites(12, styles=("vsb", "wp"))
    with serve_news(sites) as logs, open_archive(tmp_path / "a.db") as archive:
        configs = [SiteConfig(name=s.style, start_urls=(s.origin + s.home_path(),), settings=FAST) for s in sites]
        asyncio.run(crawl_async(configs, archive, RUN))
        aliases = dict(archive.query("SELECT alias, url FROM aliases"))
        stored = {r[0] for r in archive.query("SELECT url FROM articles")}
    for site in sites:
        made = Counter(site.label(p) for p in logs[site.host])
        # one verifying fetch per view pattern: print, mobile (and AMP), of articles and of their parts
        assert made["alias"] <= (6 if site.style == "wp" else 4), made
        assert made["trap:share"] == 0
        assert made["trap:feeds"] == 0, "a comments feed or a list's own feed was requested"
        for art in site.articles.values():
            own = canonicalize(site.origin + site.article_path(art))
            assert own in stored
            views = ["/m" + site.article_path(art)] + (
                [site.article_path(art) + "amp/"] if site.style == "wp" else [site.article_path(art) + "?print=1"])
            for view in views:
                assert aliases.get(canonicalize(site.origin + view)) == own, view


def test_a_view_pattern_is_its_relation_to_the_page_it_is_on():
    from scraper.yields import view_pattern
    slug = "https://a.cn/2023/11/05/%E6%A0%87%E9%A2%98/"
    assert view_pattern(slug + "amp/", slug) == view_pattern("https://a.cn/2023/11/06/other/amp/",
                                                             "https://a.cn/2023/11/06/other/") == "a.cn{page}/amp/"
    assert view_pattern(slug + "?print=1", slug) == "a.cn{page}/?print"
    assert view_pattern("http://a.cn/m/info/1012/5001.htm", "http://a.cn/info/1012/5001.htm") == "a.cn/m{page}.htm"
    assert view_pattern("http://a.cn/xwdt/202311/t20231105_12_print.htm",
                        "http://a.cn/xwdt/202311/t20231105_12.htm") == "a.cn{page}_print.htm"
    assert view_pattern("http://a.cn/print.jsp?id=5001", "http://a.cn/info/1012/5001.htm") == "a.cn/print.jsp?id"


def test_views_of_articles_named_by_their_own_slug_are_verified_once_for_all(tmp_path):
    """Each article of /2023/11/05/某标题/ is a URL pattern of its own, and so were its print
    and AMP views: one verifying fetch per article. A view is now known by its relation to the
    page it is on (`{page}?print`, `{page}/amp/`), which all of a site's articles share."""
    from test_crawl_traps import ARTICLE, serve

    slugs = ["xuexiao-zhaokai", "anquan-shengchan", "keji-chuangxin", "xiangcun-zhenxing", "minsheng-shishi",
             "shengtai-baohu", "rencai-peiyang", "dangjian-gongzuo"]

    def route(path: str):
        base, _, query = path.partition("?")
        if path == "/":
            items = "".join(f"<li><a href='/2023/11/05/{s}/'>{s}</a></li>" for s in slugs)
            return 200, {}, f"<html><body><ul>{items}</ul></body></html>"
        slug = base.strip("/").split("/")[3] if base.count("/") >= 5 else ""
        if slug in slugs:
            page = ARTICLE.format(t=f"学校召开{slugs.index(slug) + 1}号会议")
            tools = (f"<a href='/2023/11/05/{slug}/?print=1'>打印本页</a>"
                     f"<a href='/2023/11/05/{slug}/amp/' rel='amphtml'>AMP</a>")
            return 200, {}, page.replace("</body>", tools + "</body>")
        return 404, {}, "<html><body>404</body></html>"

    with serve(route) as (origin, log), open_archive(tmp_path / "a.db") as archive:
        site = SiteConfig(name="slugs", start_urls=(origin + "/",), settings=FAST)
        asyncio.run(crawl_async([site], archive, RUN))
        stored = {r[0] for r in archive.query("SELECT url FROM articles")}
        aliases = dict(archive.query("SELECT alias, url FROM aliases"))
    assert stored == {f"{origin}/2023/11/05/{s}/" for s in slugs}
    views = [p for p in log if "print=" in p or p.endswith("/amp/")]
    assert len(views) <= 2, views                      # before: 16, one of each kind per article
    for s in slugs:
        assert aliases.get(f"{origin}/2023/11/05/{s}/amp/") == f"{origin}/2023/11/05/{s}/"


def test_a_view_of_a_multi_page_article_that_is_no_alias_leaves_the_pattern_to_another(tmp_path):
    """The print view of a multi-page article may print one page of several: no alias of the
    merged record, and no proof that the site's print views are not aliases. Before, the
    first such view made the pattern 'no' and every view of the site was fetched."""
    site = make_sites(24, styles=("vsb",))[0]
    for art in sorted(site.articles.values(), key=lambda a: -a.id)[:4]:    # the newest, read first
        art.parts = 2
    with serve_news([site]) as logs, open_archive(tmp_path / "a.db") as archive:
        config = SiteConfig(name="vsb", start_urls=(site.origin + site.home_path(),), settings=FAST)
        asyncio.run(crawl_async([config], archive, RUN))
        aliases = dict(archive.query("SELECT alias, url FROM aliases"))
    made = Counter(site.label(p) for p in logs[site.host])
    assert made["alias"] <= 2 * (4 + 1) + 4, made     # per pattern: the four inconclusive, one proof
    single = [a for a in site.articles.values() if a.parts == 1]
    assert all(canonicalize(site.origin + site.article_path(a) + "?print=1") in aliases for a in single)


def test_a_print_script_shorter_than_the_article_script_stays_an_alias_of_the_article(tmp_path):
    """Old ASP sites: every URL has a query, and `/print.asp?classid=11&id=5060` (打印) is shorter
    than `/news_show.asp?classid=11&id=5060`. The view's verifying fetch took the article over
    (the shorter URL was the 'plainer' identity): the article and its mobile view became aliases
    of the print view. A view is never the identity of the page it is a view of."""
    site = make_sites(24, styles=("asp",))[0]
    with serve_news([site]) as logs, open_archive(tmp_path / "a.db") as archive:
        config = SiteConfig(name="asp", start_urls=(site.origin + site.home_path(),), settings=FAST)
        asyncio.run(crawl_async([config], archive, RUN))
        stored = {r[0] for r in archive.query("SELECT url FROM articles")}
        aliases = dict(archive.query("SELECT alias, url FROM aliases"))
    own = {canonicalize(site.origin + site.article_path(a)) for a in site.articles.values()}
    assert stored == own
    printed = [p for p in logs[site.host] if p.startswith("/print.asp")]
    assert printed and all(aliases[canonicalize(site.origin + p)] in own for p in printed)


def _crawl_dede(site, db, max_pages: int | None = None) -> None:
    config = SiteConfig(name="dede", start_urls=(site.origin + site.home_path(),), settings=FAST)
    with open_archive(db) as archive:
        asyncio.run(crawl_async([config], archive, RunSettings(concurrency=4, extract_workers=0, max_pages=max_pages)))


def test_dynamic_twins_named_by_the_article_id_are_aliases_without_a_request(tmp_path):
    """DedeCMS: every article is also `/plus/view.php?aid=N`, which the 相关文章 and 热点 blocks
    link. Each was fetched as an article (70 requests for 60 articles); now such a script URL on
    a site of static articles waits until the lists are read, two twins teach the rule
    (scraper.twins), and the others are aliases of their static page without a request."""
    site = make_sites(24, styles=("dede",))[0]
    db = tmp_path / "a.db"
    with serve_news([site]) as logs:
        _crawl_dede(site, db)
        first = len(logs[site.host])
        site.add_articles(4)
        _crawl_dede(site, db)
        with open_archive(db) as archive:
            stored = {r[0] for r in archive.query("SELECT url FROM articles")}
            aliases = dict(archive.query("SELECT alias, url FROM aliases"))
    own = {canonicalize(site.origin + site.article_path(a)) for a in site.articles.values()}
    assert stored == own
    dynamic = [p for p in logs[site.host][:first] if p.startswith("/plus/view.php?aid=") and "&" not in p]
    assert len(dynamic) <= 3, dynamic                     # two teach the rule, one more under way at most
    assert aliases[canonicalize(site.origin + "/plus/view.php?aid=5010")] == canonicalize(
        site.origin + site.article_path(site.articles[5010]))
    later = [p for p in logs[site.host][first:] if p.startswith("/plus/view.php")]
    assert later == []                                    # the rule is kept for later runs


def test_a_dede_site_costs_little_more_than_its_lists_and_articles(tmp_path):
    """Its scripts sit side by side in /plus/ (view.php articles, calendar.php, search.php):
    a calendar judged as their sibling looked productive and was walked for a hundred pages."""
    site = make_sites(40, styles=("dede",))[0]
    with serve_news([site]) as logs:
        _crawl_dede(site, tmp_path / "a.db")
    made = Counter(site.label(p) for p in logs[site.host])
    assert made["article"] == site.minimum()["articles"] and made["list"] == site.minimum()["lists"] - 1, made
    assert max(n for k, n in made.items() if k.startswith("trap:")) <= 8, made
    assert sum(made.values()) <= 1.7 * sum(site.minimum().values()), made


def test_a_dede_crawl_cut_at_a_fifth_more_pages_than_articles_holds_most_of_them(tmp_path):
    site = make_sites(60, styles=("dede",))[0]
    with serve_news([site]):
        _crawl_dede(site, tmp_path / "a.db", max_pages=72)
        with open_archive(tmp_path / "a.db") as archive:
            stored = {r[0] for r in archive.query("SELECT url FROM articles")}
    held = sum(canonicalize(site.origin + site.article_path(a)) in stored for a in site.articles.values())
    assert held >= 0.8 * len(site.articles), held          # 42-50% when every view.php link was fetched
