"""Copy an archive to another backend (SQLite file ⇄ PostgreSQL database), verified.

Every table both backends keep is copied row for row, ids included, the frontier in queue order;
then each table is read back from the destination and compared with what was read from the
source: the same number of rows and the same content hash (an order-independent sum of row
hashes, so the two engines' row orders do not matter). Coordination state that only a shared
archive has (leases, host pacing, robots.txt, seeded sites) is not copied: it is rebuilt by the
next crawl.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .store import Archive, ArchiveError, open_archive

# Parents first; the frontier keeps its queue order through insertion order.
TABLES = ("runs", "frontier", "pages", "articles", "article_versions", "aliases", "url_patterns", "files",
          "file_urls", "site_profiles")
_MODULUS = 1 << 256


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int
    digest: str          # hex of the sum of row hashes mod 2**256


def _row_hash(row: tuple) -> int:
    """A row's hash, the same whichever engine read it (bytes and text kept apart by repr)."""
    return int.from_bytes(hashlib.sha256(repr(tuple(bytes(v) if isinstance(v, memoryview) else v
                                                     for v in row)).encode("utf-8")).digest(), "big")


class _Tally:
    """Counts and hashes rows as they stream past."""

    def __init__(self) -> None:
        self.rows = 0
        self.total = 0

    def watch(self, rows: Iterable[tuple]) -> Iterator[tuple]:
        for row in rows:
            self.rows += 1
            self.total = (self.total + _row_hash(row)) % _MODULUS
            yield row

    def result(self, table: str) -> TableCopy:
        return TableCopy(table, self.rows, f"{self.total:064x}")


def table_digest(archive: Archive, table: str, columns: list[str]) -> TableCopy:
    tally = _Tally()
    for _ in tally.watch(archive.table_rows(table, columns)):
        pass
    return tally.result(table)


def migrate(source: str | Path, destination: str | Path) -> list[TableCopy]:
    """Copy the archive at `source` into the empty archive at `destination` (created if need
    be); returns what each table holds. Raises `ArchiveError` when the destination already has
    rows or when a table read back differs from the source."""
    if str(source) == str(destination):
        raise ArchiveError("source and destination are the same archive")
    with open_archive(source, readonly=True) as src, open_archive(destination) as dst:
        plan = []
        for table in TABLES:
            have = set(dst.table_columns(table))
            columns = [c for c in src.table_columns(table) if c in have]
            if not columns:
                raise ArchiveError(f"the archives share no columns of {table}")
            if dst.query(f"SELECT COUNT(*) FROM {table}").first() != (0,):
                raise ArchiveError(f"the destination is not empty ({table} has rows): copy into a new archive")
            plan.append((table, columns))
        copied = []
        for table, columns in plan:
            tally = _Tally()
            with dst.transaction():
                dst.insert_rows(table, columns, tally.watch(src.table_rows(table, columns)))
            sent = tally.result(table)
            landed = table_digest(dst, table, columns)
            if landed != sent:
                raise ArchiveError(f"{table}: copied {sent.rows} rows (hash {sent.digest[:12]}) but the destination"
                                   f" holds {landed.rows} (hash {landed.digest[:12]})")
            copied.append(sent)
        return copied
