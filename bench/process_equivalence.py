"""`process_page` on every corpus page: a deterministic dump of what it returns, and its cost per step.

    python bench/process_equivalence.py --dump OUT.json [--compare BASE.json] [--time] [--runs N]

The dump (article fields, links, parts, canonical map, per page) is what a speed change must leave
byte-identical: save one from the code before the change, then `--compare` after it. `--time`
prints ms/page for each step of `process_page` (parse, discover, extract, compress) and for the
whole, the best of 3 runs of process_time, each over all pages `--runs` times.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scraper.discover import discover_links  # noqa: E402
from scraper.extract import extract_traced, parse_page  # noqa: E402
from scraper.pipeline import process_page  # noqa: E402
from scraper.store import compress  # noqa: E402
from scraper.urls import Scope  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
MAGIC = ROOT.parent / "shared" / "benchmarks" / "magic-html-zh"
FALLBACK_URL = "http://127.0.0.1:8000/info/1012/1234.htm"
# the page's own URL as it declares it: <link rel=canonical href=…> or <meta property=og:url content=…>
_OWN_URL = (re.compile(rb"""<link[^>]+rel=["']?canonical["']?[^>]+href=["']?(https?://[^"'\s>]+)""", re.I),
            re.compile(rb"""<meta[^>]+property=["']?og:url["']?[^>]+content=["']?(https?://[^"'\s>]+)""", re.I))


def _page_url(data: bytes, label: dict) -> str:
    """The labelled URL, else the one the page declares, else one on the labelled site's host
    (so that its links to that site are in scope), else FALLBACK_URL."""
    if label.get("url"):
        return label["url"]
    for pattern in _OWN_URL:
        m = pattern.search(data)
        if m:
            return m.group(1).decode("ascii", "replace")
    host = (label.get("site") or "").split(" ")[0]
    return f"http://{host}/news/2024/1234.html" if "." in host else FALLBACK_URL


def load_pages() -> list[tuple[str, bytes, str]]:
    """(name, bytes, url) of every corpus page, then of every magic-html page (with its URL)."""
    labels_path = CORPUS / "labels.jsonl"
    labels = {row["file"]: row for line in labels_path.read_text("utf-8").splitlines() if line.strip()
              for row in [json.loads(line)]} if labels_path.exists() else {}
    pages = [(f"corpus/{p.name}", data, _page_url(data, labels.get(p.name, {})))
             for p in sorted(CORPUS.glob("*.html")) for data in [p.read_bytes()]]
    truth = MAGIC / "ground_truth.jsonl"
    if truth.exists():
        for line in truth.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                pages.append((f"magic/{row['file']}", (MAGIC / row["file"]).read_bytes(), row["url"]))
    return pages


def dump(pages: list[tuple[str, bytes, str]]) -> str:
    """Per page, `process_page` in the page's scope, and the links it finds with no scope (all
    of them: links to other sites go through the same rules)."""
    out = {}
    for name, data, url in pages:
        done = process_page(data, url, scope=Scope([url], (), (), ()))
        out[name] = {
            "url": url,
            "article": asdict(done.article),
            "links": [[link.url, link.points_to, link.rel, link.text] for link in done.links],
            "parts": done.parts,
            "canonical": done.canonical,
            "encoding": done.encoding,
            "traits": asdict(done.traits) if done.traits is not None else None,
            "unscoped_links": [[link.url, link.points_to, link.rel, link.text]
                               for link in process_page(data, url).links],
        }
    return json.dumps(out, ensure_ascii=False, indent=1, sort_keys=True, default=sorted)


def timings(pages: list[tuple[str, bytes, str]], runs: int) -> None:
    items = [(data, url, Scope([url], (), (), ())) for _, data, url in pages]

    def discover(data: bytes, url: str, scope: Scope) -> None:
        parsed = parse_page(data)
        if parsed.text:
            discover_links(parsed.text, url, tree=parsed.tree, host_allowed=scope.allows_host,
                           encoding=parsed.encoding)

    steps: list[tuple[str, Callable[[bytes, str, Scope], object]]] = [
        ("parse", lambda data, url, scope: parse_page(data)),
        ("parse+discover", discover),
        ("parse+extract", lambda data, url, scope: extract_traced(parse_page(data), url)),
        ("compress", lambda data, url, scope: compress(data)),
        ("process_page", lambda data, url, scope: process_page(data, url, scope=scope)),
    ]
    best: dict[str, float] = {}
    for label, step in steps:
        for _ in range(3):
            t0 = time.process_time()
            for _ in range(runs):
                for data, url, scope in items:
                    step(data, url, scope)
            ms = (time.process_time() - t0) * 1000 / (runs * len(items))
            best[label] = min(best.get(label, ms), ms)
    parse = best["parse"]
    print(f"{len(items)} pages, best of 3 x {runs} runs, ms/page (process_time)")
    print(f"  parse     {parse:.3f}")
    print(f"  discover  {best['parse+discover'] - parse:.3f}   (parse+discover {best['parse+discover']:.3f})")
    print(f"  extract   {best['parse+extract'] - parse:.3f}   (parse+extract {best['parse+extract']:.3f})")
    print(f"  compress  {best['compress']:.3f}")
    print(f"  total     {best['process_page']:.3f}   (process_page)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dump", type=Path, help="write the dump here")
    ap.add_argument("--compare", type=Path, help="a dump to check this one is byte-identical to")
    ap.add_argument("--time", action="store_true", help="print ms/page per step")
    ap.add_argument("--runs", type=int, default=3, help="passes over the pages per timing")
    args = ap.parse_args()
    pages = load_pages()
    status = 0
    if args.dump or args.compare:
        text = dump(pages)
        if args.dump:
            args.dump.write_text(text, "utf-8")
        if args.compare:
            same = text == args.compare.read_text("utf-8")
            print(f"{len(pages)} pages: {'identical to' if same else 'DIFFERENT from'} {args.compare}")
            status = 0 if same else 1
    if args.time:
        timings(pages, args.runs)
    return status


if __name__ == "__main__":
    sys.exit(main())
