"""Reading the archive back: read-only SQL, Chinese full-text search, streaming export.

Everything here opens the archive read-only, so a query can never damage it and can run while a
crawl is writing (WAL readers do not block the writer).
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .store import ARTICLE_COLUMNS, ArchiveError, open_archive

EXPORT_COLUMNS = tuple(c for c in ARTICLE_COLUMNS if c not in ("run_id",))
_JSON_COLUMNS = ("images", "attachments")
# FTS5's trigram tokenizer cannot match strings shorter than three characters.
_TRIGRAM_MIN = 3


def run_query(db: str | Path, sql: str, params: tuple = ()) -> tuple[list[str], Iterator[tuple]]:
    """Run one read-only statement; returns (column names, row iterator)."""
    archive = open_archive(db, readonly=True)
    try:
        cursor = archive.conn.execute(sql, params)
    except sqlite3.Error as exc:
        archive.close()
        message = str(exc)
        if any(word in message for word in ("readonly", "read-only", "query_only", "authoriz")):
            message = "the archive is opened read-only: only SELECT-like statements are allowed"
        raise ArchiveError(message) from exc
    columns = [d[0] for d in cursor.description or ()]

    def rows() -> Iterator[tuple]:
        try:
            yield from cursor
        finally:
            archive.close()

    return columns, rows()


def search_sql(text: str, limit: int) -> tuple[str, tuple]:
    """SQL for a Chinese search over title and body: every whitespace-separated term must
    occur (as a substring), best matches first.

    Terms of three characters or more go through the trigram FTS index; when any term is
    shorter (two-character words are common in Chinese) the search falls back to LIKE on the
    base table, which is exact but scans.
    """
    terms = text.split()
    columns = "a.url, a.title, a.published_at, a.source"
    if all(len(t) >= _TRIGRAM_MIN for t in terms):
        query = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
        return (
            f"SELECT {columns}, snippet(articles_fts, 1, '[', ']', '…', 12) AS snippet"
            " FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
            " WHERE articles_fts MATCH ? ORDER BY rank LIMIT ?",
            (query, limit),
        )
    first = terms[0]
    likes = ["%" + t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for t in terms]
    where = " AND ".join("(a.title LIKE ? ESCAPE '\\' OR a.body LIKE ? ESCAPE '\\')" for _ in terms)
    return (
        f"SELECT {columns}, '…' || replace(substr(a.body, max(1, instr(a.body, ?) - 12), 30), ?, '[' || ? || ']')"
        f" || '…' AS snippet FROM articles a WHERE {where} ORDER BY a.published_at DESC LIMIT ?",
        (first, first, first, *(v for like in likes for v in (like, like)), limit),
    )


def iter_articles(db: str | Path, where: str = "", params: tuple = ()) -> Iterator[dict]:
    """Every article as a dict (lists decoded from JSON), one row in memory at a time."""
    sql = f"SELECT {', '.join(EXPORT_COLUMNS)} FROM articles"
    if where:
        sql += f" WHERE {where}"
    columns, rows = run_query(db, sql + " ORDER BY site, published_at, url", params)
    for row in rows:
        record = dict(zip(columns, row))
        for key in _JSON_COLUMNS:
            record[key] = json.loads(record[key]) if record.get(key) else []
        yield record


def export_articles(db: str | Path, out: IO[str], fmt: str = "jsonl", where: str = "",
                    params: tuple = ()) -> int:
    """Write articles as JSON Lines or one JSON array, streaming; returns how many."""
    if fmt not in ("json", "jsonl"):
        raise ValueError(f"unknown export format {fmt!r} (json or jsonl)")
    count = 0
    if fmt == "json":
        out.write("[")
    for record in iter_articles(db, where, params):
        line = json.dumps(record, ensure_ascii=False)
        if fmt == "json":
            out.write(("\n" if count == 0 else ",\n") + line)
        else:
            out.write(line + "\n")
        count += 1
    if fmt == "json":
        out.write("\n]\n" if count else "]\n")
    return count
