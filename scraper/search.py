"""What a reader asks of the archive, as plain data: a search query's terms, a date range, and
the snippet shown for a hit.

The syntax is the one search boxes taught everyone: words separated by spaces must all occur,
`"a phrase"` (or “…”) is one term, `A OR B` needs either, `-word` excludes. OR binds tighter
than the space, so `招生 本科 OR 研究生 -通知` is 招生 AND (本科 OR 研究生) AND NOT 通知.
Nothing here knows SQL: each archive backend turns a `SearchQuery` into its own query.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

_TOKEN = re.compile(r'(-?)(?:"([^"]*)"|“([^”]*)”|(\S+))')
_OR = "OR"


def _on_the_calendar(value: str) -> bool:
    """2024-13 and 2024-02-30 have the right shape but match nothing: a typo to report."""
    day = value[:10] if len(value) >= 10 else value[:7] + "-01" if len(value) >= 7 else None
    try:
        return day is None or bool(date.fromisoformat(day))
    except ValueError:
        return False


@dataclass(frozen=True)
class DateRange:
    """Inclusive `since`/`until` given as YYYY, YYYY-MM or YYYY-MM-DD (or a full timestamp),
    turned into string bounds that compare correctly with stored ISO values, whatever their
    precision: `until 2024-11` keeps 2024-11-30T23:00+08:00."""

    since: str | None = None
    until: str | None = None

    def __post_init__(self) -> None:
        for value in (self.since, self.until):
            if value is not None and not (re.fullmatch(r"\d{4}(-\d{2}(-\d{2}([T ].*)?)?)?", value)
                                          and _on_the_calendar(value)):
                raise ValueError(f"not a date: {value!r} (YYYY, YYYY-MM or YYYY-MM-DD)")

    @property
    def lower(self) -> str | None:
        """Inclusive lower bound."""
        return self.since

    @property
    def upper(self) -> str | None:
        """Exclusive upper bound: the start of the period after `until`."""
        if self.until is None:
            return None
        parts = self.until.split("-")
        if len(parts) == 1:
            return str(int(parts[0]) + 1)
        if len(parts) == 2:
            year, month = int(parts[0]), int(parts[1])
            return f"{year + month // 12:04d}-{month % 12 + 1:02d}"
        if len(self.until) == 10:
            return (date.fromisoformat(self.until) + timedelta(days=1)).isoformat()
        return self.until + "\uffff"        # a full timestamp: everything up to and including it

    def __bool__(self) -> bool:
        return self.since is not None or self.until is not None


@dataclass(frozen=True)
class SearchQuery:
    """All `clauses` must match (each clause: any one of its terms); no `excluded` term may."""

    clauses: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...] = ()
    site: str | None = None
    dates: DateRange = field(default_factory=DateRange)

    @property
    def terms(self) -> tuple[str, ...]:
        """Every positive term, for ranking and highlighting."""
        return tuple(t for clause in self.clauses for t in clause)


def parse_query(text: str, *, site: str | None = None, dates: DateRange | None = None) -> SearchQuery:
    """Read the search box syntax (see the module doc). Raises ValueError when nothing
    positive is asked for (a search for "only not X" would list the whole archive)."""
    clauses: list[list[str]] = []
    excluded: list[str] = []
    join_next = False
    for match in _TOKEN.finditer(text):
        negated, quoted, quoted_cn, bare = match.groups()
        is_phrase = quoted is not None or quoted_cn is not None
        term = (quoted if quoted is not None else quoted_cn if quoted_cn is not None else bare).strip()
        if not is_phrase and not negated and term == _OR:
            join_next = bool(clauses)
            continue
        if not term:
            continue
        if negated:
            excluded.append(term)
        elif join_next:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        join_next = False
    if not clauses:
        raise ValueError("nothing to search for: give at least one word that must occur")
    return SearchQuery(tuple(tuple(dict.fromkeys(c)) for c in clauses), tuple(dict.fromkeys(excluded)),
                       site, dates or DateRange())


def snippet(text: str | None, terms: tuple[str, ...], width: int = 60, marks: tuple[str, str] = ("[", "]")) -> str:
    """About `width` characters of `text` around the first term found, every term found marked;
    the text's start when no term occurs (a title-only hit)."""
    if not text:
        return ""
    flat = " ".join(text.split())
    positions = [(i, t) for t in terms if (i := flat.find(t)) >= 0]
    start = max(0, min(positions)[0] - width // 3) if positions else 0
    window = flat[start:start + width]
    if positions:
        pattern = re.compile("|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)))
        window = pattern.sub(lambda m: marks[0] + m.group(0) + marks[1], window)
    return ("…" if start else "") + window + ("…" if start + width < len(flat) else "")
