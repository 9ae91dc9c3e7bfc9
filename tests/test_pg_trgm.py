"""pg_trgm really indexes Chinese on the test server's C.UTF-8 locale: a 4-character query is
answered through the trigram index, and a 2-character one (too short for trigrams) still finds
its rows by scanning."""
from __future__ import annotations

import psycopg
import pytest

from conftest import fresh_pg_database
from scraper.store import ArchiveError, open_archive

ROWS = [f"第{i}条 各地推进{'乡村振兴' if i % 10 == 0 else '城市更新'}工作，{'高校' if i % 7 == 0 else '企业'}参与" for i in range(500)]


def _archive(url: str) -> psycopg.Connection:
    open_archive(url).close()           # the archive's own schema and trigram indexes
    conn = psycopg.connect(url, autocommit=True)
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO articles (url, site, title, body) VALUES (%s, 's', %s, %s)",
                        [(f"http://s/{i}", f"标题{i}", body) for i, body in enumerate(ROWS)])
    conn.execute("ANALYZE articles")
    return conn


def test_database_locale_makes_chinese_letters(pg_url):
    with psycopg.connect(pg_url) as conn:
        ctype, encoding = conn.execute(
            "SELECT datctype, pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()"
        ).fetchone()
        assert (ctype, encoding) == ("C.UTF-8", "UTF8")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        assert len(conn.execute("SELECT show_trgm('乡村振兴')").fetchone()[0]) >= 2


def test_four_character_query_uses_the_trigram_index(pg_url):
    with _archive(pg_url) as conn:
        conn.execute("SET enable_seqscan = off")
        sql = "SELECT url FROM articles WHERE body ILIKE %s"
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, ("%乡村振兴%",)))
        assert "articles_body_trgm" in plan
        found = {r[0] for r in conn.execute(sql, ("%乡村振兴%",))}
        assert found == {f"http://s/{i}" for i in range(0, 500, 10)}


def test_two_character_query_finds_its_rows(pg_url):
    with _archive(pg_url) as conn:
        found = {r[0] for r in conn.execute("SELECT url FROM articles WHERE body ILIKE %s", ("%高校%",))}
        assert found == {f"http://s/{i}" for i in range(0, 500, 7)}


def test_an_ascii_locale_database_is_refused_with_a_hint(pg_server):
    url = fresh_pg_database(pg_server, TEMPLATE="template0", LC_CTYPE="C", LC_COLLATE="C")
    with pytest.raises(ArchiveError, match="UTF-8 locale.*C.UTF-8"):
        open_archive(url)
