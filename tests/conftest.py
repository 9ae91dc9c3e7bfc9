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


@pytest.fixture
def pg_url(pg_server: TempPostgres) -> Iterator[str]:
    """A new empty database (UTF-8, ctype C.UTF-8 from the cluster), dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield pg_server.url(name)
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
