"""`scraper serve`: Datasette over the archive with the shipped metadata, checked through its
JSON API and in a real headless Chromium (search a Chinese word, open an article, see its
earlier version's diff)."""
from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import quote
from urllib.request import urlopen

import pytest

pytest.importorskip("datasette")

from scraper.article import Article, Attachment          # noqa: E402
from scraper.store import PageRecord, compress, open_archive   # noqa: E402
from scraper.web import build_app                        # noqa: E402

from browser import CHROMIUM, Browser                   # noqa: E402

URL = "http://127.0.0.1/info/1012/1.htm"


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("web") / "archive.db"
    with open_archive(db) as archive:
        run = archive.start_run({})
        first = Article(url=URL, title="乡村振兴工作推进会召开", published_at="2024-03-05T09:00:00+08:00",
                        source="宣传部", body="会议强调乡村振兴。\n第二段原文。",
                        attachments=[Attachment("http://127.0.0.1/f.pdf", "会议材料")])
        archive.save_article(first, URL, "univ", run)
        first.body = "会议强调乡村振兴。\n第二段已更正。"
        archive.save_article(first, URL, "univ", run)
        other = Article(url=URL + "2", title="高质量发展论坛", published_at="2024-04-01", body="论坛。")
        archive.save_article(other, URL + "2", "news", run)
        archive.save_page(PageRecord(url=URL, site="univ", status=200, raw=compress(b"SECRET-RAW-BYTES"),
                                     encoding="utf-8"))
        archive.update_search_index()       # as a crawl does when it ends (the web view's _search reads the index)
        archive.finish_run(run, "completed", {}, {})
    return db


@pytest.fixture(scope="module")
def server(archive_db):
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(build_app(archive_db).app(), host="127.0.0.1", port=port, log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not web.started:
        assert time.monotonic() < deadline and thread.is_alive(), "datasette did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    web.should_exit = True
    thread.join(10)


def get_json(url: str):
    with urlopen(url, timeout=10) as answer:
        return json.load(answer)


def test_json_api_search_facets_and_hidden_bytes(server):
    found = get_json(f"{server}/archive/articles.json?_search={quote('乡村振兴')}&_shape=array")
    assert [r["title"] for r in found] == ["乡村振兴工作推进会召开"]
    months = get_json(f"{server}/archive/article_list.json?_facet=month&_facet=site")
    assert {f["value"] for f in months["facet_results"]["month"]["results"]} == {"2024-03", "2024-04"}
    pages = get_json(f"{server}/archive/pages.json?_shape=array")
    assert pages[0]["raw"] is None
    custom = get_json(f"{server}/archive.json?sql={quote('select raw from pages')}&_shape=array")
    assert custom == [{"raw": None}]


def test_search_box_finds_two_character_words_in_the_cli_syntax(server):
    def titles(table: str, text: str) -> set[str]:
        return {r["title"] for r in get_json(f"{server}/archive/{table}.json?_search={quote(text)}&_shape=array")}

    forum, meeting = "高质量发展论坛", "乡村振兴工作推进会召开"
    assert titles("articles", "论坛") == {forum}                 # ends the title: no trigram of its own
    assert titles("article_list", "会议") == {meeting}
    assert titles("articles", "论坛 OR 会议") == {forum, meeting}
    assert titles("article_list", "振兴 -论坛") == {meeting} and titles("articles", "发展 -论坛") == set()
    assert titles("articles", '"乡村振兴 工作"') == set()          # a phrase is kept whole


def test_article_view_shows_versions_and_diff(server):
    rows = get_json(f"{server}/archive/article.json?url={quote(URL, safe='')}&_shape=array")
    assert [r["version"] for r in rows] == [2, 1]
    assert "-第二段原文。" in rows[0]["changes"] and "+第二段已更正。" in rows[0]["changes"]
    assert rows[1]["changes"] is None


def test_canned_queries_run(server):
    for name in ("latest_per_site", "changed_since_last_run", "failures_by_reason"):
        get_json(f"{server}/archive/{name}.json?_shape=array")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package (apt-get install chromium)")
def test_browse_search_and_open_an_article_in_chromium(server, tmp_path):
    def seen() -> str:      # what the page was when an assertion failed (a rare failure here kept no trace)
        return f"at {browser.js('location.href')}: {browser.js('document.body.innerText')[:2000]!r}"

    rows = "document.querySelectorAll('table.rows-and-columns tbody tr').length"
    with Browser() as browser:
        browser.goto(f"{server}/archive/article_list")
        assert browser.js(rows) == 2, seen()
        browser.navigate_by(lambda: browser.js(
            "document.querySelector('input#_search').value = '乡村振兴';"
            "document.querySelector('input#_search').form.submit()"))
        assert browser.js(rows) == 1, seen()
        assert browser.js("document.querySelector('td.col-attachments a').textContent") == "会议材料", seen()
        browser.navigate_by(lambda: browser.js("document.querySelector('a.article-link').click()"))
        text = browser.js("document.body.innerText")
        assert "第二段已更正" in text and "-第二段原文。" in text, seen()
        shot = browser.screenshot(tmp_path / "article-view.png")
    assert shot.stat().st_size > 10_000
    print(f"\nscreenshot: {shot}")


def test_serve_needs_an_archive(tmp_path):
    from click.testing import CliRunner

    from scraper.cli import main

    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no archive" in result.stderr
