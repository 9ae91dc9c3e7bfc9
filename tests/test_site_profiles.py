"""Site profiles end to end: a site whose single pages are ambiguous, crawled over loopback,
ends right in the archive because the crawl learns the site's profile, stores it, uses it for
later pages and re-reads the earlier ones; `reextract` uses the stored profile; a profile that
does not fit a page changes nothing on it."""
from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest
from click.testing import CliRunner
from profilesite import write_site

from scraper.article import Article
from scraper.cli import main
from scraper.crawler import crawl_async
from scraper.extract import PageTraits, SiteProfile, extract_article, learn_profile
from scraper.reextract import reextract
from scraper.settings import RunSettings, Settings, SiteConfig
from scraper.siteprofiles import ProfileLearner
from scraper.store import PageRecord, compress, open_archive
from scraper.testsite import FIXTURE_SITES_DIR, FixtureServer

FAST = Settings(delay=0.0, per_host_concurrency=2, timeout=5.0, max_retries=1, backoff_base=0.01,
                backoff_max=0.05, profile_after=5)
FIELDS = ("title", "published_at", "source", "body")


def _wrong(stored: dict[str, dict], truth: dict[str, dict], origin: str) -> list:
    return [(path, f, (stored.get(origin + path) or {}).get(f)) for path, want in truth.items() for f in FIELDS
            if (stored.get(origin + path) or {}).get(f) != want[f]]


def _articles(db) -> dict[str, dict]:
    with open_archive(db, readonly=True) as archive:
        result = archive.query("SELECT * FROM articles")
        return {row[0]: dict(zip(result.columns, row)) for row in result}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    root = tmp_path_factory.mktemp("college")
    truth = write_site(root)
    db = tmp_path_factory.mktemp("db") / "archive.db"
    with FixtureServer(root) as server:
        site = SiteConfig(name="college", start_urls=(server.origin + "/",), settings=FAST)
        with open_archive(db) as archive:
            report = asyncio.run(crawl_async([site], archive, RunSettings(concurrency=2, extract_workers=0)))
        origin = server.origin
    return root, truth, db, origin, report


def test_single_pages_alone_are_wrong(crawled):
    root, truth, *_ = crawled
    wrong = set()
    for path, want in truth.items():
        art = extract_article((root / path.lstrip("/")).read_bytes(), "http://127.0.0.1" + path)
        wrong |= {f for f in FIELDS if getattr(art, f) != want[f]}
    assert wrong == set(FIELDS)      # each kind of ambiguity trips some page read alone


def test_crawl_learns_stores_and_applies_the_profile(crawled):
    _, truth, db, origin, report = crawled
    assert _wrong(_articles(db), truth, origin) == []
    assert report.counts["profile:updated"] + report.counts["profile:added"] > 0   # earlier pages re-read
    with open_archive(db, readonly=True) as archive:    # pages the profile made articles count as the run's
        assert archive.query("SELECT COUNT(*) FROM articles WHERE run_id IS NOT ?", (report.run_id,)).first() == (0,)
    with open_archive(db, readonly=True) as archive:
        stored = archive.site_profile("college")
    assert stored is not None
    profile = SiteProfile.from_json(stored[0])
    assert profile.title_affixes == ("计算机与信息工程学院",) and stored[1] == profile.pages >= 10
    assert profile.body_container.endswith("div.v_news_content#")
    assert profile.header_block.endswith("div.info#")


def test_a_later_crawl_starts_from_the_stored_profile(crawled, tmp_path):
    root, truth, db, _, _ = crawled
    with open_archive(db, readonly=True) as archive:
        stored = archive.site_profile("college")
    fresh = tmp_path / "fresh.db"
    with open_archive(fresh) as archive, archive.transaction():
        archive.save_site_profile("college", *stored)
    with FixtureServer(root) as server:
        site = SiteConfig(name="college", start_urls=(server.origin + "/",), settings=replace(FAST, profile_after=0))
        with open_archive(fresh) as archive:
            report = asyncio.run(crawl_async([site], archive, RunSettings(concurrency=2, extract_workers=0)))
        assert _wrong(_articles(fresh), truth, server.origin) == []
    assert not any(k.startswith("profile:") for k in report.counts)   # right at first reading: nothing re-read


def test_stats_show_per_site_which_fields_rest_on_weak_evidence(crawled, tmp_path):
    _, truth, db, _, _ = crawled
    result = CliRunner().invoke(main, ["stats", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    college = {s["site"]: s for s in json.loads(result.stdout)["sites"]}["college"]
    # every headline came from <title> (no on-page line repeats it); dates and 来源 were read
    # from labels, on the ambiguous pages from the block the profile learned
    assert college["weak"] == {"title": 1.0, "published_at": 0.0, "author": 0.0, "source": 0.0, "editor": 0.0}
    assert college["profile_pages"] >= FAST.profile_after
    table = CliRunner().invoke(main, ["stats", "--db", str(db)])
    assert "weak evidence" in table.stdout and "title 100%" in table.stdout
    mixed = tmp_path / "mixed.db"
    with open_archive(mixed) as archive, archive.transaction():
        for n, how in enumerate(("url", "label", "meta", "header")):
            art = Article(title=f"标题{n}", published_at="2024-05-01", body="正文。", evidence={"published_at": how})
            archive.save_article(art, f"http://a/{n}.htm", "a", None)
    site = json.loads(CliRunner().invoke(main, ["stats", "--db", str(mixed), "--format", "json"]).stdout)["sites"][0]
    assert site["weak"]["published_at"] == 0.5 and site["profile_pages"] is None   # from the URL, from <meta>


def test_reextract_relearns_and_keeps_the_archive_right(crawled):
    _, truth, db, origin, _ = crawled
    counts = reextract(db)
    assert counts["unchanged"] == len(truth) and not counts["updated"]
    with open_archive(db, readonly=True) as archive:
        assert SiteProfile.from_json(archive.site_profile("college")[0]).pages > len(truth)   # + the list pages


def test_reextract_uses_the_stored_profile_when_pages_are_too_few(crawled, tmp_path):
    root, truth, db, _, _ = crawled
    with open_archive(db, readonly=True) as archive:
        stored = archive.site_profile("college")
    few = tmp_path / "few.db"
    paths = ["/info/1001.htm", "/info/1003.htm"]      # a notice beside the panel; a page with a summary box
    with open_archive(few) as archive:
        for path in paths:
            data = (root / path.lstrip("/")).read_bytes()
            archive.save_page(PageRecord("http://college.example" + path, "college", status=200, content_type="text/html",
                                         encoding="utf-8", size=len(data), raw=compress(data)))
        archive.save_site_profile("college", *stored)
    reextract(few)
    assert _wrong(_articles(few), {p: truth[p] for p in paths}, "http://college.example") == []


def test_a_profile_that_does_not_fit_changes_nothing(crawled):
    """The college's profile applied to another site's pages (the bundled fixture sites): every
    field as without it."""
    _, _, db, _, _ = crawled
    with open_archive(db, readonly=True) as archive:
        profile = SiteProfile.from_json(archive.site_profile("college")[0])
    pages = sorted(FIXTURE_SITES_DIR.glob("*/**/*.htm*"))
    assert len(pages) > 10
    for page in pages:
        data = page.read_bytes()
        assert extract_article(data, "http://x/a.htm", profile=profile) == extract_article(data, "http://x/a.htm"), page


def test_learning_needs_agreement_and_refreshes_as_pages_arrive():
    shared = PageTraits("召开会议_某某学院", frozenset(), "div.main#>div.content#", "div.main#>div.info#")
    split = [replace(shared, body_container=f"div.box{n}#") for n in range(5)]
    assert learn_profile(split * 1 + [shared] * 2).body_container == ""     # 2 of 7 agree: nothing
    assert learn_profile([shared] * 5 + split[:2]).body_container == shared.body_container
    learner = ProfileLearner(3)
    got = [learner.observe(f"u{n}", replace(shared, doc_title=f"第{n}次会议_某某学院"), learner.profile)
           for n in range(12)]
    learned_at = [n + 1 for n, g in enumerate(got) if g is not None]
    assert learned_at == [3, 6, 12]
    first_profile, stale = got[2]
    assert stale == ["u0", "u1", "u2"] and first_profile.title_affixes == ("某某学院",)
    assert got[5][1] == []           # the same rules again: nothing to re-read
    other = replace(shared, body_container="div.main#>div.other#")
    for n in range(12, 40):           # the site's later pages name another container
        learner.observe(f"u{n}", replace(other, doc_title=f"第{n}次会议_某某学院"), learner.profile)
    final, stale = learner.finish()   # learned from all 40 at the end; every page read otherwise is re-read
    assert final.body_container == other.body_container and len(stale) == 40   # all read with no container
    assert learner.finish() is None
    assert json.loads(first_profile.to_json())["header_block"] == shared.header_block
