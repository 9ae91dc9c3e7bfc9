"""Datasette hooks for the archive (registered by `scraper.web.build_app`).

- every connection gets `line_diff(old, new, version)` for the article view, and an authorizer
  that reads `pages.raw` as NULL: the stored page bytes are never shown, downloaded or returned
  by the JSON API or custom SQL;
- `images` / `attachments` JSON columns render as lists of links;
- an article's title and URL link to the canned query showing its versions;
- the search box of the article tables speaks `scraper search`'s syntax (quotes, OR, -word) and
  finds two-character words, which FTS5's trigram MATCH alone never does: `_search` on those
  tables is renamed `_words` before Datasette sees it, and `_words` becomes the archive's own
  match condition (JSON API included: `articles.json?_search=招生` works).
"""
from __future__ import annotations

import json
import sqlite3
from urllib.parse import parse_qsl, quote, urlencode

from datasette import hookimpl
from datasette.filters import FilterArguments
from markupsafe import Markup, escape

from ..changes import diff_versions
from ..search import parse_query
from ..store.sqlite_search import attach_vocabulary, words_condition

_HIDDEN_COLUMNS = {("pages", "raw"), ("files", "content")}
_ARTICLE_TABLES = {"articles", "article_list"}


def _hide_raw(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
    if action == sqlite3.SQLITE_READ and (arg1, arg2) in _HIDDEN_COLUMNS:
        return sqlite3.SQLITE_IGNORE           # the column reads as NULL
    return sqlite3.SQLITE_OK


def line_diff(old: str | None, new: str | None, version: int | None = None) -> str | None:
    """Unified diff of two bodies (paragraph per line); None for the first version."""
    if old is None:
        return None
    lines = diff_versions({"body": old, "version": (version or 1) - 1}, {"body": new, "version": version}).body_diff
    return "\n".join(lines) or "(text unchanged)"


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("line_diff", 3, line_diff, deterministic=True)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'").fetchone():
        attach_vocabulary(conn)
    conn.set_authorizer(_hide_raw)


def _searched_table(path: str) -> bool:
    """Whether `path` shows an article table (HTML or JSON)."""
    return path.rsplit("/", 1)[-1].split(".", 1)[0] in _ARTICLE_TABLES


@hookimpl
def asgi_wrapper(datasette):
    """Rename `_search` to `_words` on the article tables (see the module doc); an empty search
    box searches for nothing, so it is dropped."""
    def wrap(app):
        async def renamed(scope, receive, send):
            if scope.get("type") == "http" and _searched_table(scope.get("path", "")) and b"_search=" in scope.get(
                    "query_string", b""):
                pairs = [("_words" if k == "_search" else k, v)
                         for k, v in parse_qsl(scope["query_string"].decode("utf-8"), keep_blank_values=True)
                         if not (k == "_search" and not v.strip())]
                scope = dict(scope, query_string=urlencode(pairs).encode("utf-8"))
            await app(scope, receive, send)
        return renamed
    return wrap


@hookimpl
def filters_from_request(request, database, table, datasette):
    text = request.args.get("_words")
    if table not in _ARTICLE_TABLES or not text:
        return None
    try:
        condition, params = words_condition(parse_query(text))
    except ValueError:                  # only -words: nothing asked for
        condition, params = "0", {}
    return FilterArguments([condition], params, [f'search matches "{text}"'], {"search": text})


def _json_list(value: str) -> Markup | None:
    try:
        items = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(items, list):
        return None
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("src") or ""
        label = item.get("text") or item.get("caption") or link
        entries.append(f'<li><a href="{escape(link)}">{escape(label)}</a></li>')
    return Markup(f"<ul>{''.join(entries)}</ul>") if entries else Markup("")


@hookimpl
def render_cell(row, value, column: str, table: str | None, database: str, datasette):
    if column in ("images", "attachments") and isinstance(value, str):
        return _json_list(value)
    if table in _ARTICLE_TABLES and column in ("title", "url") and value:
        try:
            url = row["url"]
        except (KeyError, IndexError):
            return None
        href = datasette.urls.database(database) + "/article?url=" + quote(url, safe="")
        return Markup(f'<a class="article-link" href="{escape(href)}">{escape(value)}</a>')
    return None
