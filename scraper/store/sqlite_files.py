"""The SQLite archive's downloaded attachments (a mixin of `SqliteArchive`): content-addressed
bytes in `files`, the URLs they came from in `file_urls`."""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator

from .records import FileRecord, StoredFile, compress, decompress, utcnow


class SqliteFiles:
    conn: sqlite3.Connection

    def save_file(self, record: FileRecord) -> bool:
        digest = hashlib.sha256(record.content).hexdigest()
        now = utcnow()
        added = self.conn.execute(
            "INSERT INTO files(sha256, size, mime, content, first_seen) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(sha256) DO NOTHING",
            (digest, len(record.content), record.mime, compress(record.content), now)).rowcount > 0
        self.conn.execute(
            "INSERT OR REPLACE INTO file_urls(url, link_url, site, sha256, etag, last_modified, fetched_at, run_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (record.url, record.link_url, record.site, digest, record.etag, record.last_modified, now, record.run_id))
        return added

    def file_validators(self, url: str) -> tuple[str | None, str | None] | None:
        row = self.conn.execute("SELECT etag, last_modified FROM file_urls WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else None

    def iter_files(self, site: str | None = None) -> Iterator[StoredFile]:
        sql = ("SELECT l.article_url, l.site, l.text, l.file_url, l.sha256, l.mime, f.content"
               " FROM article_files l JOIN files f ON f.sha256 = l.sha256")
        params: tuple = ()
        if site is not None:
            sql += " WHERE l.site = ?"
            params = (site,)
        for article_url, site_, text, url, sha256, mime, content in self.conn.execute(
                sql + " ORDER BY l.site, l.article_url, l.file_url", params):
            yield StoredFile(article_url, site_, text, url, sha256, mime, decompress(content))
