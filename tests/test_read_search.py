"""Search over a small archive: every term length through one path, the box syntax, filters,
one ordering, totals and highlighted snippets (library and command line)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from scraper.article import Article
from scraper.cli import main
from scraper.export import search
from scraper.search import DateRange, parse_query
from scraper.store import open_archive, sqlite_search

ARTICLES = [
    # url, site, title, published_at, body
    ("http://a/1", "edu", "市教育局发布2024年招生政策", "2024-03-01", "今年义务教育招生坚持免试就近入学。"),
    ("http://a/2", "edu", "乡村振兴工作推进会", "2024-04-02", "会议部署乡村振兴重点任务。\n推进高质量发展。"),
    ("http://a/3", "gov", "高质量发展大会召开", "2024-05-03", "围绕高质量发展展开讨论。"),
    ("http://a/4", "gov", "关于征求意见的通知", "2023-12-30", "现就草案公开征求意见。"),
    ("http://a/5", "edu", "毕业典礼", "2024-06-30", "学校举行毕业典礼"),        # 典礼 ends title and body
    ("http://a/6", "edu", "研究生招生简章", "2024-03-15", "研究生招生工作启动，招生专业目录见附件。招生"),
]


@pytest.fixture(scope="module", params=["indexed", "not-yet-indexed"])
def db(tmp_path_factory, request):
    """As a crawl leaves it (the search index filled when it ends), and as while it runs."""
    path = tmp_path_factory.mktemp("search") / "archive.db"
    with open_archive(path) as archive:
        for url, site, title, published, body in ARTICLES:
            with archive.transaction():
                archive.save_article(Article(url=url, title=title, published_at=published, body=body), url, site, 1)
        if request.param == "indexed":
            archive.update_search_index()
    return path


def urls(db, text, **kw):
    total, hits = search(db, parse_query(text, **kw), 20)
    found = [row[0] for row in hits]
    assert total == len(found)
    return found


@pytest.mark.parametrize("text, expected", [
    ("招生", {"http://a/1", "http://a/6"}),
    ("典礼", {"http://a/5"}),                       # only at the very end of title and body
    ("礼", {"http://a/5"}),                          # one character: scans, still found
    ("乡村振兴 OR 高质量", {"http://a/2", "http://a/3"}),
    ("高质量 -乡村", {"http://a/3"}),
    ('"征求意见"', {"http://a/4"}),
    ('"振兴 重点"', set()),                         # a phrase is kept whole
    ("招生 OR 典礼 -研究生", {"http://a/1", "http://a/5"}),
    ("不存在的词", set()),
])
def test_syntax(db, text, expected):
    assert set(urls(db, text)) == expected


def test_filters(db):
    assert urls(db, "高质量", site="gov") == ["http://a/3"]
    assert set(urls(db, "招生 OR 意见", dates=DateRange("2024-01", "2024-03-01"))) == {"http://a/1"}
    assert set(urls(db, "招生 OR 意见", dates=DateRange(until="2023"))) == {"http://a/4"}


def test_one_ordering_for_every_term_length(db):
    """The article where the word is in the title and repeated ranks first, short term or long."""
    assert urls(db, "招生")[0] == "http://a/6"
    assert urls(db, "招生简章 OR 招生政策")[0] in ("http://a/6", "http://a/1")
    assert urls(db, "高质量")[0] == "http://a/3"


def test_total_counts_beyond_the_page_and_snippets_mark_terms(db):
    total, hits = search(db, parse_query("招生 OR 高质量"), 1)
    assert total == 4 and len(list(hits)) == 1
    total, hits = search(db, parse_query("招生"), 1, offset=1)
    rows = list(hits)
    assert total == 2 and "[招生]" in rows[0][-1]
    assert search(db, parse_query("招生"), 5, offset=9)[0] == 2             # past the end: still the total


def test_cli_json_and_usage_errors(db):
    result = CliRunner().invoke(main, ["search", "招生", "--db", str(db), "--format", "json", "--site", "edu"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert {r["url"] for r in records} == {"http://a/1", "http://a/6"} and "\\u" not in result.stdout
    assert "2 match(es)" in result.stderr
    assert CliRunner().invoke(main, ["search", "-通知", "--db", str(db)]).exit_code == 2
    assert CliRunner().invoke(main, ["search", "x", "--db", str(db), "--since", "soon"]).exit_code == 2


@pytest.mark.parametrize("walk", [False, True])
def test_matches_no_phrase_ranks_come_newest_first(db, monkeypatch, walk):
    """Matches without a title hit or a bm25 score are ordered by date, whether their dates are
    read (few) or the date index is walked until the page is full (many)."""
    if walk:
        monkeypatch.setattr(sqlite_search, "_READ_DATES_UPTO", 0)
    words = "重点 OR 讨论 OR 草案 OR 学校 OR 免试"          # each in one body, in no title
    assert urls(db, words) == ["http://a/5", "http://a/3", "http://a/2", "http://a/1", "http://a/4"]
    total, hits = search(db, parse_query(words), 2, offset=1)
    assert total == 5 and [row[0] for row in hits] == ["http://a/3", "http://a/2"]
    assert urls(db, words, site="edu") == ["http://a/5", "http://a/2", "http://a/1"]


@pytest.mark.parametrize("knob, value", [("_HEAD_SLACK", 0), ("_CHECK_COST", 0), ("_READ_DATES_UPTO", 0)])
def test_results_do_not_depend_on_how_the_work_is_planned(db, monkeypatch, knob, value):
    """However much of the rank order is read first, whether words are checked in candidates'
    rows or taken from the index, dates read or the date index walked: same totals and pages."""
    queries = ["招生 OR 高质量", "高质量 OR 征求意见 OR 乡村振兴", "乡村振兴 OR 研究生 OR 典礼", "高质量 OR 发展",
               "高质量 -乡村", "招生 研究 -简章", "礼 OR 招生", "发展 高质量", "招生 教育 -免试"]
    pages = [(1, 0), (2, 1), (1, 2), (20, 0)]

    def results():
        return {(q, p): (lambda r: (r[0], list(r[1])))(search(db, parse_query(q), *p)) for q in queries for p in pages}

    expected = results()
    monkeypatch.setattr(sqlite_search, knob, value)
    assert results() == expected
