"""The SQL both backends speak alike: a mixin of `SqliteArchive` and `PostgresArchive`.

Statements here are written once, with `?` placeholders, in the part of SQL that SQLite (3.39+)
and PostgreSQL share (`IS DISTINCT FROM`, `NULLS LAST`, `IN (…)` lists, `LIKE … ESCAPE`); a
backend names its driver's placeholder in `placeholder` and says how it replaces a whole row
(`_replace_row`) and streams a long result (`_stream`). What really differs — claiming with
leases, upserts that merge, full-text search, schema — stays in the backend.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ClassVar

from .records import (ARTICLE_COLUMNS, VERSIONED_COLUMNS, FileRecord, PageRecord, QueryResult, RawPage, StoredFile,
                      article_record, compress, content_hash, decompress, like_prefix, plainer, utcnow)

if TYPE_CHECKING:
    from ..article import Article


def in_list(values: Sequence[object]) -> str:
    """`(?, ?, …)` for `values` (`(NULL)`, which matches nothing, when there are none: PostgreSQL
    refuses an empty list)."""
    return f"({', '.join('?' * len(values))})" if values else "(NULL)"


class CommonSql:
    """Archive methods whose SQL is the same in both dialects, over `self.conn` (a DB-API
    connection whose `execute` returns a cursor)."""

    conn: Any
    placeholder: ClassVar[str] = "?"          # the driver's positional placeholder
    # what else `complete` clears on a frontier row (PostgreSQL: the lease of the worker)
    complete_also: ClassVar[str] = ""
    # How a list of URLs is matched, with the list as one parameter (`_url_list`): one statement
    # text whatever its length. With `IN (?, ?, …)` every length was a statement of its own in
    # SQLite's cache (128 of them), each as big as its list: a site whose pager names 1,000 list
    # pages kept ~6 MB of such statements in the crawler. The primary key still answers each URL.
    urls_in: ClassVar[str] = "url IN (SELECT value FROM json_each(?))"
    transaction: Callable[[], AbstractContextManager[None]]
    query: Callable[..., QueryResult]

    def _run(self, sql: str, params: Sequence[object] = ()) -> Any:
        """Execute `sql` written with `?` placeholders in this backend's dialect."""
        if self.placeholder != "?":
            sql = sql.replace("?", self.placeholder)
        return self.conn.execute(sql, params)

    def _url_list(self, urls: Iterable[str]) -> object:
        """`urls` as the one parameter of `urls_in` (SQLite: a JSON array)."""
        return json.dumps(list(urls))

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        return {r[0] for r in self._run(f"SELECT url FROM frontier WHERE {self.urls_in}", (self._url_list(urls),))}

    def frontier_states(self, urls: Sequence[str]) -> dict[str, tuple[str, int | None]]:
        return {r[0]: (r[1], r[2]) for r in self._run(
            f"SELECT url, state, run_id FROM frontier WHERE {self.urls_in}", (self._url_list(urls),))}

    def news_in_run(self, urls: Sequence[str], run_id: int | None) -> bool:
        return self._run(
            f"SELECT 1 FROM frontier f LEFT JOIN articles a ON a.url = f.url WHERE f.{self.urls_in} AND f.run_id = ?"
            " AND (a.run_id IS NULL OR a.run_id = ?) LIMIT 1", (self._url_list(urls), run_id, run_id)).fetchone() is not None

    def _replace_row(self, table: str, key: str, row: dict) -> None:
        """Store `row` in `table` as given, whatever was stored under its `key` before."""
        raise NotImplementedError

    def _stream(self, sql: str, params: Sequence[object]) -> Iterator[tuple]:
        """The rows of a long result without holding them all (`sql` in the backend's dialect)."""
        raise NotImplementedError

    # -- runs and frontier -------------------------------------------------------------------
    def finish_run(self, run_id: int, outcome: str, counts: dict[str, int], stats: dict) -> None:
        keys = ("pages_fetched", "not_modified", "articles_new", "articles_changed",
                "articles_unchanged", "errors")
        with self.transaction():
            self._run(f"UPDATE runs SET ended_at = ?, outcome = ?, stats = ?, {', '.join(k + ' = ?' for k in keys)}"
                      " WHERE id = ?",
                      (utcnow(), outcome, json.dumps(stats, ensure_ascii=False),
                       *(counts.get(k, 0) for k in keys), run_id))

    def requeue(self, site: str, *, kinds: Sequence[str] | None, first_seen_since: str | None,
                retry_reasons: Sequence[str], max_attempts: int, always_kinds: Sequence[str],
                recheck_reasons: Sequence[str], entry_kinds: Sequence[str] = ()) -> None:
        pending = "UPDATE frontier SET state = 'pending' WHERE site = ?"
        if kinds is None:
            self._run(f"{pending} AND state = 'done'", (site,))
        else:
            every = [k for k in kinds if k not in entry_kinds]
            self._run(f"{pending} AND state = 'done' AND kind IN {in_list(every)}", (site, *every))
            entries = [k for k in kinds if k in entry_kinds]
            if entries:     # not found on a page of their own kind: a list's first page, not its pager's
                self._run(f"{pending} AND state = 'done' AND kind IN {in_list(entries)}"
                          " AND NOT EXISTS (SELECT 1 FROM frontier p WHERE p.url = frontier.discovered_from"
                          "  AND p.kind = frontier.kind)", (site, *entries))
        if first_seen_since:
            self._run(f"{pending} AND state = 'done' AND kind = 'article'"
                      " AND url IN (SELECT url FROM articles WHERE site = ? AND first_seen >= ?)",
                      (site, site, first_seen_since))
        self._run(f"{pending} AND state = 'failed' AND reason IN {in_list(retry_reasons)}"
                  f" AND (attempts < ? OR kind IN {in_list(always_kinds)})",
                  (site, *retry_reasons, max_attempts, *always_kinds))
        self._run(f"{pending} AND state = 'failed' AND (kind = 'start' OR discovered_from = 'robots.txt')", (site,))
        self._run(f"{pending} AND state = 'skipped' AND reason IN {in_list(recheck_reasons)}",
                  (site, *recheck_reasons))

    def sweep(self, site: str, runs: int, priority: int) -> None:
        dateless = "FROM frontier WHERE site = ? AND kind = 'article' AND state = 'done' AND lastmod IS NULL"
        count = self._run(f"SELECT COUNT(*) {dateless}", (site,)).fetchone()[0]
        if count:
            # the run that last settled a URL orders them even when runs are seconds apart
            oldest = f"SELECT url {dateless} ORDER BY COALESCE(run_id, 0), done_at, url LIMIT ?"
            self._run(f"UPDATE frontier SET state = 'pending', priority = ? WHERE url IN ({oldest})",
                      (priority, site, -(-count // runs)))

    def found_on(self, url: str, page: str) -> None:
        self._run("UPDATE frontier SET discovered_from = ? WHERE url = ?", (page, url))

    def defer(self, url: str, priority: int) -> None:
        self._run("UPDATE frontier SET priority = ? WHERE url = ? AND state = 'pending'", (priority, url))

    def reopen(self, url: str) -> None:
        self._run("UPDATE frontier SET state = 'pending' WHERE url = ? AND state = 'done'", (url,))

    def unskip(self, site: str, reason: str) -> None:
        self._run("UPDATE frontier SET state = 'pending' WHERE site = ? AND state = 'skipped' AND reason = ?",
                  (site, reason))

    def url_patterns(self, site: str) -> list[tuple[str, int, int, int, int, str | None]]:
        return [tuple(r) for r in self._run("SELECT pattern, fetched, yielded, articles, idle, alias"
                                            " FROM url_patterns WHERE site = ?", (site,))]

    def site_profile(self, site: str) -> tuple[str, int] | None:
        row = self._run("SELECT profile, pages FROM site_profiles WHERE site = ?", (site,)).fetchone()
        return (row[0], row[1]) if row else None

    def save_site_profile(self, site: str, profile: str, pages: int) -> None:
        self._replace_row("site_profiles", "site", {"site": site, "profile": profile, "pages": pages,
                                                    "learned_at": utcnow()})

    def merge_url_patterns(self, site: str, changes: list[tuple[str, int, int, int, int, str | None]]
                           ) -> list[tuple[str, int, int, int, int, str | None]]:
        if not changes:
            return []
        rows = sorted(changes)          # one lock order for every writer
        return [tuple(r) for r in self._run(
            "INSERT INTO url_patterns AS p (site, pattern, fetched, yielded, articles, idle, alias) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(rows))
            + " ON CONFLICT (site, pattern) DO UPDATE SET fetched = p.fetched + excluded.fetched,"
            " yielded = p.yielded + excluded.yielded, articles = p.articles + excluded.articles,"
            " idle = CASE WHEN excluded.yielded > 0 THEN excluded.idle ELSE p.idle + excluded.idle END,"
            " alias = COALESCE(excluded.alias, p.alias)"
            " RETURNING pattern, fetched, yielded, articles, idle, alias",
            [value for row in rows for value in (site, *row)]).fetchall()]

    def complete(self, url: str, state: str, *, reason: str | None = None, kind: str | None = None,
                 run_id: int | None = None) -> None:
        now = utcnow()
        self._run("UPDATE frontier SET state = ?, reason = ?, kind = COALESCE(?, kind),"
                  " attempts = CASE WHEN ? = 'failed' THEN attempts + 1 ELSE 0 END,"
                  " fetched_lastmod = CASE WHEN ? = 'done' THEN COALESCE(lastmod, ?) ELSE fetched_lastmod END,"
                  f" done_at = ?, run_id = ?{self.complete_also} WHERE url = ?",
                  (state, reason, kind, state, state, now, now, run_id, url))

    def frontier_counts(self, site: str | None = None) -> dict[str, int]:
        where, params = (" WHERE site = ?", (site,)) if site else ("", ())
        return {state: int(n) for state, n in self._run(f"SELECT state, COUNT(*) FROM frontier{where}"
                                                        " GROUP BY state", params)}

    # -- pages -------------------------------------------------------------------------------
    def save_page(self, page: PageRecord) -> None:
        if page.raw is not None:
            self._replace_row("pages", "url", dict(vars(page)))
            return
        self._run("INSERT INTO pages (url, site, final_url, status, reason, fetched_at, run_id)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?)"
                  " ON CONFLICT (url) DO UPDATE SET status = excluded.status, reason = excluded.reason,"
                  " fetched_at = excluded.fetched_at, run_id = excluded.run_id",
                  (page.url, page.site, page.final_url, page.status, page.reason, page.fetched_at, page.run_id))

    def validators(self, url: str) -> tuple[str | None, str | None] | None:
        row = self._run("SELECT etag, last_modified FROM pages WHERE url = ? AND raw IS NOT NULL", (url,)).fetchone()
        return (row[0], row[1]) if row else None

    def mark_not_modified(self, url: str, run_id: int | None) -> None:
        self._run("UPDATE pages SET status = 304, reason = NULL, fetched_at = ?, run_id = ? WHERE url = ?",
                  (utcnow(), run_id, url))

    def has_raw_page(self, url: str) -> bool:
        return self._run("SELECT 1 FROM pages WHERE url = ? AND raw IS NOT NULL", (url,)).fetchone() is not None

    def raw_page(self, url: str) -> RawPage | None:
        row = self._run("SELECT url, site, final_url, raw, encoding FROM pages WHERE url = ? AND raw IS NOT NULL"
                        " AND encoding IS NOT NULL", (url,)).fetchone()
        return RawPage(row[0], row[1], row[2], decompress(bytes(row[3])), row[4]) if row else None

    def raw_pages(self, site: str | None = None) -> Iterator[RawPage]:
        sql = ("SELECT url, site, final_url, raw, encoding FROM pages WHERE raw IS NOT NULL AND encoding IS NOT NULL"
               f" AND url > ? {'AND site = ?' if site else ''} ORDER BY url LIMIT 200")
        last = ""
        while True:   # keyset pages: no cursor stays open across the caller's writes
            rows = self._run(sql, (last, site) if site else (last,)).fetchall()
            if not rows:
                return
            for url, page_site, final_url, raw, encoding in rows:
                yield RawPage(url, page_site, final_url, decompress(bytes(raw)), encoding)
            last = rows[-1][0]

    # -- downloaded attachments --------------------------------------------------------------
    def save_file(self, record: FileRecord) -> bool:
        digest = hashlib.sha256(record.content).hexdigest()
        now = utcnow()
        added = self._run("INSERT INTO files (sha256, size, mime, content, first_seen) VALUES (?, ?, ?, ?, ?)"
                          " ON CONFLICT (sha256) DO NOTHING",
                          (digest, len(record.content), record.mime, compress(record.content), now)).rowcount > 0
        self._replace_row("file_urls", "url", {
            "url": record.url, "link_url": record.link_url, "site": record.site, "sha256": digest, "etag": record.etag,
            "last_modified": record.last_modified, "fetched_at": now, "run_id": record.run_id})
        return added

    def file_validators(self, url: str) -> tuple[str | None, str | None] | None:
        row = self._run("SELECT etag, last_modified FROM file_urls WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else None

    def iter_files(self, site: str | None = None) -> Iterator[StoredFile]:
        where, params = (" WHERE l.site = ?", (site,)) if site else ("", ())
        sql = ("SELECT l.article_url, l.site, l.text, l.file_url, l.sha256, l.mime, f.content"
               f" FROM article_files l JOIN files f ON f.sha256 = l.sha256{where}"
               " ORDER BY l.site, l.article_url, l.file_url").replace("?", self.placeholder)
        for article_url, site_, text, file_url, sha256, mime, content in self._stream(sql, params):
            yield StoredFile(article_url, site_, text, file_url, sha256, mime, decompress(bytes(content)))

    # -- articles ----------------------------------------------------------------------------
    def resolve_alias(self, url: str) -> str:
        row = self._run("SELECT url FROM aliases WHERE alias = ?", (url,)).fetchone()
        return row[0] if row else url

    def has_article(self, url: str) -> bool:
        return self._run("SELECT 1 FROM articles WHERE url = ?", (url,)).fetchone() is not None

    def page_count(self, url: str) -> int:
        row = self._run("SELECT page_count FROM articles WHERE url = ?", (url,)).fetchone()
        return (row[0] or 1) if row else 0

    def add_alias(self, alias: str, url: str) -> None:
        if alias != url and not self.has_article(alias):
            self._replace_row("aliases", "alias", {"alias": alias, "url": url, "found_at": utcnow()})

    def take_over(self, url: str, old: str) -> None:
        # a plain URL found after its print view, or once a session id is known to change nothing
        self._run("DELETE FROM aliases WHERE alias = ?", (url,))
        for table in ("articles", "aliases", "article_versions"):
            self._run(f"UPDATE {table} SET url = ? WHERE url = ?", (url, old))
        self.add_alias(old, url)

    def save_article(self, article: Article, url: str, site: str, run_id: int | None, view: bool = False) -> str:
        now = utcnow()
        digest = content_hash(article)
        url = self.resolve_alias(url)
        existing = self._run("SELECT content_hash, version, first_seen FROM articles WHERE url = ?", (url,)).fetchone()
        if existing is None:
            twin = self._run("SELECT url FROM articles WHERE content_hash = ? AND site = ? LIMIT 1",
                             (digest, site)).fetchone()
            if twin is not None:
                primary, alias = (url, twin[0]) if not view and plainer(url, twin[0]) else (twin[0], url)
                if primary == url:     # the print view came first: the plain URL takes over
                    self.take_over(url, twin[0])
                else:
                    self.add_alias(alias, primary)
                self._run("UPDATE articles SET last_seen = ? WHERE url = ?", (now, primary))
                return "alias"
        if existing is not None and existing[0] == digest:   # run_id stays: the run that stored this text
            self._run("UPDATE articles SET last_seen = ? WHERE url = ?", (now, url))
            return "unchanged"
        record = article_record(article)
        record.update(url=url, site=site, content_hash=digest, last_seen=now, run_id=run_id)
        if existing is None:
            record.update(version=1, first_seen=now)
            outcome = "new"
        else:
            versioned = ", ".join(VERSIONED_COLUMNS)
            self._run(f"INSERT INTO article_versions (url, version, {versioned}, first_seen, last_seen, run_id)"
                      f" SELECT url, version, {versioned}, first_seen, last_seen, run_id FROM articles WHERE url = ?",
                      (url,))
            record.update(version=existing[1] + 1, first_seen=existing[2])
            outcome = "changed"
        self._replace_row("articles", "url", record)
        return outcome

    def refresh_extraction(self, article: Article, url: str) -> bool:
        record = article_record(article)
        del record["url"]
        record["content_hash"] = content_hash(article)
        sets = ", ".join(f"{k} = ?" for k in record)
        differs = " OR ".join(f"{k} IS DISTINCT FROM ?" for k in record)
        values = list(record.values())
        return self._run(f"UPDATE articles SET {sets} WHERE url = ? AND ({differs})",
                         (*values, url, *values)).rowcount > 0

    def delete_sites(self, name_prefix: str) -> None:
        like = like_prefix(name_prefix)
        with self.transaction():
            for table in ("aliases", "article_versions"):
                self._run(f"DELETE FROM {table} WHERE url IN"
                          " (SELECT url FROM articles WHERE site LIKE ? ESCAPE '\\')", (like,))
            for table in ("articles", "pages", "frontier", "site_profiles"):
                self._run(f"DELETE FROM {table} WHERE site LIKE ? ESCAPE '\\'", (like,))

    # -- reading -----------------------------------------------------------------------------
    def versions(self, url: str) -> list[dict]:
        url = self.resolve_alias(url)
        columns = ", ".join(("url", "version", *VERSIONED_COLUMNS, "first_seen", "last_seen", "run_id"))
        cursor = self._run(
            f"SELECT v.*, (SELECT started_at FROM runs WHERE id = v.run_id) AS stored_at FROM ("
            f"SELECT {columns} FROM article_versions WHERE url = ? UNION ALL"
            f" SELECT {columns} FROM articles WHERE url = ?) v ORDER BY version", (url, url))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r)) for r in cursor]

    def field_counts(self, fields: Sequence[str], site_prefix: str = "") -> tuple[int, dict[str, int]]:
        unknown = set(fields) - set(ARTICLE_COLUMNS)
        if unknown:
            raise ValueError(f"not article fields: {sorted(unknown)}")
        sums = "".join(f", SUM(CASE WHEN COALESCE({f}, '') <> '' THEN 1 ELSE 0 END)" for f in fields)
        row = self._run(f"SELECT COUNT(*){sums} FROM articles WHERE site LIKE ? ESCAPE '\\'",
                        (like_prefix(site_prefix),)).fetchone()
        return int(row[0]), {f: int(row[i + 1] or 0) for i, f in enumerate(fields)}

    def newest_articles(self, limit: int, site_prefix: str = "") -> QueryResult:
        return self.query(
            ("SELECT site, title, published_at, author, source, editor FROM ("
             "  SELECT *, ROW_NUMBER() OVER (PARTITION BY site ORDER BY published_at DESC NULLS LAST) AS rank"
             "  FROM articles WHERE site LIKE ? ESCAPE '\\') ranked ORDER BY rank, site LIMIT ?"
             ).replace("?", self.placeholder),
            (like_prefix(site_prefix), limit))
