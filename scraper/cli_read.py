"""The reading commands of `scraper` (query, search, export, changes, history, stats, serve):
thin shells over `export`, `changes` and the archive, registered on the main group.

Data goes to stdout (tables only on request or on a terminal; JSON keeps Chinese readable),
counts and hints to stderr.
"""
from __future__ import annotations

import base64
import difflib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .cli import OutputFile, _fail, db_option, main, stdout_console
from .formats import FORMATS, WRITERS, write_csv

# The archive, export and search modules are imported by the commands that use them, so that
# `scraper --help` does not load them (a third of its start-up).
if TYPE_CHECKING:
    from .search import DateRange
    from .store import QueryResult

_ROW_FORMATS = ["table", "json", "jsonl", "csv"]


def _plain(value, decode_json: bool):
    """A cell value JSON and CSV can carry: BLOBs (raw pages) as base64 text; a JSON column
    decoded when `decode_json` (the output is JSON)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if decode_json and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _records(result: QueryResult, decode_json: bool) -> Iterator[dict]:
    from .store.records import JSON_COLUMNS

    columns = result.columns
    decoded = [decode_json and c in JSON_COLUMNS for c in columns]
    for row in result:
        yield {c: _plain(v, d) for c, d, v in zip(columns, decoded, row)}


def print_rows(result: QueryResult, fmt: str, title: str | None = None) -> int:
    """Write rows to stdout as a table, JSON, JSON Lines or CSV; returns the row count."""
    if fmt == "csv":
        return write_csv(_records(result, False), sys.stdout, result.columns)
    if fmt != "table":
        return WRITERS[fmt](_records(result, fmt in ("json", "jsonl")), sys.stdout)
    from rich.table import Table   # here, not at the top: `scraper --help` need not load rich

    table = Table(*result.columns, title=title, title_justify="left")
    count = 0
    for row in result:
        table.add_row(*("" if v is None else _cell(v) for v in row))
        count += 1
    stdout_console().print(table)
    return count


def _cell(value) -> str:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    text = str(value).replace("\n", " ")
    return text if len(text) <= 80 else text[:79] + "…"


def _dates(since: str | None, until: str | None) -> DateRange:
    from .search import DateRange

    try:
        return DateRange(since, until)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A date option's value checked on its own, so that a bad one is a usage error naming it."""
    if value is not None:
        _dates(value, None)
    return value


def date_options(what: str):
    """--since/--until on published_at, inclusive at the precision given."""
    def decorate(command):
        command = click.option("--until", callback=_date,
                               help=f"Only {what} published on or before this (YYYY[-MM[-DD]]).")(command)
        return click.option("--since", callback=_date,
                            help=f"Only {what} published on or after this (YYYY[-MM[-DD]]).")(command)
    return decorate


@main.command("query")
@click.argument("sql")
@db_option
@click.option("-p", "--param", "params", nargs=2, multiple=True, metavar="NAME VALUE",
              help="A named parameter: -p site univ for `WHERE site = :site` (repeatable).")
@click.option("--format", "fmt", type=click.Choice(_ROW_FORMATS, case_sensitive=False), default="table", show_default=True)
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              help="Stop the query after this many seconds.")
def query_cmd(sql: str, db: str, params: tuple[tuple[str, str], ...], fmt: str, time_limit: float):
    """Run read-only SQL against the archive; SQL '-' reads it from stdin. Tables: articles,
    article_versions, aliases, pages, runs, frontier, articles_fts, article_list (view);
    files, article_files, file_urls (attachments); url_patterns (what the crawl learned of
    each site's URLs), site_profiles (extraction profiles).
    JSON columns (images, attachments, runs' args and stats) come out decoded in JSON output."""
    from .export import run_query
    from .store import ArchiveError

    if sql == "-":
        sql = sys.stdin.read()
    if not sql.strip():
        raise click.UsageError("empty SQL")
    try:
        print_rows(run_query(db, sql, dict(params), time_limit=time_limit), fmt)
    except ArchiveError as exc:
        _fail(str(exc))


@main.command("search", context_settings={"ignore_unknown_options": True})   # `学校 -通知`: -word is a word
@click.argument("text", nargs=-1, required=True)
@db_option
@click.option("--site", help="Only this site.")
@date_options("articles")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--offset", default=0, type=click.IntRange(min=0), help="Skip this many hits (next page).")
@click.option("--format", "fmt", type=click.Choice(_ROW_FORMATS, case_sensitive=False), default="table", show_default=True)
def search_cmd(text: tuple[str, ...], db: str, site: str | None, since: str | None, until: str | None,
               limit: int, offset: int, fmt: str):
    """Search titles and bodies: words must all occur, "a phrase" in quotes, A OR B, -word
    excludes. Best matches first (relevance, then newest), with a highlighted snippet.

    Example: scraper search '招生 本科 OR 研究生 -通知' --site univ --since 2024-03
    """
    from .export import search
    from .search import parse_query
    from .store import ArchiveError

    for word in text:     # unknown options come through as words: a mistyped one is no word to find
        if word.startswith("--"):
            ctx = click.get_current_context()
            options = [o for p in ctx.command.params for o in p.opts if o.startswith("--")]
            raise click.NoSuchOption(word.partition("=")[0], possibilities=difflib.get_close_matches(word, options),
                                     ctx=ctx)
    try:
        query = parse_query(" ".join(text), site=site, dates=_dates(since, until))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        total, result = search(db, query, limit, offset)
        count = print_rows(result, fmt)
    except ArchiveError as exc:
        _fail(str(exc))
    shown = f"{offset + 1}–{offset + count}" if count else "none"
    more = " (--offset shows more)" if offset + count < total else ""
    click.echo(f"{total} match(es), showing {shown}{more}", err=True)
    if total == 0 and site:
        _hint_site(site)


@main.command("export")
@db_option
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "warc"], case_sensitive=False), default="jsonl", show_default=True,
              help="md: Markdown (one stream, or one file per article with --output-dir); warc: the stored "
                   "raw responses (needs the `warc` extra).")
@click.option("-o", "--output", type=OutputFile(dir_okay=False, writable=True), help="File to write (default stdout).")
@click.option("--output-dir", type=click.Path(file_okay=False), help="md: one file per article under DIR/<site>/.")
@click.option("--site", help="Only this site.")
@date_options("articles")
@click.option("--run", "run_id", type=click.IntRange(min=1), help="Only the articles run N stored (new or changed in it).")
@click.option("--changed-since-run", type=click.IntRange(min=0), help="Only articles new or changed after run N (the delta).")
@click.option("--fields", help="Comma-separated fields to write (default all), e.g. url,title,published_at.")
@click.option("--where", help="An SQL condition on the articles table, e.g. \"source LIKE '%教育局%'\".")
def export_cmd(db: str, fmt: str, output: str | None, output_dir: str | None, site: str | None,
               since: str | None, until: str | None, run_id: int | None, changed_since_run: int | None,
               fields: str | None, where: str | None):
    """Write the selected articles as JSON Lines, a JSON array, CSV or Markdown — streaming, in
    constant memory, Chinese kept readable — or their raw responses as WARC."""
    from .export import export_articles, export_markdown_dir, export_to_file
    from .store import ArticleSelection

    selection = ArticleSelection(site=site, dates=_dates(since, until), run_id=run_id,
                                 changed_since_run=changed_since_run, where=where)
    names = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    if output_dir and fmt != "md":
        raise click.UsageError("--output-dir is for --format md")
    if fmt == "warc" and not output:
        raise click.UsageError("--format warc writes a file: give -o FILE.warc.gz")
    try:
        if output_dir:
            count = export_markdown_dir(db, Path(output_dir), selection, names)
        elif output:
            count = export_to_file(db, output, fmt, selection, names)
        else:
            count = export_articles(db, sys.stdout, fmt, selection, names)
    except BrokenPipeError:
        raise                         # `| head` closed the pipe: click exits quietly
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except RuntimeError as exc:        # ArchiveError, a missing extra; OSError: the main group's handler
        _fail(str(exc))
    click.echo(f"exported {count} article(s)", err=True)
    if count == 0 and site:
        _hint_site(site)
    if count == 0:
        _hint_run(db, run_id if run_id is not None else changed_since_run)


def _hint_run(db: str, run_id: int | None) -> None:
    """Nothing came out for a run number: say so when the archive has no such run yet (a
    number from another archive, or a typo), not just "0"."""
    if run_id is None:
        return
    from .store import open_archive

    with open_archive(db, readonly=True) as archive:
        last = (archive.query("SELECT MAX(id) FROM runs").first() or (None,))[0] or 0
    if run_id > last:
        click.echo(f"there is no run {run_id} in {db}: its last run is {last or 'none yet'} (`scraper stats` lists "
                   "recent runs)", err=True)


def _hint_site(site: str) -> None:
    """Nothing came out for `--site`: the likeliest cause is a name the archive does not know."""
    click.echo(f"nothing for site {site!r}: is that its name? `scraper stats` lists the sites", err=True)


def _json_key(title: str) -> str:
    """A table's title or column as a key a script can name: its words before any explanation,
    snake_case (`URL patterns not yielding (low-yield after …)` → url_patterns_not_yielding)."""
    return re.sub(r"\W+", "_", re.split(r"[(:]", title, maxsplit=1)[0].strip().lower()).strip("_") or title


@main.command("stats")
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"], case_sensitive=False), default="table", show_default=True)
def stats_cmd(db: str, fmt: str):
    """Per site: last crawl and its outcome, articles, date range, share of records with each
    field, share whose field rests on weak evidence (guessed from the URL, <title>/metadata
    alone, an unlabelled pattern or a fallback, not read where the page shows it), pages its
    extraction profile was learned from, failures by reason; then pages by outcome, frontier
    states, recent runs."""
    from .store import ArchiveError, QueryResult, open_archive

    try:
        with open_archive(db, readonly=True) as archive:
            sites = archive.site_stats()
            tables = archive.stats()
    except ArchiveError as exc:
        _fail(str(exc))
    if fmt == "json":
        document = {"sites": sites, **{_json_key(title): [{_json_key(k): v for k, v in row.items()}
                                                         for row in _records(result, True)]
                                       for title, result in tables}}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    rows = [(s["site"], s["articles"], s["oldest"], s["newest"], s.get("last_fetch"), s.get("last_run_outcome"),
             " ".join(f"{f} {share:.0%}" for f, share in s["fields"].items()),
             " ".join(f"{f} {share:.0%}" for f, share in s["weak"].items() if share) or "-",
             s["profile_pages"], ", ".join(f"{r} {n}" for r, n in s["failures"].items()))
            for s in sites]
    print_rows(QueryResult(["site", "articles", "oldest", "newest", "last fetch", "last run", "fields present",
                            "weak evidence", "profile pages", "failures"], iter(rows)), "table", title="sites")
    for title, result in tables:
        print_rows(result, "table", title=title)


@main.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
def serve_cmd(db: str, host: str, port: int):
    """Browse the archive in a web page (Datasette, read-only): search, facets by site, month
    and source, canned queries, each article with its earlier versions. Needs the `web` extra:
    pip install 'scraper[web]'. Its JSON API answers scripts too, e.g.
    /archive/articles.json?_search=乡村振兴&_shape=array"""
    from .web import build_app, serve

    if not Path(db).exists():
        _fail(f"no archive at {db} (run `scraper crawl` or `scraper demo` first)")
    try:
        app = build_app(db)
    except RuntimeError as exc:
        _fail(str(exc))
    click.echo(f"serving {db} read-only on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    serve(app, host, port)


@main.command("changes")
@db_option
@click.option("--since-run", type=click.IntRange(min=0), help="Changes made by the runs after run N.")
@click.option("--since", "since_time", callback=_date, help="Changes made by runs started at or after this UTC date/time.")
@click.option("--site", help="Only this site.")
@click.option("--format", "fmt", type=click.Choice(_ROW_FORMATS, case_sensitive=False), default="table", show_default=True)
def changes_cmd(db: str, since_run: int | None, since_time: str | None, site: str | None, fmt: str):
    """List articles new, changed or gone (their page answered 404/410) since a run or a date.
    Without --since-run/--since: since the run before the last one (what the last run did)."""
    from dataclasses import astuple, fields

    from .changes import Change, Since
    from .store import ArchiveError, QueryResult, open_archive

    if since_run is not None and since_time is not None:
        raise click.UsageError("give --since-run or --since, not both")
    try:
        with open_archive(db, readonly=True) as archive:
            if since_run is None and since_time is None:
                last = archive.query("SELECT MAX(id) FROM runs WHERE outcome != 'running'").first()
                since_run = (last[0] or 1) - 1 if last else 0
            since = Since(run_id=since_run) if since_time is None else Since(time=_dates(since_time, None).lower)
            result = QueryResult([f.name for f in fields(Change)], (astuple(c) for c in archive.changes(since, site)))
            count = print_rows(result, fmt)
    except ArchiveError as exc:
        _fail(str(exc))
    click.echo(f"{count} change(s)", err=True)
    if count == 0:
        _hint_run(db, since_run)


@main.command("history")
@click.argument("url")
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"], case_sensitive=False), default="text", show_default=True)
def history_cmd(url: str, db: str, fmt: str):
    """Show every stored version of the article at URL: when each was seen, which fields changed
    and a line diff of the body (paragraphs are lines)."""
    from .changes import history

    url = url.strip()       # pasted from a terminal or a CSV cell (\r\n)
    from .store import ArchiveError, open_archive

    try:
        with open_archive(db, readonly=True) as archive:
            versions = archive.versions(url)
    except ArchiveError as exc:
        _fail(str(exc))
    if not versions:
        _fail(f"no article stored at {url}")
    diffs = history(versions)
    if fmt == "json":
        click.echo(json.dumps({"url": versions[0]["url"], "versions": versions,
                               "changes": [d.to_dict() for d in diffs]}, ensure_ascii=False, indent=2))
        return
    first = versions[0]
    click.echo(f"{first['url']}\nv{first['version']}  first seen {first['first_seen']}  {first['title']}")
    for (old, new), diff in zip(zip(versions, versions[1:]), diffs):
        click.echo(f"\nv{diff.new}  stored {new['stored_at'] or '?'} (run {new['run_id']}), last seen {new['last_seen']}"
                   f"  changed: {', '.join(diff.fields) or 'nothing visible'}")
        for field in diff.fields:
            if field != "body":
                click.echo(f"  {field}: {old.get(field)!r} → {new.get(field)!r}")
        for line in diff.body_diff:
            click.echo("  " + line)


@main.group("files")
def files_group():
    """Attachments kept by sites that set `download_files` (PDF, DOC, XLS… linked from articles)."""


@files_group.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
@db_option
@click.option("--site", help="Only this site.")
def files_export_cmd(folder: str, db: str, site: str | None):
    """Write the kept attachments into FOLDER/<site>/, each named by its link text."""
    from .files import export_files
    from .store import ArchiveError

    try:
        count = export_files(db, Path(folder), site)
    except (ArchiveError, OSError) as exc:
        _fail(str(exc))
    click.echo(f"wrote {count} file(s) to {folder}", err=True)
