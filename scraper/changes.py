"""What changed in the archive: new, changed and gone articles since a run or a date, and how
one article's text differs from its earlier versions.

The archive answers with plain records (`Change`, version dicts); the comparing is done here,
so every backend shows the same diff.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

# Fields compared between two versions of an article, as stored in `article_versions`.
COMPARED_FIELDS = ("title", "published_at", "author", "source", "editor", "body")
# Statuses that say a page is no longer there (an article's URL answering one is "gone").
GONE_STATUSES = (404, 410)


@dataclass(frozen=True)
class Since:
    """Where a change window starts: after run `run_id` (changes made by later runs), or at a
    UTC time/date (`YYYY-MM-DD` or ISO timestamp, compared with first/last seen)."""

    run_id: int | None = None
    time: str | None = None

    def __post_init__(self) -> None:
        if (self.run_id is None) == (self.time is None):
            raise ValueError("give either a run or a time to look for changes since")


@dataclass(frozen=True)
class Change:
    kind: str                    # 'new', 'changed' or 'gone'
    url: str
    site: str
    title: str | None
    version: int | None
    when: str | None             # first seen (new), last stored (changed), fetched (gone)
    run_id: int | None


@dataclass
class VersionDiff:
    """From version `old` to `new` of one article: the fields whose value differs and a
    unified line diff of the body (paragraphs are lines)."""

    old: int
    new: int
    when: str | None
    fields: list[str] = field(default_factory=list)
    body_diff: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"from": self.old, "to": self.new, "when": self.when, "fields": self.fields,
                "body_diff": self.body_diff}


def diff_versions(old: dict, new: dict, context: int = 1) -> VersionDiff:
    """Compare two stored versions (dicts with `COMPARED_FIELDS`, `version`, `stored_at`)."""
    changed = [f for f in COMPARED_FIELDS if (old.get(f) or None) != (new.get(f) or None)]
    lines = difflib.unified_diff((old.get("body") or "").split("\n"), (new.get("body") or "").split("\n"),
                                 f"v{old.get('version')}", f"v{new.get('version')}", n=context, lineterm="")
    return VersionDiff(old.get("version") or 0, new.get("version") or 0, new.get("stored_at"), changed,
                       list(lines) if "body" in changed else [])


def history(versions: list[dict]) -> list[VersionDiff]:
    """Diffs between consecutive versions, oldest first (`versions` ordered by version)."""
    return [diff_versions(a, b) for a, b in zip(versions, versions[1:])]
