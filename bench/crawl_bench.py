"""Crawl throughput and memory on a loopback news site, politeness off, against a bare-fetch peer.

    python bench/crawl_bench.py                        # 1,000 real-sized articles (../shared/corpus)
    python bench/crawl_bench.py --sizes 1000 20000     # is peak RSS flat as the site grows?
    python bench/crawl_bench.py --site synthetic       # the old 2 KB generated pages
    python bench/crawl_bench.py --concurrency 1        # one request at a time (the default per_host_concurrency)
    python bench/crawl_bench.py --concurrency 1 --latency 4      # … from a server that takes 4 ms per answer
    python bench/crawl_bench.py --concurrency 1 --server stdlib  # … from a server like python -m http.server

For each size a server process serves the site (see bench_sites.py: list pages with 下一页,
articles at /info/1012/N.htm; in the corpus site every article is a copy of a real page, ~140 KB,
with its own title, text and URL), then measures in the same run:
  * scraper: a full crawl (discover → fetch → decode/extract → store) into a fresh archive;
  * peer: a bare httpx client fetching every article URL from the same server with the same
    concurrency, in a process of its own — it only fetches (no list pages, robots.txt, parsing,
    storage), so it is the ceiling on this machine. It runs once before and once after the
    crawl, and the ratio is to their mean: on a shared machine the load changes within minutes,
    and one peer run after the crawl could meet a quite different machine than the crawl did.
It prints articles/s, ms/article, the ratio to the peer, the peak RSS of the crawler process
(also as it was when the crawl had stored 1k, 2k, 5k… articles: growth along one crawl)
and of its worker processes together (so memory growth between sizes is visible), and CPU time
per article of the crawler's loop, of its workers and of the peer: on a shared, loaded machine
wall-clock rates swing with the load, CPU per article much less. The last line says what that
CPU allows: all the machine's cores busy with the crawl, or the loop (one process) busy alone,
whichever bounds first; against the peer's rate it tells whether a ratio is within reach here.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sites import CORPUS, article_path, corpus_site, corpus_templates, synthetic_site  # noqa: E402
from scraper.crawler import crawl_async  # noqa: E402
from scraper.settings import RunSettings, Settings, SiteConfig  # noqa: E402
from scraper.store import open_archive  # noqa: E402


def _serve(kind: str, n: int, corpus: Path, port_queue, latency: float = 0.0, server: str = "asyncio") -> None:
    """A minimal asyncio HTTP/1.1 keep-alive server in its own process: it must cost far less
    CPU than the crawler it feeds. `latency` seconds pass before each answer, without CPU: a
    real site takes milliseconds to answer (this one takes a fraction of one), and with no
    latency fetching hides behind parsing. `server="stdlib"` serves instead as `python -m
    http.server` does (HTTP/1.0, a connection and a thread per request): the server a quick
    check of a crawler is most often run against, slower and using the same cores."""
    site = corpus_site(n, corpus_templates(corpus)) if kind == "corpus" else synthetic_site(n)
    if server == "stdlib":
        _serve_stdlib(site, port_queue, latency)
        return

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if latency:
                    await asyncio.sleep(latency)
                body = site(head.split(b" ", 2)[1].decode())
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


def _serve_stdlib(site, port_queue, latency: float) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:       # noqa: N802 - the stdlib's name
            if latency:
                time.sleep(latency)
            body = site(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(httpd.server_address[1])
    httpd.serve_forever()


async def _peer(origin: str, n: int, concurrency: int) -> float:
    """A bare httpx fetch of every article: no parsing, no storage."""
    started = time.perf_counter()
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient() as client:
        async def one(i: int) -> None:
            async with sem:
                (await client.get(origin + article_path(i))).raise_for_status()
        await asyncio.gather(*(one(i) for i in range(1, n + 1)))
    return time.perf_counter() - started


def _peer_main(origin: str, n: int, concurrency: int, out) -> None:
    cpu = time.process_time()
    seconds = asyncio.run(_peer(origin, n, concurrency))
    out.put((seconds, time.process_time() - cpu))


def _peer_run(ctx, origin: str, n: int, concurrency: int) -> tuple[float, float]:
    """(seconds, CPU seconds) of one peer run, in a process of its own so that it counts in
    neither the crawler's RSS nor its CPU, and its own start-up not in its figures."""
    out = ctx.Queue()
    peer = ctx.Process(target=_peer_main, args=(origin, n, concurrency, out))
    peer.start()
    result = out.get()
    peer.join()
    return result


def _cpu_seconds() -> "_Cpu":
    """User+system CPU of this process and of its waited-for children so far."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return _Cpu(me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime)


@dataclass(frozen=True)
class _Cpu:
    own: float
    children: float

    def __sub__(self, other: "_Cpu") -> tuple[float, float]:
        return self.own - other.own, self.children - other.children


def _hwm_mb(pid: int | str) -> float:
    """Peak resident set (VmHWM) of a live process, 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class _RssAlong:
    """The crawler's peak RSS so far each time the crawl has stored 1k, 2k, 5k, 10k, 20k…
    articles: whether memory grows with the length of one crawl, apart from the size of the
    site (`--sizes` crawls sites of different sizes, one process each)."""

    MARKS = (1000, 2000, 5000, 10000, 20000, 50000, 100000)

    def __init__(self) -> None:
        self.seen: list[tuple[int, float]] = []
        self.next = 0

    def __call__(self, url: str, counts) -> None:
        if self.next < len(self.MARKS) and counts["articles_new"] >= self.MARKS[self.next]:
            self.seen.append((self.MARKS[self.next], _hwm_mb("self")))
            self.next += 1

    def line(self) -> str:
        return ", ".join(f"{n // 1000}k articles {mb:.0f} MB" for n, mb in self.seen)


def _children() -> set[int]:
    kids: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as fh:
                kids.update(int(p) for p in fh.read().split())
        except OSError:
            pass
    return kids


class _WorkerPeaks(threading.Thread):
    """Polls the peak RSS of this process's children (the crawl's workers), except `skip`."""

    def __init__(self, skip: int):
        super().__init__(daemon=True)
        self.skip = skip
        self.peaks: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            for pid in _children() - {self.skip}:
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), _hwm_mb(pid))

    def total(self) -> float:
        self.stop.set()
        self.join()
        return sum(self.peaks.values())


def bench(kind: str, n: int, concurrency: int, workers: int | None, corpus: Path, latency: float = 0.0,
          server_kind: str = "asyncio") -> None:
    ctx = multiprocessing.get_context("spawn")
    ports = ctx.Queue()
    server = ctx.Process(target=_serve, args=(kind, n, corpus, ports, latency, server_kind), daemon=True)
    server.start()
    origin = f"http://127.0.0.1:{ports.get(timeout=600)}"   # building the templates parses the corpus
    try:
        peers = [_peer_run(ctx, origin, n, concurrency)]
        settings = Settings(delay=0.0, per_host_concurrency=concurrency, respect_robots=True, max_retries=0)
        with tempfile.TemporaryDirectory() as tmp:
            archive = open_archive(Path(tmp) / "bench.db")
            site = SiteConfig(name="bench", start_urls=(origin + "/",), settings=settings)
            peaks = _WorkerPeaks(skip=server.pid)
            peaks.start()
            cpu = _cpu_seconds()
            started = time.perf_counter()
            along = _RssAlong()
            report = asyncio.run(crawl_async([site], archive, RunSettings(concurrency=concurrency, extract_workers=workers),
                                             progress=along))
            crawl_s = time.perf_counter() - started
            crawl_cpu = _cpu_seconds() - cpu      # the workers are joined (counted) by now
            worker_rss = peaks.total()
            crawler_rss = _hwm_mb("self")
            stored = archive.query("SELECT COUNT(*) FROM articles").first()[0]
            archive.close()
        peers.append(_peer_run(ctx, origin, n, concurrency))
    finally:
        server.terminate()
        server.join()
    fetched = report.counts["pages_fetched"]
    rate = stored / crawl_s
    peer_rates = [n / seconds for seconds, _ in peers]
    peer = sum(peer_rates) / len(peer_rates)
    peer_cpu = sum(cpu for _, cpu in peers) / len(peers)
    served = " (python -m http.server style)" if server_kind == "stdlib" else ""
    print(f"{kind} site of {n} articles{served}{f' answering in {latency * 1000:g} ms' if latency else ''}, {concurrency} request(s) in flight: crawled {fetched} pages, stored {stored} articles in {crawl_s:.1f}s")
    print(f"  scraper  {rate:8.1f} articles/s  {1000 * crawl_s / max(stored, 1):6.2f} ms/article  "
          f"peak RSS crawler {crawler_rss:.0f} MB + workers {worker_rss:.0f} MB = {crawler_rss + worker_rss:.0f} MB")
    if len(along.seen) > 1:
        print(f"  RSS      crawler peak so far, along this crawl: {along.line()}")
    print(f"  peer     {peer:8.1f} articles/s  (bare httpx GET of the articles, same server and concurrency; "
          f"{peer_rates[0]:.0f} before the crawl, {peer_rates[1]:.0f} after)")
    print(f"  ratio    scraper/peer = {rate / peer:.2f}")
    per = 1000 / max(stored, 1)
    print(f"  CPU      ms/article: crawler loop {crawl_cpu[0] * per:.1f} + workers {crawl_cpu[1] * per:.1f}; "
          f"peer {peer_cpu * 1000 / n:.1f}  ({os.cpu_count()} cores; these hold on a loaded machine)")
    # what the CPU alone allows: all cores busy with the crawl (the server's share not counted),
    # and the loop, which is one process, busy on its own share
    cores = os.cpu_count() or 1
    total, loop = (crawl_cpu[0] + crawl_cpu[1]) * per, crawl_cpu[0] * per
    print(f"  bound    CPU allows at most {min(1000 * cores / total, 1000 / loop):.0f} articles/s here "
          f"({1000 * cores / total:.0f} by all CPU on {cores} cores, {1000 / loop:.0f} by the loop alone)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", choices=("corpus", "synthetic"), default="corpus")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument("--latency", type=float, default=0.0, metavar="MS",
                        help="milliseconds the server waits before each answer, as a real site takes (default 0)")
    parser.add_argument("--server", choices=("asyncio", "stdlib"), default="asyncio",
                        help="asyncio: a keep-alive server far lighter than the crawler (default); "
                             "stdlib: like python -m http.server, a connection and a thread per request")
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help="labelled corpus the real-sized pages are made from (default: ../shared/corpus)")
    args = parser.parse_args()
    if len(args.sizes) == 1:
        bench(args.site, args.sizes[0], args.concurrency, args.workers, args.corpus, args.latency / 1000, args.server)
        return
    for n in args.sizes:   # one process per size, so each peak RSS is its own
        cmd = [sys.executable, __file__, "--site", args.site, "--sizes", str(n), "--concurrency", str(args.concurrency),
               "--corpus", str(args.corpus), "--server", args.server]
        if args.workers is not None:
            cmd += ["--workers", str(args.workers)]
        if args.latency:
            cmd += ["--latency", str(args.latency)]
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
