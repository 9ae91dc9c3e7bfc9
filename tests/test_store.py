"""The archive contract: schema, article versions and aliases, the crawl lock, read-only access."""
from __future__ import annotations

import io
import json
import zlib

import pytest

from scraper.article import Article, Image
from scraper.export import export_articles, run_query, search
from scraper.frontier import Frontier, FrontierItem
from scraper.store import ArchiveError, PageRecord, RawPage, compress, open_archive


def _article(body: str = "第一段。\n第二段。", title: str = "我校举办学术报告会") -> Article:
    return Article(title=title, published_at="2019-11-01", author="刘阳", body=body,
                   images=[Image("http://127.0.0.1/a.jpg", "会场")])


@pytest.fixture
def archive(archive_target):
    """Each contract test runs on both backends (SQL in them is the dialects' common part)."""
    with open_archive(archive_target) as a:
        yield a


@pytest.fixture
def sqlite_archive(tmp_path):
    with open_archive(tmp_path / "a.db") as a:
        yield a


def test_article_new_unchanged_changed_and_alias(archive):
    url = "http://127.0.0.1/info/1012/1.htm"
    with archive.transaction():
        assert archive.save_article(_article(), url, "s", 1) == "new"
        assert archive.save_article(_article(), url, "s", 2) == "unchanged"
        assert archive.save_article(_article(body="第一段。\n更正后的第二段。"), url, "s", 3) == "changed"
        assert archive.save_article(_article(body="第一段。\n更正后的第二段。"), url + "?print=1", "s", 3) == "alias"
    row = archive.query(f"SELECT version, body, images FROM articles WHERE url='{url}'").first()
    assert row[0] == 2 and "更正" in row[1]
    assert json.loads(row[2]) == [{"src": "http://127.0.0.1/a.jpg", "caption": "会场"}]
    old = list(archive.query(f"SELECT version, body FROM article_versions WHERE url='{url}'"))
    assert old == [(1, "第一段。\n第二段。")]
    assert archive.resolve_alias(url + "?print=1") == url
    assert archive.query("SELECT COUNT(*) FROM articles").first() == (1,)


def test_failed_refetch_keeps_the_stored_body(archive):
    with archive.transaction():
        archive.save_page(PageRecord(url="u", site="s", status=200, encoding="utf-8", raw=compress(b"<html>ok</html>")))
        archive.save_page(PageRecord(url="u", site="s", status=None, reason="timeout"))
    assert list(archive.raw_pages()) == [RawPage("u", "s", None, b"<html>ok</html>", "utf-8")]
    assert archive.query("SELECT reason FROM pages").first() == ("timeout",)


def test_site_profiles_are_stored_replaced_and_forgotten_with_their_site(archive):
    assert archive.site_profile("s") is None
    with archive.transaction():
        archive.save_site_profile("s", '{"title_affixes": ["某某学院"]}', 5)
        archive.save_site_profile("s", '{"title_affixes": ["某某大学"]}', 10)
        archive.save_page(PageRecord(url="http://a/1", site="s", status=200, encoding="utf-8", raw=compress(b"<p>x</p>")))
    assert archive.site_profile("s") == ('{"title_affixes": ["某某大学"]}', 10)
    assert archive.raw_page("http://a/1") == RawPage("http://a/1", "s", None, b"<p>x</p>", "utf-8")
    assert archive.raw_page("http://a/2") is None
    archive.delete_sites("s")
    assert archive.site_profile("s") is None


def test_site_stats_count_fields_resting_on_weak_evidence(archive):
    with archive.transaction():
        for n, how in enumerate(("url", "label", "meta", "header")):
            art = Article(title=f"标题{n}", published_at="2024-05-01", body="正文。", evidence={"published_at": how,
                                                                                         "title": "heading"})
            archive.save_article(art, f"http://a/{n}.htm", "a", None)
        archive.save_site_profile("a", "{}", 4)
    (site,) = archive.site_stats()
    assert site["weak"] == {"title": 0.0, "published_at": 0.5, "author": 0.0, "source": 0.0, "editor": 0.0}
    assert site["profile_pages"] == 4


def test_raw_pages_read_zstd_rows_and_zlib_rows_of_older_archives(archive):
    page = "<html><body>正文</body></html>".encode("gbk")
    archive.save_page(PageRecord(url="http://a/new", site="s", status=200, encoding="gb18030", raw=compress(page)))
    archive.save_page(PageRecord(url="http://a/old", site="s", status=200, encoding="gb18030",
                                 raw=zlib.compress(page, 6)))
    assert compress(page)[:4] == b"\x28\xb5\x2f\xfd"      # a zstd frame, not zlib's 0x78
    assert [(p.url, p.content) for p in archive.raw_pages()] == [("http://a/new", page), ("http://a/old", page)]


def test_transaction_rolls_back_on_error(archive):
    with pytest.raises(RuntimeError), archive.transaction():
        archive.save_article(_article(), "http://x/1", "s", 1)
        raise RuntimeError("crash between page and article")
    assert archive.query("SELECT COUNT(*) FROM articles").first() == (0,)


def test_runs_left_running_become_interrupted(sqlite_archive):
    archive = sqlite_archive       # on PostgreSQL other workers' runs are live (see test_store_pg)
    first = archive.start_run({"urls": ["http://x/"]})
    second = archive.start_run({})
    outcomes = dict(archive.query("SELECT id, outcome FROM runs"))
    assert outcomes == {first: "interrupted", second: "running"}
    archive.finish_run(second, "completed", {"pages_fetched": 3}, {"pages_fetched": 3})
    assert archive.query(f"SELECT outcome, pages_fetched FROM runs WHERE id={second}").first() == ("completed", 3)


def test_frontier_order_resume_and_lastmod_requeue(archive):
    f = Frontier(archive)
    with archive.transaction():
        f.add([FrontierItem("http://x/a/1.htm", "http://x/a/1.htm", "s", "article"),
               FrontierItem("http://x/list.htm", "http://x/list.htm", "s", "list"),
               FrontierItem("http://x/sitemap.xml", "http://x/sitemap.xml", "s", "sitemap")], 1)
    batch = f.next_batch("s", 10, exclude=set())
    assert [i.kind for i in batch] == ["sitemap", "article", "list"]   # a cut crawl holds the most articles
    assert [i.kind for i in f.next_batch("s", 10, exclude={"http://x/sitemap.xml"})] == ["article", "list"]
    with archive.transaction():
        for item in batch:
            f.finish(item, "done", run_id=1)
    assert f.counts("s") == {"done": 3}
    with archive.transaction():
        f.start_run("s", refresh=False)            # hubs are re-read every run, articles are not
    assert {i.kind for i in f.next_batch("s", 10, set())} == {"sitemap", "list"}
    with archive.transaction():
        f.add([FrontierItem("http://x/a/1.htm", "http://x/a/1.htm", "s", "article", lastmod="2999-01-01")], 2)
    assert "http://x/a/1.htm" in {i.url for i in f.next_batch("s", 10, set())}


def _filled(path):
    with open_archive(path) as a, a.transaction():
        a.save_article(_article(body="乡村振兴战略稳步推进。\n农民增收。"), "http://x/1", "s", 1)
        a.save_article(_article(title="图书馆开放时间调整", body="暑期图书馆开放时间调整如下。"), "http://x/2", "s", 1)
    return path


def test_query_is_read_only(tmp_path):
    path = _filled(str(tmp_path / "a.db"))
    result = run_query(path, "SELECT COUNT(*) AS n FROM articles")
    assert result.columns == ["n"] and list(result) == [(2,)]
    for sql in ("DELETE FROM articles", f"ATTACH DATABASE '{tmp_path / 'x.db'}' AS x",
                f"VACUUM INTO '{tmp_path / 'v.db'}'", "PRAGMA journal_mode=DELETE"):
        with pytest.raises(ArchiveError, match="read-only"):
            run_query(path, sql)
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "v.db").exists()
    assert list(run_query(path, "PRAGMA table_info(articles)"))
    with pytest.raises(ArchiveError, match="no archive"):
        run_query(tmp_path / "missing.db", "SELECT 1")


@pytest.mark.parametrize("text, expected", [("乡村振兴", ["http://x/1"]), ("图书", ["http://x/2"]),
                                            ("开放时间", ["http://x/2"]), ("不存在的词", []),
                                            ("乡村振兴 农民增收", ["http://x/1"]), ("图书馆 开放", ["http://x/2"]),
                                            ("图书馆 乡村", []), ("50%", [])])
def test_search_long_and_short_chinese(archive_target, text, expected):
    path = _filled(archive_target)
    total, hits = search(path, text, 10)
    assert [r[0] for r in hits] == expected and total == len(expected)


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_export_round_trip_keeps_chinese_readable(archive_target, fmt):
    path = _filled(archive_target)
    out = io.StringIO()
    assert export_articles(path, out, fmt) == 2
    text = out.getvalue()
    assert "乡村振兴" in text and "\\u" not in text
    records = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    assert {r["url"] for r in records} == {"http://x/1", "http://x/2"}
    assert records[0]["images"][0]["caption"] == "会场"


def test_group_commit_keeps_units_atomic_and_commits_in_groups(tmp_path):
    path = tmp_path / "a.db"
    with open_archive(path) as archive:
        with archive.group_commit(max_units=2, max_seconds=60):
            with archive.transaction():
                archive.save_article(_article(title="第一篇"), "http://x/1", "s", 1)
            with pytest.raises(RuntimeError), archive.transaction():
                archive.save_article(_article(title="第二篇"), "http://x/2", "s", 1)
                raise RuntimeError("this unit is rolled back alone")
            with open_archive(path, readonly=True) as reader:     # the group is not committed yet
                assert reader.query("SELECT COUNT(*) FROM articles").first() == (0,)
            with archive.transaction():
                archive.save_article(_article(title="第三篇"), "http://x/3", "s", 1)
            with open_archive(path, readonly=True) as reader:     # two units done: committed
                assert {r[0] for r in reader.query("SELECT url FROM articles")} == {"http://x/1", "http://x/3"}
            with archive.transaction():
                archive.save_article(_article(title="第四篇"), "http://x/4", "s", 1)
    with open_archive(path, readonly=True) as reader:     # closing the group commits the rest
        assert reader.query("SELECT COUNT(*) FROM articles").first() == (3,)


def test_the_plain_url_wins_over_a_print_view_found_first(archive):
    url = "http://x/info/1012/1.htm"
    with archive.transaction():
        assert archive.save_article(_article(), url + "?print=1", "s", 1) == "new"
        assert archive.save_article(_article(), url, "s", 1) == "alias"
    assert [r[0] for r in archive.query("SELECT url FROM articles")] == [url]
    assert archive.resolve_alias(url + "?print=1") == url


def test_a_plainer_url_takes_over_an_article_with_its_versions_and_aliases(archive):
    """A session id learned to change nothing: the article stored under `?sid=` moves to the
    plain URL, which was its alias; what pointed at the old URL points at the new one."""
    old, plain = "http://x/info/1.htm?sid=ab", "http://x/info/1.htm"
    with archive.transaction():
        archive.save_article(_article(), old, "s", 1)
        archive.save_article(_article(body="改过的正文。" * 20), old, "s", 2)     # a second version
        archive.add_alias(plain, old)
        archive.add_alias(old + "&print=1", old)
        archive.take_over(plain, old)
    assert [r[0] for r in archive.query("SELECT url FROM articles")] == [plain]
    assert [r[0] for r in archive.query("SELECT url FROM article_versions")] == [plain]
    assert archive.resolve_alias(old) == plain and archive.resolve_alias(old + "&print=1") == plain
    assert archive.resolve_alias(plain) == plain


def test_a_stored_article_url_is_never_made_an_alias(archive):
    with archive.transaction():
        archive.save_article(_article(), "http://x/info/1.htm", "s", 1)
        archive.add_alias("http://x/info/1.htm", "http://x/info/1.htm?article=1")
    assert archive.resolve_alias("http://x/info/1.htm") == "http://x/info/1.htm"


def test_pattern_yields_of_processes_sharing_an_archive_add_up(archive_target):
    """Trap control across workers: what each process counted is added to the stored counts
    and the sums come back, so a pattern goes low-yield after `limit` idle fetches in all."""
    from scraper.yields import YieldTracker

    with open_archive(archive_target) as one, open_archive(archive_target) as two:
        first, second = YieldTracker(3), YieldTracker(3)
        for _ in range(2):
            first.record("a.cn/cal?d", article=False, yielded=False)
        with one.transaction():
            first.update(one.merge_url_patterns("s", first.changes()))
        second.record("a.cn/cal?d", article=False, yielded=False)
        assert not second.is_low("a.cn/cal?d")          # alone it has seen one idle fetch
        with two.transaction():
            second.update(two.merge_url_patterns("s", second.changes()))
        assert second.is_low("a.cn/cal?d")              # with the other's two: the limit
        assert second.patterns["a.cn/cal?d"].fetched == 3
        second.record("a.cn/cal?d", article=True, yielded=True)   # one article revives it
        with two.transaction():
            second.update(two.merge_url_patterns("s", second.changes()))
        with one.transaction():
            first.update(one.merge_url_patterns("s", first.changes()))
        assert one.url_patterns("s") == two.url_patterns("s")
        stored = {row[0]: row[1:] for row in one.url_patterns("s")}
        assert stored["a.cn/cal?d"] == (4, 1, 1, 0, None)
        assert stored["a.cn/cal?*"] == (4, 1, 1, 0, None)    # the family too


def test_known_urls_and_states_answer_long_lists_and_odd_urls(archive):
    """A pager can name a thousand pages: one query answers any length (no bound-parameter
    limit, no statement per length), and URLs with quotes or non-ASCII text match exactly."""
    urls = [f"http://127.0.0.1/list/{n}.htm" for n in range(1, 1501)] + ["http://127.0.0.1/a?q=\"x'y\"", "http://127.0.0.1/新闻"]
    frontier = Frontier(archive)
    with archive.transaction():
        frontier.add([FrontierItem(u, u, "s", "list") for u in urls[::2]], 1)
    asked = urls + ["http://127.0.0.1/unknown.htm"]
    assert archive.known_urls(asked) == set(urls[::2])
    states = archive.frontier_states(asked)
    assert set(states) == set(urls[::2]) and all(state == ("pending", 1) for state in states.values())
    assert archive.known_urls([]) == set() and archive.frontier_states([]) == {}


def test_an_article_found_unchanged_is_no_news_of_its_run(archive):
    """A list page 'shows news' when it links a URL its run queued or whose text it stored; an
    article only re-checked (304, or the same text) tells nothing of the pages around it."""
    frontier = Frontier(archive)
    queued, rechecked, edited, earlier = (f"http://127.0.0.1/info/1012/{n}.htm" for n in (1, 2, 3, 4))
    with archive.transaction():
        for url in (rechecked, edited, earlier):
            frontier.add([FrontierItem(url, url, "s", "article")], 1)
            frontier.finish(FrontierItem(url, url, "s", "article"), "done", run_id=1)
            archive.save_article(_article(title=f"标题{url[-5]}测试"), url, "s", 1)
        frontier.add([FrontierItem(queued, queued, "s", "article")], 2)
        for url, body in ((rechecked, None), (edited, "更正后的正文。")):
            frontier.finish(FrontierItem(url, url, "s", "article"), "done", run_id=2)
            archive.save_article(_article(title=f"标题{url[-5]}测试", **({"body": body} if body else {})), url, "s", 2)
    assert frontier.news_in_run([queued], 2) and frontier.news_in_run([edited], 2)
    assert not frontier.news_in_run([rechecked, earlier], 2) and not frontier.news_in_run([], 2)
    assert frontier.news_in_run([earlier], 1)
