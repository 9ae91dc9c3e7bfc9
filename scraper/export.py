"""Reading the archive back: read-only queries, Chinese full-text search, streaming export.

Everything here opens the archive read-only, so a query can never damage it and can run while a
crawl is writing (WAL readers do not block the writer). Each function opens the archive, reads,
and closes it when the rows have been consumed.
"""
from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO, cast

from .formats import JSON_FORMATS, WRITERS, write_csv, write_markdown_dir
from .search import SearchQuery, parse_query, snippet
from .store import Archive, ArticleSelection, QueryResult, open_archive
from .store.sqlite_read import export_fields

SEARCH_COLUMNS = ["url", "site", "title", "published_at", "source", "snippet"]


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


def run_query(db: str | Path, sql: str, params: Sequence[object] | dict = (), time_limit: float | None = None) -> QueryResult:
    """Run one read-only statement of the user's; returns its columns and rows. `params` are
    positional (`?`) or named (`:name`); `time_limit` (seconds) stops a runaway query."""
    return _reading(db, lambda archive: archive.query(sql, params, time_limit=time_limit))


def search(db: str | Path, query: SearchQuery | str, limit: int = 20, offset: int = 0,
           marks: tuple[str, str] = ("[", "]")) -> tuple[int, QueryResult]:
    """(total matches, one page of hits best first with a highlighted snippet each)."""
    if isinstance(query, str):
        query = parse_query(query)
    with open_archive(db, readonly=True) as archive:
        found = archive.search(query, limit, offset)
    rows = [(h.url, h.site, h.title, h.published_at, h.source, snippet(h.body, query.terms, marks=marks))
            for h in found.hits]
    return found.total, QueryResult(list(SEARCH_COLUMNS), iter(rows))


def iter_articles(db: str | Path, selection: ArticleSelection = ArticleSelection(),
                  fields: Sequence[str] | None = None) -> Iterator[dict]:
    """The selected articles as dicts (lists decoded from JSON), one row in memory at a time."""
    with open_archive(db, readonly=True) as archive:
        yield from archive.iter_articles(selection, fields)


def export_articles(db: str | Path, out: IO[str], fmt: str = "jsonl",
                    selection: ArticleSelection = ArticleSelection(), fields: Sequence[str] | None = None) -> int:
    """Write the selected articles in `fmt` (jsonl, json, csv, md), streaming; returns how many.
    JSON formats take the archive's own JSON text (no Python object per field)."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r} ({', '.join(WRITERS)})")
    if fmt in JSON_FORMATS:
        with open_archive(db, readonly=True) as archive:
            return WRITERS[fmt](archive.iter_article_json(selection, fields), out)
    if fmt == "csv":                # its header even when nothing is selected
        return write_csv(iter_articles(db, selection, fields), out, export_fields(fields))
    return WRITERS[fmt](iter_articles(db, selection, fields), out)


def export_markdown_dir(db: str | Path, folder: Path, selection: ArticleSelection = ArticleSelection(),
                        fields: Sequence[str] | None = None) -> int:
    """One Markdown file per selected article under `folder/<site>/`."""
    return write_markdown_dir(iter_articles(db, selection, fields), folder)


def export_warc(db: str | Path, out: BinaryIO, selection: ArticleSelection = ArticleSelection()) -> int:
    """The stored raw responses of the selected articles as a gzipped WARC file."""
    from .warc import StoredResponse, write_warc

    with open_archive(db, readonly=True) as archive:
        responses = (StoredResponse(final_url or url, status if status and 200 <= status < 300 else 200,
                                    content_type, etag, last_modified, fetched_at, content)
                     for url, final_url, status, content_type, etag, last_modified, fetched_at, content
                     in archive.iter_responses(selection))
        return write_warc(responses, out)

@contextmanager
def replacing(path: str | Path, binary: bool = False) -> Iterator[IO]:
    """A file to write that replaces `path` only when the block succeeds: written under a
    temporary name beside it and renamed at the end, so a failure (no archive, a damaged one, a
    full disk) leaves an earlier export at `path` as it was."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path.parent))
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:        # the file asked for, not the temporary name nobody asked for
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)       # as open() would have made it, not mkstemp's 0600
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as out:
            yield out
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def export_to_file(db: str | Path, path: str | Path, fmt: str = "jsonl",
                   selection: ArticleSelection = ArticleSelection(), fields: Sequence[str] | None = None) -> int:
    """`export_articles` (or `export_warc` for fmt 'warc') into the file at `path`, all or nothing."""
    with replacing(path, binary=fmt == "warc") as out:
        if fmt == "warc":
            return export_warc(db, cast(BinaryIO, out), selection)   # opened binary above
        return export_articles(db, out, fmt, selection, fields)
