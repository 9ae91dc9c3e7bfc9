"""query parameters/stdin/formats/time limit, changes between runs, an article's history and
per-site stats, on an archive made here with two runs."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from scraper.article import Article, Attachment
from scraper.changes import Since
from scraper.cli import main
from scraper.store import PageRecord, open_archive

A, B, C = "http://127.0.0.1/a.htm", "http://127.0.0.1/b.htm", "http://127.0.0.1/c.htm"


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("changes") / "archive.db"
    with open_archive(path) as archive:
        run1 = archive.start_run({})
        with archive.transaction():
            archive.save_article(Article(url=A, title="通知", published_at="2024-03-01", source="办公室",
                                         body="第一段。\n第二段。",
                                         attachments=[Attachment("http://127.0.0.1/f.pdf", "附件一")]), A, "edu", run1)
            archive.save_article(Article(url=B, title="公告", published_at="2024-03-02", body="原文。"), B, "edu", run1)
            archive.save_page(PageRecord(url=A, site="edu", status=200, fetched_at="2024-03-03T00:00:00Z", run_id=run1))
        archive.finish_run(run1, "completed", {}, {})
        run2 = archive.start_run({})
        with archive.transaction():
            archive.save_article(Article(url=A, title="通知（更正）", published_at="2024-03-01", source="办公室",
                                         body="第一段。\n第二段已改。"), A, "edu", run2)
            archive.save_article(Article(url=C, title="新闻", published_at="2024-03-05", body="新。"), C, "gov", run2)
            archive.save_page(PageRecord(url=B, site="edu", status=404, reason="http-404",
                                         fetched_at="2024-03-06T00:00:00Z", run_id=run2))
        archive.finish_run(run2, "completed", {}, {})
    return path


def test_changes_since_a_run(db):
    with open_archive(db, readonly=True) as archive:
        found = {(c.kind, c.url) for c in archive.changes(Since(run_id=1))}
        assert found == {("changed", A), ("new", C), ("gone", B)}
        assert {c.url for c in archive.changes(Since(run_id=1), site="gov")} == {C}
        assert {c.kind for c in archive.changes(Since(run_id=0))} == {"new", "gone"}
        assert list(archive.changes(Since(run_id=2))) == []


@pytest.mark.parametrize("since", [Since(run_id=1), Since(time="2000-01-01")])
def test_changes_walk_indexes_not_the_table(db, since):
    """Each statement `changes` runs searches an index: none scans articles (whose rows hold the
    bodies) or pages (the raw bytes), so the answer costs the size of the change, not the archive."""
    with open_archive(db, readonly=True) as archive:
        statements: list[str] = []
        archive.conn.set_trace_callback(statements.append)
        list(archive.changes(since))
        archive.conn.set_trace_callback(None)
        plans = [row[3] for sql in statements if sql.lstrip().upper().startswith("SELECT")
                 for row in archive.conn.execute("EXPLAIN QUERY PLAN " + sql)]
    assert plans and not [p for p in plans if p.startswith("SCAN") and "runs" not in p], plans


def test_changes_command(db):
    result = run("changes", "--db", str(db), "--format", "json")    # default: what the last run did
    assert result.exit_code == 0, result.output
    assert {(r["kind"], r["url"]) for r in json.loads(result.stdout)} == {("changed", A), ("new", C), ("gone", B)}
    since_date = run("changes", "--db", str(db), "--since", "2000-01-01", "--format", "jsonl")
    assert len(since_date.stdout.splitlines()) == 4       # B's first version is new too
    assert run("changes", "--db", str(db), "--since-run", "1", "--since", "2024").exit_code == 2


def test_history_shows_fields_and_body_diff(db):
    result = run("history", A, "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "changed: title, body" in result.output and "title: '通知' → '通知（更正）'" in result.output
    assert "-第二段。" in result.output and "+第二段已改。" in result.output
    document = json.loads(run("history", A, "--db", str(db), "--format", "json").stdout)
    assert [v["version"] for v in document["versions"]] == [1, 2] and document["changes"][0]["fields"] == ["title", "body"]
    assert run("history", "http://127.0.0.1/none", "--db", str(db)).exit_code == 1


def test_query_parameters_stdin_formats_and_json_columns(db):
    result = run("query", "SELECT url, attachments FROM articles WHERE site = :site AND version = :v", "--db", str(db),
                 "-p", "site", "edu", "-p", "v", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"url": A, "attachments": []}]
    piped = run("query", "-", "--db", str(db), "--format", "jsonl", stdin="SELECT title FROM articles ORDER BY url")
    assert [json.loads(line)["title"] for line in piped.stdout.splitlines()] == ["通知（更正）", "公告", "新闻"]
    listed = run("query", "SELECT attachments FROM articles WHERE url = :u", "--db", str(db), "-p", "u", B,
                 "--format", "jsonl")
    assert json.loads(listed.stdout) == {"attachments": []}
    csv_out = run("query", "-", "--db", str(db), "--format", "csv", stdin="SELECT COUNT(*) AS n FROM articles")
    assert csv_out.stdout.splitlines() == ["n", "3"]
    assert run("query", "-", "--db", str(db), stdin="  ").exit_code == 2


def test_query_time_limit_stops_a_runaway_query(db):
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n"
    result = run("query", endless, "--db", str(db), "--time-limit", "0.2")
    assert result.exit_code == 1 and "time limit" in result.stderr


def test_stats_per_site(db):
    result = run("stats", "--db", str(db), "--format", "json")
    assert result.exit_code == 0, result.output
    sites = {s["site"]: s for s in json.loads(result.stdout)["sites"]}
    edu = sites["edu"]
    assert edu["articles"] == 2 and (edu["oldest"], edu["newest"]) == ("2024-03-01", "2024-03-02")
    assert edu["fields"]["source"] == 0.5 and edu["fields"]["title"] == 1.0 and edu["fields"]["attachments"] == 0.0
    assert edu["failures"] == {"http-404": 1} and edu["last_run"] == 2 and edu["last_run_outcome"] == "completed"
    table = run("stats", "--db", str(db))
    assert table.exit_code == 0 and "sites" in table.stdout and "http-404 1" in table.stdout
