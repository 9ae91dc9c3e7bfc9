"""The SQLite backend's own contract: schema and WAL, the version check, the crawl lock file."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from scraper.store import ARTICLE_COLUMNS, ArchiveBusy, ArchiveError, open_archive
from scraper.store.schema import SCHEMA_VERSION
from scraper.store.sqlite import CrawlLock


@pytest.fixture
def archive(tmp_path):
    with open_archive(tmp_path / "a.db") as a:
        yield a


def test_schema_is_created_with_version_and_wal(archive):
    tables = set(archive.db.table_names())
    assert {"articles", "pages", "runs", "frontier", "aliases", "article_versions", "meta"} <= tables
    assert archive.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    assert archive.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert tuple(archive.db["articles"].columns_dict) == ARTICLE_COLUMNS


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "a.db"
    with open_archive(path) as a:
        a.conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(ArchiveError, match="schema version 99"):
        open_archive(path)


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
