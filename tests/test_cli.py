"""The command line as a user meets it: help, exit codes, stdout/stderr, readable Chinese,
and a crawl killed with SIGKILL that the next run finishes."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from scraper.cli import main
from scraper.store.sqlite import CrawlLock
from scraper.testsite import FixtureServer, bundled_sites

COMMANDS = ["crawl", "extract", "query", "search", "export", "stats", "reextract", "demo", "serve"]
UNIV_TRUTH = json.loads((bundled_sites()["univ"].parent / "truth.json").read_text("utf-8"))["sites"]["univ"]


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def scraper_process(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scraper", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


@pytest.fixture(scope="module")
def univ_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "archive.db"
    with FixtureServer(bundled_sites()["univ"]) as server:
        result = run("crawl", server.origin + "/", "--db", str(db), "--delay", "0", "--per-host", "4")
        assert result.exit_code == 0, result.output
    return db


@pytest.mark.parametrize("command", [[]] + [[c] for c in COMMANDS])
def test_help_everywhere(command):
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_crawl_usage_errors():
    assert run("crawl").exit_code == 2
    assert run("crawl", "ftp://example.cn/").exit_code == 2


def test_query_formats_and_read_only(univ_db):
    result = run("query", "SELECT title FROM articles ORDER BY url LIMIT 2", "--db", str(univ_db), "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == 2 and all("\\u" not in result.stdout for _ in rows)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in rows[0]["title"])
    csv_out = run("query", "SELECT COUNT(*) AS n FROM articles", "--db", str(univ_db), "--format", "csv").stdout
    assert csv_out.splitlines()[0] == "n" and int(csv_out.splitlines()[1]) >= len(UNIV_TRUTH["articles"])
    refused = run("query", "DROP TABLE articles", "--db", str(univ_db))
    assert refused.exit_code == 1 and "read-only" in refused.stderr
    assert run("query", "SELECT nonsense FROM nowhere", "--db", str(univ_db)).exit_code == 1


def test_search_and_export(univ_db, tmp_path):
    title = UNIV_TRUTH["articles"][0]["title"]
    found = run("search", title[:6], "--db", str(univ_db), "--format", "json")
    assert found.exit_code == 0 and title in found.stdout
    # the crawl indexed everything it stored before it ended (search needs no scan of a tail)
    unindexed = "SELECT COUNT(*) FROM articles WHERE rowid > (SELECT upto FROM search_indexed)"
    assert json.loads(run("query", unindexed, "--db", str(univ_db), "--format", "json").stdout)[0] == {"COUNT(*)": 0}
    out = tmp_path / "all.jsonl"
    exported = run("export", "--db", str(univ_db), "--format", "jsonl", "-o", str(out))
    assert exported.exit_code == 0
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert {r["title"] for r in records} >= {a["title"] for a in UNIV_TRUTH["articles"]}
    assert "\\u" not in out.read_text("utf-8")


def test_extract_a_gbk_file():
    page = bundled_sites()["univ"] / UNIV_TRUTH["articles"][0]["path"].lstrip("/")
    result = run("extract", str(page), "--url", "http://127.0.0.1/" + UNIV_TRUTH["articles"][0]["path"])
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["title"] == UNIV_TRUTH["articles"][0]["title"]
    assert record["encoding"] in ("gb18030", "gbk")
    assert run("extract", "/no/such/file.html").exit_code == 1


def test_a_second_crawl_on_the_same_archive_is_refused(tmp_path):
    db = tmp_path / "a.db"
    with CrawlLock(db):
        result = run("crawl", "http://127.0.0.1:9/", "--db", str(db))
    assert result.exit_code == 3 and "already running" in result.stderr


def test_demo_runs_from_the_command_line(tmp_path):
    """Without --db the demo writes demo.db, never the archive.db a real crawl uses."""
    env = {k: v for k, v in os.environ.items() if k != "SCRAPER_DB"}
    proc = subprocess.run([sys.executable, "-m", "scraper", "demo"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "archive.db").exists()
    assert "stored" in proc.stdout and "fields found" in proc.stdout
    assert not list(tmp_path.glob("demo.db-*"))       # no -wal/-shm left beside it
    with sqlite3.connect(tmp_path / "demo.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] >= 44


def test_kill_9_mid_crawl_then_resume(tmp_path):
    """SIGKILL a slow crawl after some pages, then run again: all articles once, nothing lost."""
    db = tmp_path / "a.db"
    with FixtureServer(bundled_sites()["univ"]) as server:
        proc = scraper_process("crawl", server.origin + "/", "--db", str(db), "--delay", "0.05")
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if db.exists():
                    with sqlite3.connect(db, timeout=5) as conn:
                        try:
                            if conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] >= 5:
                                break
                        except sqlite3.OperationalError:
                            pass              # schema not created yet
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait()
        with sqlite3.connect(db) as conn:
            partial = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            assert conn.execute("SELECT outcome FROM runs").fetchall() == [("running",)]
        assert 5 <= partial < len(UNIV_TRUTH["articles"])
        resumed = run("crawl", server.origin + "/", "--db", str(db), "--delay", "0", "--per-host", "4")
        assert resumed.exit_code == 0
    with sqlite3.connect(db) as conn:
        urls = [r[0] for r in conn.execute("SELECT url FROM articles")]
        outcomes = [r[0] for r in conn.execute("SELECT outcome FROM runs ORDER BY id")]
        dangling = conn.execute("SELECT COUNT(*) FROM frontier WHERE state='pending'").fetchone()[0]
    assert outcomes == ["interrupted", "completed"]
    assert len(urls) == len(set(urls))
    assert {server.origin + a["path"] for a in UNIV_TRUTH["articles"]} <= set(urls)
    assert dangling == 0


def test_same_site_widens_scope_to_sibling_subdomains():
    from scraper.crawler import sites_from_urls
    from scraper.urls import Scope

    plain, = sites_from_urls(["https://news.example.edu.cn/"])
    wide, = sites_from_urls(["https://news.example.edu.cn/"], same_site=True)
    for site, expected in ((plain, False), (wide, True)):
        scope = Scope(site.start_urls, site.allow_hosts)
        assert scope.allows("https://www.example.edu.cn/info/1012/1.htm") is expected
        assert not scope.allows("https://www.other.edu.cn/")


def test_reextract_repairs_fields_in_place_from_the_raw_pages(univ_db, tmp_path):
    db = tmp_path / "copy.db"
    with sqlite3.connect(univ_db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    with sqlite3.connect(db) as conn:
        url, title = conn.execute("SELECT url, title FROM articles ORDER BY url LIMIT 1").fetchone()
        conn.execute("UPDATE articles SET title='旧版本提取的错误标题', author=NULL WHERE url=?", (url,))
    result = run("reextract", "--db", str(db))
    assert result.exit_code == 0 and "1 updated" in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT title, version FROM articles WHERE url=?", (url,)).fetchone() == (title, 1)
        assert conn.execute("SELECT COUNT(*) FROM article_versions").fetchone()[0] == 0
    assert run("reextract", "--db", str(tmp_path / "missing.db")).exit_code == 1


def test_sigterm_stops_gracefully_and_records_the_run(tmp_path):
    db = tmp_path / "a.db"
    with FixtureServer(bundled_sites()["univ"]) as server:
        proc = scraper_process("crawl", server.origin + "/", "--db", str(db), "--delay", "0.2")
        deadline = time.monotonic() + 60
        while not server.requests or len(server.requests) < 4:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT outcome FROM runs").fetchall() == [("interrupted",)]
        assert conn.execute("SELECT COUNT(*) FROM frontier WHERE state='pending'").fetchone()[0] > 0


def test_bad_config_and_output_paths_are_clear_errors(tmp_path, univ_db):
    config = tmp_path / "sites.toml"
    config.write_text('[[site]]\nname = "x"\nstart_urls = ["http://127.0.0.1:9/"]\ndelai = 3\n', encoding="utf-8")
    result = run("crawl", "--config", str(config), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 1 and str(config) in result.stderr and "delai" in result.stderr
    for body, words in (('deny_patterns = ["("]', "bad regular expression"), ('delay = "abc"', "must be a number")):
        config.write_text(f'[[site]]\nname = "x"\nstart_urls = ["http://127.0.0.1:9/"]\n{body}\n', encoding="utf-8")
        result = run("crawl", "--config", str(config), "--db", str(tmp_path / "a.db"))
        assert result.exit_code == 1 and words in result.stderr
    assert run("crawl", "http://127.0.0.1:9/", "--db", str(tmp_path / "no" / "a.db")).exit_code == 1
    exported = run("export", "--db", str(univ_db), "-o", str(tmp_path / "missing" / "f.jsonl"))
    assert exported.exit_code == 1 and "No such file" in exported.stderr


def test_blobs_come_out_as_base64_in_json(univ_db):
    import base64

    from scraper.store import decompress

    result = run("query", "SELECT raw FROM pages WHERE raw IS NOT NULL AND encoding IS NOT NULL LIMIT 1",
                 "--db", str(univ_db), "--format", "json")
    assert result.exit_code == 0
    raw = base64.b64decode(json.loads(result.stdout)[0]["raw"])
    assert decompress(raw).lstrip().lower().startswith(b"<!doctype")
