"""Reading the archive back: read-only queries, Chinese full-text search, streaming export.

Everything here opens the archive read-only, so a query can never damage it and can run while a
crawl is writing (WAL readers do not block the writer). Each function opens the archive, reads,
and closes it when the rows have been consumed.
"""
from __future__ import annotations

import errno
import json
import os
import tempfile
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


def export_to_file(db: str | Path, path: str | Path, fmt: str = "jsonl", site: str | None = None) -> int:
    """`export_articles` into the file at `path`, all or nothing: written under a temporary name
    beside it and renamed at the end, so a failure (no archive, a damaged one, a full disk)
    leaves an earlier export at `path` as it was."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path.parent))
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)       # as open() would have made it, not mkstemp's 0600
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            count = export_articles(db, out, fmt, site)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return count
