"""The PostgreSQL archive: the same `Archive` as SQLite, for crawler workers on many machines
sharing one archive and frontier, and many people querying it at once.

What differs from SQLite, and why:
- Workers claim frontier rows with `SELECT … FOR UPDATE SKIP LOCKED` and hold them under a lease
  (`lease_owner`, `lease_until`, renewed while they work): a killed worker's URLs return to the
  queue when its lease runs out, and no URL is fetched by two live workers.
- Every unit of writes is its own transaction, taken under one transaction-scoped advisory lock:
  writers queue for each other (as SQLite's single writer does) instead of deadlocking when two
  pages reveal the same URLs in another order. `group_commit` does not group: a long group would
  hold that lock, and a crashed worker's group would hide pages other workers count as done.
- Politeness across workers: a per-host next-allowed start time in `hosts`, taken with a
  compare-and-set against the server's clock (so skewed machine clocks cannot crowd a host);
  the per-host concurrency through session advisory locks, which the server frees when a
  worker's connection dies; robots.txt fetched once per origin and shared through `hosts`.
- Read-only opening (query, search, export, stats): a read-only transaction, the statement sent
  alone with the extended protocol (no `COMMIT; DELETE …` piggy-backing), as the `scraper_reader`
  role, which may only SELECT, when the archive could create it.
- Search: `pg_trgm` GIN indexes answer ILIKE for terms of three characters or more; shorter
  terms are still found by ILIKE, by scanning.
"""
from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import psycopg
from psycopg import sql as pgsql

from ..frontier import FrontierItem
from .base import Archive, ArchiveError
from .common import CommonSql
from .pg_read import PostgresReading
from .pgschema import ARTICLE_FILES_V3, READER_ROLE, SCHEMA_V4, SCHEMA_VERSION, schema_v1
from .records import (QueryResult, utcnow)

URL_SCHEMES = ("postgresql://", "postgres://")
# Keys of the advisory locks this archive takes (first half of the two-int key space).
_WRITE_LOCK = 0x5C4A_0001
_HOST_SLOT_LOCK = 0x5C4A_0002
_ROBOTS_LOCK = 0x5C4A_0003
# Locales in which pg_trgm sees no letters outside ASCII, so Chinese text gets no trigrams.
_ASCII_CTYPES = ("C", "POSIX")
DEFAULT_LEASE_SECONDS = 120.0


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def _query_error(exc: psycopg.Error, time_limit: float | None) -> ArchiveError:
    """The user's query failed: say why in their terms."""
    if isinstance(exc, (psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.InsufficientPrivilege)):
        return ArchiveError("the archive is opened read-only: only SELECT-like statements are allowed")
    if isinstance(exc, psycopg.errors.QueryCanceled) and time_limit is not None:
        return ArchiveError(f"the query ran longer than its time limit ({time_limit:g} s) and was stopped")
    text = str(exc).strip()
    return ArchiveError(text.splitlines()[0] if text else type(exc).__name__)


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return psycopg.conninfo.make_conninfo(url, password=None) if "@" in url else url
    except psycopg.ProgrammingError:
        return url.split("@")[-1]


class PostgresArchive(PostgresReading, CommonSql, Archive):
    """An archive in a PostgreSQL database named by a `postgresql://` URL. Use `open_archive()`."""

    placeholder = "%s"
    urls_in = "url = ANY(?)"
    complete_also = ", lease_owner = NULL, lease_until = NULL"
    lease_seconds: float          # always leases: workers on many machines share the queue

    def __init__(self, url: str, *, readonly: bool = False, lease_seconds: float = DEFAULT_LEASE_SECONDS):
        self.path = url
        self.readonly = readonly
        self.lease_seconds = lease_seconds
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._in_unit = False
        try:
            self.conn = psycopg.connect(url, autocommit=not readonly, application_name="scraper")
        except psycopg.Error as exc:
            raise ArchiveError(f"cannot connect to {_redacted(url)}: {str(exc).strip().splitlines()[0]}") from exc
        try:
            if readonly:
                self._open_readonly()
            else:
                self._migrate()
        except BaseException:
            self.conn.close()
            raise

    # -- schema ------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self.transaction():
            ctype, encoding = self.conn.execute(
                "SELECT datctype, pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()"
            ).fetchone()
            if encoding != "UTF8" or ctype in _ASCII_CTYPES:
                raise ArchiveError(
                    f"database has encoding {encoding} and ctype {ctype}: Chinese search needs a UTF-8 locale"
                    " (CREATE DATABASE … ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0)"
                )
            self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text)")
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise ArchiveError(f"the archive has schema version {version}; this scraper knows"
                                   f" {SCHEMA_VERSION}: upgrade it")
            if version < 1:
                try:
                    self.conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                except psycopg.Error as exc:
                    raise ArchiveError(f"cannot create the pg_trgm extension (PostgreSQL's contrib): {exc}") from exc
                for statement in schema_v1():
                    self.conn.execute(statement)
            if version < 2:
                self.conn.execute("ALTER TABLE articles ADD COLUMN IF NOT EXISTS evidence text")
            if version < 3:
                self.conn.execute(ARTICLE_FILES_V3)
            if version < 4:
                self.conn.execute(SCHEMA_V4)
            self.conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', %s)"
                              " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))
        self._grant_reader()

    def _grant_reader(self) -> None:
        """Create the SELECT-only role readers switch to. Without the right to create roles the
        archive still works: readers then rely on the read-only transaction alone."""
        try:
            with self.transaction():
                exists = self.conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER_ROLE,)).fetchone()
                if not exists:
                    self.conn.execute(pgsql.SQL("CREATE ROLE {} NOLOGIN").format(pgsql.Identifier(READER_ROLE)))
                role = pgsql.Identifier(READER_ROLE)
                self.conn.execute(pgsql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
                self.conn.execute(pgsql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(role))
        except psycopg.errors.InsufficientPrivilege:
            pass

    def _open_readonly(self) -> None:
        self.conn.read_only = True
        self.conn.execute("SET default_transaction_read_only = on")
        missing = self.conn.execute("SELECT to_regclass('public.meta') IS NULL").fetchone()[0]
        if missing:
            raise ArchiveError(f"no archive in {_redacted(self.path)} (run `scraper crawl --db …` first)")
        can_switch = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) AND pg_has_role(%s, 'MEMBER')",
            (READER_ROLE, READER_ROLE),
        ).fetchone()[0]
        if can_switch:
            self.conn.execute(pgsql.SQL("SET ROLE {}").format(pgsql.Identifier(READER_ROLE)))
        self.conn.commit()

    # -- lifecycle ---------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit in its own transaction, under the archive-wide write lock (writers
        wait for each other in turn: no deadlock between workers). Nested units are part of the
        outer one."""
        if self._in_unit:
            yield
            return
        self._in_unit = True
        try:
            with self.conn.transaction():
                self.conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_WRITE_LOCK,))
                yield
        finally:
            self._in_unit = False

    @contextmanager
    def group_commit(self, max_units: int = 50, max_seconds: float = 1.0) -> Iterator[None]:
        """Each unit commits on its own here (see the module docstring)."""
        yield

    @contextmanager
    def crawl_lock(self) -> Iterator[None]:
        """Many crawlers share a PostgreSQL archive by design: leases keep them apart."""
        yield

    def close(self) -> None:
        if not self.conn.closed:
            if not self.readonly:
                self.release_claims()
            self.conn.close()

    # -- runs --------------------------------------------------------------------------------
    def start_run(self, args: dict) -> int:
        """A row per crawl or worker. Another worker's run is 'running' while it is alive, so only
        runs whose heartbeat stopped long ago count as interrupted."""
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET outcome = 'interrupted' WHERE outcome = 'running'"
                " AND heartbeat_at < now() - make_interval(secs => %s)", (3 * self.lease_seconds,))
            row = self.conn.execute(
                "INSERT INTO runs (started_at, args, outcome, pid, heartbeat_at) VALUES (%s, %s, 'running', %s, now())"
                " RETURNING id", (utcnow(), json.dumps(args, ensure_ascii=False), os.getpid()),
            ).fetchone()
        self._run_id = int(row[0])
        return self._run_id

    # -- frontier ----------------------------------------------------------------------------
    def enqueue(self, items: Iterable[FrontierItem], run_id: int | None) -> int:
        now = utcnow()
        rows = sorted({i.url: i for i in items}.values(), key=lambda i: i.url)   # one lock order
        if not rows:
            return 0
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO frontier AS f (url, fetch_url, site, kind, depth, priority, state, attempts, lastmod,"
                " discovered_from, discovered_at, run_id)"
                " VALUES (%s, %s, %s, %s, %s, %s, 'pending', 0, %s, %s, %s, %s)"
                " ON CONFLICT (url) DO UPDATE SET"
                "  lastmod = COALESCE(excluded.lastmod, f.lastmod),"
                "  priority = LEAST(f.priority, excluded.priority),"
                "  state = CASE WHEN f.state = 'done' AND f.kind = 'article'"
                "    AND excluded.lastmod IS NOT NULL AND f.fetched_lastmod IS NOT NULL"
                "    AND excluded.lastmod > f.fetched_lastmod THEN 'pending' ELSE f.state END"
                " WHERE excluded.lastmod IS NOT NULL OR excluded.priority < f.priority",
                [(i.url, i.fetch_url, i.site, i.kind, i.depth, i.priority, i.lastmod, i.discovered_from, now, run_id)
                 for i in rows],
            )
            return max(cur.rowcount, 0)

    def _url_list(self, urls: Iterable[str]) -> object:
        return list(urls)

    def adopt_origins(self, site: str, origins: list[str], run_sites: list[str]) -> None:
        for origin in origins:
            for table in ("frontier", "pages", "articles"):
                self.conn.execute(f"UPDATE {table} SET site = %s WHERE url >= %s AND url < %s"
                                  " AND NOT site = ANY(%s)", (site, origin + "/", origin + "0", list(run_sites)))
            netloc = origin.partition("://")[2]
            self.conn.execute("UPDATE url_patterns p SET site = %s WHERE pattern >= %s AND pattern < %s"
                              " AND NOT site = ANY(%s) AND NOT EXISTS (SELECT 1 FROM url_patterns q"
                              " WHERE q.site = %s AND q.pattern = p.pattern)",
                              (site, netloc + "/", netloc + "0", list(run_sites), site))

    def claim(self, site: str, limit: int, exclude: set[str]) -> list[FrontierItem]:
        """Lease the most urgent pending URLs of `site` that no other live worker holds (this
        worker's own, less `exclude`, as on SQLite). SKIP LOCKED lets workers claim side by side
        without waiting for each other."""
        rows = self.conn.execute(
            "WITH picked AS (SELECT url FROM frontier WHERE state = 'pending' AND site = %s"
            "  AND (lease_until IS NULL OR lease_until < now() OR lease_owner = %s) AND NOT url = ANY(%s)"
            "  ORDER BY priority, seq LIMIT %s FOR UPDATE SKIP LOCKED)"
            " UPDATE frontier f SET lease_owner = %s, lease_until = now() + make_interval(secs => %s)"
            " FROM picked WHERE f.url = picked.url"
            " RETURNING f.url, f.fetch_url, f.site, f.kind, f.depth, f.lastmod, f.discovered_from, f.attempts,"
            "  f.fetched_lastmod IS NOT NULL, f.priority, f.seq",
            (site, self.worker_id, list(exclude), limit, self.worker_id, self.lease_seconds),
        ).fetchall()
        rows.sort(key=lambda r: (r[9], r[10]))
        return [FrontierItem.from_row(row) for row in rows]

    def claimed_elsewhere(self, site: str) -> bool:
        return self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM frontier WHERE state = 'pending' AND site = %s"
            " AND lease_until >= now() AND lease_owner <> %s)", (site, self.worker_id),
        ).fetchone()[0]

    def renew_claims(self) -> None:
        """Extend the leases of the URLs this worker holds, and its run's heartbeat."""
        with self.transaction():
            self.conn.execute(
                "UPDATE frontier SET lease_until = now() + make_interval(secs => %s)"
                " WHERE lease_owner = %s AND state = 'pending'", (self.lease_seconds, self.worker_id))
            if getattr(self, "_run_id", None) is not None:
                self.conn.execute("UPDATE runs SET heartbeat_at = now() WHERE id = %s", (self._run_id,))

    def release_claims(self) -> None:
        """Give back what this worker claimed and did not finish (a clean stop)."""
        with self.transaction():
            self.conn.execute("UPDATE frontier SET lease_owner = NULL, lease_until = NULL"
                              " WHERE lease_owner = %s AND state = 'pending'", (self.worker_id,))

    # -- what workers share: host pacing, robots.txt, the sites --------------------------------
    def coordination(self) -> PostgresArchive:
        return self

    def take_host(self, host: str, slots: int, delay: float, held: Iterable[int] = ()) -> tuple[int | None, float]:
        """Start a request to `host` now if one of its `slots` request slots is free (a session
        lock: freed if this worker dies; not one of those it `held` already, which the lock,
        being re-entrant, would give again) and its next-allowed start has come, moving that `delay`
        seconds on: returns (the slot, 0.0). Else (the slot it took, to release, or None when all
        are busy; the seconds until the next-allowed start, at least 0.001). One round trip, on the
        server's clock: a start is on the path of every request."""
        slot, taken, wait = self.conn.execute(
            "WITH slot AS MATERIALIZED (SELECT n FROM generate_series(0, %s - 1) AS n"
            "  WHERE n <> ALL(%s) AND pg_try_advisory_lock(%s::int, hashtext(%s || '#' || n)) LIMIT 1),"
            " cas AS (INSERT INTO hosts AS h (host, next_start)"
            "  SELECT %s, clock_timestamp() + make_interval(secs => %s) FROM slot"
            "  ON CONFLICT (host) DO UPDATE SET next_start = excluded.next_start"
            "  WHERE h.next_start <= clock_timestamp() RETURNING 1)"
            " SELECT (SELECT n FROM slot), EXISTS (SELECT 1 FROM cas),"
            "  (SELECT extract(epoch FROM next_start - clock_timestamp()) FROM hosts WHERE host = %s)",
            (slots, list(held), _HOST_SLOT_LOCK, host, host, delay, host),
        ).fetchone()
        return slot, 0.0 if taken else max(float(wait or 0.0), 0.001)

    def release_host_slot(self, host: str, slot: int) -> None:
        self.conn.execute("SELECT pg_advisory_unlock(%s::int, hashtext(%s))", (_HOST_SLOT_LOCK, f"{host}#{slot}"))

    def defer_host(self, host: str, seconds: float) -> None:
        """No request to `host` for `seconds` (a Retry-After), whichever worker asks next."""
        self.conn.execute(
            "INSERT INTO hosts AS h (host, next_start) VALUES (%s, clock_timestamp() + make_interval(secs => %s))"
            " ON CONFLICT (host) DO UPDATE SET next_start = greatest(h.next_start, excluded.next_start)",
            (host, seconds))

    def shared_robots(self, origin: str, max_age: float) -> tuple[int | None, str | None] | None:
        """(status, body) of the origin's robots.txt as a worker fetched it less than `max_age`
        seconds ago (an unreadable one — no answer, 429, 5xx — only for a minute: it is worth
        another try soon); None when nobody has."""
        row = self.conn.execute(
            "SELECT status, body FROM robots WHERE origin = %s AND fetched_at > now() - make_interval(secs =>"
            " CASE WHEN status IS NULL OR status >= 500 OR status = 429 THEN least(%s, 60) ELSE %s END)",
            (origin, max_age, max_age)).fetchone()
        return (row[0], row[1]) if row else None

    def try_robots_lock(self, origin: str) -> bool:
        """Be the one worker fetching `origin`'s robots.txt (freed if this worker dies)."""
        return self.conn.execute("SELECT pg_try_advisory_lock(%s::int, hashtext(%s))",
                                 (_ROBOTS_LOCK, origin)).fetchone()[0]

    def store_robots(self, origin: str, status: int | None, body: str | None) -> None:
        """Share a fetched robots.txt and release the fetch lock."""
        self.conn.execute("INSERT INTO robots AS r (origin, status, body, fetched_at) VALUES (%s, %s, %s, now())"
                          " ON CONFLICT (origin) DO UPDATE SET status = excluded.status, body = excluded.body,"
                          " fetched_at = excluded.fetched_at", (origin, status, body))

    def release_robots_lock(self, origin: str) -> None:
        self.conn.execute("SELECT pg_advisory_unlock(%s::int, hashtext(%s))", (_ROBOTS_LOCK, origin))

    def forget_robots(self, origins: Iterable[str]) -> None:
        """A new crawl reads robots.txt afresh (once, for all its workers)."""
        self.conn.execute("DELETE FROM robots WHERE origin = ANY(%s)", (list(origins),))

    def save_sites(self, sites: Iterable[tuple[str, str]]) -> None:
        """Record (name, JSON config) of the sites a crawl seeded, for workers to load."""
        with self.conn.cursor() as cur:
            cur.executemany("INSERT INTO sites (name, config, seeded_at) VALUES (%s, %s, %s)"
                            " ON CONFLICT (name) DO UPDATE SET config = excluded.config, seeded_at = excluded.seeded_at",
                            [(name, config, utcnow()) for name, config in sites])

    def seeded_sites(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.conn.execute("SELECT name, config FROM sites ORDER BY name")]

    # -- pages -------------------------------------------------------------------------------
    def _replace_row(self, table: str, key: str, row: dict) -> None:
        """INSERT OR REPLACE: the row as given, whatever was stored under its key."""
        cols = list(row)
        self.conn.execute(
            pgsql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}").format(
                pgsql.Identifier(table), pgsql.SQL(", ").join(map(pgsql.Identifier, cols)),
                pgsql.SQL(", ").join(pgsql.Placeholder(c) for c in cols), pgsql.Identifier(key),
                pgsql.SQL(", ").join(pgsql.SQL("{0} = excluded.{0}").format(pgsql.Identifier(c))
                                     for c in cols if c != key),
            ),
            row,
        )

    # -- downloaded attachments ----------------------------------------------------------------
    # -- articles ----------------------------------------------------------------------------
    # -- reading -----------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[object] | Mapping[str, object] = (), *,
              time_limit: float | None = None) -> QueryResult:
        """One statement, always sent with the extended protocol (which takes exactly one
        statement). Read-only archives run it in a read-only transaction as the reader role."""
        cursor = self.conn.cursor()
        try:
            if time_limit is not None:
                with self.conn.transaction():
                    cursor.execute("SELECT set_config('statement_timeout', %s, %s)",
                                   (f"{int(time_limit * 1000)}ms", not self.readonly))
            cursor.execute(sql, params if isinstance(params, Mapping) else tuple(params), prepare=False)
        except psycopg.Error as exc:
            if self.readonly:
                self.conn.rollback()
            raise _query_error(exc, time_limit) from exc
        return QueryResult([d.name for d in cursor.description or ()], iter(cursor))

    def stats(self) -> list[tuple[str, QueryResult]]:
        queries = [
            ("articles per site", "SELECT site, COUNT(*) AS articles, MIN(published_at) AS oldest,"
                                  " MAX(published_at) AS newest FROM articles GROUP BY site ORDER BY site"),
            ("pages by outcome", "SELECT COALESCE(reason, 'ok') AS reason, COUNT(*) AS pages FROM pages"
                                 " GROUP BY 1 ORDER BY 2 DESC"),
            ("frontier", "SELECT site, state, COUNT(*) AS urls,"
                         " COUNT(*) FILTER (WHERE lease_until >= now()) AS leased"
                         " FROM frontier GROUP BY 1, 2 ORDER BY 1, 2"),
            ("skipped URLs by reason", "SELECT site, reason, COUNT(*) AS urls FROM frontier WHERE state = 'skipped'"
                                       " GROUP BY 1, 2 ORDER BY 3 DESC"),
            ("URL patterns not yielding (low-yield after low_yield_after idle fetches; never-yielding ones after a few)",
             "SELECT site, pattern, fetched, yielded, idle FROM url_patterns WHERE idle > 0"
             " ORDER BY idle DESC LIMIT 10"),
            ("learned per site: alternate views (yes: aliases, no request), query parameters that change nothing ({idle-param}NAME), scripts whose URLs are twins of articles ({id-twin}…): delete the row to unlearn it",
             "SELECT site, pattern, alias AS learned FROM url_patterns WHERE alias IS NOT NULL"
             " ORDER BY site, pattern LIMIT 50"),
            ("recent runs", "SELECT id AS run, substr(started_at, 1, 16) AS started, outcome,"
                            " pages_fetched AS fetched, not_modified AS \"304\", articles_new AS new,"
                            " articles_changed AS changed, errors FROM runs ORDER BY id DESC LIMIT 5"),
        ]
        tables = []
        for title, sql in queries:
            result = self.query(sql)
            tables.append((title, QueryResult(result.columns, iter(list(result)))))
        return tables

    # -- copying -----------------------------------------------------------------------------
    def table_columns(self, table: str) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s"
            " ORDER BY ordinal_position", (table,))]

    def table_rows(self, table: str, columns: Sequence[str]) -> Iterator[tuple]:
        self._check_columns(table, columns)
        order = "seq" if table == "frontier" else self.table_columns(table)[0]
        query = pgsql.SQL("SELECT {} FROM {} ORDER BY {}").format(
            pgsql.SQL(", ").join(map(pgsql.Identifier, columns)), pgsql.Identifier(table), pgsql.Identifier(order))
        with self.conn.transaction(), self.conn.cursor(name=f"copy_{uuid.uuid4().hex[:8]}") as cursor:
            cursor.itersize = 1000
            cursor.execute(query)
            yield from cursor

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        """COPY in, then move identity sequences past the ids copied."""
        self._check_columns(table, columns)
        count = 0
        with self.transaction():
            copy = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
                pgsql.Identifier(table), pgsql.SQL(", ").join(map(pgsql.Identifier, columns)))
            with self.conn.cursor() as cursor, cursor.copy(copy) as stream:
                for row in rows:
                    stream.write_row(row)
                    count += 1
            if "id" in columns:
                self.conn.execute(pgsql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT MAX(id) FROM {}), 1))"
                ).format(pgsql.Identifier(table)), (table,))
        return count

    def _check_columns(self, table: str, columns: Sequence[str]) -> None:
        unknown = set(columns) - set(self.table_columns(table))
        if unknown or not columns:
            raise ArchiveError(f"no such columns in {table}: {sorted(unknown) or 'none given'}")
