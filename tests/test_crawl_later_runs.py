"""Later runs cost what changed: a list is paged only as far as it holds new URLs (always with
conditional GET), and a multi-page article whose first page answers 304 still has its later pages
revalidated, so an edit to page 2 is not hidden. Asserted on the simulated sites' request logs."""
from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, replace

from newssites import Art, NewsSite, make_sites, serve_news
from test_crawl_traps import ARTICLE, serve

from scraper.crawler import crawl_async
from scraper.settings import RunSettings, Settings, SiteConfig
from scraper.store import open_archive
from scraper.urls import canonicalize

FAST = Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=0)
RUN = RunSettings(concurrency=4, extract_workers=0)


def _crawl(sites, db, settings=FAST):
    configs = [SiteConfig(name=s.style, start_urls=(s.origin + s.home_path(),), settings=settings) for s in sites]
    with open_archive(db) as archive:
        return asyncio.run(crawl_async(configs, archive, RUN))


def test_a_later_run_pages_a_list_only_as_far_as_it_holds_new_articles(tmp_path):
    site = make_sites(50, styles=("vsb",))[0]       # 25 articles a section: 3 list pages each
    with serve_news([site]) as logs:
        log = logs[site.host]
        _crawl([site], tmp_path / "a.db")
        first = [p for p in log if site.label(p) == "list"]
        assert len(first) == 6
        new = site.add_articles(4)                  # two a section: still 3 pages each
        mark = len(log)
        _crawl([site], tmp_path / "a.db")
        second = [p for p in log[mark:] if site.label(p) == "list"]
        mark = len(log)
        report = _crawl([site], tmp_path / "a.db", replace(FAST, recheck_sweep=0))   # nothing new (no re-check due)
        third = Counter(site.label(p) for p in log[mark:])
        with open_archive(tmp_path / "a.db") as archive:
            stored = {r[0] for r in archive.conn.execute("SELECT url FROM articles")}
            statuses = dict(archive.conn.execute("SELECT url, status FROM pages").fetchall())
    # page 1 shows the new articles, page 2 shows nothing new: page 3 is not read again
    assert sorted(second) == sorted(site.list_path(s, p) for s in (0, 1) for p in (1, 2))
    assert {canonicalize(site.origin + site.article_path(a)) for a in new} <= stored
    # with nothing new, each list's first page is asked with its validators and answers 304
    assert third["list"] == 2 and third["article"] == 0
    assert report.counts["not_modified"] >= 3
    assert all(statuses[canonicalize(site.origin + site.list_path(s, 1))] == 304 for s in (0, 1))


@dataclass
class _LaterPageEdit(Art):
    """An article whose edits change only its later pages (a correction appended to page 2)."""

    def paragraphs(self, part: int) -> list[str]:
        out = Art(self.id, self.section, self.day, self.parts).paragraphs(part)
        if part > 1 and self.version > 1:
            out.append(f"更正说明：第{self.version}版修订了第{part}页的数据。")
        return out


def test_an_edit_to_a_later_page_is_found_although_the_first_page_answers_304(tmp_path):
    site = make_sites(20, styles=("vsb",))[0]
    multi = next(a for a in site.articles.values() if a.parts > 1)
    edited = site.articles[multi.id] = _LaterPageEdit(multi.id, multi.section, multi.day, multi.parts)
    recheck = Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=0, refresh=True)
    with serve_news([site]) as logs:
        log = logs[site.host]
        _crawl([site], tmp_path / "a.db")
        mark = len(log)
        unchanged = _crawl([site], tmp_path / "a.db", recheck)      # every part answers 304
        parts = [site.article_path(edited, p) for p in range(1, edited.parts + 1)]
        assert [p for p in log[mark:] if p in parts] == parts
        edited.version = 2
        mark = len(log)
        changed = _crawl([site], tmp_path / "a.db", recheck)
        asked = [p for p in log[mark:] if p in parts]
        with open_archive(tmp_path / "a.db") as archive:
            body, version, pages = archive.conn.execute(
                "SELECT body, version, page_count FROM articles WHERE url=?",
                (canonicalize(site.origin + site.article_path(edited)),)).fetchone()
    assert unchanged.counts["articles_changed"] == 0
    # page 1 (304), page 2 (changed), page 3 (304): each once, the unchanged ones from their stored bytes
    assert asked == parts
    assert changed.counts["articles_changed"] == 1
    assert "更正说明" in body and version == 2 and pages == edited.parts


def test_paging_on_also_follows_articles_whose_urls_look_like_nothing(tmp_path):
    """Article URLs of no known shape (`/view?id=N`) count once their pattern gave articles."""
    ids = list(range(1, 26))             # newest first on the list, 10 a page

    def route(path: str):
        if path == "/robots.txt":
            return 404, {}, ""
        if path == "/":
            return 200, {}, "<html><body><a href='/news/list?page=1'>新闻中心</a></body></html>"
        if path.startswith("/news/list?page="):
            page = int(path.rpartition("=")[2])
            shown = sorted(ids, reverse=True)[(page - 1) * 10: page * 10]
            pager = "".join(f"<a href='/news/list?page={p}'>{p}</a>" for p in range(1, (len(ids) + 9) // 10 + 1))
            rows = "".join(f"<li><a href='/view?id={i}'>第{i}次专题工作推进会议召开</a></li>" for i in shown)
            return 200, {}, f"<html><body><ul>{rows}</ul><div class='pages'>共3页 {pager}</div></body></html>"
        if path.startswith("/view?id="):
            return 200, {}, ARTICLE.format(t=f"第{path.rpartition('=')[2]}次专题工作推进会议召开")
        return 404, {}, ""

    with serve(route) as (origin, requests):
        site = SiteConfig("t", (origin + "/",), settings=FAST)
        with open_archive(tmp_path / "a.db") as archive:
            asyncio.run(crawl_async([site], archive, RUN))
        ids[:] = list(range(1, 26)) + [101, 102]      # two new ones shift the pages by two
        ids.remove(5)                                   # and keep 3 pages
        requests.clear()
        with open_archive(tmp_path / "a.db") as archive:
            asyncio.run(crawl_async([site], archive, RUN))
            stored = {r[0] for r in archive.query("SELECT url FROM articles")}
    lists = [p for p in requests if p.startswith("/news/list")]
    assert lists == ["/news/list?page=1", "/news/list?page=2"]     # page 2 holds nothing new: page 3 waits
    assert {origin + "/view?id=101", origin + "/view?id=102"} <= stored


def test_an_old_article_edited_on_a_site_without_sitemap_is_found_by_the_rolling_recheck(tmp_path):
    """Nothing on a sitemap-less site tells that an old article changed: each run re-checks the
    share of articles checked longest ago (conditional GET, after everything else), so the edit
    is found within `recheck_sweep` runs, at a cost of that share of requests per run."""
    site = NewsSite("vsb", "127.0.1.11", 24, multipage=0)
    sweep = replace(FAST, recheck_sweep=4)
    with serve_news([site]) as logs:
        log = logs[site.host]
        _crawl([site], tmp_path / "a.db", sweep)
        with open_archive(tmp_path / "a.db") as archive:   # the articles, and any page that looked like one
            share = -(-archive.conn.execute("SELECT COUNT(*) FROM frontier WHERE kind = 'article'").fetchone()[0] // 4)
        edited = site.edit_articles(1)[0]
        url = canonicalize(site.origin + site.article_path(edited))
        checked: list[set[str]] = []
        for _ in range(4):
            mark = len(log)
            report = _crawl([site], tmp_path / "a.db", sweep)
            checked.append({p for p in log[mark:] if site.label(p) == "article"})
            assert 0 < len(checked[-1]) <= share and report.counts["articles_new"] == 0
        with open_archive(tmp_path / "a.db") as archive:
            version, body = archive.conn.execute("SELECT version, body FROM articles WHERE url = ?", (url,)).fetchone()
    assert set().union(*checked) >= {site.article_path(a) for a in site.articles.values()}   # each in 4 runs
    assert version == 2 and body == edited.body()
