"""The SQLite backend's own contract: schema and WAL, migrations from older archives, the version
check, the crawl lock file."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scraper.article import Article
from scraper.store import ARTICLE_COLUMNS, ArchiveBusy, ArchiveError, open_archive
from scraper.store import schema
from scraper.store import sqlite as sqlite_backend
from scraper.search import parse_query
from scraper.store.schema import SCHEMA_VERSION
from scraper.store.sqlite import CrawlLock

LEGACY_V1 = Path(__file__).parent / "fixtures" / "archive_v1.sql"


@pytest.fixture
def archive(tmp_path):
    with open_archive(tmp_path / "a.db") as a:
        yield a


def test_schema_is_created_with_version_and_wal(archive):
    tables = set(archive.db.table_names())
    assert {"articles", "pages", "runs", "frontier", "aliases", "article_versions", "schema_version"} <= tables
    assert "meta" not in tables
    assert [v for v, _ in archive.conn.execute("SELECT version, applied_at FROM schema_version")] == list(
        range(1, SCHEMA_VERSION + 1))
    assert archive.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert tuple(archive.db["articles"].columns_dict) == ARTICLE_COLUMNS


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "a.db"
    with open_archive(path) as a:
        a.conn.execute("INSERT INTO schema_version(version) VALUES (99)")
    with pytest.raises(ArchiveError, match="schema version 99"):
        open_archive(path)


def _legacy_archive(path: Path) -> Path:
    """An archive as the scraper of commit 6aead73 left it (schema 1, version in `meta`)."""
    with sqlite3.connect(path) as conn:
        conn.executescript(LEGACY_V1.read_text("utf-8"))
    conn.close()
    return path


def test_an_archive_of_the_first_schema_opens_and_migrates(tmp_path):
    path = _legacy_archive(tmp_path / "old.db")
    url = "http://127.0.0.1/info/1.htm"
    with open_archive(path, readonly=True) as reader:       # reading never migrates
        assert reader.query("SELECT title FROM articles").first() == ("我校举办学术报告会",)
    with open_archive(path) as archive:
        tables = set(archive.db.table_names())
        assert "meta" not in tables and "schema_version" in tables
        steps = archive.conn.execute("SELECT version, applied_at IS NOT NULL FROM schema_version").fetchall()
        assert steps == [(1, False)] + [(v, True) for v in range(2, SCHEMA_VERSION + 1)]
        assert tuple(archive.db["articles"].columns_dict) == ARTICLE_COLUMNS
        # the old rows are all there and work with today's code
        assert [h.url for h in archive.search(parse_query("乡村振兴"), 5).hits] == [url]
        assert archive.resolve_alias(url + "?print=1") == url
        assert archive.validators(url) == ('"abc"', None)
        assert [p.content for p in archive.raw_pages()][0].startswith(b"<html>")
        assert next(archive.iter_articles())["version"] == 2
        with archive.transaction():
            assert archive.save_article(Article(title="新标题", body="新的正文。"), url, "univ", 2) == "changed"
        assert archive.query("SELECT COUNT(*) FROM article_versions").first() == (2,)
    with open_archive(path) as again:                       # migrating is done once
        assert again.conn.execute("SELECT COUNT(*) FROM schema_version").fetchone() == (SCHEMA_VERSION,)


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = _legacy_archive(tmp_path / "old.db")
    monkeypatch.setattr(sqlite_backend, "MIGRATIONS", (*schema.MIGRATIONS, 'DROP TABLE "frontier";\nBROKEN SQL;\n'))
    monkeypatch.setattr(sqlite_backend, "SCHEMA_VERSION", len(schema.MIGRATIONS) + 1)
    with pytest.raises(ArchiveError, match="syntax error"):
        open_archive(path)
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {"meta", "frontier"} <= tables and "schema_version" not in tables


def test_crawl_lock_refuses_a_second_crawl(tmp_path):
    db = tmp_path / "a.db"
    with CrawlLock(db):
        with pytest.raises(ArchiveBusy, match="already running"):
            CrawlLock(db).acquire()
    CrawlLock(db).acquire().release()      # free again once released


def test_crawl_lock_dies_with_a_killed_process(tmp_path):
    db = tmp_path / "a.db"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"from scraper.store.sqlite import CrawlLock; import time; l = CrawlLock({str(db)!r}).acquire(); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ArchiveBusy):
            CrawlLock(db).acquire()
    finally:
        holder.kill()                         # SIGKILL: no cleanup code runs
        holder.wait()
    deadline = time.monotonic() + 5
    while True:
        try:
            CrawlLock(db).acquire().release()
            break
        except ArchiveBusy:
            assert time.monotonic() < deadline
            time.sleep(0.05)
