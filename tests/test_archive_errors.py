"""An archive that is not one, is damaged or is locked: every command says so in one line with
what to do, never a traceback; the crawler stops when its archive cannot be written."""
from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from scraper.article import Article
from scraper.cli import main
from scraper.crawler import crawl_async, sites_from_urls
from scraper.settings import RunSettings, Settings
from scraper.store import ArchiveBusy, ArchiveError, open_archive
from scraper.store import sqlite as sqlite_backend
from scraper.testsite import FixtureServer, bundled_sites

ARCHIVE_COMMANDS = [
    ["crawl", "http://127.0.0.1:9/"],
    ["query", "SELECT 1"],
    ["search", "乡村振兴"],
    ["export"],
    ["stats"],
    ["reextract"],
    ["demo"],
]


def _not_sqlite(path: Path) -> Path:
    path.write_bytes("这不是数据库 — just some text someone saved as archive.db\n".encode() * 200)
    return path


def _damaged(path: Path) -> Path:
    """A real archive whose first page (the schema) was overwritten after the file header."""
    with open_archive(path) as archive, archive.transaction():
        archive.save_article(Article(title="标题", body="乡村振兴战略稳步推进。"), "http://x/1", "s", 1)
    with open(path, "r+b") as fh:
        fh.seek(100)
        fh.write(b"\xa5" * 3000)
    return path


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", ARCHIVE_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("make, words", [(_not_sqlite, "not an SQLite archive"), (_damaged, "is damaged")],
                         ids=["not-sqlite", "damaged"])
def test_every_command_reports_a_bad_archive_in_one_line(tmp_path, command, make, words):
    db = make(tmp_path / "archive.db")
    before = db.read_bytes()
    result = run(*command, "--db", str(db))
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], result.stderr
    assert ".recover" in lines[0]
    assert result.stdout == ""
    assert db.read_bytes() == before            # nothing written into it


@pytest.fixture
def short_busy_timeout(monkeypatch):
    monkeypatch.setattr(sqlite_backend, "BUSY_TIMEOUT", 0.2)


def test_a_write_lock_held_by_another_program_is_busy_not_a_traceback(tmp_path, short_busy_timeout):
    db = tmp_path / "archive.db"
    open_archive(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        for command in (["crawl", "http://127.0.0.1:9/"], ["demo"]):
            result = run(*command, "--db", str(db))
            assert result.exit_code == 3, result.output
            assert result.stderr.count("\n") == 1 and "another program holds a write lock" in result.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_lock_taken_mid_crawl_ends_the_group_with_archive_busy(tmp_path, short_busy_timeout):
    db = tmp_path / "archive.db"
    with open_archive(db) as archive, archive.group_commit(max_units=1):
        with archive.transaction():
            archive.save_article(Article(title="一", body="第一篇。"), "http://x/1", "s", 1)
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(ArchiveBusy, match="another program holds a write lock"):
                with archive.transaction():
                    archive.save_article(Article(title="二", body="第二篇。"), "http://x/2", "s", 1)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert archive.query("SELECT COUNT(*) FROM articles").first() == (1,)


def test_the_crawler_stops_on_an_archive_error_and_reports_it_plainly(tmp_path, monkeypatch):
    """Not counted as a page's internal error and retried: no page could be stored."""
    with FixtureServer(bundled_sites()["univ"]) as server, open_archive(tmp_path / "a.db") as archive:
        stored = []

        def save_page(page):
            if len(stored) == 3:
                raise ArchiveBusy(f"{archive.path} is locked: another program holds a write lock on it")
            stored.append(page.url)

        monkeypatch.setattr(archive, "save_page", save_page)
        sites = sites_from_urls([server.origin + "/"], Settings(delay=0))
        with pytest.raises(ArchiveBusy):
            asyncio.run(crawl_async(sites, archive, RunSettings(extract_workers=0)))
        assert len(stored) == 3
        assert archive.query("SELECT outcome FROM runs").first() == ("running",)   # next run: interrupted


def test_a_missing_folder_is_one_line(tmp_path):
    result = run("crawl", "http://127.0.0.1:9/", "--db", str(tmp_path / "no" / "archive.db"))
    assert result.exit_code == 1 and "does its folder exist" in result.stderr


def test_query_errors_keep_sqlite_words(tmp_path):
    db = tmp_path / "archive.db"
    open_archive(db).close()
    with open_archive(db, readonly=True) as archive, pytest.raises(ArchiveError, match="no such table: nowhere"):
        archive.query("SELECT * FROM nowhere")


@pytest.mark.parametrize("make", [None, _not_sqlite, _damaged], ids=["missing", "not-sqlite", "damaged"])
def test_a_failed_export_leaves_the_earlier_output_file_alone(tmp_path, make):
    db = tmp_path / "archive.db"
    if make:
        make(db)
    previous = tmp_path / "prev.jsonl"
    previous.write_text('{"url": "http://x/1"}\n', encoding="utf-8")
    result = run("export", "--db", str(db), "-o", str(previous))
    assert result.exit_code == 1
    assert previous.read_text("utf-8") == '{"url": "http://x/1"}\n'
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".part")) == []


def test_an_export_file_replaces_the_earlier_one_with_usual_permissions(tmp_path):
    db = tmp_path / "archive.db"
    with open_archive(db) as archive, archive.transaction():
        archive.save_article(Article(title="标题", body="正文。"), "http://x/1", "s", 1)
    out = tmp_path / "all.jsonl"
    out.write_text("old\n", encoding="utf-8")
    assert run("export", "--db", str(db), "-o", str(out)).exit_code == 0
    assert [json.loads(line)["title"] for line in out.read_text("utf-8").splitlines()] == ["标题"]
    plain = tmp_path / "plain.txt"
    plain.write_text("", encoding="utf-8")
    assert out.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777   # as a plain open() makes it
