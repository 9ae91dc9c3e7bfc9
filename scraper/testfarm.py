"""A farm of generated news sites on loopback, one address each, with a timed request log:
what the multi-worker tests and the scale bench crawl.

Each site listens on its own 127.0.0.x address (politeness is per host, so sites on one address
would share one delay) and serves robots.txt with a Sitemap line, the sitemap, a home page
listing its articles and the articles themselves, each answer after `latency` seconds (real
news servers answer in a fraction of a second, which is what bounds one crawler's throughput).
The log keeps, per request, the host, path and the monotonic times it arrived and was
answered, so a test can check from the server's side that no host was asked more often than
its delay allows or by more clients at once than its per-host concurrency.

Stdlib asyncio in a background thread: one thread serves every site, cheaply.
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial

PARAGRAPH = ("为深入贯彻落实全国教育大会精神，学校近日召开专题会议，研究部署人才培养、科学研究和社会服务等"
             "重点工作。会议强调，要坚持立德树人根本任务，推动学科建设高质量发展。")


@dataclass(frozen=True)
class Hit:
    host: str
    path: str
    start: float       # time.monotonic() when the request line arrived
    end: float         # when the answer was written


def _article(site: int, k: int) -> str:
    body = "".join(f"<p>{PARAGRAPH}（第{site}站第{k}篇第{p}段）</p>" for p in range(1, 5))
    return (f"<html><head><meta charset='utf-8'><title>学校召开第{k}次工作会议-第{site}大学新闻网</title></head><body>"
            f"<div class='nav'><a href='/'>首页</a></div><h1>学校召开第{k}次工作会议</h1>"
            f"<div class='info'>发布时间:2024-{1 + k % 12:02d}-{1 + k % 28:02d} 来源:第{site}大学党委宣传部</div>"
            f"<div id='vsb_content'>{body}</div>"
            f"<div class='foot'>版权所有 第{site}大学 ICP备05001234号</div></body></html>")


@dataclass
class SiteFarm:
    """`sites` generated sites of `articles` articles each. Use as a context manager."""

    sites: int
    articles: int
    latency: float = 0.0
    hits: list[Hit] = field(default_factory=list, init=False)
    origins: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="site-farm", daemon=True)
        self._servers: list[asyncio.base_events.Server] = []
        self._lock = threading.Lock()

    def __enter__(self) -> SiteFarm:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    async def _start(self) -> None:
        for i in range(self.sites):
            host = f"127.0.{10 + i // 200}.{1 + i % 200}"
            server = await asyncio.start_server(partial(self._handle, i, host), host, 0)
            self._servers.append(server)
            self.origins.append(f"http://{host}:{server.sockets[0].getsockname()[1]}")

    async def _stop(self) -> None:
        for server in self._servers:
            server.close()
            await server.wait_closed()

    def _page(self, site: int, path: str) -> tuple[int, str, str]:
        origin = self.origins[site]
        if path == "/robots.txt":
            return 200, "text/plain", f"User-agent: *\nDisallow: /private/\nSitemap: {origin}/sitemap.xml\n"
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{origin}/info/{k}.htm</loc></url>" for k in range(1, self.articles + 1))
            return 200, "application/xml", f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>"
        if path in ("/", "/index.htm"):
            items = "".join(f"<li><a href='/info/{k}.htm'>学校召开第{k}次工作会议</a></li>" for k in range(1, self.articles + 1))
            return 200, "text/html", f"<html><head><meta charset='utf-8'><title>新闻中心</title></head><body><ul>{items}</ul></body></html>"
        if path.startswith("/info/") and path.endswith(".htm") and path[6:-4].isdigit() and 1 <= int(path[6:-4]) <= self.articles:
            return 200, "text/html", _article(site, int(path[6:-4]))
        return 404, "text/plain", "not found"

    async def _handle(self, site: int, host: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                start = time.monotonic()
                while await reader.readline() not in (b"\r\n", b"\n", b""):
                    pass
                path = line.split()[1].decode("ascii", "replace").split("?")[0]
                status, ctype, text = self._page(site, path)
                if self.latency:
                    await asyncio.sleep(self.latency)
                body = text.encode("utf-8")
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
                             .encode("ascii") + body)
                await writer.drain()
                with self._lock:
                    self.hits.append(Hit(host, path, start, time.monotonic()))
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    # -- what the log tells ----------------------------------------------------------------
    def by_host(self) -> dict[str, list[Hit]]:
        with self._lock:
            hits = sorted(self.hits, key=lambda h: h.start)
        grouped: dict[str, list[Hit]] = defaultdict(list)
        for hit in hits:
            grouped[hit.host].append(hit)
        return grouped

    def closest_starts(self) -> float:
        """The smallest gap between two request starts on one host (inf with one request)."""
        gaps = [b.start - a.start for hits in self.by_host().values() for a, b in zip(hits, hits[1:])]
        return min(gaps, default=float("inf"))

    def politeness_violations(self, delay: float, tolerance: float = 0.01) -> int:
        """Request starts closer than `delay` to the previous one on the same host."""
        return sum(1 for hits in self.by_host().values() for a, b in zip(hits, hits[1:])
                   if b.start - a.start < delay - tolerance)

    def max_in_flight(self) -> dict[str, int]:
        """Per host, the most requests it was answering at the same moment."""
        most: dict[str, int] = {}
        for host, hits in self.by_host().items():
            events = sorted([(h.start, 1) for h in hits] + [(h.end, -1) for h in hits])
            now = 0
            for _, step in events:
                now += step
                most[host] = max(most.get(host, 0), now)
        return most

    def article_urls(self) -> set[str]:
        return {f"{origin}/info/{k}.htm" for origin in self.origins for k in range(1, self.articles + 1)}
