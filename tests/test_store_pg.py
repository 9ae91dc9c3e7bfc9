"""What only the PostgreSQL archive does: a reader that cannot write, leased claims that return
to the queue when a worker stops renewing them, shared host pacing and robots.txt, and the
copy to and from SQLite verified by counts and hashes."""
from __future__ import annotations

import time

import pytest

from scraper.article import Article
from scraper.export import run_query
from scraper.frontier import FrontierItem
from scraper.migrate import TABLES, migrate, table_digest
from scraper.search import parse_query
from scraper.store import ArchiveError, PageRecord, compress, open_archive


def _item(n: int, kind: str = "article") -> FrontierItem:
    return FrontierItem(f"http://x/{n}.htm", f"http://x/{n}.htm", "s", kind)


def _fill(archive) -> None:
    with archive.transaction():
        archive.enqueue([_item(n) for n in range(5)] + [_item(9, "list")], 1)
        archive.save_page(PageRecord(url="http://x/1.htm", site="s", status=200, encoding="utf-8",
                                     raw=compress("<p>乡村振兴</p>".encode()), fetched_at="2024-01-01T00:00:00Z"))
        archive.save_article(Article(title="乡村振兴", body="各地推进乡村振兴。"), "http://x/1.htm", "s", 1)
        archive.save_article(Article(title="乡村振兴", body="更正：各地推进乡村振兴。"), "http://x/1.htm", "s", 2)
        archive.add_alias("http://x/1.htm?print=1", "http://x/1.htm")
        archive.complete("http://x/1.htm", "done", run_id=1)
        archive.merge_url_patterns("s", [("/#.htm", 3, 1, 1, 2, None)])
        archive.save_site_profile("s", '{"title_affixes": ["某某学院"]}', 12)
    archive.finish_run(archive.start_run({"urls": ["http://x/"]}), "completed", {"pages_fetched": 1}, {})


@pytest.mark.parametrize("sql", [
    "DELETE FROM articles",
    "COMMIT; DELETE FROM articles",                         # a second statement is refused whole
    "SELECT set_config('default_transaction_read_only', 'off', false); DELETE FROM articles",
    "CREATE TABLE t (x int)",
])
def test_query_cannot_write(pg_url, sql):
    with open_archive(pg_url) as archive:
        _fill(archive)
    with pytest.raises(ArchiveError):
        list(run_query(pg_url, sql))
    assert list(run_query(pg_url, "SELECT COUNT(*) FROM articles")) == [(1,)]


def test_leaving_the_reader_role_still_cannot_write(pg_url):
    with open_archive(pg_url) as archive:
        _fill(archive)
    with open_archive(pg_url, readonly=True) as reader:
        assert reader.query("SELECT set_config('role', 'postgres', false)").first() == ("postgres",)
        with pytest.raises(ArchiveError, match="read-only"):
            reader.query("DELETE FROM articles")
        with pytest.raises(ArchiveError):
            reader.query("SELECT set_config('transaction_read_only', 'off', false)")


def test_a_login_role_in_the_reader_role_reads_only(pg_url):
    with open_archive(pg_url) as archive:
        _fill(archive)
        archive.conn.execute("DROP ROLE IF EXISTS alice")
        archive.conn.execute("CREATE ROLE alice LOGIN IN ROLE scraper_reader")
    alice = pg_url.replace("postgres@", "alice@")
    assert list(run_query(alice, "SELECT COUNT(*) FROM articles")) == [(1,)]
    with open_archive(alice, readonly=True) as reader:      # leaving the reader role leaves alice
        reader.query("SELECT set_config('role', 'none', false)")
        assert reader.query("SELECT current_user, has_table_privilege('articles', 'INSERT')").first() == (
            "alice", False)


def test_reader_runs_as_a_role_without_write_rights(pg_url):
    with open_archive(pg_url) as archive:
        _fill(archive)
    assert list(run_query(pg_url, "SELECT current_user, current_setting('transaction_read_only')")) == [
        ("scraper_reader", "on")]
    assert list(run_query(pg_url, "SELECT has_table_privilege('articles', 'INSERT')")) == [(False,)]


def test_a_missing_archive_is_an_error_not_created(pg_url):
    with pytest.raises(ArchiveError, match="no archive"):
        open_archive(pg_url.replace("/tests", "/postgres"), readonly=True)
    with pytest.raises(ArchiveError, match="cannot connect"):
        open_archive("postgresql://nobody@127.0.0.1:1/x")


def test_claims_are_leases_that_expire_when_not_renewed(pg_url):
    with open_archive(pg_url) as first, open_archive(pg_url) as second:
        first.lease_seconds = second.lease_seconds = 1.0
        with first.transaction():
            first.enqueue([_item(n) for n in range(4)], 1)
        mine = first.claim("s", 3, set())
        assert [i.url for i in mine] == [f"http://x/{n}.htm" for n in range(3)]
        assert [i.url for i in second.claim("s", 10, set())] == ["http://x/3.htm"]    # the rest only
        assert second.claimed_elsewhere("s")
        assert [i.url for i in first.claim("s", 10, {"http://x/0.htm"})] == ["http://x/1.htm", "http://x/2.htm"]
        with first.transaction():
            first.complete("http://x/0.htm", "done", run_id=1)
        time.sleep(1.2)                                # first stops renewing: as if killed
        taken = {i.url for i in second.claim("s", 10, set())}
        assert taken == {"http://x/1.htm", "http://x/2.htm", "http://x/3.htm"}
        second.release_claims()
        assert {i.url for i in first.claim("s", 10, set())} == taken


def test_renewed_claims_stay_with_their_worker(pg_url):
    with open_archive(pg_url) as first, open_archive(pg_url) as second:
        first.lease_seconds = 1.0
        with first.transaction():
            first.enqueue([_item(1)], 1)
        assert first.claim("s", 1, set())
        time.sleep(0.6)
        first.renew_claims()
        time.sleep(0.6)
        assert second.claim("s", 1, set()) == []


def test_host_start_times_are_spaced_by_the_delay(pg_url):
    with open_archive(pg_url) as first, open_archive(pg_url) as second:
        assert first.take_host("h", 1, 0.5) == (0, 0.0)
        slot, wait = second.take_host("h", 1, 0.5)            # the slot is busy: when to look again
        assert slot is None and 0.3 < wait <= 0.5
        first.release_host_slot("h", 0)
        slot, wait = second.take_host("h", 1, 0.5)            # free, but the start is not due yet
        assert slot == 0 and 0.3 < wait <= 0.5
        second.release_host_slot("h", 0)
        second.defer_host("h", 5)
        slot, wait = first.take_host("h", 1, 0.5)
        assert slot == 0 and wait > 4
        first.release_host_slot("h", 0)
        assert first.take_host("other", 1, 0.5) == (0, 0.0)


def test_host_slots_are_exclusive_and_die_with_their_worker(pg_url):
    first = open_archive(pg_url)
    with open_archive(pg_url) as second:
        assert first.take_host("h", 2, 0) == (0, 0.0)
        assert second.take_host("h", 2, 0) == (1, 0.0)       # the host takes two at once
        assert second.take_host("h", 2, 0, held={1})[0] is None   # not its own slot again
        first.close()                                   # its connection gone: the slot is free
        deadline = time.monotonic() + 5                 # (once the server has ended its session)
        while second.take_host("h", 2, 0, held={1})[0] != 0:
            assert time.monotonic() < deadline
            time.sleep(0.02)


def test_robots_fetched_by_one_worker_serve_the_others(pg_url):
    with open_archive(pg_url) as first, open_archive(pg_url) as second:
        assert first.shared_robots("http://x", 3600) is None
        assert first.try_robots_lock("http://x") and not second.try_robots_lock("http://x")
        first.store_robots("http://x", 200, "User-agent: *\nDisallow: /a")
        first.release_robots_lock("http://x")
        assert second.shared_robots("http://x", 3600) == (200, "User-agent: *\nDisallow: /a")
        first.store_robots("http://y", None, None)      # unreachable: only worth a minute
        assert second.shared_robots("http://y", 3600) == (None, None)
        first.conn.execute("UPDATE robots SET fetched_at = now() - interval '2 minutes'")
        assert second.shared_robots("http://y", 3600) is None
        assert second.shared_robots("http://x", 3600) is not None
        second.forget_robots(["http://x"])
        assert first.shared_robots("http://x", 3600) is None


def test_migrate_there_and_back_keeps_every_row(pg_url, tmp_path):
    source = str(tmp_path / "a.db")
    with open_archive(source) as archive:
        _fill(archive)
    there = migrate(source, pg_url)
    assert {c.table: c.rows for c in there} == {"runs": 1, "frontier": 6, "pages": 1, "articles": 1,
                                                "article_versions": 1, "aliases": 1, "url_patterns": 1, "files": 0,
                                                "file_urls": 0, "site_profiles": 1}
    back_path = str(tmp_path / "b.db")
    back = migrate(pg_url, back_path)
    assert back == there                              # same counts, same content hashes
    with open_archive(source, readonly=True) as a, open_archive(back_path, readonly=True) as b:
        for table in TABLES:
            columns = a.table_columns(table)
            assert table_digest(a, table, columns) == table_digest(b, table, columns)
        assert [h.url for h in b.search(parse_query("乡村振兴"), 5).hits] == ["http://x/1.htm"]   # FTS filled
    with open_archive(pg_url) as archive:               # queue order survives, and ids go on
        assert [i.url for i in archive.claim("s", 3, set())] == ["http://x/0.htm", "http://x/2.htm", "http://x/3.htm"]
        assert archive.start_run({}) == 2


def test_migrate_refuses_a_destination_with_rows(pg_url, tmp_path):
    source = str(tmp_path / "a.db")
    with open_archive(source) as archive:
        _fill(archive)
    migrate(source, pg_url)
    with pytest.raises(ArchiveError, match="not empty"):
        migrate(source, pg_url)


def test_attachments_are_kept_once_per_content(pg_url):
    from scraper.article import Attachment
    from scraper.store.records import FileRecord

    with open_archive(pg_url) as archive, archive.transaction():
        archive.save_article(Article(title="招生", body="附件见下。", attachments=[Attachment("http://x/a.pdf", "计划.pdf")]),
                             "http://x/1.htm", "s", 1)
        assert archive.save_file(FileRecord("http://x/a.pdf", "http://x/a.pdf", "s", b"%PDF-1", "application/pdf",
                                            etag='"e"'))
        assert not archive.save_file(FileRecord("http://x/b.pdf", "http://x/b.pdf", "s", b"%PDF-1"))
        assert archive.file_validators("http://x/a.pdf") == ('"e"', None)
    with open_archive(pg_url, readonly=True) as reader:
        assert [(f.article_url, f.text, f.content) for f in reader.iter_files()] == [
            ("http://x/1.htm", "计划.pdf", b"%PDF-1")]
