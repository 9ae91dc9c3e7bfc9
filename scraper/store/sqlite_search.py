"""The SQLite archive's search (a mixin of `SqliteArchive`): which articles match, how many,
and the page of them a reader sees first, without ranking every match.

Which articles match: each term becomes a set of rowids read from indexes, never from the rows
(which hold the bodies). A term of three characters or more is a phrase of the FTS5 trigram
index; a two-character term (most Chinese words) is every indexed trigram that starts with it,
read in one range scan of the index's instances (an `fts5vocab` table), plus the tail indexes
for the one place such a word has no trigram of its own (the last two characters of a title or
body). Only one-character terms, and articles stored since the index was last filled, are
matched by LIKE over the rows. The sets are combined as the query says (AND of ORs, NOT), so the
total is exact and costs what reading the index costs. One shortcut: once a clause has left few
candidates, a word that most articles hold (by the index's document counts) is looked for in
those candidates' rows instead of taking its every occurrence from the index.

The ordering, the same for every query: how many of the terms the title holds, then bm25 of the
indexed phrases (title weighted), then newest first. Only a bounded set of candidates is ever
put in that order: the title tier (articles with a term in the title: few, as titles are short),
then as many of the rest as the page needs, taken in FTS5's own rank order, and for articles
no phrase ranks, from a walk down the date index (or, when they are few, their dates). Rows are
read only for the page that is returned.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..search import SearchQuery
from .records import SearchHit, SearchResult
from .sqlite_read import site_dates_sql

_TRIGRAM = 3
_TITLE_WEIGHT = 10.0
_RANK = f"bm25({_TITLE_WEIGHT}, 1.0)"
_HITS = "temp.articles_fts_hits"
_TERMS = "temp.articles_fts_terms"
_UNIT = "\U0010ffff"
_HIT_COLUMNS = "url, site, title, published_at, source, body"
# Below this many undated-by-rank candidates their dates are read; above it the date index is
# walked newest first until the page is full (a walk costs ~1/density steps per hit).
_READ_DATES_UPTO = 2000
# How many more of FTS5's rank order than the page holds are read at first (title hits and
# matches outside the query's filters take places in it); four times as many when short.
_HEAD_SLACK = 64
# Reading a candidate's row and LIKE over its body costs about this many times taking one more
# instance of a word from the index (4 µs against 0.3 µs, on 100k records).
_CHECK_COST = 13


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def attach_vocabulary(conn: sqlite3.Connection) -> None:
    """Every term instance of the trigram index as a temp table, for two-character terms, and
    every term with its document count, to estimate them (made before a read-only connection
    refuses any schema change, temp included)."""
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {_HITS} USING fts5vocab(main, articles_fts, instance)")
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {_TERMS} USING fts5vocab(main, articles_fts, row)")


def words_condition(query: SearchQuery) -> tuple[str, dict[str, str]]:
    """The articles holding `query`'s words (its clauses and exclusions; not its site or
    dates) as one SQL condition on `rowid`, with named parameters, for a page that adds it to
    its own filters: the web view's search box, where FTS5 MATCH alone finds no two-character
    word. Matches as `search` does, from the index (the connection needs `attach_vocabulary`);
    articles stored since the index was last filled are found once it is, as in any FTS view."""
    params: dict[str, str] = {}

    def term(text: str) -> str:
        name = f"w{len(params)}"
        if len(text) >= _TRIGRAM:
            params[name] = _phrase(text)
            return f"rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :{name})"
        if len(text) == _TRIGRAM - 1:
            params.update({name: text, name + "lo": text.lower(), name + "hi": text.lower() + _UNIT})
            return (f"rowid IN (SELECT doc FROM {_HITS} WHERE term >= :{name}lo AND term < :{name}hi"
                    f" UNION ALL SELECT rowid FROM articles WHERE substr(title, -2) = :{name}"
                    f" UNION ALL SELECT rowid FROM articles WHERE substr(body, -2) = :{name})")
        params[name] = _like(text)
        return (f"rowid IN (SELECT rowid FROM articles WHERE title LIKE :{name} ESCAPE '\\'"
                f" OR body LIKE :{name} ESCAPE '\\')")

    parts = ["(" + " OR ".join(term(t) for t in clause) + ")" for clause in query.clauses]
    parts += ["NOT " + term(t) for t in query.excluded]
    return " AND ".join(parts), params


@dataclass
class _Term:
    """Where one term occurs: every matching article, those with it in the title, and those
    the FTS5 index holds it for as a phrase (which bm25 ranks)."""

    docs: set[int] = field(default_factory=set)
    titles: set[int] = field(default_factory=set)
    ranked: set[int] = field(default_factory=set)

    def add(self, arrays: tuple[str, str]) -> None:
        """Add (docs, titles) given as JSON arrays of rowids."""
        self.docs.update(json.loads(arrays[0]))
        self.titles.update(json.loads(arrays[1]))


class SqliteSearch:
    """`search` over `self.conn` (see `Archive.search` for what it promises)."""

    conn: sqlite3.Connection

    def attach_vocabulary(self) -> None:
        attach_vocabulary(self.conn)

    def search(self, query: SearchQuery, limit: int, offset: int = 0) -> SearchResult:
        upto = self._indexed_upto()
        terms: dict[str, _Term] = {}
        matches = self._filtered(query)
        # clauses the FTS index answers first, then two-character words, single characters
        # last: the ones taken from an index leave candidates the others may be checked in
        for clause in sorted(query.clauses, key=lambda c: -min(min(len(t) for t in c), _TRIGRAM)):
            if matches is not None and self._check_instead(clause, len(matches)):
                terms.update((t, self._checked(t, matches)) for t in clause)
            else:
                terms.update((t, terms.get(t) or self._term(t, upto)) for t in clause)
            docs = set().union(*(terms[t].docs for t in clause))
            matches = docs if matches is None else matches & docs
        assert matches is not None          # a query has a clause (parse_query)
        for term in query.excluded:
            excluded = (self._checked(term, matches) if self._check_instead((term,), len(matches))
                        else terms.get(term) or self._term(term, upto))
            matches -= excluded.docs
        page = self._page(query, terms, matches, limit + offset)[offset:]
        hits = []
        if page:
            rows = dict((r[0], r[1:]) for r in self.conn.execute(
                f"SELECT rowid, {_HIT_COLUMNS} FROM articles WHERE rowid IN (SELECT value FROM json_each(?))",
                (json.dumps(page),)))
            hits = [SearchHit(*rows[i]) for i in page]
        return SearchResult(len(matches), hits)

    # -- which articles match ----------------------------------------------------------------
    def _indexed_upto(self) -> int | None:
        """The highest rowid the search index covers (schema step 6), None when it covers
        every row (an archive not migrated that far indexes by trigger)."""
        try:
            upto = self.conn.execute("SELECT upto FROM search_indexed").fetchone()[0]
        except sqlite3.OperationalError:     # no search_indexed table yet
            return None
        top = self.conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM articles").fetchone()[0]
        return upto if top > upto else None

    def _term(self, term: str, upto: int | None) -> _Term:
        """The rowid sets come back from SQLite as one JSON array each: building a set from
        it costs a third of fetching its rows one by one (40k rows: 13 ms against 35 ms)."""
        found = _Term()
        if len(term) >= _TRIGRAM:
            found.add(self.conn.execute(
                "SELECT json_group_array(rowid), (SELECT json_group_array(rowid) FROM articles_fts"
                " WHERE articles_fts MATCH ?2) FROM articles_fts WHERE articles_fts MATCH ?1",
                (_phrase(term), "title : " + _phrase(term))).fetchone())
            found.ranked = set(found.docs)
        elif len(term) == _TRIGRAM - 1:
            self.attach_vocabulary()
            prefix = term.lower()       # the trigram tokenizer folds case
            found.add(self.conn.execute(
                f"SELECT json_group_array(doc), json_group_array(doc) FILTER (WHERE col = 'title')"
                f" FROM {_HITS} WHERE term >= ? AND term < ?", (prefix, prefix + _UNIT)).fetchone())
            found.add(self.conn.execute(
                "SELECT json_group_array(rowid), json_group_array(rowid) FILTER (WHERE t) FROM"
                " (SELECT rowid, 1 AS t FROM articles WHERE substr(title, -2) = ?"
                " UNION ALL SELECT rowid, 0 FROM articles WHERE substr(body, -2) = ?)", (term, term)).fetchone())
        else:
            upto = 0                    # no index answers a single character: every row is read
        if upto is not None:
            found.add(self.conn.execute(
                "SELECT json_group_array(rowid), json_group_array(rowid) FILTER (WHERE title LIKE ?1 ESCAPE '\\')"
                " FROM articles WHERE rowid > ?2 AND (title LIKE ?1 ESCAPE '\\' OR body LIKE ?1 ESCAPE '\\')",
                (_like(term), upto)).fetchone())
        return found

    def _check_instead(self, clause: Sequence[str], candidates: int) -> bool:
        """Whether to look for the clause's words in the rows of the articles still in the
        running (`_checked`) rather than take every article that has them from the index: a
        single character has no index; a two-character word in most articles (发展 in 3 of 4)
        costs more instances than the few candidates a rarer word left cost rows to read."""
        if any(len(t) < _TRIGRAM - 1 for t in clause):
            return True
        if any(len(t) >= _TRIGRAM for t in clause):
            return False
        self.attach_vocabulary()
        estimate = sum(self.conn.execute(
            f"SELECT COALESCE(SUM(doc), 0) FROM {_TERMS} WHERE term >= ? AND term < ?",
            (t.lower(), t.lower() + _UNIT)).fetchone()[0] for t in clause)
        return estimate > _CHECK_COST * candidates

    def _checked(self, term: str, candidates: set[int]) -> _Term:
        """The `candidates` holding `term`, read from their rows."""
        found = _Term()
        if candidates:
            found.add(self.conn.execute(
                "SELECT json_group_array(rowid), json_group_array(rowid) FILTER (WHERE title LIKE ?1 ESCAPE '\\')"
                " FROM articles WHERE rowid IN (SELECT value FROM json_each(?2))"
                " AND (title LIKE ?1 ESCAPE '\\' OR body LIKE ?1 ESCAPE '\\')",
                (_like(term), json.dumps(list(candidates)))).fetchone())
        return found

    def _filtered(self, query: SearchQuery) -> set[int] | None:
        """The articles within the query's site and dates (None: no filter), from the
        (site, published_at) or (published_at) index alone."""
        where, params = site_dates_sql(query.site, query.dates)
        if not where:
            return None
        return {r[0] for r in self.conn.execute(f"SELECT rowid FROM articles WHERE {' AND '.join(where)}", params)}

    # -- the first `count` of them, in order ---------------------------------------------------
    def _page(self, query: SearchQuery, terms: dict[str, _Term], matches: set[int], count: int) -> list[int]:
        if not matches or count <= 0:
            return []
        title_hits: dict[int, int] = {}
        for term in query.terms:
            for doc in terms[term].titles & matches:
                title_hits[doc] = title_hits.get(doc, 0) + 1
        ranked = [t for t in query.terms if len(t) >= _TRIGRAM]
        scorable = set().union(*(terms[t].ranked for t in ranked))
        by_date = self._newest_first(title_hits)
        size = count + _HEAD_SLACK + len(scorable.intersection(title_hits))   # bm25 puts title hits first
        while True:
            # FTS5's rank order, only as far as the page needs: bm25 is computed for every
            # phrase match inside SQLite (C), but only the head of the order is read back
            scores: dict[int, float] = dict(self.conn.execute(
                "SELECT rowid, rank FROM articles_fts WHERE articles_fts MATCH ? AND rank MATCH ?"
                " ORDER BY rank LIMIT ?", (" OR ".join(_phrase(t) for t in ranked), _RANK, size))) if ranked else {}
            complete = len(scores) < size
            # a scorable title hit beyond the head ranks below every article in it
            page = sorted(by_date, key=lambda d: (-title_hits[d], d not in scorable, d not in scores,
                                                  scores.get(d, 0.0)))[:count]
            if complete or not any(d in scorable and d not in scores for d in page):
                rest = self._ranked_rest(scores, matches, title_hits, count - len(page), complete)
                if rest is not None:
                    break
            size *= 4
        page += rest
        if len(page) < count:
            unranked = matches.difference(title_hits, scorable)
            page += self._newest(unranked, query, count - len(page))
        return page

    def _ranked_rest(self, scores: dict[int, float], matches: set[int], skip: dict[int, int], count: int,
                     complete: bool) -> list[int] | None:
        """The best `count` matches outside the title tier that a phrase ranks, from the head
        of FTS5's rank order in `scores` (the dict keeps it), ties at the cut broken by date
        like everywhere else; None when that head ends before the cut is certain."""
        if count <= 0:
            return []
        chosen: list[int] = []
        for doc, score in scores.items():
            if doc in matches and doc not in skip:
                if len(chosen) >= count and score != scores[chosen[-1]]:
                    break
                chosen.append(doc)
        else:
            if not complete:
                return None
        chosen = self._newest_first(chosen)
        chosen.sort(key=scores.__getitem__)
        return chosen[:count]

    def _newest(self, docs: set[int], query: SearchQuery, count: int) -> list[int]:
        """The newest `count` of `docs`: their dates read when they are few, else a walk down
        the date index (within the query's site) until enough of them are met."""
        if len(docs) <= _READ_DATES_UPTO:
            return self._newest_first(docs)[:count]
        where, params = ["published_at IS NOT NULL"], []
        if query.site is not None:
            where.append("site = ?")
            params.append(query.site)
        chosen = []
        for (doc,) in self.conn.execute(f"SELECT rowid FROM articles WHERE {' AND '.join(where)}"
                                        " ORDER BY published_at DESC, rowid DESC", params):
            if doc in docs:
                chosen.append(doc)
                if len(chosen) == count:
                    return chosen
        undated = sorted(docs.difference(chosen), reverse=True)      # missing dates last
        return chosen + undated[:count - len(chosen)]

    def _newest_first(self, docs: Iterable[int]) -> list[int]:
        """`docs` newest first, missing dates last, ties by rowid (the date index's order
        walked backwards); a stable start for sorting by the keys that come before the date."""
        ids = list(docs)
        if not ids:
            return []
        dates = dict(self.conn.execute(
            "SELECT rowid, published_at FROM articles WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),)))
        return sorted(ids, key=lambda d: (dates.get(d) or "", d), reverse=True)
