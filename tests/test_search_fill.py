"""Filling the search index in a thread beside a crawl: the loop's writes wait for the fill
(without blocking the loop when they ask first), the fill never waits for the loop, and what
was stored is indexed once."""
from __future__ import annotations

import asyncio
import threading

import pytest

from scraper.article import Article
from scraper.search_fill import SearchFill
from scraper.store import open_archive


def _store(archive, n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        with archive.transaction():
            archive.save_article(Article(title=f"学术报告会第{i}场", published_at="2024-05-01", body=f"正文{i}。"),
                                 f"http://www.example.edu.cn/info/{i}.htm", "s", 1)


def _indexed(archive) -> int:
    return archive.conn.execute("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH '学术报告'").fetchone()[0]


def test_a_fill_runs_in_a_thread_while_the_loop_goes_on_and_writes_wait_for_it(tmp_path):
    with open_archive(tmp_path / "a.db") as archive, archive.group_commit():
        fill = SearchFill(archive)
        release = threading.Event()
        threads = []

        class HeldOpen:                        # the real fill, kept open until the test says
            def __init__(self, indexer):
                self.indexer = indexer

            def __call__(self, holding):
                def hold():
                    holding()
                    release.wait(10)
                threads.append(threading.current_thread())
                return self.indexer(hold)
        fill.indexer = HeldOpen(fill.indexer)

        async def go():
            _store(archive, 3)                 # inside the group: not committed yet
            fill.start()                       # commits the group; the thread holds the lock now
            assert fill.busy
            ticks = 0
            waiting = asyncio.ensure_future(fill.writable())
            while ticks < 5:                   # the loop runs on while the fill holds the lock
                await asyncio.sleep(0.01)
                ticks += 1
            assert not waiting.done()
            release.set()
            await waiting
            assert not fill.busy
            _store(archive, 2, first=3)        # writes go on after it
            fill.start()
            await fill.close()
        asyncio.run(go())
        assert len(threads) == 2 and threading.main_thread() not in threads
    with open_archive(tmp_path / "a.db") as archive:
        assert _indexed(archive) == 5          # both fills, each article once
        assert archive.update_search_index() == 0


def test_a_write_that_does_not_wait_blocks_until_the_fill_is_done_never_the_reverse(tmp_path):
    """The fill takes the lock before `start` returns: a write of the loop made at once waits
    for it (a stall), rather than the fill waiting for a group the loop holds (a deadlock)."""
    with open_archive(tmp_path / "a.db") as archive, archive.group_commit():
        fill = SearchFill(archive)

        async def go():
            _store(archive, 2)
            fill.start()
            _store(archive, 1, first=2)        # no `await fill.writable()`: blocks, then goes on
            await fill.close()
        asyncio.run(go())
    with open_archive(tmp_path / "a.db") as archive:
        assert archive.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 3
        assert _indexed(archive) == 2 and archive.update_search_index() == 1


def test_without_a_thread_indexer_the_fill_is_done_in_place(tmp_path, monkeypatch):
    with open_archive(tmp_path / "a.db") as archive:
        monkeypatch.setattr(archive, "search_indexer", lambda: None)
        fill = SearchFill(archive)

        async def go():
            _store(archive, 2)
            fill.start()
            assert not fill.busy
            await fill.close()
        asyncio.run(go())
        assert _indexed(archive) == 2


def test_a_fill_that_fails_before_taking_the_lock_neither_hangs_nor_stops_the_crawl(tmp_path, caplog):
    """A fill whose connection could not even begin (the file unreadable for a moment, a
    disk error) is skipped with a warning; `start` does not wait for a lock never taken, and
    the next fill indexes what this one would have."""
    from scraper.store import ArchiveError

    def broken(holding):
        raise ArchiveError("cannot open the archive")

    def crawl() -> None:               # in a thread of its own: a hang fails the test, not the run
        with open_archive(tmp_path / "a.db") as archive, archive.group_commit():
            fill = SearchFill(archive)
            working, fill.indexer = fill.indexer, broken

            async def go():
                _store(archive, 2)
                fill.start()               # returns: no lock to wait for
                await fill.writable()
                fill.indexer = working
                _store(archive, 1, first=2)
                fill.start()
                await fill.close()
            asyncio.run(go())
        done.set()
    done = threading.Event()
    threading.Thread(target=crawl, daemon=True).start()
    assert done.wait(20), "start() waited for a fill that never began"
    assert "the search index was not filled: cannot open the archive" in caplog.text
    with open_archive(tmp_path / "a.db") as archive:
        assert _indexed(archive) == 3


def _slow_fill(fills: list[SearchFill], seconds: float) -> type[SearchFill]:
    """A SearchFill whose fills hold the write lock `seconds` longer; each made is put in `fills`."""

    class SlowFill(SearchFill):
        def __init__(self, archive):
            super().__init__(archive)
            fills.append(self)
            real = self.indexer

            def slow(holding):
                def hold():
                    holding()
                    threading.Event().wait(seconds)
                return real(hold)
            self.indexer = slow
    return SlowFill


def test_no_write_of_a_crawl_begins_while_a_fill_holds_the_lock(tmp_path, monkeypatch):
    """A write that begins while a fill holds the write lock blocks the whole event loop
    until the fill is done (~0.1 s: no answer read, no request sent meanwhile). Every write
    of a crawl must come right after `writable()`, with no await in between: a page parsed
    in a worker is awaited after the fetch, and a fill may start meanwhile (in a crawl of real
    pages at one request per host, 36 of 36 write groups waited so, 31 ms each on average).
    Here the crawler makes its requests itself and the workers parse, a fill starts after
    every article and holds the lock a while: every write must find it free."""
    from scraper import crawler, search_fill, workers
    from scraper.crawler import crawl_async
    from scraper.settings import RunSettings, Settings, SiteConfig
    from scraper.testsite import FixtureServer, bundled_sites

    fills: list[SearchFill] = []
    SlowFill = _slow_fill(fills, 0.05)          # the lock held a while, as a big fill does
    monkeypatch.setattr(crawler, "SearchFill", SlowFill)
    monkeypatch.setattr(crawler, "_INDEX_EVERY", 1)
    monkeypatch.setattr(workers.WorkerPool, "computing_only", lambda self: True)   # requests made here
    assert search_fill.SearchFill is not SlowFill
    blocked: list[str] = []
    with FixtureServer(bundled_sites()["univ"]) as server, open_archive(tmp_path / "a.db") as archive:
        real_transaction = archive.transaction

        def transaction():
            if fills and fills[0].busy:
                blocked.append("".join(__import__("traceback").format_stack(limit=4)[:2]))
            return real_transaction()
        monkeypatch.setattr(archive, "transaction", transaction)
        site = SiteConfig(name="univ", start_urls=(server.origin + "/",),
                          settings=Settings(delay=0.0, per_host_concurrency=2, timeout=5.0))
        report = asyncio.run(crawl_async([site], archive, RunSettings(concurrency=2, extract_workers=1)))
    assert report.counts["articles_new"] > 5
    assert not blocked, f"{len(blocked)} writes began while a fill held the lock, e.g.:\n{blocked[0]}"


def test_fetching_goes_on_while_a_fill_holds_the_lock_and_every_page_is_stored_once(tmp_path, monkeypatch):
    """A fetched page waits for the fill to be stored; a spare coroutine fetches meanwhile
    (see `_SiteCrawl._store_turn`). Without spares, every coroutine soon held a page waiting
    for the fill and no request went out until it was done. Here one coroutine would do all
    the work, a fill starts every 3 articles and holds the lock for 0.3 s: requests must go
    on during fills, and every article still be stored exactly once."""
    from newssites import make_sites, serve_news

    from scraper import crawler
    from scraper.crawler import crawl_async
    from scraper.fetch import Fetcher
    from scraper.settings import RunSettings, Settings, SiteConfig
    from scraper.urls import canonicalize

    fills: list[SearchFill] = []
    monkeypatch.setattr(crawler, "SearchFill", _slow_fill(fills, 0.3))
    monkeypatch.setattr(crawler, "_INDEX_EVERY", 3)
    during: list[bool] = []
    real_fetch = Fetcher.fetch

    async def fetch(self, url, **kw):
        during.append(fills[0].busy)
        return await real_fetch(self, url, **kw)
    monkeypatch.setattr(Fetcher, "fetch", fetch)
    site = make_sites(24, styles=("vsb",))[0]
    with serve_news([site]), open_archive(tmp_path / "a.db") as archive:
        config = SiteConfig(name="vsb", start_urls=(site.origin + site.home_path(),),
                            settings=Settings(delay=0.0, per_host_concurrency=1, timeout=5.0, max_retries=0))
        report = asyncio.run(crawl_async([config], archive, RunSettings(concurrency=1, extract_workers=0)))
        urls = [row[0] for row in archive.conn.execute("SELECT url FROM articles")]
    assert sum(during) >= 8, f"{sum(during)} of {len(during)} requests went out during fills"
    assert not fills[0].spares                  # every spare coroutine has left
    expected = {canonicalize(site.origin + site.article_path(art)) for art in site.articles.values()}
    assert len(urls) == len(set(urls)) and set(urls) == expected
    assert not report.counts["reason:internal-error"], report.counts


def test_next_without_writes_hands_out_what_needs_none_and_keeps_the_rest_queued(tmp_path):
    """While a fill runs, `_next(write=False)` hands out a claimed URL to fetch, but stops,
    with the queue as it was, at one it would settle with a write (a part fetched with its
    article, a URL of a moved origin); `_next()` settles it."""
    from collections import Counter

    from scraper.crawler import _Budget, _SiteCrawl, _WriteNeeded
    from scraper.fetch import HostPacing
    from scraper.frontier import FrontierItem
    from scraper.settings import SiteConfig

    with open_archive(tmp_path / "a.db") as archive:
        site = SiteConfig(name="s", start_urls=("http://a.cn/",))
        crawl = _SiteCrawl(site, archive, archive.start_run({}), _Budget(None, None), Counter(), None, None,
                           HostPacing(), None, SearchFill(archive))
        article = FrontierItem("http://a.cn/info/1.htm", "http://a.cn/info/1.htm", "s", "article")
        part = FrontierItem("http://a.cn/info/1_2.htm", "http://a.cn/info/1_2.htm", "s", "part")
        crawl.queue = [article, part]
        assert crawl._next(write=False) == (article, False)
        with pytest.raises(_WriteNeeded):
            crawl._next(write=False)
        assert crawl.queue == [part]
        crawl.moves.observe("http://old.cn/a", ["http://a.cn/a"], True, {})
        crawl.moves.observe("http://old.cn/b", ["http://a.cn/b"], True, {})
        moved = FrontierItem("http://old.cn/info/2.htm", "http://old.cn/info/2.htm", "s", "article")
        crawl.queue.append(moved)
        with pytest.raises(_WriteNeeded):
            crawl._next(write=False)
        assert crawl.queue == [part, moved]
        item, asked = crawl._next()         # both settled without a request, then the frontier asked
        assert asked and item is not None and item.url == "http://a.cn/info/2.htm"   # the moved URL's twin
        assert crawl.counts["moved"] == 1
