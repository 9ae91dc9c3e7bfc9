"""The SQLite archive's reading side: search, selections for export, changes between runs,
versions, per-site statistics. A mixin of `SqliteArchive` (kept apart from the write path).

Search goes through the FTS5 trigram index for every term length but one: a term of three
characters or more is a phrase of the index; a two-character term (most Chinese words) is every
indexed trigram that starts with it, read in one range scan of the index's instances (an
`fts5vocab` table: one pass, where a MATCH of each such trigram OR-ed costs ~0.3 ms a trigram),
plus the tail indexes for the one place such a word has no trigram of its own (the last two
characters of a title or body). Only one-character terms scan the table. Ranking, the same for
every query: how many of the terms the title holds, then bm25 of the indexed phrases (title
weighted), then newest first.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence

from ..changes import GONE_STATUSES, Change, Since
from ..search import SearchQuery
from .records import (ARTICLE_COLUMNS, JSON_FIELDS, JSON_OBJECT_FIELDS, ArticleSelection, QueryResult, SearchHit,
                      SearchResult, decompress)

_TRIGRAM = 3
# Fields whose share of non-empty values `site_stats` reports.
STAT_FIELDS = ("title", "published_at", "author", "source", "editor", "body", "images", "attachments")
_HITS = "temp.articles_fts_hits"
_TITLE_WEIGHT = 10.0
_HIT_COLUMNS = "a.url, a.site, a.title, a.published_at, a.source, a.body"
_UNIT = "\U0010ffff"


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SqliteReading:
    """Reading methods over `self.conn` (see `Archive` for what each promises)."""

    conn: sqlite3.Connection

    query: Callable[..., QueryResult]

    def attach_vocabulary(self) -> None:
        """Every term instance of the trigram index as a temp table, for two-character terms
        (made before the read-only connection refuses any schema change, temp included)."""
        self.conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {_HITS} USING fts5vocab(main, articles_fts, instance)")

    # -- search ------------------------------------------------------------------------------
    def _term(self, term: str) -> tuple[str | None, str | None, list]:
        """How one term is matched: (FTS phrase or None, SQL condition or None, its parameters).
        Articles stored since the index was last filled are matched by LIKE."""
        scan = "(a.title LIKE ? ESCAPE '\\' OR a.body LIKE ? ESCAPE '\\')"
        if len(term) >= _TRIGRAM:
            fts, extra, params = _phrase(term), None, []
        elif len(term) == _TRIGRAM - 1:
            self.attach_vocabulary()
            prefix = term.lower()       # the trigram tokenizer folds case
            fts, extra = None, (f"(a.rowid IN (SELECT doc FROM {_HITS} WHERE term >= ? AND term < ?)"
                                " OR substr(a.title, -2) = ? OR substr(a.body, -2) = ?)")
            params = [prefix, prefix + _UNIT, term, term]
        else:
            return None, scan, [_like(term)] * 2
        if self._has_unindexed_rows():
            unindexed = f"(a.rowid > (SELECT upto FROM search_indexed) AND {scan})"
            extra = f"({extra} OR {unindexed})" if extra else unindexed
            params = [*params, _like(term), _like(term)]
        return fts, extra, params

    def _has_unindexed_rows(self) -> bool:
        """Whether articles above the search index's watermark exist (schema step 6; in an
        archive not migrated that far triggers index every article)."""
        try:
            return self.conn.execute("SELECT EXISTS (SELECT 1 FROM articles"
                                     " WHERE rowid > (SELECT upto FROM search_indexed))").fetchone()[0] == 1
        except sqlite3.OperationalError:     # no search_indexed table yet
            return False

    def search(self, query: SearchQuery, limit: int, offset: int = 0) -> SearchResult:
        clauses = [[self._term(t) for t in clause] for clause in query.clauses]
        excluded = [self._term(t) for t in query.excluded]
        filters, filter_params = _selection_sql(ArticleSelection(site=query.site, dates=query.dates))
        if all(fts and not extra for clause in [*clauses, excluded] for fts, extra, _ in clause):
            return self._search_index(query, clauses, excluded, filters, filter_params, limit, offset)
        where, params, ranked = [], [], []
        for clause in clauses:
            condition, clause_params, fts_parts = _any_of(clause)
            where.append(condition)
            params += clause_params
            ranked += fts_parts
        if excluded:
            condition, clause_params, _ = _any_of(excluded)
            where.append("NOT " + condition)
            params += clause_params
        where += filters
        params += filter_params
        source, score, source_params = "articles a", "NULL", []
        if ranked:
            source = (f"articles a LEFT JOIN (SELECT rowid, bm25(articles_fts, {_TITLE_WEIGHT}, 1.0) AS score"
                      " FROM articles_fts WHERE articles_fts MATCH ?) r ON r.rowid = a.rowid")
            score, source_params = "r.score", [" OR ".join(ranked)]
        return self._ranked_page(query, source, score, " AND ".join(where), [*source_params, *params], limit, offset)

    def _search_index(self, query: SearchQuery, clauses: list, excluded: list, filters: list[str], params: list,
                      limit: int, offset: int) -> SearchResult:
        """Every term is in the trigram index: one MATCH expression answers the query, ranked
        by FTS5 itself."""
        match = " AND ".join("(" + " OR ".join(fts for fts, _, _ in clause) + ")" for clause in clauses)
        if excluded:
            match = f"({match}) NOT ({' OR '.join(fts for fts, _, _ in excluded)})"
        where = " AND ".join(["articles_fts MATCH ?", "rank MATCH ?", *filters])
        return self._ranked_page(query, "articles_fts JOIN articles a ON a.rowid = articles_fts.rowid", "rank",
                                 where, [match, f"bm25({_TITLE_WEIGHT}, 1.0)", *params], limit, offset)

    def _ranked_page(self, query: SearchQuery, source: str, score: str, where: str, params: list,
                     limit: int, offset: int) -> SearchResult:
        """One page of the matches, in the search ordering, and the total. The ordering is
        decided on small keys (rowid, title hits, score, date) and the page's rows are read
        afterwards: sorting whole rows would carry every matching body through the sorter."""
        hits = " + ".join(["(instr(a.title, ?) > 0)"] * len(query.terms))
        keys = "p.th DESC, p.sc IS NULL, p.sc, p.pa DESC"
        inner = (f"SELECT a.rowid AS id, ({hits}) AS th, {score} AS sc, a.published_at AS pa, COUNT(*) OVER () AS n"
                 f" FROM {source} WHERE {where} ORDER BY th DESC, sc IS NULL, sc, pa DESC LIMIT ? OFFSET ?")
        rows = self.conn.execute(
            f"SELECT {_HIT_COLUMNS}, p.n FROM ({inner}) p JOIN articles a ON a.rowid = p.id ORDER BY {keys}",
            [*query.terms, *params, limit, offset]).fetchall()
        total = rows[0][-1] if rows else self.conn.execute(
            f"SELECT COUNT(*) FROM {source} WHERE {where}", params).fetchone()[0]
        return SearchResult(total, [SearchHit(*row[:-1]) for row in rows])

    # -- selections and export ---------------------------------------------------------------
    def iter_articles(self, selection: ArticleSelection = ArticleSelection(),
                      fields: Sequence[str] | None = None) -> Iterator[dict]:
        names = _export_fields(fields)
        decode = [i for i, n in enumerate(names) if n in JSON_FIELDS or n in JSON_OBJECT_FIELDS]
        loads = json.loads
        for row in self._select_articles(", ".join("a." + n for n in names), selection):
            record = dict(zip(names, row))
            for i in decode:
                value = row[i]
                record[names[i]] = loads(value) if value else []
            yield record

    def iter_article_json(self, selection: ArticleSelection = ArticleSelection(),
                          fields: Sequence[str] | None = None) -> Iterator[str]:
        """Built by SQLite's json_object: no Python object per field, ~3x the rate of
        json.dumps over dicts."""
        names = _export_fields(fields)
        parts = ", ".join(f"'{n}', " + (f"json(CASE WHEN a.{n} IS NULL OR a.{n} = '' THEN '[]' ELSE a.{n} END)"
                                         if n in JSON_FIELDS else f"a.{n}") for n in names)
        for (line,) in self._select_articles(f"json_object({parts})", selection):
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
        sites: dict[str, dict] = {}
        for site, count, oldest, newest, *present in self.conn.execute(
                f"SELECT site, COUNT(*), MIN(published_at), MAX(published_at){sums} FROM articles GROUP BY site"):
            sites[site] = {"site": site, "articles": count, "oldest": oldest, "newest": newest,
                           "fields": {f: round(n / count, 3) for f, n in zip(STAT_FIELDS, present)}}
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
        return [sites[name] for name in sorted(sites, key=str)]


def _any_of(terms: list[tuple[str | None, str | None, list]]) -> tuple[str, list, list[str]]:
    """SQL condition true when any of the matched `terms` (see `_term`) occurs; its parameters;
    its FTS parts."""
    fts_parts = [fts for fts, _, _ in terms if fts]
    conditions, params = [], []
    if fts_parts:
        conditions.append("a.rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
        params.append(" OR ".join(fts_parts))
    for _, extra, extra_params in terms:
        if extra:
            conditions.append(extra)
            params += extra_params
    return "(" + " OR ".join(conditions or ["0"]) + ")", params, fts_parts


def _export_fields(fields: Sequence[str] | None) -> list[str]:
    allowed = [c for c in ARTICLE_COLUMNS]
    if not fields:
        return [c for c in allowed if c != "run_id"]
    unknown = [f for f in fields if f not in allowed]
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(allowed)}")
    return list(dict.fromkeys(fields))


def _selection_sql(selection: ArticleSelection) -> tuple[list[str], list]:
    """WHERE conditions (on `articles a`) and their parameters for `selection`."""
    where: list[str] = []
    params: list = []
    if selection.site is not None:
        where.append("a.site = ?")
        params.append(selection.site)
    if selection.dates.lower is not None:
        where.append("a.published_at >= ?")
        params.append(selection.dates.lower)
    if selection.dates.upper is not None:
        where.append("a.published_at < ?")
        params.append(selection.dates.upper)
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
