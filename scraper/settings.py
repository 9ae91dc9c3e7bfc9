"""Every knob of a crawl in one place, with the defaults a polite scheduled crawler wants.

Two kinds of settings, two types: `RunSettings` hold what one run shares (budgets, the overall
number of requests in flight, worker processes); `Settings` hold what each site may set for
itself (politeness, timeouts, limits). `sites.toml` sets run-wide keys in `[defaults]` only and a
site's keys in `[defaults]` or its `[[site]]` table; the CLI flags override both for a run.
Values are checked when they are set (type, range), so a bad value fails at load time with the
file and line, never hours later. Nothing else in the package hard-codes a timeout, a delay or a
limit.
"""
from __future__ import annotations

import difflib
import json
import re
import tomllib
import typing
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ._version import __version__

DEFAULT_DB = "archive.db"      # the archive when neither --db nor SCRAPER_DB names one
DEFAULT_CONFIG = "sites.toml"    # what `scraper crawl` reads when given neither URLs nor --config
DEFAULT_USER_AGENT = f"scraper/{__version__} (news archiver; Python package scraper)"
# the fields `[site.extract]` may set (see scraper/extract/overrides.py)
EXTRACT_FIELDS = ("title", "published_at", "author", "source", "editor", "body")

# Lowest allowed value of each number, and whether the lowest itself is allowed.
LOWEST: dict[str, tuple[float, bool]] = {
    "timeout": (0, False), "max_timeouts": (1, True), "max_bytes": (1, True), "delay": (0, True),
    "per_host_concurrency": (1, True), "max_retries": (0, True), "backoff_base": (0, True),
    "backoff_max": (0, True), "max_redirects": (0, True), "max_depth": (0, True),
    "max_path_segments": (1, True), "max_per_pattern": (1, True), "max_query_variants": (1, True),
    "recheck_days": (0, True), "recheck_sweep": (0, True), "profile_after": (0, True), "max_pages": (1, True), "max_duration": (0, False),
    "concurrency": (1, True), "extract_workers": (0, True),
}


class ConfigError(ValueError):
    """Settings that cannot be used. `problems` holds one line per problem (`sites.toml:12: …`)
    so that a user fixes them all in one go."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Checked:
    """Type and range checks shared by both settings types: run on construction, so a bad
    value can never sit in a settings object."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            problem = setting_problem(type(self), f.name, getattr(self, f.name))
            if problem:
                raise ConfigError([problem])

    def with_overrides(self, **overrides: Any):
        """A copy with the given non-None values replaced; ints stand for floats, unknown keys
        and bad values raise ConfigError (one line per problem)."""
        values = {k: v for k, v in overrides.items() if v is not None}
        problems = [p for k, v in values.items() if (p := setting_problem(type(self), k, v))]
        if problems:
            raise ConfigError(problems)
        return replace(self, **{k: coerce(type(self), k, v) for k, v in values.items()})  # type: ignore[type-var]


@dataclass(frozen=True)
class Settings(_Checked):
    """What each site may set for itself (politeness, timeouts, trap limits)."""

    user_agent: str = DEFAULT_USER_AGENT   # also the name robots.txt groups are matched against
    timeout: float = 20.0               # seconds for one request: its answer and its whole body
    max_timeouts: int = 2               # timed-out attempts of one URL per run; then it waits for the next run
    max_bytes: int = 8 * 1024 * 1024    # bodies larger than this are dropped ('too-large')
    delay: float = 1.0                  # seconds between two requests to one host (Crawl-delay wins if larger)
    per_host_concurrency: int = 1       # requests in flight to one host
    max_retries: int = 3                # extra attempts on timeouts, 5xx, 429
    backoff_base: float = 1.0           # first retry waits ~this, doubling, with jitter
    backoff_max: float = 120.0          # cap for backoff and for Retry-After
    max_redirects: int = 10
    max_depth: int = 50                 # link hops from a start URL
    max_path_segments: int = 12         # deeper URL paths are treated as traps
    max_per_pattern: int = 100_000      # URLs kept per (host, path-with-digits-masked) pattern
    max_query_variants: int = 50        # URLs kept per (host, path) with differing queries
    low_yield_after: int = 10           # a URL pattern whose last N fetched pages yielded nothing is no longer fetched
                                        # (one that never yielded: after fewer, see YieldTracker.patience)
    respect_robots: bool = True         # False only for your own sites
    verify_tls: bool = True             # False: accept a certificate that does not verify (many gov sites send an
                                        # incomplete chain); the site's pages could then be altered on the way
    refresh: bool = False               # re-check every known article (conditional GET), not only hubs
    recheck_days: float | None = None   # also re-check articles first seen this recently (corrections)
    recheck_sweep: int = 20             # re-check every article no sitemap dates at least once in N runs (0: never)
    download_files: tuple[str, ...] = ()  # attachment extensions to fetch and keep, e.g. ["pdf", "doc", "xls"]
    download_images: bool = False       # also keep the article's images (same politeness and size cap)
    profile_after: int = 10             # HTML pages after which the site's extraction profile is learned (0: never)


@dataclass(frozen=True)
class RunSettings(_Checked):
    """What one run shares across all its sites."""

    max_pages: int | None = None        # fetches per run
    max_duration: float | None = None   # seconds per run
    concurrency: int = 8                # requests in flight overall
    extract_workers: int | None = None  # worker processes for HTTP and parsing (None: one per core; 0: none)


@cache
def _types(cls: type) -> dict[str, tuple[type, bool]]:
    """field name → (its type, whether None is allowed)."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in fields(cls):
        hint = hints[f.name]
        args = (tuple,) if typing.get_origin(hint) is tuple else typing.get_args(hint) or (hint,)
        out[f.name] = (next(a for a in args if a is not type(None)), type(None) in args)
    return out


def setting_problem(cls: type, name: str, value: object) -> str | None:
    """Why `value` cannot be setting `name` of `cls`, or None when it can."""
    types = _types(cls)
    if name not in types:
        return _unknown(name, types)
    kind, optional = types[name]
    if value is None:
        return None if optional else f"{name} must be set"
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    words = isinstance(value, (list, tuple)) and all(isinstance(v, str) and v.strip(" .") for v in value)
    fits = {bool: isinstance(value, bool), str: isinstance(value, str),
            int: number and isinstance(value, int), float: number, tuple: words}[kind]
    if not fits:
        wanted = {bool: "true or false", str: "a string", int: "a whole number", float: "a number",
                  tuple: "a list of words"}[kind]
        return f"{name} = {value!r} must be {wanted}"
    if name in LOWEST:
        lowest, inclusive = LOWEST[name]
        if value < lowest or (value == lowest and not inclusive):  # type: ignore[operator]
            return f"{name} = {value!r} must be {'≥' if inclusive else '>'} {lowest}"
    if kind is str and not str(value).strip():
        return f"{name} must not be empty"
    return None


def coerce(cls: type, name: str, value: object) -> object:
    """An int where a float is meant becomes a float (TOML's `delay = 2`); a list of words a
    tuple of lower-case words without dots (`[".PDF", "doc"]` is ("pdf", "doc"))."""
    kind = _types(cls)[name][0]
    if kind is tuple and isinstance(value, (list, tuple)):
        return tuple(dict.fromkeys(str(v).strip(" .").lower() for v in value))
    return float(value) if kind is float and isinstance(value, int) else value  # type: ignore[arg-type]


# What users bring from our flags (--per-host) and from other crawlers (include/exclude
# patterns), whole keys or words of one, and the word we use: spelling alone would match
# `include_patterns` to `deny_patterns`, the opposite of what is meant.
_ALIASES = {"per_host": "per_host_concurrency", "include": "allow", "exclude": "deny"}


def _unknown(name: str, known) -> str:
    spelled = name.replace("-", "_")
    meant = _ALIASES.get(spelled) or "_".join(_ALIASES.get(word, word) for word in spelled.split("_"))
    close = [meant] if meant in known else difflib.get_close_matches(name, list(known), n=1)
    return f"unknown key {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


@dataclass(frozen=True)
class SiteConfig:
    """One site of `sites.toml`: where to start, what is in scope, and its own settings.

    ``extract`` maps a field name (title, published_at, author, source, editor, body) to a
    CSS selector, so a user can fix a site the heuristics get wrong without touching code.
    """

    name: str
    start_urls: tuple[str, ...]
    allow_hosts: tuple[str, ...] = ()      # extra hosts in scope besides the start URLs' hosts
    allow_patterns: tuple[str, ...] = ()   # regexes; when given, a URL must match one
    deny_patterns: tuple[str, ...] = ()    # regexes; a matching URL is never requested
    settings: Settings = field(default_factory=Settings)
    extract: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """The whole config as JSON: what a crawl stores in a shared archive for its workers."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "SiteConfig":
        """A config stored by `to_json` (settings checked as if they came from sites.toml)."""
        data = json.loads(text)
        tuples = {k: tuple(data.get(k, ())) for k in ("start_urls", "allow_hosts", "allow_patterns", "deny_patterns")}
        return cls(name=data["name"], settings=Settings().with_overrides(**data.get("settings", {})),
                   extract=dict(data.get("extract", {})), **tuples)


@dataclass(frozen=True)
class Config:
    """A whole `sites.toml`: the run's settings, its sites, and the site settings of its
    [defaults] (what a start URL given beside the file is crawled with)."""

    run: RunSettings
    sites: list[SiteConfig]
    defaults: Settings = field(default_factory=Settings)


SITE_KEYS = ("name", "start_urls", "allow_hosts", "allow_patterns", "deny_patterns", "extract")
_SCOPE_KEYS = ("allow_hosts", "allow_patterns", "deny_patterns")   # lists [defaults] may set for every site too
_RUN_KEYS = {f.name for f in fields(RunSettings)}
_SITE_SETTING_KEYS = {f.name for f in fields(Settings)}


def load_sites(path: str | Path, base: Settings | None = None) -> list[SiteConfig]:
    """The sites of `sites.toml` (see `load_config`)."""
    return load_config(path, base).sites


def load_config(path: str | Path, base: Settings | None = None, run: RunSettings | None = None, *,
                sites_required: bool = True) -> Config:
    """Read and check `sites.toml`:

    ```toml
    [defaults]            # optional: any Settings or RunSettings field
    delay = 2.0
    max_duration = 3600

    [[site]]
    name = "example"
    start_urls = ["https://news.example.cn/"]
    allow_hosts = ["www.example.cn"]
    deny_patterns = ["/search"]
    delay = 5.0           # any Settings field, for this site only
    [site.extract]
    title = "h1.arti-title"
    ```

    Raises ConfigError listing every problem as `file:line: what` (OSError when unreadable).
    Without `sites_required` (start URLs are given beside it), a file of [defaults] alone is good.
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")    # Notepad starts UTF-8 with a BOM
    except UnicodeDecodeError as exc:   # a GBK editor's save, or not a text file at all
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError([f"{path}:{line}: not UTF-8 text: save sites.toml as UTF-8 (TOML files are)"]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_error(str(path), str(exc), text)]) from exc
    checker = _Loader(str(path), _key_lines(text))
    config = checker.config(data, base or Settings(), run or RunSettings(), sites_required)
    if checker.problems:
        raise ConfigError(checker.problems)
    return config


_TOML_WHERE = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$")


def _syntax_error(path: str, message: str, text: str) -> str:
    """tomllib's `Invalid statement (at line 3, column 1)` (or `at end of document`) in the
    `file:line: what` form of every other problem."""
    where = _TOML_WHERE.search(message)
    if where:
        line = where.group(1) or len(text.splitlines()) or 1
        return f"{path}:{line}: TOML syntax: {message[:where.start()]}"
    return f"{path}: TOML syntax: {message}"


_HOST = re.compile(r"(\*?\.)?[\w-]+(\.[\w-]+)*\.?")     # a host name, or every subdomain of one


_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?")
_KEY = re.compile(r"\s*([A-Za-z0-9_-]+|\"[^\"]*\")\s*=")


def _key_lines(text: str) -> dict[tuple, int]:
    """(table path, key) → line number, and table path → its header line, for error messages.
    Table paths: () top level, ('defaults',), ('site', i), ('site', i, 'extract')."""
    lines: dict[tuple, int] = {}
    table: tuple = ()
    sites = -1
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            parts = [p.strip().strip('"') for p in header.group(2).split(".")]
            if header.group(1) == "[[" and parts == ["site"]:
                sites += 1
            table = ("site", sites, *parts[1:]) if parts[0] == "site" else tuple(parts)
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((table, key.group(1).strip('"')), number)
    return lines


class _Loader:
    """Turns parsed TOML into a Config, collecting one located line per problem."""

    def __init__(self, path: str, lines: dict[tuple, int]):
        self.path = path
        self.lines = lines
        self.problems: list[str] = []

    def problem(self, table: tuple, key: str | None, message: str) -> None:
        line = (self.lines.get((table, key)) or self.lines.get((*table, key))) if key else None   # key or sub-table
        line = line or self.lines.get(table)
        self.problems.append(f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}")

    def config(self, data: dict, base: Settings, run: RunSettings, sites_required: bool = True) -> Config:
        for key in data:
            if key in ("defaults", "site"):
                continue
            # a key written above the first table header: say which table it belongs in
            table = ("[defaults]" if key in _RUN_KEYS else "[defaults] (every site) or in a [[site]]"
                     if key in _SITE_SETTING_KEYS else "a [[site]]" if key in SITE_KEYS else None)
            self.problem((), key, f"{key} belongs in {table}" if table else
                         _unknown(key, ("defaults", "site")) + ": expected [defaults] and [[site]] tables")
        defaults = data.get("defaults", {})
        if not isinstance(defaults, dict):
            self.problem((), "defaults", "defaults must be a table: [defaults]")
            defaults = {}
        known = (*_RUN_KEYS, *_SITE_SETTING_KEYS, *_SCOPE_KEYS)
        for key in defaults:
            if key not in known:        # spelled like any of them
                self.problem(("defaults",), key, _unknown(key, known))
        run = self.settings(run, ("defaults",), {k: v for k, v in defaults.items() if k in _RUN_KEYS})
        base = self.settings(base, ("defaults",), {k: v for k, v in defaults.items() if k in _SITE_SETTING_KEYS})
        scope = self.scope(("defaults",), defaults)
        raw_sites = data.get("site", [])
        if isinstance(raw_sites, dict):
            self.problem((), "site", "[site] must be [[site]], in double brackets: one such table per site")
            raw_sites = []
        elif not isinstance(raw_sites, list) or (not raw_sites and sites_required):
            self.problem((), "site", "no [[site]] tables" + ("" if data.get("site") is not None else
                                                              " (a file of [defaults] alone is for start URLs given "
                                                              "beside it: scraper crawl --config FILE URL…)"))
            raw_sites = []
        sites = {i: s for i, raw in enumerate(raw_sites) if (s := self.site(i, raw, base, scope))}
        seen: dict[str, int] = {}
        for i, site in sites.items():
            if site.name in seen:
                self.problem(("site", i), "name", f"site name {site.name!r} is used twice (also site #{seen[site.name] + 1})")
            seen.setdefault(site.name, i)
        return Config(run, list(sites.values()), base)

    def settings(self, settings, table: tuple, values: dict):
        good = {}
        for key, value in values.items():
            problem = setting_problem(type(settings), key, value)
            if problem:
                self.problem(table, key, problem)
            else:
                good[key] = value
        return settings.with_overrides(**good)

    def site(self, i: int, raw: object, base: Settings, scope: dict[str, tuple[str, ...]]) -> SiteConfig | None:
        """The site of `raw`; what it does not set comes from `base` and `scope` ([defaults])."""
        table = ("site", i)
        if not isinstance(raw, dict):
            self.problem((), "site", "site must be a table: [[site]]")
            return None
        before = len(self.problems)
        for key in raw:
            if key in _RUN_KEYS:
                self.problem(table, key, f"{key} is run-wide: set it in [defaults] or with --{key.replace('_', '-')}")
            elif key not in SITE_KEYS and key not in _SITE_SETTING_KEYS:
                self.problem(table, key, _unknown(key, (*SITE_KEYS, *_SITE_SETTING_KEYS)))
        urls = [u.strip() for u in self.strings(table, raw, "start_urls")]   # pasted with a space
        if raw.get("start_urls") == []:
            self.problem(table, "start_urls", "start_urls is empty")
        elif "start_urls" not in raw:
            self.problem(table, None, f"site #{i + 1} has no start_urls")
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
                from .urls import not_http     # here: urls imports this module
                self.problem(table, "start_urls", not_http(url))
        scope = {**scope, **self.scope(table, raw)}
        if len(self.problems) == before:
            self.start_in_scope(table, urls, scope)
        name = raw.get("name", urls[0] if urls else f"site #{i + 1}")
        if not isinstance(name, str) or not name.strip():
            self.problem(table, "name", f"name = {name!r} must be a non-empty string")
        extract = self.extract(i, raw.get("extract", {}))
        settings = self.settings(base, table, {k: v for k, v in raw.items() if k in _SITE_SETTING_KEYS})
        if len(self.problems) > before:
            return None
        return SiteConfig(name=name, start_urls=tuple(urls), settings=settings, extract=extract, **scope)

    def scope(self, table: tuple, raw: dict) -> dict[str, tuple[str, ...]]:
        """The scope lists `raw` sets (allow_hosts, allow_patterns, deny_patterns), checked;
        those it does not set are absent."""
        lists = {key: self.strings(table, raw, key) for key in _SCOPE_KEYS if key in raw}
        hosts = [h.strip() for h in lists.get("allow_hosts", [])]
        for host in hosts:
            if not _HOST.fullmatch(host):
                self.problem(table, "allow_hosts", f"not a host name: {host!r} (allow_hosts takes names like "
                                                   "'news.example.cn' or '*.example.cn', without http:// or a port)")
        for key in ("allow_patterns", "deny_patterns"):
            for pattern in lists.get(key, []):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    self.problem(table, key, f"bad regular expression {pattern!r}: {exc}")
        return {key: tuple(hosts if key == "allow_hosts" else values) for key, values in lists.items()}

    def start_in_scope(self, table: tuple, urls: list[str], scope: dict[str, tuple[str, ...]]) -> None:
        """A start URL its site's patterns keep out is never requested: the site would fail
        with exit code 4 and 'off-scope' on every run. Say which pattern, here."""
        from .urls import canonicalize     # here: urls imports this module

        try:
            allow = [re.compile(p) for p in scope.get("allow_patterns", ())]
            deny = [re.compile(p) for p in scope.get("deny_patterns", ())]
        except re.error:              # reported where it is written ([defaults]); nothing to judge by
            return
        for url in urls:
            seen = canonicalize(url) or url    # what the patterns are searched in
            if allow and not any(p.search(seen) for p in allow):
                self.problem(table, "allow_patterns", f"start URL {url!r} matches none of allow_patterns, "
                                                      "so it would never be requested")
            for pattern in deny:
                if pattern.search(seen):
                    self.problem(table, "deny_patterns", f"start URL {url!r} matches deny_patterns "
                                                         f"{pattern.pattern!r}, so it would never be requested")
                    break

    def strings(self, table: tuple, raw: dict, key: str) -> list[str]:
        """A list of strings, or [] after recording why it is not one."""
        value = raw.get(key, [])
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        example = '["https://news.example.cn/"]' if key == "start_urls" else '["…", "…"]'
        self.problem(table, key, f"{key} must be a list of strings, e.g. {key} = {example} (got {value!r})")
        return []

    def extract(self, i: int, raw: object) -> dict[str, str]:
        table = ("site", i, "extract")
        if not isinstance(raw, dict):
            self.problem(("site", i), "extract", "extract must be a table: [site.extract]")
            return {}
        from selectolax.lexbor import LexborHTMLParser, SelectolaxError

        probe = LexborHTMLParser("<p></p>")
        for key, selector in raw.items():
            if key not in EXTRACT_FIELDS:
                self.problem(table, key, "[site.extract]: " + _unknown(key, EXTRACT_FIELDS))
            elif not isinstance(selector, str) or not selector.strip():
                self.problem(table, key, f"[site.extract] {key} must be a CSS selector string")
            else:
                try:
                    probe.css_first(selector)
                except SelectolaxError:
                    self.problem(table, key, f"[site.extract] {key} = {selector!r} is not a valid CSS selector")
        return dict(raw)


def describe(config: Config) -> str:
    """The effective settings of a run and each of its sites, as text for `scraper config check`;
    values that differ from the built-in defaults are marked with `*`."""

    def rows(settings: _Checked) -> list[str]:
        default = type(settings)()
        out = []
        for f in fields(settings):  # type: ignore[arg-type]
            value = getattr(settings, f.name)
            mark = "*" if value != getattr(default, f.name) else " "
            shown = "(none)" if value is None or value == () else ", ".join(value) if isinstance(value, tuple) else value
            out.append(f"  {mark} {f.name:<22} {shown}")
        return out

    lines = ["run (shared by every site):", *rows(config.run)]
    if not config.sites:        # a file of [defaults] alone, for start URLs given beside it
        lines += ["", "start URLs given on the command line (no [[site]] tables):", *rows(config.defaults)]
    for site in config.sites:
        lines += ["", f"site {site.name}:"]
        for key in SITE_KEYS[1:5]:
            values = getattr(site, key)
            if values:
                lines.append(f"    {key:<22} {', '.join(values)}")
        lines += [f"    extract.{k:<14} {v}" for k, v in site.extract.items()]
        lines += rows(site.settings)
    return "\n".join(lines + ["", "* differs from the built-in default"])
