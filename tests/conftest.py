"""Shared fixtures. `pg_url`: a fresh database on one real PostgreSQL server per test session
(started from the machine's server binaries; never skipped: a missing server is a failure)."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from scraper.testpg import TempPostgres, start_temp_postgres


@pytest.fixture(scope="session")
def pg_server() -> Iterator[TempPostgres]:
    server = start_temp_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_database(pg_server: TempPostgres) -> str:
    """One database for the session's tests (creating one per test costs half a second)."""
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE tests")
    return pg_server.url("tests")


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The test database, emptied: whatever an earlier test left (sessions, advisory locks,
    rows) is gone; the archive schema, once created, stays (a fresh archive would create it)."""
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE datname = current_database() AND pid <> pg_backend_pid()")
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                                             " AND tablename <> 'meta'")]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
    return pg_database


def fresh_pg_database(server: TempPostgres, **options: str) -> str:
    """A new database (for tests of creating an archive or of database options)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    extra = "".join(f" {key} '{value}'" for key, value in options.items())
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}{extra}")
    return server.url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_target(request, tmp_path) -> str:
    """Where to open an archive, once per backend: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "a.db")
    return request.getfixturevalue("pg_url")
