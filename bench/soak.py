"""Soak: crawl a loopback site of N real-sized article pages and watch memory stay flat.

The site (served by a separate process) is built from ../shared/corpus: page i is corpus page
i mod 61 with a marker `（编号000123）` written into its first paragraph, so every copy is a
distinct article of real size and markup. robots.txt names a sitemap index; each child sitemap
lists 10,000 pages. The crawl is `scraper crawl` in a subprocess with the default extract
workers; the script samples the RSS of the crawler and of its worker processes and prints the
peaks when 10k/25k/50k pages have been served (or 20%/50%/100% of a smaller site), then the
archive's size per article.

    python bench/soak.py                      # 50,000 pages
    python bench/soak.py --pages 10000
    python bench/soak.py --pages 10000 --kills 3   # SIGKILL the crawl 3 times at random points,
                                                   # resume, then check the archive's integrity
                                                   # and that every article is there exactly once
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
PER_SITEMAP = 10_000
MARKER = re.compile(r"（编号(\d{6})）")


# ------------------------------------------------------------------------------------ the site

def templates() -> list[tuple[str, str]]:
    """(before, after) the marker for every corpus page where a marker written after the start
    of its first body line shows in the extracted body (the line also occurs in <meta> tags and
    script data, so each occurrence is tried): each copy is then a distinct article."""
    from scraper.decode import decode_html
    from scraper.extract import extract_article

    out = []
    for line in (CORPUS / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        text, _ = decode_html((CORPUS / label["file"]).read_bytes())
        text = re.sub(r"(?i)charset\s*=\s*[\"']?[\w-]+", "charset=utf-8", text, count=1)
        first = next((s.strip()[:12] for s in (label.get("body") or "").split("\n") if len(s.strip()) >= 12), "")
        at = text.find(first) if first else -1
        while at >= 0:
            parts = (text[:at + 12], text[at + 12:])
            if MARKER.search(extract_article(page([parts], 0), "http://x.cn/a/0.htm").body or ""):
                out.append(parts)
                break
            at = text.find(first, at + 1)
    return out


def page(parts: list[tuple[str, str]], i: int) -> bytes:
    before, after = parts[i % len(parts)]
    return (before + f"（编号{i:06d}）" + after).encode("utf-8")


def serve(port: multiprocessing.Value, served: multiprocessing.Value, pages: int) -> None:
    """The site, in its own process (its CPU and memory are not the crawler's)."""
    parts = templates()
    origin_box: list[str] = []

    def sitemap(k: int) -> bytes:
        locs = "".join(f"<url><loc>{origin_box[0]}/a/{i}.htm</loc></url>"
                       for i in range(k * PER_SITEMAP, min(pages, (k + 1) * PER_SITEMAP)))
        return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            path, ctype = self.path, "text/html; charset=utf-8"
            m = re.fullmatch(r"/a/(\d+)\.htm", path)
            if m and int(m.group(1)) < pages:
                body = page(parts, int(m.group(1)))
                with served.get_lock():
                    served.value += 1
            elif path == "/robots.txt":
                body, ctype = f"User-agent: *\nAllow: /\nSitemap: {origin_box[0]}/sitemap_index.xml\n".encode(), "text/plain"
            elif path == "/sitemap_index.xml":
                children = "".join(f"<sitemap><loc>{origin_box[0]}/sitemap-{k}.xml</loc></sitemap>"
                                   for k in range((pages + PER_SITEMAP - 1) // PER_SITEMAP))
                body, ctype = f"<?xml version='1.0'?><sitemapindex>{children}</sitemapindex>".encode(), "application/xml"
            elif (m := re.fullmatch(r"/sitemap-(\d+)\.xml", path)):
                body, ctype = sitemap(int(m.group(1))), "application/xml"
            elif path == "/":
                body = "<html><body><h1>首页</h1><a href='/a/0.htm'>新闻</a></body></html>".encode()
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address) -> None:
            pass          # a killed crawler resets its connections: expected here

    server = Server(("127.0.0.1", 0), Handler)
    origin_box.append(f"http://127.0.0.1:{server.server_address[1]}")
    port.value = server.server_address[1]
    server.serve_forever()


# ------------------------------------------------------------------------------------ memory

def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


class Sampler(threading.Thread):
    """Peak RSS of the crawler and of its largest worker, sampled every 0.2 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.crawler, self.worker, self.workers_total = pid, 0, 0, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            self.crawler = max(self.crawler, rss_kb(self.pid))
            sizes = [rss_kb(c) for c in children(self.pid)]
            if sizes:
                self.worker = max(self.worker, max(sizes))
                self.workers_total = max(self.workers_total, sum(sizes))


# ------------------------------------------------------------------------------------ the run

def crawl_command(origin: str, db: Path, args) -> list[str]:
    return [sys.executable, "-m", "scraper", "crawl", origin + "/", "--db", str(db), "--delay", "0",
            "--per-host", str(args.per_host), "--concurrency", str(args.per_host)]


def run_crawl(origin: str, db: Path, args, served, checkpoints: list[int], kill_at: int | None) -> tuple[int, Sampler]:
    """One `scraper crawl`; returns its exit code (-9 when killed at `kill_at` pages served)."""
    proc = subprocess.Popen(crawl_command(origin, db, args), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    sampler = Sampler(proc.pid)
    sampler.start()
    started, served_before = time.monotonic(), served.value
    while proc.poll() is None:
        time.sleep(0.2)
        while checkpoints and served.value >= checkpoints[0]:
            n = checkpoints.pop(0)
            rate = (served.value - served_before) / (time.monotonic() - started)
            print(f"{n:>7} pages: crawler peak RSS {sampler.crawler / 1024:6.0f} MB, largest worker "
                  f"{sampler.worker / 1024:6.0f} MB, all workers {sampler.workers_total / 1024:6.0f} MB "
                  f"({rate:.0f} pages/s so far)", flush=True)
        if kill_at is not None and served.value >= kill_at:
            os.killpg(proc.pid, signal.SIGKILL)       # the crawler and its workers, as `kill -9` of the unit
            proc.wait()
            break
    sampler.stopped.set()
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.returncode not in (0, -signal.SIGKILL):
        print(err[-2000:], file=sys.stderr)
    return proc.returncode, sampler


def check(db: Path, expected: set[int]) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    markers: dict[int, int] = {}
    for (body,) in conn.execute("SELECT body FROM articles"):
        for m in set(MARKER.findall(body or "")):
            markers[int(m)] = markers.get(int(m), 0) + 1
    twice = sum(1 for n in markers.values() if n > 1)
    missing = len(expected - markers.keys())
    print(f"integrity_check: {integrity}; articles with a marker: {len(markers)} of {len(expected)} expected; "
          f"missing {missing}, stored more than once {twice}")
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=50_000)
    parser.add_argument("--kills", type=int, default=0, help="SIGKILL the crawl this many times, then resume")
    parser.add_argument("--per-host", type=int, default=8, help="requests in flight (default 8)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="keep the archive in DIR (default: a temporary folder)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from scraper.extract import extract_article

    parts = templates()
    articles = [bool(MARKER.search(extract_article(page(parts, t), f"http://x.cn/a/{t}.htm").body or ""))
                for t in range(len(parts))]         # all of them, by the choice of templates()
    expected = {i for i in range(args.pages) if articles[i % len(parts)]}
    print(f"site: {args.pages} pages from {len(parts)} corpus pages ({sum(articles)} of them articles); "
          f"mean page {sum(len(page(parts, t)) for t in range(len(parts))) / len(parts) / 1024:.0f} KB")

    ctx = multiprocessing.get_context("spawn")
    port, served = ctx.Value("i", 0), ctx.Value("l", 0)
    server = ctx.Process(target=serve, args=(port, served, args.pages), daemon=True)
    server.start()
    while not port.value:
        time.sleep(0.05)
    origin = f"http://127.0.0.1:{port.value}"
    marks = [n for n in (10_000, 25_000, 50_000) if n < args.pages] or [args.pages // 5, args.pages // 2]
    checkpoints = sorted(set(marks + [args.pages]))
    rng = random.Random(args.seed)
    kills = sorted(rng.sample(range(args.pages // 10, args.pages * 9 // 10), args.kills)) if args.kills else []

    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        Path(tmp).mkdir(parents=True, exist_ok=True)
        db = Path(tmp) / "soak.db"
        started = time.monotonic()
        runs = 0
        while True:
            runs += 1
            code, sampler = run_crawl(origin, db, args, served, checkpoints, kills.pop(0) if kills else None)
            if code == -signal.SIGKILL:
                print(f"run {runs}: SIGKILL after {served.value} pages served", flush=True)
                continue
            break
        elapsed = time.monotonic() - started
        size = sum(p.stat().st_size for p in Path(tmp).glob("soak.db*"))
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        stored = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        conn.close()
        print(f"{runs} run(s), exit code {code}, {served.value} pages served in {elapsed:.0f} s "
              f"({served.value / elapsed:.0f} pages/s); {stored} articles; archive {size / 2**20:.0f} MB = "
              f"{size / max(stored, 1) / 1024:.1f} KB per article (mean page "
              f"{sum(len(page(parts, t)) for t in range(len(parts))) / len(parts) / 1024:.0f} KB)")
        check(db, expected)
    server.kill()
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
