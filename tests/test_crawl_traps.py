"""Crawler traps, redirects and site configs on small loopback sites built for each case."""
from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import trustme
from click.testing import CliRunner

from scraper.cli import main
from scraper.crawler import crawl_async
from scraper.settings import RunSettings, Settings, SiteConfig
from scraper.store import open_archive
from scraper.testsite import FixtureServer, bundled_sites

FAST = Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=0)
RUN = RunSettings(concurrency=2, extract_workers=0)
ARTICLE = ("<html><head><meta charset='utf-8'><title>{t}</title></head><body><h1>{t}</h1>"
           "<div class='info'>发布时间：2023-11-05 来源：办公室</div><div class='content'>"
           "<p>为进一步做好冬季安全生产工作，近日召开专题会议，对有关工作作出部署。会议要求各单位压实责任。</p>"
           "<p>会议强调，要加强隐患排查治理，严格落实值班值守制度，确保人民群众生命财产安全。</p>"
           "<p>会议还对下一阶段重点工作进行了安排，要求各部门密切配合、形成合力、抓好落实。</p></div></body></html>")


@contextmanager
def serve(route: Callable[[str], tuple[int, dict[str, str], str | bytes]],
          address: str = "127.0.0.1", tls: bool = False) -> Iterator[tuple[str, list[str]]]:
    """A throwaway loopback site: `route(path)` → (status, headers, html: str sent as UTF-8,
    or bytes as they are). Yields origin, request log. Another loopback `address`
    (127.0.1.x) makes it another host; `tls` serves HTTPS, with a certificate of a CA the
    client does not know (crawl it with verify_tls = false)."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            requests.append(self.path)
            status, headers, html = route(self.path)
            body = html if isinstance(html, bytes) else html.encode("utf-8")
            self.send_response(status)
            for k, v in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((address, 0), Handler)
    server.daemon_threads = True
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        trustme.CA().issue_cert(address).configure_cert(context)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://{address}:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def crawl(tmp_path, origin: str, settings: Settings = FAST, start: str = "/"):
    site = SiteConfig(name="t", start_urls=(origin + start,), settings=settings)
    with open_archive(tmp_path / "a.db") as archive:
        report = asyncio.run(crawl_async([site], archive, RUN))
        stored = {r[0] for r in archive.query("SELECT url FROM articles")}
        aliases = dict(archive.query("SELECT alias, url FROM aliases"))
    return report, stored, aliases


def trap_site(path: str) -> tuple[int, dict, str]:
    parts = urlsplit(path)
    if parts.path == "/robots.txt":
        return 404, {}, ""
    if parts.path == "/cal":            # a calendar: every day links to the next, forever
        day = int(parse_qs(parts.query).get("d", ["0"])[0])
        return 200, {}, f"<html><body><a href='/cal?d={day + 1}'>后一天</a> <a href='/cal?d={day - 1}'>前一天</a></body></html>"
    if parts.path.startswith("/s"):     # a search page whose links permute its query forever
        q = parse_qs(parts.query)
        n = int(q.get("n", ["0"])[0])
        links = "".join(f"<a href='/s?n={n + 1}&sort={k}&x{n}=1'>排序{k}</a>" for k in range(3))
        return 200, {}, f"<html><body>{links}</body></html>"
    if parts.path.startswith("/a/"):    # relative links that nest the path deeper each time
        return 200, {}, "<html><body><a href='a/b/'>更多</a> <a href='../a/'>返回</a></body></html>"
    return 200, {}, "<html><body><a href='/cal?d=1'>日历</a> <a href='/s?n=0'>搜索</a> <a href='/a/'>栏目</a></body></html>"


def test_traps_are_bounded_and_the_crawl_ends(tmp_path):
    settings = FAST.with_overrides(max_depth=8, max_query_variants=5, max_path_segments=6)
    with serve(trap_site) as (origin, requests):
        report, _, _ = crawl(tmp_path, origin, settings)
    assert report.outcome == "completed"
    assert len(requests) < 60
    assert sum(1 for r in requests if r.startswith("/cal")) <= 2 * 8   # both directions, depth 8
    assert any(k.startswith("trap:") for k in report.counts)


def test_redirects_are_followed_in_scope_and_the_old_url_kept_as_alias(tmp_path):
    def route(path: str):
        if path == "/robots.txt":
            return 200, {}, "User-agent: *\nDisallow: /private/\n"
        if path == "/":
            return 200, {}, ("<html><body><a href='/old/1.htm'>旧地址</a> <a href='/private/x.htm'>内部</a>"
                             "<a href='/away.htm'>外链跳转</a></body></html>")
        if path == "/old/1.htm":
            return 301, {"Location": "/news/2023/11/05/1.htm"}, ""
        if path == "/away.htm":
            return 302, {"Location": "http://127.0.0.2:9/elsewhere.htm"}, ""
        if path == "/news/2023/11/05/1.htm":
            return 200, {}, ARTICLE.format(t="市应急管理局部署冬季安全生产工作")
        return 404, {}, ""

    with serve(route) as (origin, requests):
        report, stored, aliases = crawl(tmp_path, origin)
    assert stored == {origin + "/news/2023/11/05/1.htm"}
    assert aliases == {origin + "/old/1.htm": origin + "/news/2023/11/05/1.htm"}
    assert "/private/x.htm" not in requests
    assert report.counts["reason:off-scope"] == 1       # the off-site hop was refused, not requested


def test_config_file_scope_and_extraction_overrides(tmp_path):
    univ = bundled_sites()["univ"]
    with FixtureServer(univ) as server:
        config = tmp_path / "sites.toml"
        config.write_text(
            "[defaults]\ndelay = 0.0\nper_host_concurrency = 4\n\n"
            f'[[site]]\nname = "univ"\nstart_urls = ["{server.origin}/"]\ndeny_patterns = ["/info/1013/"]\n'
            '[site.extract]\ntitle = "title"\n',
            encoding="utf-8",
        )
        db = tmp_path / "a.db"
        result = CliRunner().invoke(main, ["crawl", "--config", str(config), "--db", str(db)])
        assert result.exit_code == 0, result.output
        requested = [p for _, p in server.requests]
    assert not any(p.startswith("/info/1013/") for p in requested)
    with open_archive(db, readonly=True) as archive:
        rows = list(archive.query("SELECT site, title FROM articles"))
    assert rows and all(site == "univ" for site, _ in rows)
    assert all(title.endswith("-临江大学") for _, title in rows), "the <title> override wins"


def test_a_site_whose_robots_txt_is_unreachable_is_retried_next_run(tmp_path):
    robots_calls = []

    def route(path: str):
        if path == "/robots.txt":
            robots_calls.append(path)
            return (503, {}, "") if len(robots_calls) == 1 else (200, {}, "User-agent: *\nAllow: /\n")
        if path == "/":
            return 200, {}, "<html><body><a href='/news/2023/11/05/1.htm'>新闻</a></body></html>"
        if path == "/news/2023/11/05/1.htm":
            return 200, {}, ARTICLE.format(t="市应急管理局部署冬季安全生产工作")
        return 404, {}, ""

    with serve(route) as (origin, requests):
        first, stored, _ = crawl(tmp_path, origin)
        assert stored == set() and first.counts["errors"] >= 1
        assert first.counts["reason:robots-unreachable"] >= 1
        assert requests == ["/robots.txt"]            # nothing else was asked while robots.txt was down
        second, stored, _ = crawl(tmp_path, origin)
    assert stored == {origin + "/news/2023/11/05/1.htm"}


def test_one_broken_page_never_stops_the_crawl(tmp_path):
    def route(path: str):
        if path == "/robots.txt":
            return 404, {}, ""
        if path == "/":
            return 200, {}, ("<html><body><a href='/weird.htm'>怪</a> <a href='/odd.htm'>奇</a>"
                             " <a href='/news/2023/11/05/1.htm'>新闻</a></body></html>")
        if path == "/weird.htm":
            return 302, {"Location": "http://[bad/x"}, ""
        if path == "/odd.htm":
            return 200, {"Content-Type": "text/html; charset=rot13"}, ARTICLE.format(t="字符集声明有误的页面也能读")
        if path == "/news/2023/11/05/1.htm":
            return 200, {}, ARTICLE.format(t="市应急管理局部署冬季安全生产工作")
        return 404, {}, ""

    with serve(route) as (origin, _):
        report, stored, _ = crawl(tmp_path, origin)
    assert report.outcome == "completed"
    assert {origin + "/news/2023/11/05/1.htm", origin + "/odd.htm"} <= stored
    with open_archive(tmp_path / "a.db", readonly=True) as archive:
        reason = archive.query("SELECT reason FROM frontier WHERE url=?", (origin + "/weird.htm",)).first()
    assert reason == ("bad-url",)


def test_internal_errors_are_recorded_and_retried(tmp_path, monkeypatch):
    from scraper import crawler

    def explode(*args):
        raise RuntimeError("a parser bug")

    monkeypatch.setitem(crawler.WORKER_OPS, "process", explode)
    with serve(trap_site) as (origin, _):
        report, stored, _ = crawl(tmp_path, origin)
    assert report.outcome == "completed" and stored == set()
    assert report.counts["reason:internal-error"] >= 1
    with open_archive(tmp_path / "a.db", readonly=True) as archive:
        states = list(archive.query("SELECT state, reason FROM frontier WHERE kind='start'"))
    assert states == [("failed", "internal-error")]
