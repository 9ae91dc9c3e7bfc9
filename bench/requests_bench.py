"""Request economy on simulated news sites: how many requests a crawl spends against the minimum.

    python bench/requests_bench.py              # 4 sites (VSB, TRS, JCMS, WordPress) × 60 articles
    python bench/requests_bench.py --articles 100
    python bench/requests_bench.py --sessions   # … every link carrying a session id (?sid=, new in each answer)
    python bench/requests_bench.py --styles asp           # the old ASP site alone (query-string URLs)
    python bench/requests_bench.py --styles dede          # a DedeCMS site (static pages, /plus/*.php twins)
    python bench/requests_bench.py --styles vsb,trs,jcms,wp,asp,dede

Serves the sites of `tests/newssites.py` (one loopback address each, with calendars, tag clouds,
search and sort permutations, print/mobile/AMP twins, share links, multi-page articles) and runs:
  1. a first crawl into a fresh archive;
  2. a second crawl after new and edited articles (10 and 5 per site);
  3. a first crawl cut at --max-pages = 1.2 × the article count, into another fresh archive.
For each it prints requests made vs the minimum (robots, sitemaps, list pages, articles), the
requests that went into each trap or alternate view, and coverage (articles stored whole).
Targets (issue 9): first crawl ≤ 1.3× minimum and ≤ 20 requests into any trap; second run ≤ 1.5×;
the cut crawl holds ≥ 95% of the articles.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from newssites import ALL_STYLES, STYLES, NewsSite, make_sites, serve_news  # noqa: E402

from scraper.crawler import crawl_async  # noqa: E402
from scraper.settings import RunSettings, Settings, SiteConfig  # noqa: E402
from scraper.store import open_archive  # noqa: E402
from scraper.urls import canonicalize  # noqa: E402

SETTINGS = Settings(delay=0.0, per_host_concurrency=2, max_retries=0, timeout=10.0)
MAX_DURATION: float | None = None   # per crawl (--max-duration): a crawl lost in traps is cut, and says so


def _crawl(sites: list[NewsSite], db: Path, max_pages: int | None = None) -> tuple[str, float]:
    configs = [SiteConfig(name=s.style, start_urls=(s.origin + s.home_path(),), settings=SETTINGS) for s in sites]
    started = time.perf_counter()
    with open_archive(db) as archive:
        run = RunSettings(concurrency=8, max_pages=max_pages, max_duration=MAX_DURATION)
        report = asyncio.run(crawl_async(configs, archive, run))
    return report.outcome, time.perf_counter() - started


def _coverage(sites: list[NewsSite], db: Path) -> dict[str, int]:
    """Articles stored under their own URL (or reachable through an alias) with every part's
    text, stored records that are no article of the model, and bodies of the latest version."""
    with open_archive(db) as archive:
        stored = dict(archive.conn.execute("SELECT url, body FROM articles").fetchall())
        aliases = dict(archive.conn.execute("SELECT alias, url FROM aliases").fetchall())
    out = Counter(total=0, found=0, whole=0, current=0)
    expected = set()
    for site in sites:
        for art in site.articles.values():
            url = canonicalize(site.origin + site.article_path(art))
            expected.add(url)
            out["total"] += 1
            body = stored.get(url) or stored.get(aliases.get(url, ""))
            if body is None:
                continue
            out["found"] += 1
            last = art.paragraphs(art.parts)[0]
            out["whole"] += last in body
            out["current"] += art.version == 1 or "更正说明" in body
    out["extra"] = len(set(stored) - expected)
    return out


def _requests(sites: list[NewsSite], logs: dict[str, list[str]], start: dict[str, int]) -> list[Counter]:
    """Per site: requests by what they were for (see `NewsSite.label`); `sid` counts those
    that carried a session id (on sites with `sessions`), whatever they were for."""
    out = []
    for site in sites:
        labels = [site.label(path) for path in logs[site.host][start.get(site.host, 0):]]
        made = Counter(label.removesuffix("+sid") for label in labels)
        made["sid"] = sum(label.endswith("+sid") for label in labels)
        out.append(made)
    return out


def _report(title: str, per_site: list[Counter], minimum: Counter, cover: dict[str, int], seconds: float,
            outcome: str) -> None:
    made = sum(per_site, Counter())
    total, need = sum(made.values()) - made["sid"], sum(minimum.values())
    print(f"{title}: {total} requests, minimum {need} "
          f"(robots {minimum['robots']}, sitemaps {minimum['sitemaps']}, lists {minimum['lists']}, "
          f"articles {minimum['articles']}) → {total / need:.2f}× minimum; {outcome} in {seconds:.1f}s",
          flush=True)
    useful = ", ".join(f"{k} {made[k]}" for k in ("robots", "sitemap", "home", "list", "article", "404") if made[k])
    waste = ", ".join(f"{k} {n}" for k, n in sorted(made.items()) if k.startswith(("trap:", "alias")))
    worst = max(((n, k) for site in per_site for k, n in site.items() if k.startswith("trap:")), default=(0, "-"))
    print(f"  requests by target: {useful}" + (f"; {made['sid']} of all with a session id" if made["sid"] else ""))
    print(f"  traps and alternate views (all sites): {waste or 'none'}; worst trap on one site: {worst[1]} {worst[0]}")
    print(f"  coverage: {cover['found']}/{cover['total']} articles, {cover['whole']} with every part, "
          f"{cover['current']} current text, {cover['extra']} stored records that are no article", flush=True)


def run(n_articles: int, new: int, edited: int, sessions: bool = False, styles: tuple[str, ...] = STYLES) -> None:
    sites = make_sites(n_articles, styles, sessions=sessions)
    with tempfile.TemporaryDirectory() as tmp, serve_news(sites) as logs:
        db = Path(tmp) / "a.db"
        outcome, seconds = _crawl(sites, db)
        first = _requests(sites, logs, {})
        minimum = sum((s.minimum() for s in sites), Counter())
        _report("first crawl", first, minimum, _coverage(sites, db), seconds, outcome)

        marks = {s.host: len(logs[s.host]) for s in sites}
        changes = [(s.add_articles(new), s.edit_articles(edited)) for s in sites]
        outcome, seconds = _crawl(sites, db)
        second = _requests(sites, logs, marks)
        minimum2 = sum((s.minimum(a, e) for s, (a, e) in zip(sites, changes)), Counter())
        _report(f"second crawl (+{new * len(sites)} new, {edited * len(sites)} edited)", second, minimum2,
                _coverage(sites, db), seconds, outcome)

    sites = make_sites(n_articles, styles, sessions=sessions)
    with tempfile.TemporaryDirectory() as tmp, serve_news(sites) as logs:
        db = Path(tmp) / "a.db"
        articles = sum(len(s.articles) for s in sites)
        cap = int(1.2 * articles)
        outcome, seconds = _crawl(sites, db, max_pages=cap)
        cut = _requests(sites, logs, {})
        cover = _coverage(sites, db)
        _report(f"crawl cut at --max-pages {cap}", cut, sum((s.minimum() for s in sites), Counter()), cover,
                seconds, outcome)
        print(f"  cut crawl holds {cover['found'] / cover['total']:.1%} of the articles")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=60, help="articles per site (default 60)")
    parser.add_argument("--new", type=int, default=10, help="new articles per site before the second run")
    parser.add_argument("--edited", type=int, default=5, help="edited articles per site before the second run")
    parser.add_argument("--max-duration", type=float, help="cut each crawl after this many seconds")
    parser.add_argument("--sessions", action="store_true",
                        help="the sites put a session id on every link (?sid=…, new in each answer)")
    parser.add_argument("--styles", default=",".join(STYLES),
                        help=f"comma-separated site styles of {', '.join(ALL_STYLES)} (default {','.join(STYLES)})")
    args = parser.parse_args()
    styles = tuple(args.styles.split(","))
    if not set(styles) <= set(ALL_STYLES):
        parser.error(f"unknown style in {args.styles!r}; choose from {', '.join(ALL_STYLES)}")
    global MAX_DURATION
    MAX_DURATION = args.max_duration
    run(args.articles, args.new, args.edited, args.sessions, styles)


if __name__ == "__main__":
    main()
