"""Datasette hooks for the archive (registered by `scraper.web.build_app`).

- every connection gets `line_diff(old, new, version)` for the article view, and an authorizer
  that reads `pages.raw` as NULL: the stored page bytes are never shown, downloaded or returned
  by the JSON API or custom SQL;
- `images` / `attachments` JSON columns render as lists of links;
- an article's title and URL link to the canned query showing its versions.
"""
from __future__ import annotations

import json
import sqlite3
from urllib.parse import quote

from datasette import hookimpl
from markupsafe import Markup, escape

from ..changes import diff_versions

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
    conn.set_authorizer(_hide_raw)


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
