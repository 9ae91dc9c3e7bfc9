"""The archive: one SQLite file (WAL) holding runs, the frontier, raw pages and articles.

Everything a crawl learns is written in short transactions so that a crash (kill -9, power cut)
leaves a consistent file: a page, its article and the URLs it revealed land together or not at
all. The `articles` columns are derived from `Article`, so the record shape is defined once.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from .article import Article

SCHEMA_VERSION = 2
DEFAULT_DB = "archive.db"

# Article fields kept as JSON text; `reason` is not stored: only real articles reach the table.
_JSON_FIELDS = ("images", "attachments")
ARTICLE_COLUMNS: tuple[str, ...] = ("url", "site") + tuple(
    f.name for f in fields(Article) if f.name not in ("url", "reason")
) + ("content_hash", "version", "first_seen", "last_seen", "run_id")
_STORED_FIELDS = tuple(f.name for f in fields(Article) if f.name in ARTICLE_COLUMNS)
VERSIONED_COLUMNS = ("title", "published_at", "author", "source", "editor", "body", "content_hash")


class ArchiveBusy(RuntimeError):
    """Another process holds the crawl lock on this archive."""


class ArchiveError(RuntimeError):
    """The archive cannot be opened or queried as asked (missing file, read-only, bad SQL)."""


_clock: tuple[int, str] = (0, "")


def utcnow() -> str:
    """ISO UTC time to the second (formatted once per second: it is stamped on every row)."""
    global _clock
    now = int(time.time())
    if now != _clock[0]:
        _clock = (now, datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return _clock[1]


def content_hash(article: Article) -> str:
    """Identity of what a reader sees: title + body, whitespace-insensitive."""
    text = "".join((article.title or "").split()) + "\n" + "".join(article.body.split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _plainer(a: str, b: str) -> bool:
    """Whether URL `a` is the better identity than `b` for the same text: no query string
    (print views and share links add one), then the shorter."""
    return ("?" in b, len(b)) > ("?" in a, len(a))


def _article_record(article: Article) -> dict:
    """The stored columns of an Article (lists as JSON text); no deep `asdict` on the hot path."""
    record = {name: getattr(article, name) for name in _STORED_FIELDS}
    for key in _JSON_FIELDS:
        record[key] = json.dumps([asdict(item) for item in record[key]], ensure_ascii=False)
    return record


@dataclass
class PageRecord:
    """One fetch outcome, stored whether it succeeded or not (reason says why not)."""

    url: str                      # canonical URL (frontier key)
    site: str
    final_url: str | None = None
    status: int | None = None
    reason: str | None = None
    content_type: str | None = None
    encoding: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None
    raw: bytes | None = None      # zlib-compressed body
    fetched_at: str | None = None
    run_id: int | None = None


def compress(data: bytes) -> bytes:
    return zlib.compress(data, 6)


def decompress(blob: bytes) -> bytes:
    return zlib.decompress(blob)


class _Group:
    """The open transaction of `Archive.group_commit`."""

    def __init__(self, conn: sqlite3.Connection, max_units: int, max_seconds: float):
        self.conn = conn
        self.max_units = max_units
        self.max_seconds = max_seconds
        self.units = 0
        self.opened = 0.0

    def open(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.units, self.opened = 0, time.monotonic()

    def unit_done(self) -> None:
        self.units += 1
        if self.units >= self.max_units or time.monotonic() - self.opened >= self.max_seconds:
            self.commit()

    def commit(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")


# mode=ro and query_only stop writes to the archive, but ATTACH and VACUUM INTO would still
# create files, and a PRAGMA may try to change the journal: refuse those before they run.
_PRAGMAS_WITH_ARGUMENT = frozenset(
    "table_info table_xinfo table_list index_info index_xinfo index_list foreign_key_list "
    "foreign_key_check integrity_check quick_check".split()
)


def _read_only_authorizer(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and arg2 is not None and (arg1 or "").lower() not in _PRAGMAS_WITH_ARGUMENT:
        return sqlite3.SQLITE_DENY          # setting a pragma, not reading it
    return sqlite3.SQLITE_OK


class Archive:
    """Open (and create or migrate) an archive file. Use `open_archive()`."""

    def __init__(self, path: str | Path = DEFAULT_DB, *, readonly: bool = False):
        self.path = str(path)
        self.readonly = readonly
        if readonly:
            if not Path(self.path).exists():
                raise ArchiveError(f"no archive at {self.path} (run `scraper crawl` or `scraper demo` first)")
            conn = sqlite3.connect(f"file:{Path(self.path).resolve()}?mode=ro", uri=True)
            conn.execute("PRAGMA query_only = 1")
        else:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA busy_timeout = 30000")
        self.conn = conn
        self._group: _Group | None = None
        self.db = sqlite_utils.Database(conn)
        if readonly:
            conn.set_authorizer(_read_only_authorizer)   # last: the set-up above sets pragmas
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()

    # -- schema ------------------------------------------------------------------------------
    def _migrate(self) -> None:
        db = self.db
        with self.transaction():
            db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise ArchiveError(
                    f"{self.path} has schema version {version}; this scraper knows {SCHEMA_VERSION}: upgrade it"
                )
            if version < 1:
                self._create_v1()
            if version < 2:
                self._create_v2()
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def _create_v1(self) -> None:
        db = self.db
        db["runs"].create(
            {"id": int, "started_at": str, "ended_at": str, "args": str, "outcome": str,
             "pages_fetched": int, "not_modified": int, "articles_new": int, "articles_changed": int,
             "articles_unchanged": int, "errors": int, "stats": str, "pid": int},
            pk="id",
        )
        db["frontier"].create(
            {"url": str, "fetch_url": str, "site": str, "kind": str, "depth": int, "priority": int,
             "state": str, "attempts": int, "reason": str, "lastmod": str, "fetched_lastmod": str,
             "discovered_from": str, "discovered_at": str, "done_at": str, "run_id": int},
            pk="url",
            defaults={"state": "pending", "attempts": 0, "depth": 0, "priority": 5},
        )
        db["frontier"].create_index(["state", "site", "priority"])
        db["pages"].create(
            {"url": str, "site": str, "final_url": str, "status": int, "reason": str,
             "content_type": str, "encoding": str, "etag": str, "last_modified": str, "size": int,
             "raw": bytes, "fetched_at": str, "run_id": int},
            pk="url",
        )
        columns = {c: str for c in ARTICLE_COLUMNS}
        columns.update({"version": int, "run_id": int})
        db["articles"].create(columns, pk="url")
        db["articles"].create_index(["site", "published_at"])
        db["articles"].create_index(["content_hash"])
        db["article_versions"].create(
            {"id": int, "url": str, "version": int, **{c: str for c in VERSIONED_COLUMNS},
             "first_seen": str, "last_seen": str, "run_id": int},
            pk="id",
        )
        db["article_versions"].create_index(["url"])
        db["aliases"].create({"alias": str, "url": str, "found_at": str}, pk="alias")
        # Trigram FTS answers Chinese substring search without a word segmenter (see `search`).
        db["articles"].enable_fts(["title", "body"], create_triggers=True, tokenize="trigram")

    def _create_v2(self) -> None:
        """Learned per-site state: the yield of each URL pattern (see `scraper.yields`)."""
        self.db["url_patterns"].create(
            {"site": str, "pattern": str, "fetched": int, "yielded": int, "articles": int, "idle": int,
             "alias": str},
            pk=("site", "pattern"),
        )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit: all of it lands or none of it. Inside `group_commit` it is a
        savepoint of the open group (made durable when the group commits), else its own
        BEGIN IMMEDIATE … COMMIT."""
        if self._group is not None:
            self._group.open()
            self.conn.execute("SAVEPOINT unit")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK TO unit")
                self.conn.execute("RELEASE unit")
                raise
            self.conn.execute("RELEASE unit")
            self._group.unit_done()
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def group_commit(self, max_units: int = 50, max_seconds: float = 1.0) -> Iterator[None]:
        """Commit many small transactions together (a commit per page cost 0.6 ms of the
        crawler's ~6 ms per page). A crash loses at most the open group, whose frontier rows
        are still pending, so the next run fetches those pages again: nothing is half-stored."""
        self._group = _Group(self.conn, max_units, max_seconds)
        try:
            yield
        finally:
            group, self._group = self._group, None
            group.commit()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- runs --------------------------------------------------------------------------------
    def start_run(self, args: dict) -> int:
        """A row per crawl. Rows left 'running' by a crashed process become 'interrupted'
        (callers hold the crawl lock, so no other run can be live)."""
        with self.transaction() as c:
            c.execute("UPDATE runs SET outcome='interrupted' WHERE outcome='running'")
            cur = c.execute(
                "INSERT INTO runs(started_at, args, outcome, pid) VALUES (?, ?, 'running', ?)",
                (utcnow(), json.dumps(args, ensure_ascii=False), os.getpid()),
            )
            return int(cur.lastrowid)

    def finish_run(self, run_id: int, outcome: str, counts: dict[str, int], stats: dict) -> None:
        keys = ("pages_fetched", "not_modified", "articles_new", "articles_changed",
                "articles_unchanged", "errors")
        with self.transaction() as c:
            c.execute(
                f"UPDATE runs SET ended_at=?, outcome=?, stats=?, {', '.join(k + '=?' for k in keys)} WHERE id=?",
                (utcnow(), outcome, json.dumps(stats, ensure_ascii=False),
                 *(counts.get(k, 0) for k in keys), run_id),
            )

    # -- pages and articles ------------------------------------------------------------------
    def save_page(self, page: PageRecord) -> None:
        """Keep the newest fetch of a URL. A failed refetch never erases a good stored body."""
        row = dict(vars(page))
        if page.raw is None:
            self.conn.execute(
                "INSERT INTO pages(url, site, final_url, status, reason, fetched_at, run_id)"
                " VALUES (:url, :site, :final_url, :status, :reason, :fetched_at, :run_id)"
                " ON CONFLICT(url) DO UPDATE SET status=excluded.status, reason=excluded.reason,"
                " fetched_at=excluded.fetched_at, run_id=excluded.run_id",
                row,
            )
        else:
            cols = list(row)
            self.conn.execute(
                f"INSERT OR REPLACE INTO pages({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})",
                row,
            )

    def resolve_alias(self, url: str) -> str:
        row = self.conn.execute("SELECT url FROM aliases WHERE alias=?", (url,)).fetchone()
        return row[0] if row else url

    def add_alias(self, alias: str, url: str) -> None:
        """Record `alias` as another URL of the article at `url` (never a URL that is itself
        a stored article: that would make the two point at each other)."""
        if alias != url and not self.conn.execute("SELECT 1 FROM articles WHERE url=?", (alias,)).fetchone():
            self.conn.execute(
                "INSERT OR REPLACE INTO aliases(alias, url, found_at) VALUES (?, ?, ?)", (alias, url, utcnow())
            )

    def save_article(self, article: Article, url: str, site: str, run_id: int | None) -> str:
        """Store one article under `url`; returns 'new', 'changed', 'unchanged' or 'alias'.

        The same text under another URL (print view, mobile path) becomes an alias of the
        stored one; a changed text keeps the previous text in `article_versions`.
        """
        now = utcnow()
        digest = content_hash(article)
        url = self.resolve_alias(url)
        existing = self.conn.execute(
            "SELECT content_hash, version, first_seen FROM articles WHERE url=?", (url,)
        ).fetchone()
        if existing is None:
            twin = self.conn.execute(
                "SELECT url FROM articles WHERE content_hash=? AND site=? LIMIT 1", (digest, site)
            ).fetchone()
            if twin is not None:
                primary, alias = (url, twin[0]) if _plainer(url, twin[0]) else (twin[0], url)
                if primary == url:     # the print view came first: the plain URL takes over
                    self.conn.execute("UPDATE articles SET url=? WHERE url=?", (url, twin[0]))
                    self.conn.execute("UPDATE aliases SET url=? WHERE url=?", (url, twin[0]))
                    self.conn.execute("UPDATE article_versions SET url=? WHERE url=?", (url, twin[0]))
                self.add_alias(alias, primary)
                self.conn.execute("UPDATE articles SET last_seen=? WHERE url=?", (now, primary))
                return "alias"
        if existing is not None and existing[0] == digest:
            self.conn.execute("UPDATE articles SET last_seen=?, run_id=? WHERE url=?", (now, run_id, url))
            return "unchanged"
        record = _article_record(article)
        record.update(url=url, site=site, content_hash=digest, last_seen=now, run_id=run_id)
        if existing is None:
            record.update(version=1, first_seen=now)
            outcome = "new"
        else:
            self.conn.execute(
                f"INSERT INTO article_versions(url, version, {', '.join(VERSIONED_COLUMNS)}, first_seen, last_seen, run_id)"
                f" SELECT url, version, {', '.join(VERSIONED_COLUMNS)}, first_seen, last_seen, run_id"
                " FROM articles WHERE url=?",
                (url,),
            )
            record.update(version=existing[1] + 1, first_seen=existing[2])
            outcome = "changed"
        cols = list(record)
        self.conn.execute(
            f"INSERT OR REPLACE INTO articles({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})",
            record,
        )
        return outcome

    def refresh_extraction(self, article: Article, url: str) -> bool:
        """Overwrite a stored article's extracted fields in place (no new version: the page did
        not change, our reading of it did). Returns whether anything changed."""
        record = _article_record(article)
        del record["url"]
        record["content_hash"] = content_hash(article)
        sets = ", ".join(f"{k}=:{k}" for k in record)
        where = " OR ".join(f"{k} IS NOT :{k}" for k in record)
        cur = self.conn.execute(f"UPDATE articles SET {sets} WHERE url=:url AND ({where})", {**record, "url": url})
        return cur.rowcount > 0

    # -- learned state -----------------------------------------------------------------------
    def url_patterns(self, site: str) -> list[tuple[str, int, int, int, int, str | None]]:
        """(pattern, fetched, yielded, articles, idle, alias) of every URL pattern of `site`."""
        return self.conn.execute(
            "SELECT pattern, fetched, yielded, articles, idle, alias FROM url_patterns WHERE site=?", (site,)
        ).fetchall()

    def save_url_patterns(self, site: str, rows: list[tuple[str, int, int, int, int, str | None]]) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO url_patterns(site, pattern, fetched, yielded, articles, idle, alias)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(site, *row) for row in rows],
        )

    def raw_pages(self, site: str | None = None) -> Iterator[tuple[str, str, bytes, str | None]]:
        """(url, site, raw bytes, encoding) of every stored HTML page body — for `reextract`."""
        sql = ("SELECT url, site, raw, encoding FROM pages WHERE raw IS NOT NULL AND encoding IS NOT NULL"
               " AND url > ? {} ORDER BY url LIMIT 200")
        params: tuple = (site,) if site else ()
        last = ""
        while True:   # keyset pages: no cursor stays open across the caller's writes
            rows = self.conn.execute(sql.format("AND site=?" if site else ""), (last, *params)).fetchall()
            if not rows:
                return
            for url, page_site, raw, encoding in rows:
                yield url, page_site, decompress(raw), encoding
            last = rows[-1][0]


def open_archive(path: str | Path = DEFAULT_DB, *, readonly: bool = False) -> Archive:
    """Open the archive at `path`, creating it (and its schema) unless `readonly`."""
    return Archive(path, readonly=readonly)


class CrawlLock:
    """An exclusive advisory lock beside the archive (`archive.db.lock`).

    flock is released by the kernel when the holder dies, so a kill -9 never leaves a stale lock,
    while a second live crawl on the same file is refused at once.
    """

    def __init__(self, db_path: str | Path):
        self.path = f"{db_path}.lock"
        self._fh = None

    def acquire(self) -> "CrawlLock":
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise ArchiveBusy(f"another crawl ({holder}) is already running on this archive ({self.path})")
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "CrawlLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
