"""Crawl throughput and memory on a generated loopback news site, politeness off.

    python bench/crawl_bench.py                 # 1,000 and 10,000 articles
    python bench/crawl_bench.py --sizes 2000

For each size it serves a synthetic VSB-style site (list pages with pagination, articles with
a header line and 上一条/下一条 links) from a separate process, then measures in the same run:
  * peer: a bare httpx client fetching every article URL (the I/O ceiling on this machine);
  * scraper: a full crawl (discover → fetch → decode/extract → store) into a fresh archive.
It prints pages/s, ms/page, the ratio to the peer, and peak RSS of the crawler and of its
extraction workers, so memory growth between sizes is visible.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scraper.crawler import crawl_async  # noqa: E402
from scraper.settings import RunSettings, Settings, SiteConfig  # noqa: E402
from scraper.store import open_archive  # noqa: E402

PER_LIST = 20
PARAGRAPH = ("为深入贯彻落实全国教育大会精神，学校近日召开专题会议，研究部署人才培养、科学研究和社会服务等"
             "重点工作。会议强调，要坚持立德树人根本任务，推动学科建设高质量发展。")


def _article(i: int, n: int) -> bytes:
    prev_link = f'上一条:<a href="{i - 1}.htm">第{i - 1}条新闻</a>' if i > 1 else "上一条:没有了"
    next_link = f'下一条:<a href="{i + 1}.htm">第{i + 1}条新闻</a>' if i < n else "下一条:没有了"
    body = "".join(f"<p>{PARAGRAPH}（第{i}篇第{k}段）</p>" for k in range(1, 7))
    return (
        f"<html><head><meta charset='gbk'><title>学校召开第{i}次工作会议-某某大学新闻网</title></head><body>"
        f"<div class='nav'><a href='/index.htm'>首页</a> <a href='/list/1.htm'>新闻中心</a></div>"
        f"<h1>学校召开第{i}次工作会议</h1>"
        f"<div class='info'>发布时间:2023-{1 + i % 12:02d}-{1 + i % 28:02d} 作者:张{i % 7}明 来源:党委宣传部 【字号:大 中 小】</div>"
        f"<div id='vsb_content'>{body}</div>"
        f"<div>相关新闻: {prev_link} {next_link}</div>"
        f"<div class='foot'>版权所有 2023 某某大学 地址：某市某路1号 ICP备05001234号</div></body></html>"
    ).encode("gbk")


def _list_page(page: int, pages: int, n: int) -> bytes:
    first = (page - 1) * PER_LIST + 1
    items = "".join(
        f"<li><a href='/info/1012/{i}.htm'>学校召开第{i}次工作会议</a><span>2023-05-01</span></li>"
        for i in range(first, min(first + PER_LIST, n + 1))
    )
    nav = f"<a href='/list/{page + 1}.htm'>下一页</a>" if page < pages else ""
    return (f"<html><head><meta charset='gbk'><title>新闻中心</title></head><body><ul>{items}</ul>"
            f"<div class='pages'>{nav} <a href='/list/{pages}.htm'>尾页</a></div></body></html>").encode("gbk")


def _page(path: str, n: int, pages: int) -> bytes | None:
    if path in ("/", "/index.htm"):
        return _list_page(1, pages, n)
    if path.startswith("/list/"):
        return _list_page(int(path[6:-4]), pages, n)
    if path.startswith("/info/1012/"):
        return _article(int(path[11:-4]), n)
    return None


def _serve(n: int, port_queue) -> None:
    """A minimal asyncio HTTP/1.1 keep-alive server in its own process: it must cost far less
    CPU than the crawler it feeds (stdlib http.server would eat most of a core)."""
    pages = (n + PER_LIST - 1) // PER_LIST

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                body = _page(path, n, pages)
                status = b"200 OK" if body is not None else b"404 Not Found"
                body = body or b""
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port_queue.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


async def _peer(origin: str, n: int, concurrency: int) -> float:
    """A bare httpx fetch of every article: no parsing, no storage."""
    started = time.perf_counter()
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient() as client:
        async def one(i: int) -> None:
            async with sem:
                (await client.get(f"{origin}/info/1012/{i}.htm")).raise_for_status()
        await asyncio.gather(*(one(i) for i in range(1, n + 1)))
    return time.perf_counter() - started


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def bench(n: int, concurrency: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    ports = ctx.Queue()
    server = ctx.Process(target=_serve, args=(n, ports), daemon=True)
    server.start()
    origin = f"http://127.0.0.1:{ports.get(timeout=30)}"
    try:
        settings = Settings(delay=0.0, per_host_concurrency=concurrency, respect_robots=True, max_retries=0)
        with tempfile.TemporaryDirectory() as tmp:
            archive = open_archive(Path(tmp) / "bench.db")
            site = SiteConfig(name="bench", start_urls=(origin + "/",), settings=settings)
            started = time.perf_counter()
            report = asyncio.run(crawl_async([site], archive, RunSettings(concurrency=concurrency)))
            crawl_s = time.perf_counter() - started
            crawler_rss = _rss_mb(resource.RUSAGE_SELF)   # before the peer runs in this process
            stored = archive.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            archive.close()
        peer_s = asyncio.run(_peer(origin, n, concurrency))
    finally:
        server.terminate()
        server.join()
    fetched = report.counts["pages_fetched"]
    print(f"site of {n} articles: crawled {fetched} pages, stored {stored} articles")
    print(f"  scraper  {fetched / crawl_s:8.1f} pages/s  {1000 * crawl_s / fetched:6.2f} ms/page  "
          f"(peak RSS crawler {crawler_rss:.0f} MB, largest child (a worker or the server) {_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB)")
    print(f"  peer     {n / peer_s:8.1f} pages/s  (bare httpx GET of the articles, no parsing)")
    print(f"  ratio    scraper/peer throughput = {(fetched / crawl_s) / (n / peer_s):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    if len(args.sizes) == 1:
        bench(args.sizes[0], args.concurrency)
        return
    for n in args.sizes:   # one process per size, so each peak RSS is its own
        subprocess.run([sys.executable, __file__, "--sizes", str(n), "--concurrency", str(args.concurrency)],
                       check=True)


if __name__ == "__main__":
    main()
