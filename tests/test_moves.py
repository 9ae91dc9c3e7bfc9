"""Origins that only redirect elsewhere (a site moved to https, to www., to a new domain) are
learned from their redirects or from HSTS, and their URLs are then asked for where they went."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from test_crawl_traps import ARTICLE, serve

from scraper.crawler import crawl_async
from scraper.moves import OriginMoves
from scraper.settings import RunSettings, Settings, SiteConfig
from scraper.store import open_archive

OLD, NEW = "http://old.example.cn", "https://www.example.cn"


def test_an_origin_whose_urls_redirect_to_the_same_paths_elsewhere_has_moved():
    moves = OriginMoves()
    moves.observe(OLD + "/info/1.htm", [NEW + "/info/1.htm"], True, {})
    assert moves.rewrite(OLD + "/info/2.htm") == OLD + "/info/2.htm"      # one redirect is not yet a move
    moves.observe(OLD + "/list.htm?page=2", [NEW + "/list.htm?page=2"], True, {})
    assert moves.rewrite(OLD + "/info/2.htm?id=3") == NEW + "/info/2.htm?id=3"
    assert moves.rewrite("http://other.example.cn/info/2.htm") == "http://other.example.cn/info/2.htm"
    assert moves.rewrite(NEW + "/info/2.htm") == NEW + "/info/2.htm"


def test_redirects_elsewhere_on_other_paths_are_no_move():
    moves = OriginMoves()
    for i in range(3):   # a login wall, a home page sent to its index: not the same path on another origin
        moves.observe(f"{OLD}/info/{i}.htm", [f"{NEW}/login.jsp"], True, {})
        moves.observe(f"{OLD}/col{i}/", [f"{OLD}/col{i}/index.html"], True, {})
    assert moves.moved == {}


def test_an_origin_that_serves_a_page_itself_has_not_moved():
    moves = OriginMoves()
    for i in range(3):
        moves.observe(f"{OLD}/info/{i}.htm", [f"{NEW}/info/{i}.htm"], True, {})
    moves.observe(OLD + "/special.htm", [], True, {})          # answered there: only some paths move
    assert moves.rewrite(OLD + "/info/9.htm") == OLD + "/info/9.htm"
    moves.observe(OLD + "/info/5.htm", [NEW + "/info/5.htm"], True, {})
    assert moves.moved == {}


def test_hsts_moves_the_plain_http_twin_at_once_as_browsers_do():
    moves = OriginMoves()
    moves.observe("https://www.example.cn/", [], True, {"strict-transport-security": "max-age=31536000"})
    assert moves.rewrite("http://www.example.cn/info/1.htm") == "https://www.example.cn/info/1.htm"
    assert moves.rewrite("http://news.example.cn/info/1.htm") == "http://news.example.cn/info/1.htm"
    lifted = OriginMoves()
    lifted.observe("https://www.example.cn/", [], True, {"strict-transport-security": "max-age=0"})
    assert lifted.moved == {}


def test_hsts_with_include_subdomains_covers_every_subdomain():
    moves = OriginMoves()
    moves.observe("https://example.cn/", [], True,
                  {"strict-transport-security": "max-age=31536000; includeSubDomains; preload"})
    assert moves.rewrite("http://news.example.cn/info/1.htm") == "https://news.example.cn/info/1.htm"
    assert moves.rewrite("http://example.cn:8080/a.htm") == "https://example.cn:8080/a.htm"
    assert moves.rewrite("http://notexample.cn/a.htm") == "http://notexample.cn/a.htm"
    moves.observe("http://old.example.cn/a.htm", [], True, {})       # a subdomain that serves plain HTTP itself
    assert moves.rewrite("http://old.example.cn/b.htm") == "http://old.example.cn/b.htm"


@pytest.mark.parametrize("with_links", [True, False])
def test_a_site_that_moved_costs_a_redirect_or_two_not_one_per_old_link(tmp_path, with_links):
    """The site moved; its sitemap, its pages and their rel=canonical still name the old origin,
    which redirects every path to the new one. Its URLs queued already are settled without a
    request once the move is learned, those found later are queued under the new origin, and
    every article is stored under its URL on the new one."""
    n = 12
    origins: dict[str, str] = {}

    def new_site(path: str):
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, f"Sitemap: {origins['new']}/sitemap.xml\n"
        if path == "/sitemap.xml":   # generated before the move: every URL on the old origin
            urls = "".join(f"<url><loc>{origins['old']}/info/{i}.htm</loc></url>" for i in range(1, n + 1))
            return 200, {"Content-Type": "application/xml"}, (
                f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>")
        if path == "/":
            links = "".join(f"<li><a href='{origins['old']}/info/{i}.htm'>第{i}次工作会议</a></li>" for i in range(1, 4))
            return 200, {}, f"<html><body><ul>{links if with_links else ''}</ul></body></html>"
        if path.startswith("/info/") and path[6:-4].isdigit() and 1 <= int(path[6:-4]) <= n:
            stale = f"<link rel='canonical' href='{origins['old']}{path}'>"     # a template never updated
            return 200, {}, ARTICLE.format(t=f"学校召开第{path[6:-4]}次工作会议").replace("</head>", stale + "</head>")
        return 404, {}, "<html><body>404</body></html>"

    with serve(new_site, "127.0.1.42") as (new, new_log), \
            serve(lambda path: (301, {"Location": new + path}, ""), "127.0.1.41") as (old, old_log):
        origins.update(new=new, old=old)
        site = SiteConfig(name="moved", start_urls=(new + "/",), allow_hosts=("127.0.1.41",),
                          settings=Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=0))
        with open_archive(tmp_path / "a.db") as archive:
            report = asyncio.run(crawl_async([site], archive, RunSettings(concurrency=2, extract_workers=0)))
            stored = {r[0] for r in archive.query("SELECT url FROM articles")}
    assert stored == {f"{new}/info/{i}.htm" for i in range(1, n + 1)}
    assert len(old_log) <= 4, old_log                       # before: one redirect per old URL, 12
    if not with_links:      # the sitemap's URLs were all queued before the move was seen
        assert report.counts["moved"] == n - (len(old_log) - 1)     # robots.txt aside
    # no page of the new origin twice (its robots.txt is also the old one's, through a redirect)
    pages = Counter(path for path in new_log if path != "/robots.txt")
    assert max(pages.values()) == 1, pages


def test_an_https_site_with_hsts_is_never_asked_over_http_and_stale_http_canonicals_are_its_own(tmp_path):
    """Its pages hard-code http:// links and their rel=canonical names the http:// URL, as
    templates made before a move to HTTPS do. After its first answer with HSTS no request goes
    to http:// (nothing answers there), and each article is stored under its https:// URL."""
    origins: dict[str, str] = {}

    def route(path: str):
        plain = "http://" + origins["site"].removeprefix("https://")
        hsts = {"Strict-Transport-Security": "max-age=31536000"}
        if path == "/":
            links = "".join(f"<li><a href='{plain}/info/1012/{i}.htm'>第{i}次工作会议</a></li>" for i in range(1, 6))
            return 200, hsts, f"<html><body><ul>{links}</ul></body></html>"
        if path.startswith("/info/1012/") and path[11:-4].isdigit():
            stale = f"<link rel='canonical' href='{plain}{path}'>"
            return 200, hsts, ARTICLE.format(t=f"学校召开第{path[11:-4]}次工作会议").replace("</head>", stale + "</head>")
        return 404, {}, "<html><body>404</body></html>"

    with serve(route, tls=True) as (origin, log):
        origins["site"] = origin
        site = SiteConfig(name="tls", start_urls=(origin + "/",), settings=Settings(
            delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=0, verify_tls=False))
        with open_archive(tmp_path / "a.db") as archive:
            asyncio.run(crawl_async([site], archive, RunSettings(concurrency=2, extract_workers=0)))
            stored = {r[0] for r in archive.query("SELECT url FROM articles")}
            asked_plain = [r[0] for r in archive.query("SELECT url FROM pages WHERE url LIKE 'http://%'")]
    assert stored == {f"{origin}/info/1012/{i}.htm" for i in range(1, 6)}
    assert asked_plain == [], "a request went to http://, where nothing answers"
