"""`scraper` command line: a thin shell over the library (each command has a Python twin).

Conventions: data to stdout, logs and progress to stderr (timestamped; progress bar only on a
terminal), JSON keeps Chinese readable, a closed stdout pipe ends the command quietly. Exit codes
(see `main`'s help) are what a scheduler acts on. The crawler, the parsers, asyncio and rich are
imported by the commands that use them, so that `scraper --help` starts in a fraction of a second
(bench/startup_bench.py).
"""
from __future__ import annotations

import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from .settings import (DEFAULT_CONFIG, DEFAULT_DB, LOWEST, Config, ConfigError, RunSettings, Settings, describe, load_config,
                       load_sites)

if TYPE_CHECKING:
    from rich.console import Console

    from .crawler import CrawlReport

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BUSY, EXIT_SITE_DOWN, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
STATS_EVERY = 60.0     # seconds between progress lines in logs nobody watches live
_PAGE_SUFFIXES = (".htm", ".html", ".shtml", ".xhtml")
log = logging.getLogger("scraper")


def _archive_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An empty --db (`--db "$ARCHIVE"` with the variable unset) names no archive: a usage
    error, not the current folder it would open."""
    if not value.strip():
        raise click.BadParameter("empty: name the archive file, e.g. archive.db")
    return value


db_option = click.option("--db", default=DEFAULT_DB, show_default=True, envvar="SCRAPER_DB", show_envvar=True,
                         callback=_archive_name,
                         help="Archive: a SQLite file, or a postgresql://user@host/db URL (shared by workers).")


class OutputFile(click.Path):
    """A file a command writes (an export, a log), never an SQLite database: `-o archive.db`,
    picked by tab completion, would replace the archive with its own export, and a log
    appended to it would corrupt it."""

    def convert(self, value: str | os.PathLike[str], param: click.Parameter | None, ctx: click.Context | None):
        path = super().convert(value, param, ctx)
        try:
            with open(path, "rb") as existing:
                header = existing.read(16)
        except OSError:        # not there yet (or not readable: writing it will say why)
            return path
        if header == b"SQLite format 3\x00":
            self.fail(f"{os.fsdecode(path)} is an SQLite database (an archive?): name another file to write", param, ctx)
        return path


def _range(setting: str, kind: type[int] | type[float] = float) -> click.ParamType:
    """The values a flag takes are those of the setting it stands for (`--timeout 0.5` is as
    good as `timeout = 0.5`, `--max-duration 0` as bad), so a bad one is a usage error that
    names the flag."""
    lowest, inclusive = LOWEST[setting]
    if kind is int:
        return click.IntRange(min=int(lowest), min_open=not inclusive)
    return click.FloatRange(min=lowest, min_open=not inclusive)


def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    for line in message.splitlines() or [""]:     # one line per problem, each marked
        click.echo(f"error: {line}", err=True)
    sys.exit(code)


def _os_error(exc: OSError) -> str:
    """An OSError in plain words, naming the file (`out/x.json: No such file or directory`),
    not Python's `[Errno 2] …` form."""
    if not exc.strerror:
        return str(exc)
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    return ": ".join([" → ".join(names), exc.strerror] if names else [exc.strerror])


_GROUP_OPTIONS = ("-v", "--verbose", "--log-file")     # options of `scraper` itself, not of its commands


class _Main(click.Group):
    """The command group, and the one place where what a command could not do becomes an exit
    code and one line on stderr instead of a traceback: an archive that is busy (3), missing,
    damaged or not ours (1), a bad sites.toml (1), a file that cannot be read or written (1),
    Ctrl-C (130). A reader that closed our stdout (`scraper export | head -1`) got what it
    wanted, so that ends the command quietly with exit code 0."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as exc:
            if exc.option_name in _GROUP_OPTIONS and exc.ctx is not None and exc.ctx is not ctx:
                # `scraper crawl URL -v`, as the README's "-v adds…" reads: say where it goes
                option = exc.option_name + (" FILE" if exc.option_name == "--log-file" else "")
                names: list[str] = []
                level: click.Context | None = exc.ctx
                while level is not None and level is not ctx:
                    names.insert(0, level.info_name or "")
                    level = level.parent
                raise click.UsageError(f"{exc.option_name} is an option of scraper itself: give it before the "
                                       f"command, e.g. scraper {option} {' '.join(names)} …", exc.ctx) from exc
            raise
        except BrokenPipeError:
            # Python would complain again when it flushes stdout at exit: point it at /dev/null
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(EXIT_OK)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (ConfigError, OSError, RuntimeError) as exc:
            from .store import ArchiveBusy, ArchiveError   # not at the top: `scraper --help` stays quick

            if isinstance(exc, ArchiveBusy):
                _fail(str(exc), EXIT_BUSY)
            if isinstance(exc, (ArchiveError, ConfigError)):
                _fail(str(exc))
            if isinstance(exc, OSError):
                _fail(_os_error(exc))
            raise


def stdout_console() -> Console:
    """A rich console on stdout. Off a terminal nobody wraps for us: lines are never squeezed
    to 80 columns (URLs would be cut). A closed pipe (`scraper stats | head -1`) ends the
    command like any other closed pipe (rich's own handling exits with 1)."""
    from rich.console import Console

    class _PipedConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return _PipedConsole() if sys.stdout.isatty() else _PipedConsole(width=100_000)


def _text_streams() -> None:
    """Data written to a pipe or a file is UTF-8 whatever the locale (what JSON, CSV and the
    archive hold); a terminal that cannot show a character gets a `?` instead of a traceback."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)   # absent on test runners' captures
        if reconfigure is None or (stream.encoding or "").lower().replace("-", "") == "utf8":
            continue
        if stream.isatty():
            reconfigure(errors="replace")
        else:
            reconfigure(encoding="utf-8")


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output: -v INFO (sites, robots.txt, sitemaps, "
              "retries, budgets), -vv DEBUG (one line per request).")
@click.option("--log-file", type=OutputFile(dir_okay=False), help="Append the log to this file instead of stderr.")
@click.version_option(package_name="scraper")
def main(verbose: int, log_file: str | None) -> None:
    """Crawl Chinese news sites into a local SQLite archive, then query, search and export it.

    \b
    Exit codes:
      0    success (pages that failed are recorded with a reason, not fatal)
      1    error (bad sites.toml, unreadable archive, …)
      2    usage error
      3    busy: another crawl holds this archive (retry later)
      4    a site could not be crawled at all: every start URL failed
           (connection refused, DNS, timeout, TLS, HTTP error, robots.txt)
      130  interrupted (Ctrl-C, SIGTERM); the next run continues
    \b
    Environment: SCRAPER_DB is the default for --db.
    """
    _text_streams()
    _setup_logging(verbose, log_file)


def _setup_logging(verbose: int, log_file: str | None) -> None:
    """Timestamped lines on stderr (or in --log-file). The run's summary and periodic progress
    (logger scraper.run) are shown at every verbosity."""
    level = logging.WARNING - 10 * min(verbose, 2)
    try:
        handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(sys.stderr)
    except OSError as exc:
        raise click.BadParameter(_os_error(exc), param_hint="--log-file") from exc
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("scraper.run").setLevel(min(level, logging.INFO))
    for noisy in ("httpx", "httpcore", "asyncio"):   # one line per request is ours (-vv), not theirs
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _progress_printer(enabled: bool):
    """A progress callback drawing one status line on stderr (terminals only)."""
    if not enabled:
        return None, None
    from rich.status import Status

    status = Status("crawling…", console=_stderr())

    def update(url: str, counts: Counter) -> None:
        status.update(
            f"{counts['pages_fetched']} fetched · {counts['articles_new']} new · "
            f"{counts['errors']} errors · {url[-70:]}"
        )

    return update, status


def run_crawl(start: Callable[..., CrawlReport], **kwargs) -> CrawlReport:
    """Run `crawl` or `work` with a progress line."""
    progress, status = _progress_printer(sys.stderr.isatty())
    if status:
        status.start()
    try:
        return start(progress=progress, **kwargs)
    finally:
        if status:
            status.stop()


@main.command("crawl")
@click.argument("urls", nargs=-1)
@click.option("--config", type=click.Path(exists=True, dir_okay=False),
              help="sites.toml with the sites to crawl (default: ./sites.toml; beside start URLs, "
                   "only its [defaults] apply).")
@db_option
@click.option("--max-pages", type=_range("max_pages", int), help="Stop after this many fetches.")
@click.option("--max-duration", type=_range("max_duration"), help="Stop after this many seconds.")
@click.option("--delay", type=_range("delay"), help="Seconds between requests to one host (default 1).")
@click.option("--concurrency", type=_range("concurrency", int), help="Requests in flight overall (default 8).")
@click.option("--per-host", type=_range("per_host_concurrency", int), help="Requests in flight per host (default 1).")
@click.option("--timeout", type=_range("timeout"), help="Seconds per request (default 20).")
@click.option("--refresh", is_flag=True, help="Re-check every known article (conditional GET: unchanged ones cost a 304).")
@click.option("--recheck-days", type=_range("recheck_days"),
              help="Also re-check articles first seen in the last N days (news gets corrected).")
@click.option("--same-site", is_flag=True,
              help="Also follow the start hosts' sibling subdomains (news.x.edu.cn → *.x.edu.cn).")
@click.option("--seed-only", is_flag=True,
              help="Only queue the start URLs and what is due again, for `scraper worker` processes to fetch.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON on stdout (for monitoring).")
def crawl_cmd(urls, config, db, max_pages, max_duration, delay, concurrency, per_host, timeout, refresh,
              recheck_days, same_site, seed_only, as_json):
    """Crawl start URLs (or every site of --config, or of ./sites.toml) into the archive.

    Stays on the start sites, obeys robots.txt, reads sitemaps, list pages and 上一条/下一条
    links; a second run fetches only what is new or changed and resumes an interrupted one.
    On a postgresql:// archive it seeds the shared frontier and works as one more worker.
    """
    from .crawler import InvalidStartURL, crawl, sites_from_urls

    defaults_only = False
    if not config and Path(DEFAULT_CONFIG).is_file():
        # where the user keeps a sites.toml, `scraper crawl` alone crawls it, as `git` reads the
        # repository it runs in; start URLs given there are crawled with its [defaults] (the
        # delay or user agent written there is what the user expects of every crawl they start)
        config, defaults_only = DEFAULT_CONFIG, bool(urls)
        log.info("start URLs crawled with the [defaults] of ./%s" if urls else "crawling the sites of ./%s",
                 DEFAULT_CONFIG)
    elif not urls and not config:
        raise click.UsageError(f"give start URLs or --config FILE (or run where a {DEFAULT_CONFIG} is)")
    overrides = dict(delay=delay, per_host_concurrency=per_host, timeout=timeout, refresh=refresh or None,
                     recheck_days=recheck_days)
    try:
        loaded = load_config(config, sites_required=not urls) if config else Config(RunSettings(), [])
        settings = loaded.defaults.with_overrides(**overrides)    # for the start URLs given here
        run = loaded.run.with_overrides(max_pages=max_pages, max_duration=max_duration, concurrency=concurrency)
        # flags beat per-site values of the config file
        sites = [] if defaults_only else [replace(s, settings=s.settings.with_overrides(**overrides))
                                          for s in loaded.sites]
        sites += sites_from_urls(urls, settings, same_site) if urls else []
    except InvalidStartURL as exc:
        raise click.UsageError(str(exc)) from exc
    args = {"urls": list(urls), "config": None if defaults_only else config, "max_pages": max_pages,
            "max_duration": max_duration,
            "concurrency": concurrency, "same_site": same_site,
            **{k: v for k, v in overrides.items() if v is not None}}
    report = run_crawl(partial(crawl, sites, db), run=run, run_args={k: v for k, v in args.items() if v is not None},
                       stats_every=_stats_every(), work=not seed_only)
    _finish(report, as_json)


def _stats_every() -> float | None:
    """Progress lines in the log when nobody watches a terminal."""
    return None if sys.stderr.isatty() and not log_file_of() else STATS_EVERY


def _finish(report: CrawlReport, as_json: bool) -> NoReturn:
    """Log the run's summary (and print it as JSON), then exit with its code."""
    logging.getLogger("scraper.run").info(report.summary())
    code = (EXIT_INTERRUPTED if report.outcome == "interrupted"
            else EXIT_SITE_DOWN if report.failed_sites else EXIT_OK)
    if as_json:
        click.echo(json.dumps({**report.to_dict(), "exit_code": code}, ensure_ascii=False))
    sys.exit(code)


def log_file_of() -> str | None:
    """The --log-file given to the command group, if any."""
    ctx = click.get_current_context().find_root()
    return ctx.params.get("log_file")


@main.command("worker")
@db_option
@click.option("--max-pages", type=_range("max_pages", int), help="Stop after this many fetches.")
@click.option("--max-duration", type=_range("max_duration"), help="Stop after this many seconds.")
@click.option("--concurrency", type=_range("concurrency", int), help="Requests in flight from this worker (default 8).")
@click.option("--extract-workers", type=_range("extract_workers", int),
              help="Processes for HTTP and parsing (default one per core; 0: none).")
@click.option("--lease", type=click.FloatRange(min=1), default=120, show_default=True,
              help="Seconds a claimed URL stays this worker's unless renewed (a killed worker's URLs return after it).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON on stdout (for monitoring).")
def worker_cmd(db: str, max_pages: int | None, max_duration: float | None, concurrency: int | None,
               extract_workers: int | None, lease: float, as_json: bool):
    """Fetch from a shared (PostgreSQL) archive's frontier beside other workers on this or other
    machines, until it is empty. The sites and their settings are those `scraper crawl` seeded;
    politeness (delay, per-host concurrency, robots.txt) holds across all workers together."""
    from .crawler import work

    options = dict(max_pages=max_pages, max_duration=max_duration, concurrency=concurrency,
                   extract_workers=extract_workers)
    run = RunSettings().with_overrides(**options)
    report = run_crawl(partial(work, db, run), lease_seconds=lease, stats_every=_stats_every(),
                       run_args={"worker": True, **{k: v for k, v in options.items() if v is not None}})
    _finish(report, as_json)


@main.command("migrate")
@click.option("--from", "source", required=True, help="The archive to copy (SQLite file or postgresql:// URL).")
@click.option("--to", "destination", required=True, help="An empty or new archive to copy into.")
def migrate_cmd(source: str, destination: str):
    """Copy an archive between SQLite and PostgreSQL (either way), then check every table: the
    same row count and content hash on both sides. Prints what each table holds."""
    from .migrate import migrate

    copied = migrate(source, destination)
    for c in copied:                      # tab-separated: table, rows, content hash
        click.echo(f"{c.table}\t{c.rows}\t{c.digest}")
    click.echo(f"copied and verified {sum(c.rows for c in copied)} rows", err=True)


@main.group("config")
def config_group() -> None:
    """Check a sites.toml."""


@config_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False), default=DEFAULT_CONFIG)
def config_check_cmd(file: str) -> None:
    """Check FILE (default ./sites.toml; every problem on its own line, with its line number)
    and print the effective settings of the run and of each site: [defaults] and built-in
    defaults filled in. A file of [defaults] alone is good: it holds for start URLs given on
    the command line."""
    click.echo(describe(load_config(file, sites_required=False)))


@main.command("extract")
@click.argument("sources", nargs=-1)
@click.option("--url", help="The page's URL (to resolve links) when a single SOURCE is a file.")
@click.option("--input-dir", type=click.Path(exists=True, file_okay=False),
              help="Extract every .htm/.html/.shtml/.xhtml file under this folder (recursively).")
def extract_cmd(sources: tuple[str, ...], url: str | None, input_dir: str | None):
    """Extract pages (files, '-' for stdin, or http(s) URLs) into JSON: one page prints one
    indented record; several (or --input-dir) print JSON Lines, each with the file's `path`.
    A file that cannot be read or a URL that cannot be fetched is reported on stderr, the others
    are extracted, and the exit code is 1."""
    from .extract import extract_article

    paths = list(sources)
    if input_dir:
        found = sorted(str(p) for p in Path(input_dir).rglob("*") if p.suffix.lower() in _PAGE_SUFFIXES)
        if not found:
            click.echo(f"no {'/'.join(_PAGE_SUFFIXES)} files under {input_dir}", err=True)
        paths += found
        if not paths:
            return
    if not paths:
        raise click.UsageError("give files, '-' or URLs to extract, or --input-dir DIR")
    if url and len(paths) > 1:
        raise click.UsageError("--url names one page: give a single SOURCE with it")
    failed = 0
    fetching: Settings | None = None
    for source in paths:
        page_url: str | None
        if source.strip().lower().startswith(("http://", "https://")):   # as typed or pasted, like crawl's
            import asyncio

            if fetching is None:
                fetching = _fetch_settings()
            fetched = asyncio.run(_fetch_one(source.strip(), fetching))
            if isinstance(fetched, str):          # reported like a file that cannot be read: the rest go on
                click.echo(f"error: {fetched}", err=True)
                failed += 1
                continue
            content, charset, page_url = fetched
        else:
            try:
                content = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
            except OSError as exc:
                click.echo(f"error: {_os_error(exc)}", err=True)
                failed += 1
                continue
            charset, page_url = None, url
        record = extract_article(content, page_url, http_charset=charset).to_dict()
        if len(paths) == 1:
            click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        else:
            click.echo(json.dumps({"path": source, **record}, ensure_ascii=False))
    if failed:
        sys.exit(EXIT_ERROR)


def _fetch_settings() -> Settings:
    """What `extract URL` fetches with: the [defaults] of ./sites.toml where there is one (the
    user_agent naming the user, timeout, verify_tls…), as `crawl URL` there does; no delay."""
    if not Path(DEFAULT_CONFIG).is_file():
        return Settings(delay=0)
    log.info("fetching with the [defaults] of ./%s", DEFAULT_CONFIG)
    return load_config(DEFAULT_CONFIG, sites_required=False).defaults.with_overrides(delay=0)


async def _fetch_one(url: str, settings: Settings) -> tuple[bytes, str | None, str] | str:
    """The page at `url` (content, charset, final URL), or why it could not be fetched."""
    from .fetch import Fetcher, failure_text
    from .urls import Scope

    async with Fetcher(settings, Scope([url])) as fetcher:
        result = await fetcher.fetch(url)
    if not result.ok:
        return f"could not fetch {url}: {failure_text(result)}"
    return result.content or b"", result.charset, result.final_url


@main.command("reextract")
@db_option
@click.option("--site", help="Only this site.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False),
              help="sites.toml whose [site.extract] selectors apply (default: ./sites.toml, as for crawl).")
def reextract_cmd(db: str, site: str | None, config: str | None):
    """Extract every stored page again (after an upgrade or a selector change); no fetching."""
    from .reextract import reextract

    if not config and Path(DEFAULT_CONFIG).is_file():
        # the selectors the crawl used are those of ./sites.toml: re-reading without them would
        # put the heuristics' reading back over every field a selector had fixed
        config = DEFAULT_CONFIG
        log.info("selectors of [site.extract] read from ./%s", DEFAULT_CONFIG)
    overrides = {s.name: s.extract for s in load_sites(config)} if config else None
    counts = reextract(db, site=site, overrides=overrides)
    click.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no stored pages", err=True)


@main.command("demo")
@click.option("--db", default="demo.db", show_default=True, type=click.Path(dir_okay=False), callback=_archive_name,
              help="Archive file for the demo (kept apart from a real archive).")
@click.option("--rows", default=10, show_default=True, type=click.IntRange(min=0), help="Sample rows to show.")
def demo_cmd(db: str, rows: int):
    """Serve the bundled fixture news sites on 127.0.0.1, crawl them into the archive and show
    what was archived. Needs no internet; leaves nothing running."""
    from .demo import run_demo

    run_demo(db, sample_rows=rows, console=stdout_console())


from . import cli_read  # noqa: E402,F401  (registers the reading commands on `main`)

if __name__ == "__main__":  # pragma: no cover
    main()
