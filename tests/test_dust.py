"""Query parameters a site's pages do not depend on, learned from duplicate pages
(scraper.dust), and a crawl of sites that put a session id on every link."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from click.testing import CliRunner
from newssites import make_sites, serve_news

from scraper.cli import main
from scraper.crawler import crawl_async
from scraper.dust import IdleParams
from scraper.settings import RunSettings, Settings, SiteConfig
from scraper.store import open_archive
from scraper.urls import canonicalize, strip_params


def _everywhere(name: str) -> int:
    return 5


def test_a_parameter_two_urls_of_one_page_differ_in_is_learned_and_stripped():
    params = IdleParams()
    assert params.strip("http://a.cn/info/1.htm?sid=ab12&id=3") == "http://a.cn/info/1.htm?sid=ab12&id=3"
    assert params.learn("http://a.cn/info/1.htm?id=3&sid=ab12", "http://a.cn/info/1.htm?sid=9f00&id=3",
                        _everywhere) == ["sid"]
    assert params.strip("http://a.cn/list.htm?sid=77&page=2#top") == "http://a.cn/list.htm?page=2#top"
    assert params.strip("http://a.cn/info/2.htm?sid=77") == "http://a.cn/info/2.htm"
    assert params.learn("http://a.cn/info/1.htm?sid=1", "http://a.cn/info/1.htm?sid=2", _everywhere) == []  # known


def test_a_parameter_carried_by_one_url_only_is_learned_unless_it_names_a_view():
    params = IdleParams()
    assert params.learn("http://a.cn/info/1.htm?print=1", "http://a.cn/info/1.htm", _everywhere) == []
    assert params.learn("http://a.cn/info/1.htm?t=1700000000", "http://a.cn/info/1.htm", _everywhere) == ["t"]


def test_nothing_is_learned_from_pages_of_other_paths_nor_from_many_differences_nor_from_one_script():
    params = IdleParams()
    assert params.learn("http://a.cn/info/1.htm?sid=1", "http://a.cn/info/2.htm?sid=2", _everywhere) == []
    assert params.learn("http://a.cn/x.htm?a=1&b=1&c=1", "http://a.cn/x.htm?a=2&b=2&c=2", _everywhere) == []
    # show.asp served one default page for two unknown ids: `id` is that script's own key
    assert params.learn("http://a.cn/show.asp?id=99998", "http://a.cn/show.asp?id=99999", lambda name: 1) == []
    assert not params.idle


def test_a_parameter_whose_one_value_rides_on_many_paths_of_a_page_is_a_candidate():
    params = IdleParams()
    params.note_links(["http://a.cn/info/1.htm?sid=ab", "http://a.cn/info/2.htm?sid=ab"])
    assert not params.candidates                    # two paths: not yet
    params.note_links([f"http://a.cn/show.asp?id={n}" for n in range(9)]        # a key: a value per link
                      + [f"http://a.cn/{p}.htm?page=2" for p in ("a", "b", "c")]  # page numbers, views:
                      + [f"http://a.cn/{p}.htm?print=1" for p in ("a", "b", "c")]  # never
                      + [f"http://a.cn/{p}.htm?lang=" for p in ("a", "b", "c")])   # no value
    assert not params.candidates
    params.note_links(["http://a.cn/index.htm?sid=cd", "http://a.cn/list.htm?sid=cd&page=2",
                       "http://a.cn/info/3.htm?sid=cd#top"])
    assert params.candidates == {"sid"}
    # a candidate is learned from one duplicate, whatever the pages fetched so far showed
    assert params.learn("http://a.cn/info/3.htm?sid=cd", "http://a.cn/info/3.htm", lambda name: 0) == ["sid"]
    assert not params.candidates and params.idle == {"sid"}


def test_a_parameter_with_two_values_on_one_path_of_a_page_is_a_key_never_learned():
    """`classid` rides with one value on the list, article and print links of a section's page,
    like a session id; the site's nav shows it selecting lists. `show.asp` ignoring it (a twin
    with and without it) must not make every `list.asp?classid=` one list."""
    params = IdleParams()
    params.note_links([f"http://a.cn/{p}.asp?id=5&classid=3" for p in ("show", "print")]
                      + ["http://a.cn/list.asp?classid=3&page=2"])
    assert params.candidates == {"classid"}
    params.note_links(["http://a.cn/list.asp?classid=1", "http://a.cn/list.asp?classid=2"])   # the nav
    assert not params.candidates and "classid" in params.keys
    assert params.learn("http://a.cn/show.asp?id=5&classid=3", "http://a.cn/show.asp?id=5", _everywhere) == []
    # a session id: one value in each answer, on every path
    params.note_links(["http://a.cn/index.asp?sid=ab", "http://a.cn/list.asp?classid=1&sid=ab",
                       "http://a.cn/show.asp?id=5&sid=ab"])
    assert params.candidates == {"sid"}


def test_a_url_differing_from_a_fetched_one_only_in_a_candidate_is_a_variant_until_refuted():
    params = IdleParams()
    params.note_links([f"http://a.cn/{p}.htm?sid=ab" for p in ("index", "list", "info/1")])
    params.fetching("http://a.cn/info/1.htm?sid=ab")
    assert params.variant("http://a.cn/info/1.htm?sid=cd") == ("sid", "http://a.cn/info/1.htm?sid=ab")
    assert params.variant("http://a.cn/info/1.htm") == ("sid", "http://a.cn/info/1.htm?sid=ab")
    assert params.variant("http://a.cn/info/1.htm?sid=ab") is None      # itself, fetched again
    assert params.variant("http://a.cn/info/2.htm?sid=ab") is None      # another page
    params.fetching("http://a.cn/info/1.htm")        # the probe: its twin stays the one found
    assert params.variant("http://a.cn/info/1.htm") == ("sid", "http://a.cn/info/1.htm?sid=ab")
    params.refute("sid")                             # the probe held another article
    assert params.variant("http://a.cn/info/1.htm?sid=cd") is None
    params.note_links([f"http://a.cn/{p}.htm?sid=ef" for p in ("index", "list", "info/1")])
    assert not params.candidates                     # refuted for good


def test_a_hub_fetched_again_with_another_session_id_that_links_the_same_pages_is_its_twin():
    """The home page at `index.htm?sid=cd` beside `index.htm`: its links carry another session
    id, and are the same pages in the same order without it. Other links tell nothing."""
    params = IdleParams()
    links = [f"http://a.cn/{p}.htm?sid={{}}" for p in ("xwzx", "tzgg", "info/1", "info/2")]
    params.note_links([link.format("ab") for link in links])
    params.fetching("http://a.cn/index.htm")
    assert params.same_hub("http://a.cn/index.htm", [link.format("ab") for link in links]) is None
    params.fetching("http://a.cn/index.htm?sid=cd")
    assert params.same_hub("http://a.cn/index.htm?sid=cd",
                           [link.format("ef") for link in links]) == "http://a.cn/index.htm"
    for other in (links[:3], [*links[1:], links[0]], [*links, "http://a.cn/info/3.htm?sid={}"]):
        params.fetching("http://a.cn/index.htm?sid=gh")     # fewer, reordered, more links
        assert params.same_hub("http://a.cn/index.htm?sid=gh", [link.format("ij") for link in other]) is None
    params.fetching("http://a.cn/xwzx.htm?sid=ab")          # no hub of its own URL fetched before
    assert params.same_hub("http://a.cn/xwzx.htm?sid=ab", [link.format("kl") for link in links]) is None


def test_a_page_number_is_never_learned_from_a_duplicate_but_its_first_value_is():
    """`show.asp?id=3&page=1` held the article of `show.asp?id=3`: page 1 is the page itself
    (old ASP pagers link it so), while `page=2` stays another page."""
    params = IdleParams()
    assert params.learn("http://a.cn/show.asp?id=3&page=1", "http://a.cn/show.asp?id=3", _everywhere) == ["page=1"]
    assert params.strip("http://a.cn/list.asp?classid=11&page=1") == "http://a.cn/list.asp?classid=11"
    assert params.strip("http://a.cn/list.asp?classid=11&page=2") == "http://a.cn/list.asp?classid=11&page=2"
    assert params.learn("http://a.cn/show.asp?id=3&page=2", "http://a.cn/show.asp?id=3", _everywhere) == []


def test_a_first_page_fetched_again_as_a_part_is_no_part_and_is_learned(tmp_path):
    """A multi-page article whose later page links back only by 上一页 to `&page=1`: nothing
    says that is the first page until it is fetched. It held the first page's text: before,
    it was stored as another part (the first page twice in the record) for every such
    article; now it is dropped, and `page=1` is learned after the first."""
    from test_crawl_traps import ARTICLE, serve

    def route(path: str):
        if path == "/":
            return 200, {}, "".join(f"<a href='/news_show.asp?id={n}'>第{n}次会议</a>" for n in range(1, 7))
        plain, _, page = path.partition("&page=")
        if not plain.startswith("/news_show.asp?id="):
            return 404, {}, ""
        n = plain.rpartition("=")[2]
        if page == "2":
            return 200, {}, ARTICLE.format(t=f"第{n}次会议").replace("近日", f"第二页{n}").replace(
                "</body>", f"<a href='{plain}&page=1'>上一页</a></body>")
        return 200, {}, ARTICLE.format(t=f"第{n}次会议").replace("近日", f"第一页{n}").replace(
            "</body>", f"共2页 <a href='{plain}&page=2'>下一页</a></body>")

    with serve(route) as (origin, log), open_archive(tmp_path / "a.db") as archive:
        config = SiteConfig(name="asp", start_urls=(origin + "/",),
                            settings=Settings(delay=0.0, per_host_concurrency=1, timeout=5.0, max_retries=0))
        asyncio.run(crawl_async([config], archive, RunSettings(concurrency=1, extract_workers=0)))
        stored = dict(archive.query("SELECT url, body FROM articles"))
    assert len(stored) == 6
    for url, body in stored.items():
        n = url.rpartition("=")[2]
        assert body.count(f"第一页{n}") == 1 and f"第二页{n}" in body, url
    assert len([p for p in log if p.endswith("&page=1")]) == 1, log


def test_sites_with_a_session_id_on_every_link_cost_about_the_minimum(tmp_path):
    """Every link carries `?sid=` with a new value in each answer: every page has endless URLs.
    Before the parameter was learned, a crawl of such sites made 2,500-3,450 requests per
    site for 74 pages (only the trap guard's cap on query variants stopped it)."""
    sites = make_sites(24, styles=("vsb", "jcms"), sessions=True)
    with serve_news(sites) as logs, open_archive(tmp_path / "a.db") as archive:
        configs = [SiteConfig(name=s.style, start_urls=(s.origin + s.home_path(),),
                              settings=Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=0))
                   for s in sites]
        asyncio.run(crawl_async(configs, archive, RunSettings(concurrency=4, extract_workers=0)))
        stored = dict(archive.query("SELECT url, body FROM articles"))
        aliases = dict(archive.query("SELECT alias, url FROM aliases"))
    for site in sites:
        made = Counter(site.label(p) for p in logs[site.host])
        need = sum(site.minimum().values())
        assert sum(made.values()) <= 2 * need, made
        # the parameter is learned from the first duplicate (the home page's, mostly): few
        # articles are fetched twice, and each kind of alternate view (print, mobile) is
        # fetched once, to verify it
        articles = [strip_params(p, {"sid"}) for p in logs[site.host] if site.label(p).startswith("article")]
        assert len(articles) - len(set(articles)) <= 2, made
        assert sum(n for label, n in made.items() if label.startswith("alias")) <= 2, made
        # a list fetched with a session id before the lesson is not read again at its plain URL
        lists = [strip_params(p, {"sid"}) for p in logs[site.host] if site.label(p).startswith("list")]
        assert len(lists) == len(set(lists)), lists
        for art in site.articles.values():
            url = canonicalize(site.origin + site.article_path(art))
            body = stored.get(url) or stored.get(aliases.get(url, ""))
            assert body is not None, url
            if art.parts > 1 and url in stored:      # a multi-page article stored since the lesson: whole
                assert art.paragraphs(art.parts)[0] in body, url


def _two_runs(tmp_path, style: str, new: int) -> tuple[list[str], list[str], Counter]:
    """Crawl a session-id site of `style`, add `new` articles, crawl it again: the parameters
    kept after the first run and the requests of the second (labels, and their count)."""
    site = make_sites(24, styles=(style,), sessions=True)[0]
    with serve_news([site]) as logs:
        config = SiteConfig(name=style, start_urls=(site.origin + site.home_path(),),
                            settings=Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=0))
        with open_archive(tmp_path / "a.db") as archive:
            asyncio.run(crawl_async([config], archive, RunSettings(concurrency=4, extract_workers=0)))
            kept = [row[0] for row in archive.query("SELECT pattern FROM url_patterns WHERE alias = 'idle'")]
        shown = CliRunner().invoke(main, ["stats", "--db", str(tmp_path / "a.db")])
        assert shown.exit_code == 0 and "{idle-param}sid" in shown.output     # the user can see it
        first = len(logs[site.host])
        site.add_articles(new)
        with open_archive(tmp_path / "a.db") as archive:
            asyncio.run(crawl_async([config], archive, RunSettings(concurrency=4, extract_workers=0)))
    second = [site.label(p) for p in logs[site.host][first:]]
    return kept, second, Counter(second)


def test_a_parameter_learned_is_kept_for_later_runs(tmp_path):
    """The second crawl of a session-id site starts knowing the parameter: it asks for no URL
    that carries one, beyond the pages it starts from."""
    kept, second, made = _two_runs(tmp_path, "vsb", 5)
    assert kept == ["{idle-param}sid"]
    assert not [label for label in second if label.endswith("+sid")], second
    assert made["article"] >= 5


@pytest.mark.parametrize("style", ["asp", "jcms"])
def test_a_session_id_sites_lists_are_read_again_on_later_runs(tmp_path, style):
    """A list found on the home page fetched with a session id was moved to its plain URL as
    found on that page: a page of the list kind, so the list was taken for a later page of
    another list and never re-read (new articles came only through the home page and the
    chain). Found on the home page itself, it is a list's first page, read again each run,
    where the server answers it: `/col/col1234/index.html`, not the `/col/col1234/` its
    canonical URL is (a 404)."""
    _, _, made = _two_runs(tmp_path, style, 3)
    assert made["list"] >= 2, made        # the first page of each section's list
    assert made["404"] == 0, made
