"""Reading the archive back: read-only queries, Chinese full-text search, streaming export.

Everything here opens the archive read-only, so a query can never damage it and can run while a
crawl is writing (WAL readers do not block the writer). Each function opens the archive, reads,
and closes it when the rows have been consumed.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from .store import Archive, QueryResult, open_archive


def _reading(db: str | Path, read: Callable[[Archive], QueryResult]) -> QueryResult:
    """Open `db` read-only, run `read`, and close the archive once its rows are consumed."""
    archive = open_archive(db, readonly=True)
    try:
        result = read(archive)
    except BaseException:
        archive.close()
        raise

    def rows() -> Iterator[tuple]:
        try:
            yield from result
        finally:
            archive.close()

    return QueryResult(result.columns, rows())


def run_query(db: str | Path, sql: str, params: tuple = ()) -> QueryResult:
    """Run one read-only statement of the user's; returns its columns and rows."""
    return _reading(db, lambda archive: archive.query(sql, params))


def search(db: str | Path, text: str, limit: int) -> QueryResult:
    """Articles containing every whitespace-separated term of `text`, best first."""
    return _reading(db, lambda archive: archive.search(text, limit))


def iter_articles(db: str | Path, site: str | None = None) -> Iterator[dict]:
    """Every article (of `site`) as a dict (lists decoded from JSON), one row in memory at a time."""
    with open_archive(db, readonly=True) as archive:
        yield from archive.iter_articles(site)


def export_articles(db: str | Path, out: IO[str], fmt: str = "jsonl", site: str | None = None) -> int:
    """Write articles as JSON Lines or one JSON array, streaming; returns how many."""
    if fmt not in ("json", "jsonl"):
        raise ValueError(f"unknown export format {fmt!r} (json or jsonl)")
    count = 0
    if fmt == "json":
        out.write("[")
    for record in iter_articles(db, site):
        line = json.dumps(record, ensure_ascii=False)
        if fmt == "json":
            out.write(("\n" if count == 0 else ",\n") + line)
        else:
            out.write(line + "\n")
        count += 1
    if fmt == "json":
        out.write("\n]\n" if count else "]\n")
    return count
