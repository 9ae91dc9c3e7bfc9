"""The normalized record every stage agrees on.

One definition: the SQLite `articles` columns, the JSON export and the CLI table are derived
from (or checked against) these fields, so a field added here reaches every output.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class Image:
    src: str                      # absolute URL
    caption: str | None = None


@dataclass
class Attachment:
    url: str                      # absolute URL of a pdf/doc/xls/... linked from the body
    text: str | None = None


@dataclass
class Article:
    """What one page yields. Missing fields are None, never a guess; `reason` says why a
    page gave little (``empty``, ``binary``, ``not-article``, ``decode-error``…)."""

    url: str | None = None
    title: str | None = None
    published_at: str | None = None   # 'YYYY-MM-DDTHH:MM:SS+08:00' or 'YYYY-MM-DD'
    author: str | None = None
    source: str | None = None
    editor: str | None = None
    body: str = ""                    # paragraphs joined by '\n'
    images: list[Image] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    prev_url: str | None = None
    next_url: str | None = None
    canonical_url: str | None = None  # <link rel=canonical>, absolute, as declared
    encoding: str | None = None       # codec the bytes were decoded with
    reason: str | None = None         # None when the page looks like a real article
    page_count: int = 1               # pages of a multi-page article, merged into this record
    # How each field was found (see `WEAK_EVIDENCE`): label, header, above, markup, heading,
    # signature, epaper, profile, config, meta, url, pattern, fallback, trafilatura.
    evidence: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def is_article(self) -> bool:
        return self.reason is None


# Fields whose evidence `scraper stats` weighs, and the ways of finding a field that are weak:
# read from where the page shows it to a reader — a label (`来源：`), the header line under the
# headline or above it, a field's class in the markup, the on-page headline, a signing date, an
# e-paper's issue header, the block a site profile learned, a selector from sites.toml — is
# strong; guessed — from the URL, from <title>/metadata with no on-page line confirming it, by an
# unlabelled pattern (an outlet beside the date, a byline in the text), by a fallback (a heading
# near the text, the peer extractor on a foreign page) — is weak: right often, wrong sometimes.
EVIDENCE_FIELDS: tuple[str, ...] = ("title", "published_at", "author", "source", "editor")
WEAK_EVIDENCE: frozenset[str] = frozenset({"url", "meta", "pattern", "fallback", "trafilatura"})

# Scalar fields stored as columns of the `articles` table (lists go in as JSON).
TEXT_FIELDS: tuple[str, ...] = ("title", "published_at", "author", "source", "editor", "body")
ALL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article))
