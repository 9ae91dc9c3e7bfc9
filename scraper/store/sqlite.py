"""The SQLite archive: one file (WAL) holding runs, the frontier, raw pages and articles.

Everything a crawl learns is written in short transactions so that a crash (kill -9, power cut)
leaves a consistent file: a page, its article and the URLs it revealed land together or not at
all. This is the only module that speaks SQL (besides the DDL in `schema`).
"""
from __future__ import annotations

import fcntl
import functools
import inspect
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TextIO

from ..frontier import FrontierItem
from ..reasons import Reason
from .base import Archive, ArchiveBusy, ArchiveError, SearchIndexer
from .common import CommonSql
from .records import (DEFAULT_DB, QueryResult, utcnow)
from .schema import MIGRATIONS, SCHEMA_VERSION, VERSION_TABLE
from .sqlite_read import SqliteReading
from .sqlite_search import SqliteSearch


def _import_sqlite_utils():
    """sqlite-utils imports pandas and numpy whenever they are installed, only to convert
    their types in inserts the archive never makes. In an environment that has them that cost
    every crawler process 15 MB (numpy) to 60 MB (pandas) of memory and 0.1–0.5 s of
    start-up; they are hidden while it loads (not when something already imported them)."""
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None    # type: ignore[assignment]  # `import` then raises ImportError
    try:
        import sqlite_utils
    finally:
        for name in hidden:
            del sys.modules[name]
    return sqlite_utils


sqlite_utils = _import_sqlite_utils()


def _next_run(reason: str) -> str:
    """The `Reason.next_run` of a stored reason ('' for 'ok' and words this version does not know)."""
    try:
        return Reason(reason).next_run
    except ValueError:
        return ""


def _statements(script: str) -> Iterator[str]:
    """The statements of a DDL script one by one (executescript would commit the open
    transaction, and a migration must land whole or not at all)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer
            buffer = ""


# A reader maps the file instead of copying each page it reads through read(): searches and
# exports that visit rows scattered over a large archive spend ~half the CPU time (2-4x on row
# lookups measured on a 1 GB archive).
READ_MMAP_BYTES = 1 << 30
# How long a write waits for another program's write lock before giving up.
BUSY_TIMEOUT = 30.0


def archive_error(exc: sqlite3.Error, path: str, *, plain: bool = False) -> ArchiveError:
    """One line for the user, with what to do, for what SQLite says about an archive file.
    Other errors (a mistake in the user's SQL, with `plain`) keep SQLite's words."""
    message = str(exc)
    recover = f"`sqlite3 {path} .recover | sqlite3 recovered.db`"
    if "locked" in message or "busy" in message:
        return ArchiveBusy(f"{path} is locked: another program holds a write lock on it "
                           f"(waited {BUSY_TIMEOUT:g} s); try again when it has finished")
    if "file is not a database" in message:
        return ArchiveError(f"{path} is not an SQLite archive (file is not a database): check --db; "
                            f"if it was an archive, {recover} may save its contents")
    if "malformed" in message or "corrupt" in message:
        return ArchiveError(f"{path} is damaged (database disk image is malformed): "
                            f"recover what is left with {recover} and use recovered.db")
    if "unable to open" in message:
        return ArchiveError(f"cannot open {path}: does its folder exist, and may this user write there?")
    if "readonly database" in message:
        return ArchiveError(f"{path} is read-only for this user: writing commands need write access")
    return ArchiveError(message if plain else f"{path}: {message}")


@contextmanager
def _translated(path: str) -> Iterator[None]:
    """SQLite errors inside become `ArchiveError`s (one line, with a hint)."""
    try:
        yield
    except sqlite3.Error as exc:
        raise archive_error(exc, path) from exc


def _errors_translated(cls: type) -> type:
    """Wrap every method of the `Archive` interface so that no `sqlite3.Error` escapes the
    backend: the rest of the scraper knows only `ArchiveError`. (`transaction` and
    `group_commit` translate inside, where the caller's block runs.)"""
    def wrap(method):
        if inspect.isgeneratorfunction(method):
            @functools.wraps(method)
            def generator(self, *args, **kwargs):
                with _translated(self.path):
                    yield from method(self, *args, **kwargs)
            return generator

        @functools.wraps(method)
        def call(self, *args, **kwargs):
            with _translated(self.path):
                return method(self, *args, **kwargs)
        return call

    for name in Archive.__abstractmethods__ - {"transaction", "group_commit", "crawl_lock", "close"}:
        setattr(cls, name, wrap(getattr(cls, name)))   # mixins' methods too
    return cls


def _query_error(exc: sqlite3.Error, path: str, time_limit: float | None, deadline: float | None) -> BaseException:
    """The user's query failed: say why in their terms. SQLite calls both a query past its
    deadline and Ctrl-C (met inside the progress handler, which swallows it) "interrupted":
    the clock tells them apart, and Ctrl-C stays a KeyboardInterrupt."""
    message = str(exc)
    if any(word in message for word in ("readonly", "read-only", "query_only", "authoriz")):
        return ArchiveError("the archive is opened read-only: only SELECT-like statements are allowed")
    if message == "interrupted":
        if deadline is None or time.monotonic() < deadline:
            return KeyboardInterrupt()
        return ArchiveError(f"the query ran longer than its time limit ({time_limit:g} s) and was stopped")
    if "binding" in message.lower():     # `WHERE site = :site` without its value
        return ArchiveError(f"{message.rstrip('.')}: give each :name as -p NAME VALUE (positional ? are not supported)")
    return archive_error(exc, path, plain=True)


def _fill_search_index(conn: sqlite3.Connection) -> int:
    """The articles above `search_indexed.upto` into the full-text index (inside a write
    transaction); returns how many."""
    upto, top = conn.execute(
        "SELECT upto, (SELECT COALESCE(MAX(rowid), 0) FROM articles) FROM search_indexed").fetchone()
    if top <= upto:
        return 0
    cursor = conn.execute("INSERT INTO articles_fts(rowid, title, body)"
                          " SELECT rowid, title, body FROM articles WHERE rowid > ? AND rowid <= ?", (upto, top))
    conn.execute("UPDATE search_indexed SET upto = ?", (top,))
    return cursor.rowcount


@contextmanager
def _transaction(conn: sqlite3.Connection, began: Callable[[], None] = lambda: None) -> Iterator[None]:
    """A write transaction, taking the write lock at once; `began` is called once BEGIN is
    answered, whether it got the lock or failed."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    finally:
        began()
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class _SqliteIndexer:
    """`SqliteArchive.search_indexer`: each fill on a connection of its own, closed after it
    (opening costs about a millisecond a fill; nothing is held between fills)."""

    def __init__(self, path: str):
        self.path = path

    def __call__(self, holding: Callable[[], None]) -> int:
        with _translated(self.path), closing(
                sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT)) as conn:
            conn.execute("PRAGMA synchronous = NORMAL")   # as the crawl's connection: no fsync per commit in WAL
            with _transaction(conn, holding):
                return _fill_search_index(conn)


class _Group:
    """The open transaction of `SqliteArchive.group_commit`."""

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


@_errors_translated
class SqliteArchive(SqliteSearch, SqliteReading, CommonSql, Archive):
    """Open (and create or migrate) an archive file. Use `open_archive()`."""

    def __init__(self, path: str | Path = DEFAULT_DB, *, readonly: bool = False):
        self.path = str(path)
        self.readonly = readonly
        try:
            self._open()
        except (sqlite3.Error, ArchiveError) as exc:
            if hasattr(self, "conn"):
                self.conn.close()
            if isinstance(exc, sqlite3.Error):
                raise archive_error(exc, self.path) from exc
            raise

    def _open(self) -> None:
        readonly = self.readonly
        if Path(self.path).is_dir():
            raise ArchiveError(f"{self.path} is a folder: --db names the archive file, e.g. {Path(self.path) / 'archive.db'}")
        if readonly:
            if not Path(self.path).exists():
                raise ArchiveError(f"no archive at {self.path} (run `scraper crawl` or `scraper demo` first)")
            conn = self._connect_readonly()
            self.conn = conn
            self.attach_vocabulary()
            conn.execute(f"PRAGMA mmap_size = {READ_MMAP_BYTES}")
            conn.execute("PRAGMA query_only = 1")
        else:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT)
        self.conn = conn
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()   # not a database? say so now
        self._group: _Group | None = None
        self.db = sqlite_utils.Database(conn)
        if readonly:
            version = self._stored_version()
            if not version:
                raise ArchiveError(f"{self.path} is an empty SQLite file, not an archive yet (run `scraper crawl` first)")
            if version < SCHEMA_VERSION and self._upgraded():
                conn.close()
                return self._open()
            conn.set_authorizer(_read_only_authorizer)   # last: the set-up above sets pragmas
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()

    def _upgraded(self) -> bool:
        """A reader met an archive made by an older scraper: bring its schema up to date when
        this user may write it (readers expect the current tables), else read what it has."""
        try:
            SqliteArchive(self.path).close()
        except ArchiveError:
            return False
        return True

    def _connect_readonly(self) -> sqlite3.Connection:
        """mode=ro. Reading a WAL archive needs its -shm file, which SQLite creates beside it: a
        user who may read the archive but not write in its folder (an archive shared read-only)
        gets "attempt to write a readonly database". When no -wal file exists no write is under
        way, so the file is then read as immutable: a snapshot, which is what a reader wants."""
        uri = f"file:{Path(self.path).resolve()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True)
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if "readonly" not in str(exc) or Path(self.path + "-wal").exists():
                raise
        return sqlite3.connect(uri + "&immutable=1", uri=True)

    # -- schema ------------------------------------------------------------------------------
    def _stored_version(self) -> int:
        """The schema version the file is at: 0 for a new file; archives made before the
        `schema_version` table kept it in `meta`."""
        tables = set(self.db.table_names())
        if "schema_version" in tables:
            return self.conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
        if "meta" in tables:
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            return int(row[0]) if row else 0
        if tables:      # another program's database: adding our tables to it would be a surprise
            shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
            raise ArchiveError(f"{self.path} is another program's SQLite database (tables: {shown}), not a scraper "
                               "archive: give --db a new file")
        return 0

    def _migrate(self) -> None:
        """Apply the migrations the file has not seen, in order, all in one transaction (a
        crash or an error leaves the file as it was). An up-to-date file takes no write lock."""
        if self._check_version() == SCHEMA_VERSION:
            return
        with self.transaction():
            version = self._check_version()      # another process may have migrated meanwhile
            self.conn.execute(VERSION_TABLE)
            self.conn.executemany("INSERT OR IGNORE INTO schema_version(version) VALUES (?)",
                                  [(v,) for v in range(1, version + 1)])
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    self.conn.execute(statement)
                self.conn.execute("INSERT INTO schema_version(version, applied_at) VALUES (?, ?)",
                                  (number, utcnow()))

    def _check_version(self) -> int:
        version = self._stored_version()
        if version > SCHEMA_VERSION:
            raise ArchiveError(
                f"{self.path} has schema version {version}; this scraper knows {SCHEMA_VERSION}: upgrade it"
            )
        return version

    # -- lifecycle ---------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit: all of it lands or none of it. Inside `group_commit` it is a
        savepoint of the open group (made durable when the group commits), else its own
        BEGIN IMMEDIATE … COMMIT."""
        with _translated(self.path):
            yield from self._unit()

    def _unit(self) -> Iterator[None]:
        if self._group is not None:
            self._group.open()
            self.conn.execute("SAVEPOINT unit")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK TO unit")
                self.conn.execute("RELEASE unit")
                raise
            self.conn.execute("RELEASE unit")
            self._group.unit_done()
            return
        with _transaction(self.conn):
            yield

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
            with _translated(self.path):
                group.commit()

    @contextmanager
    def crawl_lock(self) -> Iterator[None]:
        with CrawlLock(self.path):
            yield

    def close(self) -> None:
        self.conn.close()

    def _replace_row(self, table: str, key: str, row: dict) -> None:
        self.conn.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                          tuple(row.values()))

    def _stream(self, sql: str, params: Sequence[object]) -> Iterator[tuple]:
        for row in self.conn.execute(sql, params):     # not `yield from`: see _rows
            yield row

    # -- runs --------------------------------------------------------------------------------
    def start_run(self, args: dict) -> int:
        with self.transaction():
            self.conn.execute("UPDATE runs SET outcome='interrupted' WHERE outcome='running'")
            cur = self.conn.execute(
                "INSERT INTO runs(started_at, args, outcome, pid) VALUES (?, ?, 'running', ?)",
                (utcnow(), json.dumps(args, ensure_ascii=False), os.getpid()),
            )
            return int(cur.lastrowid or 0)

    def update_search_index(self) -> int:
        """Index, in one statement, the articles above `search_indexed.upto` (schema step 6):
        a batch costs less than a trigger per row. A crawl fills it every few dozen articles
        (see `search_indexer`) and at its end."""
        with self.transaction():
            return _fill_search_index(self.conn)

    def search_indexer(self) -> SearchIndexer:
        """Tokenizing for the trigram index costs ~1.4 ms of CPU per article, in fills that
        held the crawler's event loop for ~90 ms each: a thread runs it on its own connection
        instead (sqlite releases the GIL while it works)."""
        return _SqliteIndexer(self.path)

    def commit_group(self) -> None:
        if self._group is not None:
            with _translated(self.path):
                self._group.commit()

    # -- frontier ----------------------------------------------------------------------------
    def enqueue(self, items: Iterable[FrontierItem], run_id: int | None) -> int:
        before = self.conn.total_changes
        now = utcnow()
        self.conn.executemany(
            "INSERT INTO frontier(url, fetch_url, site, kind, depth, priority, state, attempts, lastmod,"
            " discovered_from, discovered_at, run_id)"
            " VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)"
            " ON CONFLICT(url) DO UPDATE SET"
            "  lastmod = COALESCE(excluded.lastmod, frontier.lastmod),"
            "  priority = MIN(frontier.priority, excluded.priority),"
            "  state = CASE WHEN frontier.state = 'done' AND frontier.kind = 'article'"
            "    AND excluded.lastmod IS NOT NULL AND frontier.fetched_lastmod IS NOT NULL"
            "    AND excluded.lastmod > frontier.fetched_lastmod THEN 'pending' ELSE frontier.state END"
            " WHERE excluded.lastmod IS NOT NULL OR excluded.priority < frontier.priority",
            [
                (i.url, i.fetch_url, i.site, i.kind, i.depth, i.priority, i.lastmod, i.discovered_from, now, run_id)
                for i in items
            ],
        )
        return self.conn.total_changes - before

    def adopt_origins(self, site: str, origins: list[str], run_sites: list[str]) -> None:
        others = ", ".join("?" * len(run_sites))
        for origin in origins:      # URL ranges, so the primary keys' indexes answer
            for table in ("frontier", "pages", "articles"):
                self.conn.execute(f"UPDATE {table} SET site=? WHERE url >= ? AND url < ? AND site NOT IN ({others})",
                                  (site, origin + "/", origin + "0", *run_sites))
            netloc = origin.partition("://")[2]
            self.conn.execute(f"UPDATE OR REPLACE url_patterns SET site=? WHERE pattern >= ? AND pattern < ?"
                              f" AND site NOT IN ({others})", (site, netloc + "/", netloc + "0", *run_sites))

    def claim(self, site: str, limit: int, exclude: set[str]) -> list[FrontierItem]:
        rows = self.conn.execute(
            "SELECT url, fetch_url, site, kind, depth, lastmod, discovered_from, attempts,"
            " fetched_lastmod IS NOT NULL FROM frontier"
            " WHERE state='pending' AND site=? ORDER BY priority, rowid LIMIT ?",
            (site, limit + len(exclude)),
        ).fetchall()
        items = [FrontierItem.from_row(row) for row in rows if row[0] not in exclude]
        return items[:limit]

    # -- pages -------------------------------------------------------------------------------
    # -- articles ----------------------------------------------------------------------------
    # -- reading -----------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[object] | Mapping[str, object] = (), *,
              time_limit: float | None = None) -> QueryResult:
        deadline = None if time_limit is None else time.monotonic() + time_limit
        if deadline is not None:
            self.conn.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
        try:
            cursor = self.conn.execute(sql, params if isinstance(params, Mapping) else tuple(params))
        except sqlite3.Error as exc:
            raise _query_error(exc, self.path, time_limit, deadline) from exc
        return QueryResult([d[0] for d in cursor.description or ()], self._rows(cursor, time_limit, deadline))

    def _rows(self, cursor: sqlite3.Cursor, time_limit: float | None, deadline: float | None) -> Iterator[tuple]:
        try:                            # a damaged page may first be read mid-way
            # not `yield from`: that would pass close() on to the cursor, and a reader abandoned
            # after its archive was closed (`export | head`) would then fail on a closed database
            for row in cursor:
                yield row
        except sqlite3.Error as exc:
            raise _query_error(exc, self.path, time_limit, deadline) from exc

    def stats(self) -> list[tuple[str, QueryResult]]:
        outcomes = self.query("SELECT COALESCE(reason, 'ok') AS reason, COUNT(*) AS pages FROM pages"
                              " GROUP BY 1 ORDER BY 2 DESC")
        return [
            ("pages by outcome", QueryResult(outcomes.columns + ["next run"],
                                             iter([(*row, _next_run(row[0])) for row in outcomes]))),
            ("frontier", self._read_whole("SELECT site, state, COUNT(*) AS urls FROM frontier GROUP BY 1, 2")),
            # the latest outcome of every URL that went wrong (done with a reason: read, with a
            # warning, e.g. a truncated sitemap); the next run retries the retryable ones
            ("failed URLs by reason", self._read_whole(
                "SELECT site, state, reason, COUNT(*) AS urls FROM frontier WHERE reason IS NOT NULL"
                " AND state != 'skipped' GROUP BY 1, 2, 3 ORDER BY 4 DESC")),
            ("skipped URLs by reason", self._read_whole(
                "SELECT site, reason, COUNT(*) AS urls FROM frontier WHERE state='skipped'"
                " GROUP BY 1, 2 ORDER BY 3 DESC")),
            ("URL patterns not yielding (low-yield after low_yield_after idle fetches; never-yielding ones after a few)", self._read_whole(
                "SELECT site, pattern, fetched, yielded, idle FROM url_patterns WHERE idle > 0"
                " ORDER BY idle DESC LIMIT 10")),
            ("learned per site: alternate views (yes: aliases, no request), query parameters that change nothing ({idle-param}NAME), scripts whose URLs are twins of articles ({id-twin}…): delete the row to unlearn it", self._read_whole(
                "SELECT site, pattern, alias AS learned FROM url_patterns WHERE alias IS NOT NULL"
                " ORDER BY site, pattern LIMIT 50")),
            ("recent runs", self._read_whole(
                "SELECT id AS run, substr(started_at, 1, 16) AS started, outcome, pages_fetched AS fetched,"
                " not_modified AS '304', articles_new AS new, articles_changed AS changed, errors"
                " FROM runs ORDER BY id DESC LIMIT 5")),
        ]

    def _read_whole(self, sql: str) -> QueryResult:
        """A small result read at once (no cursor left open behind it)."""
        result = self.query(sql)
        return QueryResult(result.columns, iter(list(result)))

    # -- copying -----------------------------------------------------------------------------
    def table_columns(self, table: str) -> list[str]:
        return [row[1] for row in self.conn.execute("SELECT * FROM pragma_table_info(?)", (table,))]

    def table_rows(self, table: str, columns: Sequence[str]) -> Iterator[tuple]:
        self._check_columns(table, columns)
        cursor = self.conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")
        for row in cursor:              # not `yield from`: see _rows
            yield row

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        self._check_columns(table, columns)
        before = self.conn.total_changes
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                              rows)
        return self.conn.total_changes - before

    def _check_columns(self, table: str, columns: Sequence[str]) -> None:
        """Names spliced into SQL must be the archive's own."""
        unknown = set(columns) - set(self.table_columns(table))
        if unknown or not columns:
            raise ArchiveError(f"no such columns in {table}: {sorted(unknown) or 'none given'}")


class CrawlLock:
    """An exclusive advisory lock beside the archive (`archive.db.lock`).

    flock is released by the kernel when the holder dies, so a kill -9 never leaves a stale lock,
    while a second live crawl on the same file is refused at once.
    """

    def __init__(self, db_path: str | Path):
        self.path = f"{db_path}.lock"
        self._fh: TextIO | None = None

    def acquire(self) -> CrawlLock:
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

    def __enter__(self) -> CrawlLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
