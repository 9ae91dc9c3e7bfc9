"""The SQLite archive's reading side: selections for export, changes between runs, versions,
per-site statistics. A mixin of `SqliteArchive` (kept apart from the write path; search is in
`sqlite_search`).
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence

from ..article import EVIDENCE_FIELDS, WEAK_EVIDENCE
from ..changes import GONE_STATUSES, Change, Since
from .records import (ARTICLE_COLUMNS, JSON_FIELDS, JSON_OBJECT_FIELDS, ArticleSelection, DateRange, QueryResult,
                      decompress)

# Fields whose share of non-empty values `site_stats` reports.
STAT_FIELDS = ("title", "published_at", "author", "source", "editor", "body", "images", "attachments")


class SqliteReading:
    """Reading methods over `self.conn` (see `Archive` for what each promises)."""

    conn: sqlite3.Connection

    query: Callable[..., QueryResult]

    # -- selections and export ---------------------------------------------------------------
    def iter_articles(self, selection: ArticleSelection = ArticleSelection(),
                      fields: Sequence[str] | None = None) -> Iterator[dict]:
        names = export_fields(fields)
        decode = [i for i, n in enumerate(names) if n in JSON_FIELDS or n in JSON_OBJECT_FIELDS]
        loads = json.loads
        for row in self._select_articles(", ".join("a." + n for n in names), selection):
            record = dict(zip(names, row))
            for i in decode:
                value = row[i]
                record[names[i]] = loads(value) if value else []
            yield record

    def iter_article_json(self, selection: ArticleSelection = ArticleSelection(),
                          fields: Sequence[str] | None = None) -> Iterator[bytes]:
        """Built by SQLite's json_object and handed over as its UTF-8 bytes: no Python object
        per field (~3x the rate of json.dumps over dicts) and no text decoded only to be
        encoded again on the way out."""
        names = export_fields(fields)
        parts = ", ".join(f"'{n}', " + (f"json(CASE WHEN a.{n} IS NULL OR a.{n} = '' THEN '[]' ELSE a.{n} END)"
                                         if n in JSON_FIELDS else f"a.{n}") for n in names)
        for (line,) in self._select_articles(f"CAST(json_object({parts}) AS BLOB)", selection):
            yield line

    def _select_articles(self, columns: str, selection: ArticleSelection) -> QueryResult:
        where, params = _selection_sql(selection)
        sql = f"SELECT {columns} FROM articles a"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self.query(sql + " ORDER BY a.site, a.published_at, a.url", params)

    def iter_responses(self, selection: ArticleSelection = ArticleSelection()) -> Iterator[tuple]:
        """(url, final_url, status, content_type, etag, last_modified, fetched_at, body bytes) of the
        stored pages of the selected articles."""
        where, params = _selection_sql(selection)
        sql = ("SELECT p.url, p.final_url, p.status, p.content_type, p.etag, p.last_modified, p.fetched_at, p.raw"
               " FROM pages p WHERE p.raw IS NOT NULL AND p.url IN (SELECT a.url FROM articles a"
               + "".join((" WHERE " if i == 0 else " AND ") + w for i, w in enumerate(where)) + ")")
        for row in self.query(sql + " ORDER BY p.site, p.url", params):
            yield (*row[:7], decompress(row[7]))

    # -- changes -----------------------------------------------------------------------------
    def changes(self, since: Since, site: str | None = None) -> Iterator[Change]:
        """Read from covering indexes only (schema step 9), never from the rows, which hold the
        bodies. The index is named: without statistics the planner would rather walk the
        (site, published_at) index, every row, to save sorting the few changed ones."""
        run_params: list[int | str | None]
        new_params: list[int | str | None]
        if since.run_id is not None:
            runs, run_params = "run_id > ?", [since.run_id]
            # new: no version of it was stored by run N or before
            is_new = ("(version = 1 OR COALESCE((SELECT MIN(v.run_id) FROM article_versions v"
                      " WHERE v.url = articles.url), 0) > ?)")
            new_params = [since.run_id]
        else:
            runs, run_params = "run_id IN (SELECT id FROM runs WHERE started_at >= ?)", [since.time]
            is_new, new_params = "first_seen >= ?", [since.time]
        site_sql, site_params = (" AND site = ?", [site]) if site else ("", [])
        stored = self.conn.execute(
            f"SELECT CASE WHEN {is_new} THEN 'new' ELSE 'changed' END, url, site, title, version,"
            f" CASE WHEN {is_new} THEN first_seen ELSE (SELECT started_at FROM runs r WHERE r.id = run_id) END,"
            f" run_id FROM articles INDEXED BY idx_articles_run_changes WHERE {runs}{site_sql} ORDER BY site, url",
            [*new_params, *new_params, *run_params, *site_params])
        for row in stored:
            yield Change(*row)
        gone = self.conn.execute(
            "SELECT 'gone', a.url, a.site, a.title, a.version, p.fetched_at, p.run_id FROM pages p"
            f" JOIN articles a ON a.url = p.url WHERE p.status IN ({', '.join('?' * len(GONE_STATUSES))})"
            f" AND p.{runs}{site_sql.replace('site', 'a.site')} ORDER BY a.site, a.url",
            [*GONE_STATUSES, *run_params, *site_params])
        for row in gone:
            yield Change(*row)

    def site_stats(self) -> list[dict]:
        # portable SQL without parameters: the PostgreSQL archive runs this method too
        sums = "".join(f", SUM(CASE WHEN COALESCE({f}, '') NOT IN ('', '[]') THEN 1 ELSE 0 END)" for f in STAT_FIELDS)
        weak = "".join(f", SUM(CASE WHEN {_weak_evidence(f)} THEN 1 ELSE 0 END)" for f in EVIDENCE_FIELDS)
        sites: dict[str, dict] = {}
        for site, count, oldest, newest, *present in self.conn.execute(
                f"SELECT site, COUNT(*), MIN(published_at), MAX(published_at){sums}{weak} FROM articles GROUP BY site"):
            present, guessed = present[:len(STAT_FIELDS)], present[len(STAT_FIELDS):]
            sites[site] = {"site": site, "articles": count, "oldest": oldest, "newest": newest,
                           "fields": {f: round(n / count, 3) for f, n in zip(STAT_FIELDS, present)},
                           "weak": {f: round((n or 0) / count, 3) for f, n in zip(EVIDENCE_FIELDS, guessed)}}
        for site, pages in self.conn.execute("SELECT site, pages FROM site_profiles"):
            if site in sites:
                sites[site]["profile_pages"] = pages
        for site, fetched_at, run_id, outcome in self.conn.execute(
                "SELECT p.site, p.fetched_at, p.run_id, r.outcome FROM (SELECT site, MAX(fetched_at) AS fetched_at,"
                " MAX(run_id) AS run_id FROM pages GROUP BY site) p LEFT JOIN runs r ON r.id = p.run_id"):
            sites.setdefault(site, {"site": site, "articles": 0, "oldest": None, "newest": None, "fields": {}}).update(
                last_fetch=fetched_at, last_run=run_id, last_run_outcome=outcome)
        for site, reason, count in self.conn.execute(
                "SELECT site, reason, COUNT(*) FROM pages WHERE reason IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 3 DESC"):
            if site in sites:
                sites[site].setdefault("failures", {})[reason] = count
        for entry in sites.values():
            entry.setdefault("failures", {})
            entry.setdefault("weak", {})
            entry.setdefault("profile_pages", None)
        return [sites[name] for name in sorted(sites, key=str)]


def _weak_evidence(field: str) -> str:
    """SQL true when an article's `evidence` says `field` rests on weak evidence. The JSON is
    matched as text, as `article_record` writes it (json.dumps), which both dialects can do."""
    marks = (json.dumps({field: how}, ensure_ascii=False)[1:-1] for how in sorted(WEAK_EVIDENCE))
    return "(" + " OR ".join(f"evidence LIKE '%{mark}%'" for mark in marks) + ")"


def export_fields(fields: Sequence[str] | None) -> list[str]:
    allowed = [c for c in ARTICLE_COLUMNS]
    if not fields:
        return [c for c in allowed if c != "run_id"]
    unknown = [f for f in fields if f not in allowed]
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(allowed)}")
    return list(dict.fromkeys(fields))


def site_dates_sql(site: str | None, dates: DateRange, prefix: str = "") -> tuple[list[str], list]:
    """WHERE conditions and parameters for one site and a [lower, upper) range of publication
    dates, on the columns of `prefix` (an alias such as "a."): what the (site, published_at)
    and (published_at) indexes answer."""
    where: list[str] = []
    params: list = []
    if site is not None:
        where.append(f"{prefix}site = ?")
        params.append(site)
    if dates.lower is not None:
        where.append(f"{prefix}published_at >= ?")
        params.append(dates.lower)
    if dates.upper is not None:
        where.append(f"{prefix}published_at < ?")
        params.append(dates.upper)
    return where, params


def _selection_sql(selection: ArticleSelection) -> tuple[list[str], list]:
    """WHERE conditions (on `articles a`) and their parameters for `selection`."""
    where, params = site_dates_sql(selection.site, selection.dates, "a.")
    if selection.run_id is not None:
        where.append("a.run_id = ?")
        params.append(selection.run_id)
    if selection.changed_since_run is not None:
        where.append("a.run_id > ?")
        params.append(selection.changed_since_run)
    if selection.where:
        where.append(f"({selection.where})")
        params += list(selection.params)
    return where, params
