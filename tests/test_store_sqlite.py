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


def _found(archive, text: str) -> list[str]:
    return [hit.url for hit in archive.search(parse_query(text), 10).hits]


def _index_is_sound(archive) -> bool:
    archive.conn.execute("INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')")   # raises if not
    return True


def test_search_finds_articles_the_index_has_not_caught_up_with(archive):
    with archive.transaction():
        archive.save_article(Article(title="乡村振兴报告会", body="第一段。"), "http://x/1", "s", 1)
        archive.save_article(Article(title="图书馆开放时间", body="周一至周五开放。"), "http://x/2", "s", 1)
    assert archive.query("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH '乡村振兴'").first() == (0,)
    assert _found(archive, "乡村振兴") == ["http://x/1"]           # scanned: stored after the last update
    assert archive.update_search_index() == 2 and archive.update_search_index() == 0
    assert archive.query("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH '乡村振兴'").first() == (1,)
    assert _found(archive, "乡村振兴") == ["http://x/1"]           # indexed, and not scanned a second time
    assert _found(archive, "开放 时间") == ["http://x/2"] and _index_is_sound(archive)


def test_indexed_articles_follow_their_changes_and_deletions(archive):
    with archive.transaction():
        archive.save_article(Article(title="乡村振兴报告会", body="第一段。"), "http://x/1", "s", 1)
        archive.save_article(Article(title="图书馆开放时间", body="周一至周五开放。"), "http://x/2", "s", 1)
    archive.update_search_index()
    with archive.transaction():
        archive.refresh_extraction(Article(title="图书馆闭馆通知", body="周一至周五开放。"), "http://x/2")
        assert archive.save_article(Article(title="乡村振兴大会", body="新的正文。"), "http://x/1", "s", 2) == "changed"
    for _ in range(2):       # before and after the index catches up with the changed article
        assert _found(archive, "图书馆开放") == [] and _found(archive, "图书馆闭馆") == ["http://x/2"]
        assert _found(archive, "报告会") == [] and _found(archive, "乡村振兴大会") == ["http://x/1"]
        assert _index_is_sound(archive)
        archive.update_search_index()
    # an article changed again before it was ever indexed is indexed once, as it is now
    with archive.transaction():
        archive.save_article(Article(title="第三次修改", body="新的正文。"), "http://x/1", "s", 3)
        archive.refresh_extraction(Article(title="第四次修改", body="新的正文。"), "http://x/1")
    archive.update_search_index()
    assert _found(archive, "第三次") == [] and _found(archive, "第四次修改") == ["http://x/1"]
    archive.delete_sites("s")
    assert _found(archive, "第四次修改") == [] and _found(archive, "图书馆闭馆") == [] and _index_is_sound(archive)


def test_opening_an_archive_does_not_load_numpy_or_pandas(tmp_path):
    """sqlite-utils would import them when installed (tens of MB in every crawler process);
    here they are stand-ins that fail loudly when imported, and stay importable afterwards."""
    for name in ("numpy", "pandas"):
        (tmp_path / f"{name}.py").write_text("import sys\nif '--late' not in sys.argv: raise RuntimeError('imported')\n")
    code = ("import sys; from scraper.store import open_archive; open_archive(sys.argv[1]).close();"
            " assert 'numpy' not in sys.modules and 'pandas' not in sys.modules;"
            " sys.argv.append('--late'); import numpy, pandas")
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "a.db")], capture_output=True, text=True,
                          env={"PYTHONPATH": f"{tmp_path}:{root}", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
