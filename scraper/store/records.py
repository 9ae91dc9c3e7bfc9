"""The plain data that crosses the archive's door: what callers hand to an `Archive` and what
it hands back. Nothing here knows a database; every backend stores and returns these shapes."""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone

from ..article import Article
from ..search import DateRange
from ..settings import DEFAULT_DB  # noqa: F401 - the archive path callers default to
from .rawcodec import compress, decompress  # noqa: F401 - part of the records' interface

# The stored article record: `Article`'s fields (less `url`, which is the key, and `reason`:
# only real articles are stored) plus what the archive keeps about each. Defined once here;
# the schema and the export are derived from it.
ARTICLE_COLUMNS: tuple[str, ...] = ("url", "site") + tuple(
    f.name for f in fields(Article) if f.name not in ("url", "reason", "page_count", "evidence")
) + ("content_hash", "version", "first_seen", "last_seen", "run_id", "page_count", "evidence")   # added later, last
# Article fields kept as JSON text (lists of dataclasses).
JSON_FIELDS = ("images", "attachments")
# … and a mapping kept as a JSON object.
JSON_OBJECT_FIELDS = ("evidence",)
_STORED_FIELDS = tuple(f.name for f in fields(Article) if f.name in ARTICLE_COLUMNS)
# Every column of the archive holding JSON text (articles' lists, runs' arguments and stats).
JSON_COLUMNS = (*JSON_FIELDS, *JSON_OBJECT_FIELDS, "args", "stats")
# What an earlier version of an article keeps in `article_versions`.
VERSIONED_COLUMNS = ("title", "published_at", "author", "source", "editor", "body", "content_hash")

_clock: tuple[int, str] = (0, "")


def utcnow() -> str:
    """ISO UTC time to the second (formatted once per second: it is stamped on every row)."""
    global _clock
    now = int(time.time())
    if now != _clock[0]:
        _clock = (now, datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return _clock[1]


def content_hash(article: Article) -> str:
    """Identity of what a reader sees: title + body, whitespace-insensitive."""
    text = "".join((article.title or "").split()) + "\n" + "".join(article.body.split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass
class PageRecord:
    """One fetch outcome, stored whether it succeeded or not (reason says why not)."""

    url: str                      # canonical URL (frontier key)
    site: str
    final_url: str | None = None
    status: int | None = None
    reason: str | None = None
    content_type: str | None = None
    encoding: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None
    raw: bytes | None = None      # compressed body (`compress`, see rawcodec)
    fetched_at: str | None = None
    run_id: int | None = None


@dataclass(frozen=True)
class RawPage:
    """A stored HTML page body, decompressed — what `reextract` reads again."""

    url: str
    site: str
    final_url: str | None
    content: bytes
    encoding: str | None


@dataclass
class QueryResult:
    """Rows of a read: column names and a row iterator (tuples, one row in memory at a time).
    Iterating it yields the rows; `first()` is the first row or None."""

    columns: list[str]
    rows: Iterator[tuple] = field(repr=False)

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.rows)

    def first(self) -> tuple | None:
        return next(iter(self.rows), None)


def plainer(a: str, b: str) -> bool:
    """Whether URL `a` is the better identity than `b` for the same text: no query string
    (print views and share links add one), then the shorter."""
    return ("?" in b, len(b)) > ("?" in a, len(a))


def article_record(article: Article) -> dict:
    """The stored columns of an Article (lists as JSON text); no deep `asdict` on the hot path."""
    record = {name: getattr(article, name) for name in _STORED_FIELDS}
    for key in JSON_FIELDS:
        record[key] = json.dumps([asdict(item) for item in record[key]], ensure_ascii=False)
    for key in JSON_OBJECT_FIELDS:
        record[key] = json.dumps(record[key], ensure_ascii=False)
    return record


def like_prefix(text: str) -> str:
    """A LIKE pattern (with the backslash escape) matching strings that start with `text` literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
@dataclass(frozen=True)
class ArticleSelection:
    """Which articles a read is about (every condition given must hold):

    - `site`; `dates` on published_at (see `search.DateRange`);
    - `run_id`: the articles whose current version run N stored (new or changed in run N);
    - `changed_since_run`: new or changed by any run after N (a downstream job's delta);
    - `where`: the user's own condition on the articles table, in the backend's SQL dialect,
      with `params` for its placeholders.
    """

    site: str | None = None
    dates: DateRange = field(default_factory=DateRange)
    run_id: int | None = None
    changed_since_run: int | None = None
    where: str | None = None
    params: tuple = ()


@dataclass(frozen=True)
class SearchHit:
    url: str
    site: str
    title: str | None
    published_at: str | None
    source: str | None
    body: str | None


@dataclass
class SearchResult:
    """One page of hits, best first, and how many articles match in all."""

    total: int
    hits: list[SearchHit]


@dataclass(frozen=True)
class FileRecord:
    """A downloaded attachment: where it came from and its bytes (stored once per content)."""

    url: str                      # canonical URL (frontier key)
    link_url: str                 # as the article links it
    site: str
    content: bytes
    mime: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    run_id: int | None = None


@dataclass(frozen=True)
class StoredFile:
    """A kept attachment as an article links it (for `files export`)."""

    article_url: str
    site: str
    text: str | None              # the link text, e.g. 2024年招生计划.pdf
    url: str
    sha256: str
    mime: str | None
    content: bytes
