"""Fetcher behaviour against stub transports (httpx.MockTransport + stub resolver: nothing leaves
the process) and, where the real socket path matters, against servers on 127.0.0.1/127.0.0.2."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import ssl
import threading
from functools import partial
from urllib.parse import quote
import time
from collections import Counter
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import trustme

from scraper.fetch import Fetcher, FetchResult, HostPacing, exchange, remote_exchange
from scraper.settings import Settings
from scraper.urls import Scope, canonicalize
from scraper.workers import WorkerPool

FAST = Settings(delay=0.0, timeout=2.0, backoff_base=0.001, backoff_max=0.05, max_retries=2,
                max_redirects=3, max_bytes=1000)
SITE = "http://example.cn"


def run(coro):
    return asyncio.run(coro)


class Site:
    """A stub site for MockTransport: routes by path, records every request it receives."""

    def __init__(self, routes: dict, robots: str | int = 404):
        self.routes = {"/robots.txt": robots, **routes}
        self.requests: list[httpx.Request] = []

    @property
    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get(request.url.path, 404)
        if callable(route):
            route = route(request)
            if asyncio.iscoroutine(route):
                route = await route
        if isinstance(route, httpx.Response):
            return route
        if isinstance(route, int):
            return httpx.Response(route)
        return httpx.Response(200, text=route, headers={"Content-Type": "text/plain; charset=utf-8"}
                              if request.url.path == "/robots.txt" else
                              {"Content-Type": "text/html; charset=GBK"})


async def no_dns(host: str) -> list[str]:
    raise AssertionError(f"resolver must not be asked about {host}")


def fetcher(site: Site, settings: Settings = FAST, scope: Scope | None = None, resolver=no_dns,
            pacing: HostPacing | None = None):
    return Fetcher(settings, scope or Scope([SITE + "/"]), transport=httpx.MockTransport(site),
                   resolver=resolver, pacing=pacing)


async def fetch(site: Site, url: str, settings: Settings = FAST, **kw) -> FetchResult:
    async with fetcher(site, settings) as f:
        return await f.fetch(url, **kw)


def sequence(*responses):
    """A route answering with each response in turn (then repeating the last)."""
    queue = list(responses)

    def route(request):
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item if isinstance(item, httpx.Response) else httpx.Response(item)

    return route


# ------------------------------------------------------------------------------ happy path

def test_page_ok_headers_and_user_agent():
    site = Site({"/a.htm": lambda r: httpx.Response(
        200, content="新闻".encode("gbk"),
        headers={"Content-Type": 'text/HTML; charset="GBK"', "ETag": '"v1"',
                 "Last-Modified": "Wed, 01 Nov 2023 00:00:00 GMT"})})
    result = run(fetch(site, SITE + "/a.htm"))
    assert result.ok and result.reason is None and result.status == 200
    assert result.content.decode("gbk") == "新闻"
    assert (result.content_type, result.charset) == ("text/html", "gbk")
    assert result.headers["etag"] == '"v1"' and "last-modified" in result.headers
    assert result.final_url == SITE + "/a.htm" and result.redirects == [] and result.attempts == 1
    assert site.paths == ["/robots.txt", "/a.htm"]
    assert all(r.headers["user-agent"] == FAST.user_agent for r in site.requests)


def test_robots_fetched_once_per_origin_even_concurrently():
    site = Site({f"/{i}.htm": "<p>x</p>" for i in range(10)})

    async def main():
        async with fetcher(site) as f:
            results = await asyncio.gather(*(f.fetch(f"{SITE}/{i}.htm") for i in range(10)))
            return results, f.stats

    results, stats = run(main())
    assert all(r.ok for r in results)
    assert site.paths.count("/robots.txt") == 1
    assert stats["ok"] == 10 and stats["http-404"] == 1 and stats["requests"] == 11


# ------------------------------------------------------------------------------- robots

def test_robots_disallow_makes_no_request():
    site = Site({"/private/a.htm": "secret", "/a.htm": "<p>"},
                robots="User-agent: *\nDisallow: /private/\n")
    async def main():
        async with fetcher(site) as f:
            return await f.fetch(SITE + "/private/a.htm"), await f.fetch(SITE + "/a.htm")
    blocked, allowed = run(main())
    assert blocked.reason == "robots" and blocked.status is None and blocked.content is None
    assert allowed.ok
    assert "/private/a.htm" not in site.paths


@pytest.mark.parametrize("robots_route, page_allowed", [
    (404, True), (403, True), (503, False), (httpx.ConnectError("refused"), False),
])
def test_robots_status_decides(robots_route, page_allowed):
    route = sequence(robots_route) if isinstance(robots_route, Exception) else robots_route
    site = Site({"/a.htm": "<p>"}, robots=route)
    result = run(fetch(site, SITE + "/a.htm"))
    assert result.ok is page_allowed
    assert ("/a.htm" in site.paths) is page_allowed
    if not page_allowed:
        assert result.reason == "robots-unreachable"   # disallowed for now, retried next run


def test_cancelled_caller_does_not_cancel_the_shared_robots_fetch():
    release = asyncio.Event()
    async def held_robots(request):
        await release.wait()
        return httpx.Response(404)
    site = Site({"/a.htm": "<p>", "/b.htm": "<p>"}, robots=held_robots)
    async def main():
        async with fetcher(site) as f:
            first = asyncio.ensure_future(f.fetch(SITE + "/a.htm"))
            second = asyncio.ensure_future(f.fetch(SITE + "/b.htm"))
            while not site.requests:          # both now wait on the one robots.txt request
                await asyncio.sleep(0)
            first.cancel()
            release.set()
            return await second
    assert run(main()).ok
    assert site.paths == ["/robots.txt", "/b.htm"]


def test_respect_robots_off_skips_robots_txt():
    site = Site({"/a.htm": "<p>"}, robots="User-agent: *\nDisallow: /\n")
    result = run(fetch(site, SITE + "/a.htm", FAST.with_overrides(respect_robots=False)))
    assert result.ok and site.paths == ["/a.htm"]


def test_robots_object_exposes_sitemaps_and_is_itself_unchecked():
    site = Site({}, robots="User-agent: *\nDisallow: /\nSitemap: http://example.cn/sm.xml\n")
    async def main():
        async with fetcher(site) as f:
            return await f.robots(SITE + "/any/page.htm")
    robots = run(main())
    assert robots.sitemaps == ["http://example.cn/sm.xml"]
    assert site.paths == ["/robots.txt"]


@pytest.mark.parametrize("delay, crawl_delay", [(0.0, 0.05), (0.05, 0.0), (0.05, 0.01)])
def test_request_starts_spaced_by_larger_of_delay_and_crawl_delay(delay, crawl_delay):
    starts = []
    def page(request):
        starts.append(time.monotonic())
        return httpx.Response(200, text="<p>", headers={"Content-Type": "text/html"})
    site = Site({"/a.htm": page, "/b.htm": page, "/c.htm": page},
                robots=f"User-agent: *\nCrawl-delay: {crawl_delay}\n")
    settings = FAST.with_overrides(delay=delay, per_host_concurrency=3)
    async def main():
        async with fetcher(site, settings) as f:
            await f.robots(SITE + "/")
            await asyncio.gather(*(f.fetch(f"{SITE}/{p}.htm") for p in "abc"))
    run(main())
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    # Pacing is from each slot's scheduled start, so a handler that runs late on a loaded machine
    # shortens one gap but never the span; the span and a floor per gap show requests were spaced.
    assert len(gaps) == 2 and sum(gaps) >= 0.09 and min(gaps) >= 0.025


# ------------------------------------------------------------------------------ politeness

def _in_flight_site(hosts_seen: Counter, peak: dict):
    async def slow(request):
        host = request.headers["host"]
        hosts_seen[host] += 1
        peak["total"] = max(peak.get("total", 0), sum(hosts_seen.values()))
        peak[host] = max(peak.get(host, 0), hosts_seen[host])
        await asyncio.sleep(0.01)
        hosts_seen[host] -= 1
        return httpx.Response(200, text="<p>", headers={"Content-Type": "text/html"})
    return Site({f"/{i}.htm": slow for i in range(8)})


def test_per_host_concurrency_limit():
    in_flight, peak = Counter(), {}
    site = _in_flight_site(in_flight, peak)
    settings = FAST.with_overrides(per_host_concurrency=2)
    async def main():
        async with fetcher(site, settings) as f:
            return await asyncio.gather(*(f.fetch(f"{SITE}/{i}.htm") for i in range(8)))
    assert all(r.ok for r in run(main()))
    assert peak["example.cn"] == 2


def test_global_concurrency_limit_across_hosts():
    in_flight, peak = Counter(), {}
    site = _in_flight_site(in_flight, peak)
    settings = FAST.with_overrides(per_host_concurrency=4)
    scope = Scope([SITE + "/", "http://b.example.cn/"])
    async def main():
        async with fetcher(site, settings, scope, pacing=HostPacing(concurrency=3)) as f:
            return await asyncio.gather(*(f.fetch(f"{base}/{i}.htm")
                                          for base in (SITE, "http://b.example.cn") for i in range(8)))
    assert all(r.ok for r in run(main()))
    assert peak["total"] == 3


def test_fetchers_sharing_pacing_share_the_host_limit():
    in_flight, peak = Counter(), {}
    site = _in_flight_site(in_flight, peak)
    settings = FAST.with_overrides(per_host_concurrency=1)
    pacing = HostPacing()
    async def main():
        fetchers = [Fetcher(settings, Scope([SITE + "/"]), transport=httpx.MockTransport(site),
                            resolver=no_dns, pacing=pacing) for _ in range(2)]
        results = await asyncio.gather(*(f.fetch(f"{SITE}/{i}.htm")
                                         for f in fetchers for i in range(4)))
        for f in fetchers:
            await f.aclose()
        return results
    assert all(r.ok for r in run(main()))
    assert peak["example.cn"] == 1


# ------------------------------------------------------------------------- scope and address

def test_off_scope_url_makes_no_request():
    site = Site({"/a.htm": "<p>"})
    result = run(fetch(site, "http://elsewhere.cn/a.htm"))
    assert result.reason == "off-scope" and result.attempts == 0 and site.requests == []


def test_redirect_off_scope_stops_before_the_hop():
    site = Site({"/go": httpx.Response(302, headers={"Location": "http://elsewhere.cn/x"})})
    result = run(fetch(site, SITE + "/go"))
    assert result.reason == "off-scope" and result.status == 302
    assert result.redirects == ["http://elsewhere.cn/x"] and result.final_url == "http://elsewhere.cn/x"
    assert all(r.headers["host"] == "example.cn" for r in site.requests)


def test_deny_pattern_applies_but_not_to_robots_txt():
    site = Site({"/a.htm": "<p>"}, robots="User-agent: *\nDisallow:\n")
    scope = Scope([SITE + "/"], allow_patterns=[r"\.htm$"], deny_patterns=[r"/search"])
    async def main():
        async with fetcher(site, scope=scope) as f:
            return await f.fetch(SITE + "/a.htm"), await f.fetch(SITE + "/search.htm")
    ok, denied = run(main())
    assert ok.ok and denied.reason == "off-scope"
    assert site.paths == ["/robots.txt", "/a.htm"]


def _resolver(table: dict[str, list[str]], asked: list[str]):
    async def resolve(host: str) -> list[str]:
        asked.append(host)
        return table[host]
    return resolve


@pytest.mark.parametrize("addresses", [
    ["10.0.0.7"], ["169.254.169.254"], ["93.184.216.34", "192.168.1.1"], ["::1"], [],
])
def test_non_public_address_of_unnamed_host_is_refused_before_connecting(addresses):
    site = Site({"/a.htm": "<p>"})
    asked: list[str] = []
    resolver = _resolver({"www.example.cn": addresses}, asked)
    async def main():
        async with fetcher(site, resolver=resolver) as f:   # www. twin: in scope, not named
            return [await f.fetch(f"http://www.example.cn/{p}.htm") for p in "ab"], f.stats
    (a, b), stats = run(main())
    assert a.reason == b.reason == "forbidden-address" and a.attempts == 0
    assert site.requests == [] and stats["requests"] == 0
    assert asked == ["www.example.cn"]                     # the verdict is cached per host


def test_public_host_is_pinned_to_the_checked_address():
    site = Site({"/a.htm": "<p>"})
    resolver = _resolver({"www.example.cn": ["93.184.216.34"]}, [])
    async def main():
        async with fetcher(site, resolver=resolver) as f:
            return await f.fetch("http://www.example.cn/a.htm")
    assert run(main()).ok
    last = site.requests[-1]
    assert last.url.host == "93.184.216.34" and last.headers["host"] == "www.example.cn"
    assert last.extensions["sni_hostname"] == "www.example.cn"


def test_a_cookie_of_a_pinned_host_goes_back_to_that_host():
    """Cookies belong to the host as the site names it, not to the address it is pinned to:
    a WAF's cookie-and-redirect on a public site is passed."""
    def waf(request):
        if "waf=1" in request.headers.get("cookie", ""):
            return httpx.Response(200, text="<p>", headers={"Content-Type": "text/html"})
        return httpx.Response(302, headers={"Location": "/a.htm", "Set-Cookie": "waf=1; Path=/"})
    site = Site({"/a.htm": waf})
    resolver = _resolver({"www.example.cn": ["93.184.216.34"]}, [])
    async def main():
        async with fetcher(site, resolver=resolver) as f:
            return await f.fetch("http://www.example.cn/a.htm")
    assert run(main()).ok
    assert site.requests[-1].url.host == "93.184.216.34"


def test_private_ip_literal_refused_unless_named():
    site = Site({"/a.htm": "<p>"})
    scope = Scope(["http://192.168.1.10/"], allow_hosts=["*.example.cn"])
    resolver = _resolver({"intranet.example.cn": ["172.16.0.5"]}, [])
    async def main():
        async with fetcher(site, FAST.with_overrides(respect_robots=False), scope, resolver) as f:
            return (await f.fetch("http://192.168.1.10/a.htm"),
                    await f.fetch("http://intranet.example.cn/a.htm"))
    named, unnamed = run(main())
    assert named.ok                                       # the user named this host
    assert unnamed.reason == "forbidden-address"
    assert [r.url.host for r in site.requests] == ["192.168.1.10"]


async def _dns_down(host):
    raise OSError("Name or service not known")


async def _dns_hangs(host):
    await asyncio.sleep(30)


async def _dns_bad_name(host):
    raise UnicodeError("label too long")


@pytest.mark.parametrize("resolver, reason, attempts", [
    (_dns_down, "connect-error", FAST.max_retries + 1),
    (_dns_hangs, "timeout", FAST.max_timeouts),   # the URL's time budget, not all its retries
    (_dns_bad_name, "bad-url", 1),
])
def test_dns_trouble_is_a_reason_not_an_exception(resolver, reason, attempts):
    site = Site({"/a.htm": "<p>"})
    settings = FAST.with_overrides(respect_robots=False, timeout=0.02)
    async def main():
        async with fetcher(site, settings, resolver=resolver) as f:
            return await f.fetch("http://www.example.cn/a.htm")
    result = run(main())
    assert result.reason == reason and result.attempts == attempts and site.requests == []


# ---------------------------------------------------------------------------------- redirects

def _redirect(to: str, status: int = 301):
    return httpx.Response(status, headers={"Location": to})


def test_redirect_chain_followed_and_each_hop_robots_checked():
    site = Site({"/a": _redirect("/b"), "/b": _redirect(SITE + "/c#frag", 302),
                 "/c": "<p>done</p>", "/d": _redirect("/private/x", 307)},
                robots="User-agent: *\nDisallow: /private/\n")
    async def main():
        async with fetcher(site) as f:
            return await f.fetch(SITE + "/a"), await f.fetch(SITE + "/d")
    ok, blocked = run(main())
    assert ok.ok and ok.final_url == SITE + "/c" and ok.redirects == [SITE + "/b", SITE + "/c"]
    assert ok.content == b"<p>done</p>"
    assert blocked.reason == "robots" and "/private/x" not in site.paths


def test_redirect_back_after_set_cookie_is_followed_once():
    def waf(request):
        if "waf=1" in request.headers.get("cookie", ""):
            return httpx.Response(200, text="<p>", headers={"Content-Type": "text/html"})
        return httpx.Response(302, headers={"Location": "/a", "Set-Cookie": "waf=1; Path=/"})
    cookie_loop = httpx.Response(302, headers={"Location": "/b", "Set-Cookie": "n=1; Path=/"})
    site = Site({"/a": waf, "/b": cookie_loop})
    async def main():
        async with fetcher(site) as f:
            return await f.fetch(SITE + "/a"), await f.fetch(SITE + "/b")
    passed, looping = run(main())
    assert passed.ok and passed.redirects == [SITE + "/a"]
    assert looping.reason == "redirect-loop" and looping.redirects == [SITE + "/b"]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_a_location_in_the_sites_own_encoding_is_followed_to_the_page_it_names(encoding):
    """Old IIS/ASP sites send a GBK Location: its bytes go back escaped, not as mojibake."""
    target = "/新闻/show.asp?lb=学校"
    escaped = quote(target.encode(encoding), safe="/?=")      # /%D0%C2%CE%C5/show.asp?lb=%D1%A7%D0%A3 in GBK
    moved = httpx.Response(302, headers=[(b"Location", target.encode(encoding))])
    site = Site({"/a.htm": moved})
    async def main():
        async with fetcher(site) as f:
            return await f.fetch(SITE + "/a.htm")
    result = run(main())
    asked = site.requests[-1].url
    assert asked.raw_path.decode("ascii") == escaped    # what the server receives
    assert canonicalize(result.redirects[0]) == canonicalize(SITE + escaped)


@pytest.mark.parametrize("routes, reason", [
    ({"/a": _redirect("/b"), "/b": _redirect("/a")}, "redirect-loop"),
    ({"/a": _redirect("/a")}, "redirect-loop"),
    ({f"/{i}": _redirect(f"/{i + 1}") for i in range(10)} | {"/a": _redirect("/0")},
     "too-many-redirects"),
    ({"/a": httpx.Response(302)}, "http-302"),
])
def test_redirect_failures(routes, reason):
    site = Site(routes)
    result = run(fetch(site, SITE + "/a"))
    assert result.reason == reason and result.content is None
    assert len(result.redirects) <= FAST.max_redirects


# ---------------------------------------------------------------------------------- retries

def test_retries_5xx_then_succeeds():
    site = Site({"/a.htm": sequence(503, 502, httpx.Response(200, text="<p>",
                                                             headers={"Content-Type": "text/html"}))})
    async def main():
        async with fetcher(site) as f:
            return await f.fetch(SITE + "/a.htm"), f.stats
    result, stats = run(main())
    assert result.ok and result.attempts == 3 and stats["retries"] == 2


@pytest.mark.parametrize("route, reason, attempts", [
    (500, "http-500", FAST.max_retries + 1),
    (httpx.ReadTimeout("slow"), "timeout", FAST.max_timeouts),
    (httpx.ConnectError("refused"), "connect-error", FAST.max_retries + 1),
    (httpx.RemoteProtocolError("server hung up"), "connect-error", FAST.max_retries + 1),
])
def test_retries_exhausted(route, reason, attempts):
    site = Site({"/a.htm": sequence(route)})
    result = run(fetch(site, SITE + "/a.htm"))
    assert result.reason == reason and result.attempts == attempts
    assert result.content is None
    assert site.paths.count("/a.htm") == attempts


def test_dead_host_fails_fast_after_repeated_failures():
    site = Site({f"/{i}.htm": sequence(httpx.ConnectError("refused")) for i in range(10)})
    async def main():
        async with fetcher(site) as f:
            return [await f.fetch(f"{SITE}/{i}.htm") for i in range(10)], f.stats
    results, stats = run(main())
    attempts = FAST.max_retries + 1
    # robots.txt answered, then 10 failed attempts in a row mark the host down
    assert [r.reason for r in results[:4]] == ["connect-error"] * 3 + ["host-down"]
    assert results[3].attempts == 10 - 3 * attempts
    assert all(r.reason == "host-down" and r.attempts == 0 for r in results[4:])
    assert stats["requests"] == 1 + 10


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_no_retry_on_other_4xx(status):
    site = Site({"/a.htm": status})
    result = run(fetch(site, SITE + "/a.htm"))
    assert result.reason == f"http-{status}" and result.attempts == 1 and result.status == status


@pytest.mark.parametrize("retry_after", ["0", "Wed, 21 Oct 2015 07:28:00 GMT", "soon"])
def test_retry_after_honoured_when_short(retry_after):
    ok = httpx.Response(200, text="<p>", headers={"Content-Type": "text/html"})
    site = Site({"/a.htm": sequence(httpx.Response(429, headers={"Retry-After": retry_after}), ok)})
    result = run(fetch(site, SITE + "/a.htm"))
    assert result.ok and result.attempts == 2


@pytest.mark.parametrize("retry_after", ["3600", "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_retry_after_too_long_gives_up_on_the_host_for_this_run(retry_after):
    site = Site({"/a.htm": httpx.Response(503, headers={"Retry-After": retry_after}), "/b.htm": "<p>"})
    async def main():
        async with fetcher(site) as f:
            return await f.fetch(SITE + "/a.htm"), await f.fetch(SITE + "/b.htm")
    asked_to_wait, later = run(main())
    assert asked_to_wait.reason == "http-503" and asked_to_wait.attempts == 1
    assert later.reason == "host-down" and "/b.htm" not in site.paths


def test_requests_waiting_for_the_slot_are_not_sent_once_the_host_asked_for_a_long_pause():
    async def busy(request):
        await asyncio.sleep(0.05)     # the others are queued for the slot meanwhile
        return httpx.Response(429, headers={"Retry-After": "86400"})
    site = Site({"/a.htm": busy, **{f"/{i}.htm": "<p>" for i in range(3)}})
    async def main():
        async with fetcher(site) as f:
            await f.robots(SITE + "/")
            return await asyncio.gather(f.fetch(SITE + "/a.htm"), *(f.fetch(f"{SITE}/{i}.htm") for i in range(3)))
    asked, *waiting = run(main())
    assert asked.reason == "http-429"
    assert all(r.reason == "host-down" and r.attempts == 0 for r in waiting)
    assert site.paths == ["/robots.txt", "/a.htm"]


# ------------------------------------------------------------------- size, type, conditional

class _Body(httpx.AsyncByteStream):
    """A streamed body that remembers whether anyone read it."""

    def __init__(self, chunks: list[bytes]):
        self.chunks, self.read = chunks, False

    async def __aiter__(self):
        self.read = True
        for chunk in self.chunks:
            yield chunk


def test_declared_length_over_cap_is_not_read():
    body = _Body([b"x" * 5000])
    site = Site({"/big.htm": lambda r: httpx.Response(
        200, headers={"Content-Type": "text/html", "Content-Length": "5000"}, stream=body)})
    result = run(fetch(site, SITE + "/big.htm"))
    assert result.reason == "too-large" and result.content is None and not body.read


def test_streamed_body_cut_at_cap():
    body = _Body([b"x" * 400] * 10)   # no Content-Length
    site = Site({"/big.htm": lambda r: httpx.Response(200, headers={"Content-Type": "text/html"},
                                                      stream=body)})
    result = run(fetch(site, SITE + "/big.htm"))
    assert result.reason == "too-large" and result.content is None and body.read


@pytest.mark.parametrize("expect, content_type, reason", [
    ("page", "application/pdf", "not-html"),
    ("page", "image/jpeg", "not-html"),
    ("page", "application/xhtml+xml", None),
    ("page", None, None),
    ("sitemap", "application/x-gzip", None),
    ("sitemap", "application/rss+xml; charset=utf-8", None),
    ("sitemap", "text/html", None),
    ("sitemap", "image/png", "not-xml"),
    ("attachment", "application/pdf", None),
])
def test_content_type_per_expectation(expect, content_type, reason):
    body = _Body([b"data"])
    headers = {"Content-Type": content_type} if content_type else {}
    site = Site({"/f": lambda r: httpx.Response(200, headers=headers, stream=body)})
    result = run(fetch(site, SITE + "/f", expect=expect))
    assert result.reason == reason
    assert body.read is (reason is None)
    assert (result.content == b"data") is (reason is None)


def test_corrupt_compressed_body_is_bad_encoding():
    site = Site({"/a.htm": lambda r: httpx.Response(
        200, stream=_Body([b"this is not gzip"]),
        headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})})
    result = run(fetch(site, SITE + "/a.htm"))
    assert result.reason == "bad-encoding" and result.content is None and result.attempts == 1


def test_conditional_get_and_304():
    def page(request):
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return httpx.Response(200, text="<p>", headers={"Content-Type": "text/html", "ETag": '"v1"'})
    site = Site({"/sitemap.xml": page})
    result = run(fetch(site, SITE + "/sitemap.xml", expect="sitemap", etag='"v1"',
                       last_modified="Wed, 01 Nov 2023 00:00:00 GMT"))
    assert result.not_modified and result.reason == "not-modified" and result.status == 304
    assert result.content is None and not result.ok
    sent = site.requests[-1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"].startswith("Wed, 01 Nov")
    assert "if-none-match" not in site.requests[0].headers     # not on robots.txt


@pytest.mark.parametrize("url", ["http://example.cn:99999/a", "http://[::1/a", "ftp://example.cn/a"])
def test_malformed_url_is_a_reason(url):
    site = Site({})
    result = run(fetch(site, url))
    assert result.reason == "bad-url" and site.requests == []


def test_redirect_to_non_http_is_a_reason():
    site = Site({"/a": httpx.Response(302, headers={"Location": "mailto:editor@example.cn"})})
    result = run(fetch(site, SITE + "/a"))
    assert result.reason == "bad-url" and site.paths == ["/robots.txt", "/a"]


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        run(fetch(Site({}), SITE + "/", expect="video"))


# --------------------------------------------------------------------- real loopback sockets

class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.paths.append(self.path)
        if self.path == "/slow.htm":
            time.sleep(0.3)
        if self.path in self.server.drips:
            self._drip()
            return
        if self.path == "/away":
            self.send_response(302)
            self.send_header("Location", self.server.away)
            self.end_headers()
            return
        if self.path.startswith("/robots.txt"):
            self.send_response(404)
            self.end_headers()
            return
        if self.path.startswith("/waf/") and "waf=" + self.path not in self.headers.get("Cookie", ""):
            self.send_response(302)      # a WAF: first a cookie for this page, and the page again
            self.send_header("Set-Cookie", f"waf={self.path}; Path=/")
            self.send_header("Set-Cookie", "lang=zh; Path=/; Expires=Wed, 01 Jan 2031 00:00:00 GMT")
            self.send_header("Location", self.path)
            self.end_headers()
            return
        body = "<html><body>正文</body></html>".encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


    def _drip(self):
        """Headers at once, then one byte every 20 ms of a body that never ends (until the
        client hangs up, or 30 s pass)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()             # no length: the body ends when the connection does
        for _ in range(1500):
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(0.02)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass   # the client timed out and hung up mid-reply: expected here


@contextmanager
def serve(host: str, tls: bool = False):
    """A loopback site; `tls`: over HTTPS, with a certificate of a CA the client does not know
    (as a site sending an incomplete chain is, to anything but a browser)."""
    server = _Server((host, 0), _Handler)
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        trustme.CA().issue_cert(host).configure_cert(context)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.paths, server.away, server.drips = [], "", {"/drip.htm"}
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server, f"{'https' if tls else 'http'}://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_loopback_page_timeout_refused_port_and_off_site_redirect():
    settings = FAST.with_overrides(timeout=0.1, max_retries=1)
    with serve("127.0.0.1") as (home, base), serve("127.0.0.2") as (other, other_base):
        home.away = other_base + "/x.htm"
        closed = _Server(("127.0.0.1", 0), _Handler)
        closed_port = closed.server_address[1]
        closed.server_close()              # nothing listens there any more

        async def main():
            async with Fetcher(settings, Scope([base + "/", f"http://127.0.0.1:{closed_port}/"])) as f:
                return await asyncio.gather(
                    f.fetch(base + "/a.htm"), f.fetch(base + "/slow.htm"),
                    f.fetch(base + "/away"), f.fetch(f"http://127.0.0.1:{closed_port}/a.htm"),
                    f.fetch(f"http://127.0.0.1:{closed_port}/robots.txt", expect="robots"))
        page, slow, away, refused, refused_robots = run(main())
    assert page.ok and page.content.decode() == "<html><body>正文</body></html>"
    assert slow.reason == "timeout" and slow.attempts == 2
    assert away.reason == "off-scope" and away.redirects == [other_base + "/x.htm"]
    assert refused.reason == "robots-unreachable"   # its robots.txt was unreachable: disallow all
    assert refused_robots.reason == "connect-error" and refused_robots.attempts == 2
    assert other.paths == []               # 127.0.0.2 never received a request


@pytest.mark.parametrize("in_worker", [False, True])
def test_a_drip_ends_at_the_deadline_not_retried_while_other_hosts_go_on(in_worker):
    """A body sent a byte at a time never trips a per-read timeout; the whole exchange has a
    deadline, the URL is not asked again this run, and another host is served meanwhile."""
    settings = FAST.with_overrides(timeout=0.5, max_retries=3)
    with serve("127.0.0.1") as (home, base), serve("127.0.0.2") as (other, other_base):
        async def main():
            async with WorkerPool({"exchange": remote_exchange}, 1 if in_worker else 0) as pool:
                exchanger = partial(pool.stream, "exchange") if in_worker else None
                if in_worker:   # a freshly spawned worker on a busy machine can take longer than the timeout
                    async for _ in pool.stream("exchange", "GET", other_base + "/warm.htm", [], {}, "page", 1000,
                                               time.monotonic() + 60):
                        pass
                async with Fetcher(settings, Scope([base + "/", other_base + "/"]), exchanger=exchanger) as f:
                    drip = asyncio.ensure_future(f.fetch(base + "/drip.htm"))
                    others = [await f.fetch(f"{other_base}/{i}.htm") for i in range(3)]
                    return await drip, others
        drip, others = run(main())
    assert drip.reason == "slow-body" and drip.status == 200 and drip.content is None
    assert drip.attempts == 1 and home.paths.count("/drip.htm") == 1
    assert drip.elapsed < 10 * settings.timeout      # bounded by the deadline, not by the body
    assert all(r.ok for r in others)


@pytest.mark.parametrize("in_worker", [False, True])
def test_a_cookie_set_with_a_redirect_back_is_sent_with_the_next_request(in_worker):
    """WAFs in front of many gov/university sites answer a first visit with a cookie and a
    redirect to the same URL: the cookie goes with the request that follows, whichever process
    made the exchange that set it (a worker's answers are the crawler's to keep)."""
    with serve("127.0.0.1") as (home, base):
        async def main():
            async with WorkerPool({"exchange": remote_exchange}, 1 if in_worker else 0) as pool:
                exchanger = partial(pool.stream, "exchange") if in_worker else None
                async with Fetcher(FAST, Scope([base + "/"]), exchanger=exchanger) as f:
                    return await f.fetch(base + "/waf/a.htm"), await f.fetch(base + "/waf/b.htm")
        first, second = run(main())
    assert first.ok and first.redirects == [base + "/waf/a.htm"]
    assert second.ok and second.redirects == [base + "/waf/b.htm"]
    assert home.paths == ["/robots.txt", "/waf/a.htm", "/waf/a.htm", "/waf/b.htm", "/waf/b.htm"]


@pytest.mark.parametrize("in_worker", [False, True])
def test_a_certificate_that_does_not_verify_fails_with_advice_unless_verify_tls_is_off(in_worker):
    with serve("127.0.0.1", tls=True) as (home, base):
        async def main(settings):
            async with WorkerPool({"exchange": remote_exchange}, 1 if in_worker else 0) as pool:
                exchanger = partial(pool.stream, "exchange") if in_worker else None
                async with Fetcher(settings, Scope([base + "/"]), exchanger=exchanger) as f:
                    return await f.fetch(base + "/a.htm", expect="robots")
        refused = run(main(FAST.with_overrides(max_retries=0)))
        assert home.paths == []
        accepted = run(main(FAST.with_overrides(verify_tls=False)))
    assert refused.reason == "connect-error" and refused.content is None
    assert refused.detail.startswith("TLS failed: certificate verify failed")
    assert "set verify_tls = false" in refused.detail
    assert accepted.ok and accepted.content == "<html><body>正文</body></html>".encode()
    assert home.paths == ["/a.htm"]


@pytest.mark.parametrize("verify", [True, False])
def test_tls_connects_where_browsers_do_to_servers_without_secure_renegotiation(verify):
    """OpenSSL 3 refuses servers that lack RFC 5746 unless told otherwise; browsers connect,
    and old government servers are often such. The choice is made before any connection."""
    from scraper.fetch import tls_context
    context = tls_context(verify)
    assert context.options & getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert (context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname) is verify


def _describe(content: bytes, *, url: str, http_charset: str | None) -> tuple[str, str, str | None]:
    """A `then` for the test below (module-level, so a spawned worker imports it by name)."""
    if url.endswith("/broken.htm"):
        raise ValueError("a processing bug")
    return content.decode(http_charset or "utf-8"), url, http_charset


@pytest.mark.parametrize("in_worker", [False, True])
def test_then_processes_a_page_in_the_worker_that_received_it(in_worker):
    """`fetch(then=…)`: the worker that received the body processes it and sends back only the
    result (the body crosses between processes once); in this process, or when `then` fails in
    the worker, the body comes back as usual for the caller to process."""
    with serve("127.0.0.1") as (home, base):
        home.away = base + "/a.htm"       # /away redirects: `then` sees the final URL

        async def main():
            async with WorkerPool({"exchange": remote_exchange}, 1 if in_worker else 0) as pool:
                exchanger = partial(pool.stream, "exchange") if in_worker else None
                async with Fetcher(FAST, Scope([base + "/"]), exchanger=exchanger) as f:
                    return (await f.fetch(base + "/away", then=_describe),
                            await f.fetch(base + "/broken.htm", then=_describe))
        page, broken = run(main())
    body = "<html><body>正文</body></html>"
    assert page.ok and page.final_url == base + "/a.htm" and page.size == len(body.encode())
    if in_worker:
        assert page.content is None and page.processed == (body, base + "/a.htm", "utf-8")
    else:
        assert page.processed is None and page.content == body.encode()
    assert broken.ok and broken.processed is None and broken.content == body.encode()   # `then` failed


def _slow_first(content: bytes, *, url: str, http_charset: str | None, marker: str) -> str:
    """A `then` (module-level, for spawned workers) that holds /a.htm until `marker` exists
    (at most 10 s), and dies on /crash.htm the way a parser crashing on a page would."""
    if url.endswith("/crash.htm") and multiprocessing.parent_process() is not None:
        os._exit(1)
    if url.endswith("/a.htm"):
        deadline = time.monotonic() + 10
        while not os.path.exists(marker) and time.monotonic() < deadline:
            time.sleep(0.01)
        return "held until the next request came" if os.path.exists(marker) else "no next request came"
    return "quick"


async def _requested(server, path: str) -> None:
    """Return once `server` has received a request for `path` (at most 10 s)."""
    async def seen() -> None:
        while path not in server.paths:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(seen(), 10)


def test_the_hosts_request_slot_is_free_while_a_worker_processes_the_page(tmp_path):
    """One request at a time per host (the default) limits requests in flight, not our parsing:
    the next request to the host goes out while a worker still processes the page before it."""
    marker = tmp_path / "next-request-seen"
    with serve("127.0.0.1") as (home, base):
        async def main():
            async with WorkerPool({"exchange": remote_exchange}, 2) as pool:
                async with Fetcher(FAST.with_overrides(per_host_concurrency=1), Scope([base + "/"]),
                                   exchanger=partial(pool.stream, "exchange")) as f:
                    then = partial(_slow_first, marker=str(marker))
                    first = asyncio.ensure_future(f.fetch(base + "/a.htm", then=then))
                    await _requested(home, "/a.htm")
                    second = asyncio.ensure_future(f.fetch(base + "/b.htm", then=then))
                    await _requested(home, "/b.htm")
                    marker.touch()
                    return await first, await second
        first, second = run(main())
    assert first.ok and first.processed == "held until the next request came"
    assert second.ok and second.processed == "quick"


def test_while_every_worker_parses_the_next_request_is_made_in_process(tmp_path):
    """With its only worker parsing a page (and nothing else to do), the next request is made
    in this process rather than queued behind the parsing; its body comes back for the caller
    to process."""
    marker = tmp_path / "next-request-seen"
    with serve("127.0.0.1") as (home, base):
        async def main():
            async with WorkerPool({"exchange": remote_exchange}, 1) as pool:
                async with Fetcher(FAST.with_overrides(per_host_concurrency=1), Scope([base + "/"]),
                                   exchanger=partial(pool.stream, "exchange"),
                                   exchange_here=pool.computing_only) as f:
                    then = partial(_slow_first, marker=str(marker))
                    assert not pool.computing_only()            # idle: not computing
                    first = asyncio.ensure_future(f.fetch(base + "/a.htm", then=then))
                    await _requested(home, "/a.htm")
                    while not pool.computing_only():            # until its worker parses /a.htm
                        await asyncio.sleep(0.01)
                    second = await f.fetch(base + "/b.htm", then=then)
                    marker.touch()
                    return await first, second
        first, second = run(main())
    assert first.ok and first.processed == "held until the next request came"
    assert second.ok and second.processed is None and second.content is not None


def test_a_worker_dying_over_a_page_fails_that_page_without_asking_again(tmp_path):
    """A page whose processing kills the worker (a parser crash) is an extraction error; it is
    not requested again (it would kill the next process too), and fetching goes on."""
    with serve("127.0.0.1") as (home, base):
        async def main():
            async with WorkerPool({"exchange": remote_exchange}, 1) as pool:
                async with Fetcher(FAST, Scope([base + "/"]), exchanger=partial(pool.stream, "exchange")) as f:
                    then = partial(_slow_first, marker=str(tmp_path / "unused"))
                    return await f.fetch(base + "/crash.htm", then=then), await f.fetch(base + "/b.htm", then=then)
        crashed, after = run(main())
    assert crashed.reason == "extract-error" and not crashed.ok and "worker" in crashed.detail
    assert home.paths.count("/crash.htm") == 1
    assert after.ok and after.processed == "quick"     # the worker is gone: the next page is done in process


def test_a_url_that_keeps_timing_out_spends_its_budget_then_waits_for_the_next_run():
    settings = FAST.with_overrides(timeout=0.1, max_retries=5, max_timeouts=2)
    with serve("127.0.0.1") as (home, base):
        async def main():
            async with Fetcher(settings, Scope([base + "/"])) as f:
                return await f.fetch(base + "/slow.htm")
        slow = run(main())
    assert slow.reason == "timeout" and slow.attempts == slow.timeouts == 2
    assert home.paths.count("/slow.htm") == 2



def test_a_dripping_robots_txt_counts_as_unreachable():
    settings = FAST.with_overrides(timeout=0.3)
    with serve("127.0.0.1") as (home, base):
        home.drips = {"/robots.txt"}
        async def main():
            async with Fetcher(settings, Scope([base + "/"])) as f:
                return await f.fetch(base + "/a.htm")
        page = run(main())
    assert page.reason == "robots-unreachable" and home.paths == ["/robots.txt"]


def test_binary_served_as_html_is_not_html():
    png = httpx.Response(200, content=b"\x89PNG\r\n\x1a\n" + bytes(range(256)), headers={"Content-Type": "text/html"})
    result = run(fetch(Site({"/a.htm": png}), SITE + "/a.htm"))
    assert result.reason == "not-html" and result.content is None


def test_pacing_is_told_of_a_send_as_the_request_leaves_not_when_its_answer_is_in():
    """Workers sharing a host read its next start from the archive: stamped only after the
    answer, a late send would let another worker start less than the delay after it."""
    events: list[tuple[str, float]] = []
    with serve("127.0.0.1") as (home, base):
        async def main():
            async with httpx.AsyncClient(trust_env=False) as client:
                request = client.build_request("GET", base + "/a.htm")
                answer = await exchange(client, request, "page", 10_000, time.monotonic() + 30,
                                        on_sent=lambda at: events.append(("sent", at)))
                events.append(("answer", time.monotonic()))
                return answer
        answer = run(main())
    assert [name for name, _ in events] == ["sent", "answer"]
    assert events[0][1] == answer.sent_at and answer.paced and answer.status == 200


def test_pacing_counts_the_requests_under_way_and_the_crawler_makes_them_itself_when_few():
    """`HostPacing.under_way` counts slots held, all hosts together, also when a request
    fails; the crawler makes a request itself when at most two are under way (latency-bound:
    a hand-over to a worker waits for it to be scheduled), else only when every worker parses."""
    from scraper.crawler import _exchange_here

    class Pool:
        computing = False

        def computing_only(self) -> bool:
            return self.computing

    async def run() -> None:
        pacing, pool = HostPacing(8), Pool()
        a, b = pacing.get("a.cn", 2), pacing.get("b.cn", 1)
        async with pacing.slot("a.cn", a, 0.0, 2):
            assert pacing.under_way == 1 and _exchange_here(pool, pacing)
            async with pacing.slot("b.cn", b, 0.0, 1):
                assert pacing.under_way == 2 and _exchange_here(pool, pacing)
                with pytest.raises(RuntimeError):
                    async with pacing.slot("a.cn", a, 0.0, 2):
                        assert pacing.under_way == 3 and not _exchange_here(pool, pacing)
                        pool.computing = True
                        assert _exchange_here(pool, pacing)
                        raise RuntimeError("the request failed")
                assert pacing.under_way == 2
        assert pacing.under_way == 0

    asyncio.run(run())
