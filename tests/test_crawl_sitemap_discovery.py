"""Sitemap discovery without spraying guesses: robots.txt's Sitemap lines, then the home page's
links (an XML 地图 footer link, <link rel="sitemap">), then at most two usual locations, asked one
at a time until one answers. Asserted on the request log of a loopback site."""
from __future__ import annotations

import pytest

from test_crawl_traps import ARTICLE, crawl, serve

ARTICLE_PATH = "/news/2023/11/05/1.htm"


def _site(robots: str = "", home_extra: str = "", sitemaps: tuple[str, ...] = ()):
    """A home page linking one article; `sitemaps` are the paths that answer with a sitemap."""
    origin: list[str] = []

    def route(path: str):
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, "User-agent: *\nAllow: /\n" + robots
        if path == "/":
            return 200, {}, (f"<html><head>{home_extra}</head><body><a href='{ARTICLE_PATH}'>新闻</a>"
                             f"<div class='foot'>{home_extra}</div></body></html>")
        if path == ARTICLE_PATH:
            return 200, {}, ARTICLE.format(t="市应急管理局部署冬季安全生产工作")
        if path in sitemaps:
            return 200, {"Content-Type": "application/xml"}, (
                "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                f"<url><loc>{origin[0]}{ARTICLE_PATH}</loc></url></urlset>")
        return 404, {}, ""
    return route, origin


def _sitemap_requests(tmp_path, route, origin_box: list[str]) -> tuple[list[str], list[str], set[str]]:
    """Sitemap-ish requests of a first and a second crawl, and the articles stored."""
    with serve(route) as (origin, requests):
        origin_box.append(origin)
        _, stored, _ = crawl(tmp_path, origin)
        first = [p for p in requests if p not in ("/robots.txt", "/", ARTICLE_PATH)]
        requests.clear()
        crawl(tmp_path, origin)
        second = [p for p in requests if p not in ("/robots.txt", "/", ARTICLE_PATH)]
    return first, second, {u.removeprefix(origin) for u in stored}


@pytest.mark.parametrize("robots, home_extra, where", [
    ("Sitemap: {origin}/maps/news.xml\n", "", "/maps/news.xml"),                 # robots.txt names it
    ("", "<a href='/maps/news.xml'>XML地图</a>", "/maps/news.xml"),              # the footer's XML 地图 link
    ("", "<link rel='sitemap' type='application/xml' href='/maps/news.xml'>", "/maps/news.xml"),
])
def test_a_named_sitemap_is_read_and_nothing_is_guessed(tmp_path, robots, home_extra, where):
    route, origin = _site(home_extra=home_extra, sitemaps=(where,))

    def with_origin(path: str):
        if path == "/robots.txt":
            return 200, {}, "User-agent: *\nAllow: /\n" + robots.format(origin=origin[0])
        return route(path)
    first, second, stored = _sitemap_requests(tmp_path, with_origin, origin)
    assert first == [where]                       # no /sitemap.xml, /sitemap_index.xml, … guesses
    assert second == [where]                      # a hub: re-read every run, still no guess
    assert stored == {ARTICLE_PATH}


def test_without_a_named_sitemap_two_usual_places_are_tried_and_misses_are_not_asked_again(tmp_path):
    route, origin = _site()
    first, second, stored = _sitemap_requests(tmp_path, route, origin)
    assert first == ["/sitemap.xml", "/sitemap_index.xml"]
    assert second == []
    assert stored == {ARTICLE_PATH}


def test_guessing_stops_at_the_first_location_that_answers(tmp_path):
    route, origin = _site(sitemaps=("/sitemap.xml",))
    first, second, _ = _sitemap_requests(tmp_path, route, origin)
    assert first == ["/sitemap.xml"]
    assert second == ["/sitemap.xml"]
