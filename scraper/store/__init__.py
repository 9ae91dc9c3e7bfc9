"""Storage in one place: the `Archive` interface, its records and errors, and `open_archive`.

Nothing outside this package speaks SQL or imports a database driver; a second backend is a
second `Archive` implementation chosen by `open_archive` from the path or URL it is given.
The SQLite backend is imported only when an archive is opened, so the worker processes (which
only need `compress`) and `scraper --help` do not load it.
"""
from __future__ import annotations

from pathlib import Path

from .base import Archive, ArchiveBusy, ArchiveError
from .records import (ARTICLE_COLUMNS, DEFAULT_DB, VERSIONED_COLUMNS, ArticleSelection, FileRecord, PageRecord, QueryResult, RawPage,
                      SearchHit, SearchResult, compress, content_hash, decompress, utcnow)

__all__ = ["ARTICLE_COLUMNS", "DEFAULT_DB", "Archive", "ArchiveBusy", "ArchiveError", "ArticleSelection", "FileRecord", "PageRecord",
           "QueryResult", "RawPage", "SearchHit", "SearchResult", "VERSIONED_COLUMNS", "compress", "content_hash", "decompress", "open_archive", "utcnow"]


def open_archive(path_or_url: str | Path = DEFAULT_DB, *, readonly: bool = False) -> Archive:
    """Open the archive at `path_or_url` (a `postgresql://` URL: PostgreSQL; else a file path:
    SQLite), creating it and its schema unless `readonly`. Raises `ArchiveError` with a one-line
    message when it cannot."""
    if isinstance(path_or_url, str) and path_or_url.startswith(("postgresql://", "postgres://")):
        try:
            from .postgres import PostgresArchive
        except ImportError as exc:      # psycopg is an extra: SQLite users need no driver
            raise ArchiveError(f"{exc}: install the PostgreSQL driver with `pip install 'scraper[pg]'`") from exc
        return PostgresArchive(path_or_url, readonly=readonly)
    from .sqlite import SqliteArchive

    return SqliteArchive(path_or_url, readonly=readonly)
