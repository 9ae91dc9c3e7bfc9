"""The PostgreSQL archive's reading side: search, selections for export, changes between runs,
versions. A mixin of `PostgresArchive`, the twin of `sqlite_read.SqliteReading`.

Search: every term is an ILIKE substring match on title and body; the `pg_trgm` GIN indexes
answer terms of three characters or more, shorter ones scan (exact either way). Ranking is the
same for every term length: terms found in the title weigh ten times those in the body, then
newest first.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import psycopg

from ..changes import GONE_STATUSES, Change, Since
from ..search import SearchQuery
from .records import (ArticleSelection, JSON_FIELDS, JSON_OBJECT_FIELDS, QueryResult, SearchHit, SearchResult,
                      decompress, like_prefix)
from .sqlite_read import SqliteReading, export_fields, _selection_sql

_TITLE_WEIGHT = 10


def _pattern(term: str) -> str:
    return "%" + like_prefix(term)


def _selection(selection: ArticleSelection) -> tuple[list[str], list]:
    """WHERE conditions (on `articles a`) for `selection`, with PostgreSQL placeholders (the
    user's own condition is in PostgreSQL's dialect already)."""
    where, params = _selection_sql(replace(selection, where=None, params=()))
    where = [w.replace("?", "%s") for w in where]
    if selection.where:
        where.append(f"({selection.where})")
        params += list(selection.params)
    return where, params


class PostgresReading:
    """Reading methods over `self.conn` (see `Archive` for what each promises)."""

    conn: psycopg.Connection
    query: Callable[..., QueryResult]

    def _any_of(self, terms: Sequence[str]) -> tuple[str, list]:
        condition = " OR ".join("a.title ILIKE %s OR a.body ILIKE %s" for _ in terms)
        return f"({condition})", [p for t in terms for p in (_pattern(t),) * 2]

    def search(self, query: SearchQuery, limit: int, offset: int = 0) -> SearchResult:
        where, params = [], []
        for clause in query.clauses:
            condition, clause_params = self._any_of(clause)
            where.append(condition)
            params += clause_params
        if query.excluded:
            condition, clause_params = self._any_of(query.excluded)
            where.append("NOT " + condition)
            params += clause_params
        more, more_params = _selection(ArticleSelection(site=query.site, dates=query.dates))
        where += more
        params += more_params
        sql_where = " AND ".join(where)
        total = self.conn.execute(f"SELECT COUNT(*) FROM articles a WHERE {sql_where}", params).fetchone()[0]
        score = " + ".join(f"(CASE WHEN a.title ILIKE %s THEN {_TITLE_WEIGHT} ELSE 0 END)"
                           " + (CASE WHEN a.body ILIKE %s THEN 1 ELSE 0 END)" for _ in query.terms) or "0"
        score_params = [p for t in query.terms for p in (_pattern(t),) * 2]
        rows = self.conn.execute(
            f"SELECT a.url, a.site, a.title, a.published_at, a.source, a.body FROM articles a WHERE {sql_where}"
            f" ORDER BY {score} DESC, a.published_at DESC NULLS LAST, a.url LIMIT %s OFFSET %s",
            [*params, *score_params, limit, offset])
        return SearchResult(int(total), [SearchHit(*row) for row in rows])

    # -- selections and export ---------------------------------------------------------------
    def iter_articles(self, selection: ArticleSelection = ArticleSelection(),
                      fields: Sequence[str] | None = None) -> Iterator[dict]:
        """Streams through a server-side cursor: one batch of rows in memory, not the archive."""
        names = export_fields(fields)
        where, params = _selection(selection)
        sql = f"SELECT {', '.join('a.' + n for n in names)} FROM articles a"
        if where:
            sql += " WHERE " + " AND ".join(where)
        decode = [i for i, n in enumerate(names) if n in JSON_FIELDS or n in JSON_OBJECT_FIELDS]
        for row in self._stream(sql + " ORDER BY a.site, a.published_at, a.url", params):
            record = dict(zip(names, row))
            for i in decode:
                record[names[i]] = json.loads(row[i]) if row[i] else []
            yield record

    def iter_responses(self, selection: ArticleSelection = ArticleSelection()) -> Iterator[tuple]:
        where, params = _selection(selection)
        sql = ("SELECT p.url, p.final_url, p.status, p.content_type, p.etag, p.last_modified, p.fetched_at, p.raw"
               " FROM pages p WHERE p.raw IS NOT NULL AND p.url IN (SELECT a.url FROM articles a"
               + "".join((" WHERE " if i == 0 else " AND ") + w for i, w in enumerate(where)) + ")")
        for row in self._stream(sql + " ORDER BY p.site, p.url", params):
            yield (*row[:7], decompress(bytes(row[7])))

    def _stream(self, sql: str, params: Sequence[object]) -> Iterator[tuple]:
        with self.conn.transaction(), self.conn.cursor(name=f"stream_{uuid.uuid4().hex[:8]}") as cursor:
            cursor.itersize = 500
            cursor.execute(sql, params)
            yield from cursor

    # -- changes -----------------------------------------------------------------------------
    def changes(self, since: Since, site: str | None = None) -> Iterator[Change]:
        run_params: list[int | str | None]
        if since.run_id is not None:
            runs, run_params = "run_id > %s", [since.run_id]
            first = self.conn.execute("SELECT MIN(started_at) FROM runs WHERE id > %s", (since.run_id,)).fetchone()
            start = first[0] if first and first[0] else "\U0010ffff"
        else:
            runs, run_params = "run_id IN (SELECT id FROM runs WHERE started_at >= %s)", [since.time]
            start = since.time
        site_sql, site_params = (" AND a.site = %s", [site]) if site else ("", [])
        stored = self.conn.execute(
            "SELECT CASE WHEN first_seen >= %s THEN 'new' ELSE 'changed' END, url, site, title, version,"
            f" last_seen, run_id FROM articles a WHERE a.{runs}{site_sql} ORDER BY site, url",
            [start, *run_params, *site_params]).fetchall()
        for row in stored:
            yield Change(*row)
        gone = self.conn.execute(
            "SELECT 'gone', a.url, a.site, a.title, a.version, p.fetched_at, p.run_id FROM pages p"
            f" JOIN articles a ON a.url = p.url WHERE p.status = ANY(%s) AND p.{runs}{site_sql}"
            " ORDER BY a.site, a.url", [list(GONE_STATUSES), *run_params, *site_params]).fetchall()
        for row in gone:
            yield Change(*row)

    site_stats = SqliteReading.site_stats     # its SQL is the two dialects' common part
