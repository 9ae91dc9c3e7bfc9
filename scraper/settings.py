"""Every knob of a crawl in one place, with the defaults a polite scheduled crawler wants.

`sites.toml` can override any of these per site (see `SiteConfig`); the CLI flags override them
for a run. Nothing else in the package hard-codes a timeout, a delay or a limit.
"""
from __future__ import annotations

import json
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_USER_AGENT = "scraper/0.1 (news archiver; +https://github.com/scraper-archive/scraper)"


@dataclass(frozen=True)
class Settings:
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0               # seconds for one request: its answer and its whole body
    max_timeouts: int = 2               # timed-out attempts of one URL per run; then it waits for the next run
    max_bytes: int = 8 * 1024 * 1024    # bodies larger than this are dropped ('too-large')
    delay: float = 1.0                  # seconds between two requests to one host (Crawl-delay wins if larger)
    per_host_concurrency: int = 1       # requests in flight to one host
    concurrency: int = 8                # requests in flight overall
    max_retries: int = 3                # extra attempts on timeouts, 5xx, 429
    backoff_base: float = 1.0           # first retry waits ~this, doubling, with jitter
    backoff_max: float = 120.0          # cap for backoff and for Retry-After
    max_redirects: int = 10
    max_depth: int = 50                 # link hops from a start URL
    max_path_segments: int = 12         # deeper URL paths are treated as traps
    max_per_pattern: int = 100_000      # URLs kept per (host, path-with-digits-masked) pattern
    max_query_variants: int = 50        # URLs kept per (host, path) with differing queries
    max_pages: int | None = None        # fetches per run
    max_duration: float | None = None   # seconds per run
    respect_robots: bool = True
    refresh: bool = False               # re-check every known article (conditional GET), not only hubs
    recheck_days: float | None = None   # also re-check articles first seen this recently (corrections)
    extract_workers: int | None = None  # worker processes for HTTP and parsing (None: one per core; 0: none)

    def with_overrides(self, **overrides) -> "Settings":
        """Return a copy with the given non-None values replaced (unknown keys are an error)."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        values = {k: v for k, v in overrides.items() if v is not None}
        for name, value in values.items():
            if not _fits(getattr(self, name), value):
                raise ValueError(f"setting {name} = {value!r} is not a {_kind(getattr(self, name))}")
        return replace(self, **values)


def _kind(default: object) -> str:
    return "number" if default is None or isinstance(default, float) else type(default).__name__


def _fits(default: object, value: object) -> bool:
    """Whether a value from a config file can stand where `default` stands (numbers for the
    optional limits, which default to None)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if default is None or isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


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


def load_sites(path: str | Path, base: Settings | None = None) -> list[SiteConfig]:
    """Read `sites.toml`:

    ```toml
    [defaults]            # optional, any Settings field
    delay = 2.0

    [[site]]
    name = "example"
    start_urls = ["https://news.example.cn/"]
    allow_hosts = ["www.example.cn"]
    deny_patterns = ["/search"]
    delay = 5.0           # any Settings field, for this site only
    [site.extract]
    title = "h1.arti-title"
    ```
    """
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        return _sites(data, base or Settings())
    except (tomllib.TOMLDecodeError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc


def _sites(data: dict, base: Settings) -> list[SiteConfig]:
    base = base.with_overrides(**data.get("defaults", {}))
    sites = []
    structural = {"name", "start_urls", "allow_hosts", "allow_patterns", "deny_patterns", "extract"}
    for i, raw in enumerate(data.get("site", [])):
        if not raw.get("start_urls"):
            raise ValueError(f"site #{i + 1} has no start_urls")
        for url in raw["start_urls"]:
            if urlsplit(str(url)).scheme.lower() not in ("http", "https") or not urlsplit(str(url)).netloc:
                raise ValueError(f"site #{i + 1}: not an http(s) URL: {url}")
        for pattern in (*raw.get("allow_patterns", ()), *raw.get("deny_patterns", ())):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"site #{i + 1}: bad pattern {pattern!r}: {exc}") from exc
        overrides = {k: v for k, v in raw.items() if k not in structural}
        sites.append(
            SiteConfig(
                name=raw.get("name") or raw["start_urls"][0],
                start_urls=tuple(raw["start_urls"]),
                allow_hosts=tuple(raw.get("allow_hosts", ())),
                allow_patterns=tuple(raw.get("allow_patterns", ())),
                deny_patterns=tuple(raw.get("deny_patterns", ())),
                settings=base.with_overrides(**overrides),
                extract=dict(raw.get("extract", {})),
            )
        )
    if not sites:
        raise ValueError("no [[site]] tables")
    return sites
