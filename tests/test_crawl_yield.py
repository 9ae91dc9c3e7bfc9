"""Trap control by yield (scraper.yields) on simulated news sites with calendars, tag clouds,
search and sort permutations: every trap costs a bounded number of requests, no rule per trap."""
from __future__ import annotations

import asyncio
from collections import Counter

from newssites import make_sites, serve_news

from click.testing import CliRunner

from scraper.cli import main
from scraper.crawler import crawl_async
from scraper.settings import RunSettings, Settings, SiteConfig
from scraper.store import open_archive
from scraper.urls import canonicalize
from scraper.yields import PatternStats, YieldTracker, pattern_keys, url_pattern

FAST = Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=0, low_yield_after=5)
RUN = RunSettings(concurrency=4, extract_workers=0)


def test_url_pattern_masks_digits_and_keeps_only_query_keys():
    assert url_pattern("http://a.cn:8080/rili?y=2023&m=11") == "a.cn:8080/rili?m&y"
    assert url_pattern("http://a.cn/rili?m=1&y=1999") == url_pattern("http://a.cn/rili?y=2023&m=11")
    assert url_pattern("http://a.cn/sort?f1=a&f2=b&by=x") == "a.cn/sort?by&f#"
    assert url_pattern("http://a.cn/info/1012/5001.htm") == "a.cn/info/#/#.htm"
    assert url_pattern("http://a.cn/info/1012/5001.htm") != url_pattern("http://b.cn/info/1012/5001.htm")


def test_a_parameter_learned_to_change_nothing_folds_its_patterns_yields_into_the_plain_one():
    """Lists fetched with a session id yielded; fetched without it once it was learned, they
    showed nothing new. Folded, the plain pattern has yielded: judged by its idle streak."""
    tracker = YieldTracker(3)
    for _ in range(4):
        tracker.record("a.cn/list.asp?classid&sid", article=False, yielded=True)
    for _ in range(3):
        tracker.record("a.cn/list.asp?classid", article=False, yielded=False)
    assert tracker.is_low("a.cn/list.asp?classid")
    tracker.changes()
    tracker.fold("sid")
    plain = tracker.patterns["a.cn/list.asp?classid"]
    assert (plain.fetched, plain.yielded, plain.idle) == (7, 4, 3)
    assert [c[:5] for c in tracker.changes()] == [("a.cn/list.asp?classid", 4, 4, 0, 3)]   # kept for later runs
    tracker.record("a.cn/list.asp?classid", article=False, yielded=True)
    assert not tracker.is_low("a.cn/list.asp?classid")


def test_a_pattern_goes_low_after_its_limit_and_a_yield_revives_it():
    tracker = YieldTracker(3)
    for _ in range(2):
        tracker.record("p", article=False, yielded=False)
    assert not tracker.is_low("p")
    assert tracker.is_low("p", pending={"p": 1})          # fetches under way count as idle ones
    assert not tracker.is_low("fresh", pending={"fresh": 5})  # a pattern never fetched is not judged
    assert tracker.record("p", article=False, yielded=False) is False
    assert tracker.is_low("p")
    assert tracker.credit("p") is True              # an article found through one of its pages
    assert not tracker.is_low("p")
    assert tracker.record("q", article=True, yielded=False) is False
    assert tracker.is_productive("q") and not tracker.is_productive("p")
    assert [c[0] for c in tracker.changes()] == ["p", "q"] and tracker.changes() == []


def test_sibling_pages_named_by_a_word_share_a_family():
    """A tag cloud whose pages are path segments (/tag/教育/) is one pattern per tag: the pages
    are also judged together, as siblings, and so is their pagination."""
    assert pattern_keys(url_pattern("http://a.cn/tag/%E6%95%99%E8%82%B2/")) == ("a.cn/tag/%E#%#%#%E#%#%B#/", "a.cn/tag/*/")
    assert pattern_keys(url_pattern("http://a.cn/tag/jiaoyu/page/2/"))[1:] == ("a.cn/tag/*/page/#/",)
    assert pattern_keys(url_pattern("http://a.cn/tags/keji.html"))[1:] == ("a.cn/tags/*.html",)
    assert pattern_keys(url_pattern("http://a.cn/tag/keji/?page=2"))[1:] == ("a.cn/tag/keji/?*", "a.cn/tag/*/")
    # a number is no word (the pattern already stands for all of them); a top-level page has no siblings
    assert pattern_keys(url_pattern("http://a.cn/info/1012/5001.htm")) == ("a.cn/info/#/#.htm",)
    assert pattern_keys(url_pattern("http://a.cn/about.html")) == ("a.cn/about.html",)
    assert pattern_keys(url_pattern("http://a.cn/news/")) == ("a.cn/news/",)


def test_scripts_given_a_query_are_no_siblings_of_the_scripts_beside_them():
    """DedeCMS keeps all its scripts in /plus/: view.php?aid= shows articles, calendar.php a
    calendar. As siblings, the URLs a calendar page revealed looked productive (view.php's
    pages were articles) and the calendar was walked for a hundred pages."""
    assert pattern_keys(url_pattern("http://a.cn/plus/calendar.php?y=2023&m=11")) == (
        "a.cn/plus/calendar.php?m&y", "a.cn/plus/calendar.php?*")
    assert pattern_keys(url_pattern("http://a.cn/plus/flink.php"))[1:] == ("a.cn/plus/*.php",)   # no query: a page
    tracker = YieldTracker(10)
    tracker.record(url_pattern("http://a.cn/plus/view.php?aid=5001"), article=True, yielded=True)
    assert not tracker.is_productive(url_pattern("http://a.cn/plus/calendar.php?y=2023&m=10"))


def test_a_cloud_of_sibling_patterns_goes_low_together_and_in_flight_fetches_count():
    tracker = YieldTracker(10)
    tracker.record("a.cn/category/news/", article=False, yielded=True)      # lists lead to articles at once
    tracker.record("a.cn/#/#/#/news-#/", article=True, yielded=True)
    words = ("jiaoyu", "keji", "minsheng", "shengtai", "rencai")
    for word in words[:2]:
        tracker.record(f"a.cn/tag/{word}/", article=False, yielded=False)
    assert not tracker.is_low("a.cn/tag/dangjian/")                          # one fetch each so far
    assert tracker.is_low("a.cn/tag/dangjian/", pending={"a.cn/tag/*/": 1})  # a third sibling under way
    tracker.record(f"a.cn/tag/{words[2]}/", article=False, yielded=False)
    assert tracker.is_low("a.cn/tag/dangjian/") and tracker.is_doubtful("a.cn/tag/dangjian/")
    assert not tracker.is_low("a.cn/category/notice/")                      # other siblings are judged apart
    assert not tracker.is_low("a.cn/tag/dangjian/", siblings=False)          # a list is judged on its own
    assert tracker.record("a.cn/tag/rencai/", article=False, yielded=True)   # one that leads somewhere revives them
    assert not tracker.is_low("a.cn/tag/dangjian/")


def test_articles_named_by_their_own_slug_are_counted_by_their_siblings_only():
    """Real WordPress permalinks (/2023/11/05/某标题/) make each article a pattern of its own:
    kept one by one, 100k articles would be 100k entries in memory and in the archive."""
    tracker = YieldTracker(10)
    slugs = [f"{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}{chr(97 + i // 676)}" for i in range(2000)]
    for slug in slugs:
        tracker.record(url_pattern(f"http://a.cn/2023/11/05/{slug}/"), article=True, yielded=True)
    assert list(tracker.patterns) == ["a.cn/#/#/#/*/"] and tracker.patterns["a.cn/#/#/#/*/"].articles == 2000
    assert tracker.is_productive(url_pattern("http://a.cn/2023/11/06/zzz-new/"))   # a sibling not seen yet
    tracker.record(url_pattern("http://a.cn/2023/11/05/aaa/"), article=False, yielded=False)
    assert "a.cn/#/#/#/aaa/" in tracker.patterns     # one that is no article is kept: it may be a trap
    # an archive from before families holds one row per such article: they are not read back
    stored = {f"a.cn/#/#/#/{slug}/": PatternStats(fetched=1, yielded=1, articles=1) for slug in slugs}
    stored["a.cn/tag/*/"] = PatternStats(fetched=3, idle=3)
    stored["a.cn/#/#/#/*/"] = PatternStats(fetched=2000, yielded=2000, articles=2000)    # families stay
    assert sorted(YieldTracker(10, stored).patterns) == ["a.cn/#/#/#/*/", "a.cn/tag/*/"]


def test_sibling_sections_that_yield_are_not_cut_by_an_idle_one():
    tracker = YieldTracker(10)
    tracker.record("a.cn/#/#/#/news-#/", article=True, yielded=True)
    for section in ("about", "contact", "news", "notice", "jobs", "history"):
        tracker.record(f"a.cn/category/{section}/", article=False, yielded=section in ("news", "notice"))
    assert not tracker.is_low("a.cn/category/research/")


def test_a_productive_pattern_is_not_stopped_by_its_fetches_in_flight():
    # found by bench/soak.py: 8 pages in flight plus 2 non-articles among 300 articles made the
    # site's article pattern low-yield, and the rest of its sitemap was skipped
    tracker = YieldTracker(10)
    for _ in range(300):
        tracker.record("a/#.htm", article=True, yielded=True)
    for _ in range(2):
        tracker.record("a/#.htm", article=False, yielded=False)
    assert not tracker.is_low("a/#.htm", pending={"a/#.htm": 8})


def _crawl(sites, db, settings=FAST):
    configs = [SiteConfig(name=s.style, start_urls=(s.origin + s.home_path(),), settings=settings) for s in sites]
    with open_archive(db) as archive:
        return asyncio.run(crawl_async(configs, archive, RUN))


def test_traps_cost_a_bounded_number_of_requests_and_every_article_is_found(tmp_path):
    sites = make_sites(12, styles=("vsb", "jcms"))
    with serve_news(sites) as logs:
        report = _crawl(sites, tmp_path / "a.db")
        with open_archive(tmp_path / "a.db") as archive:
            stored = {r[0] for r in archive.conn.execute("SELECT url FROM articles")}
            skipped = archive.conn.execute(
                "SELECT COUNT(*) FROM frontier WHERE state='skipped' AND reason='low-yield'").fetchone()[0]
            # never-yielding patterns are cut after a few idle fetches (see YieldTracker.patience)
            low = archive.conn.execute("SELECT COUNT(*) FROM url_patterns WHERE yielded = 0 AND idle >= 2").fetchone()[0]
    assert report.outcome == "completed"
    assert {canonicalize(s.origin + s.article_path(a)) for s in sites for a in s.articles.values()} <= stored
    for site in sites:
        made = Counter(site.label(p) for p in logs[site.host])
        traps = {k: n for k, n in made.items() if k.startswith("trap:")}
        assert traps and max(traps.values()) <= 2 * 5, (site.style, made)   # ≤ limit per pattern, 2 patterns each
        assert made["list"] == site.minimum()["lists"] - 1                     # list pages are never cut
    assert skipped > 0 and low >= 6
    assert report.counts["low-yield"] == skipped
    shown = CliRunner().invoke(main, ["stats", "--db", str(tmp_path / "a.db")])
    assert shown.exit_code == 0 and "low-yield" in shown.output and "/rili?" in shown.output


def test_learned_yields_persist_so_a_second_run_skips_known_traps(tmp_path):
    sites = make_sites(12, styles=("vsb",))
    with serve_news(sites) as logs:
        _crawl(sites, tmp_path / "a.db")
        before = len(logs[sites[0].host])
        _crawl(sites, tmp_path / "a.db")
        again = Counter(sites[0].label(p) for p in logs[sites[0].host][before:])
    # only the one finite sort pattern (4 URLs, never reaching the limit) is re-read as a hub
    assert sum(n for k, n in again.items() if k.startswith("trap:")) <= 4, again


def test_a_never_yielding_pattern_gets_less_patience_on_a_site_whose_hubs_yield_at_once():
    tracker = YieldTracker(10)
    for _ in range(3):
        tracker.record("cal?m&y", article=False, yielded=False)
    assert not tracker.is_low("cal?m&y")          # no evidence yet of where articles come from
    tracker.record("list/#.htm", article=False, yielded=True)     # a list page yields at once
    tracker.record("info/#.htm", article=True, yielded=True)
    assert tracker.is_low("cal?m&y")              # 3 idle fetches: far out of line with the lists
    assert not tracker.is_low("list/#.htm")
    for _ in range(3):
        tracker.record("list/#.htm", article=False, yielded=False)
    assert not tracker.is_low("list/#.htm")       # a pattern that has yielded keeps the full limit


def test_a_site_whose_hubs_yield_late_gives_new_patterns_more_patience():
    tracker = YieldTracker(10)
    tracker.record("info/#.htm", article=True, yielded=True)
    for _ in range(5):                            # a hub that first yielded on its 6th page
        tracker.record("col/#.htm", article=False, yielded=False)
    tracker.record("col/#.htm", article=False, yielded=True)
    for _ in range(6):
        tracker.record("tag?t", article=False, yielded=False)
    assert not tracker.is_low("tag?t")
    tracker.record("tag?t", article=False, yielded=False)
    assert tracker.is_low("tag?t")


def test_with_the_default_limit_a_trap_costs_a_few_requests_and_lists_are_never_cut(tmp_path):
    sites = make_sites(20, styles=("vsb", "wp"))
    defaults = Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=0)
    assert defaults.low_yield_after == 10
    with serve_news(sites) as logs:
        _crawl(sites, tmp_path / "a.db", defaults)
        with open_archive(tmp_path / "a.db") as archive:
            stored = {r[0] for r in archive.conn.execute("SELECT url FROM articles")}
    assert {canonicalize(s.origin + s.article_path(a)) for s in sites for a in s.articles.values()} <= stored
    for site in sites:
        made = Counter(site.label(p) for p in logs[site.host])
        traps = {k: n for k, n in made.items() if k.startswith("trap:")}
        # calendar, search, sort: each one widget of one or two URL patterns; WordPress tags are
        # path-named pages of two sibling families (a tag's page and its pagination)
        assert traps and max(traps.values()) <= 8, (site.style, made)
        assert made["list"] == site.minimum()["lists"] - 1, (site.style, made)


def test_a_crawl_cut_at_a_fifth_more_pages_than_articles_holds_nearly_all_of_them(tmp_path):
    sites = make_sites(60, styles=("vsb", "wp"))
    total = sum(len(s.articles) for s in sites)
    with serve_news(sites) as logs, open_archive(tmp_path / "a.db") as archive:
        configs = [SiteConfig(name=s.style, start_urls=(s.origin + s.home_path(),), settings=FAST) for s in sites]
        report = asyncio.run(crawl_async(configs, archive, RunSettings(concurrency=4, extract_workers=0,
                                                                       max_pages=int(1.2 * total))))
        stored = {r[0] for r in archive.conn.execute("SELECT url FROM articles")}
        aliases = dict(archive.conn.execute("SELECT alias, url FROM aliases").fetchall())
    assert report.outcome == "limit"
    held = sum(canonicalize(s.origin + s.article_path(a)) in stored.union(aliases)
               for s in sites for a in s.articles.values())
    assert held >= 0.95 * total, (held, total, [Counter(s.label(p) for p in logs[s.host]) for s in sites])
