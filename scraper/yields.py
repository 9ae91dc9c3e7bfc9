"""Trap control by yield: a URL pattern whose pages stop leading anywhere stops being fetched.

Calendars, tag clouds, search results, sort/filter permutations and session loops all share one
trait: page after page of one URL pattern produces no article and no link to anything that
could be one. So instead of a rule per trap, the crawler keeps per pattern (host + path with
digits masked + the query's keys) how its fetched pages fared. A page *yields* when it is an
article, or reveals a never-seen URL that looks like an article or whose pattern has produced
articles. A pattern whose last `limit` fetches yielded nothing is *low-yield*: its URLs are no
longer admitted or fetched, and go last in the queue meanwhile. One later yielding page of the
pattern (a page reached another way, or an article found through one of its pages) revives it.
Patterns that differ only in their query's keys (a calendar's month and day pages, a tag page
with and without `page=`) also share a *family* (host + masked path) that is judged the same
way, so one widget costs `limit` fetches, not `limit` per combination of its parameters.

How many idle fetches a pattern gets adapts to the site's evidence. One that has yielded before
gets the full `limit`. One that never yielded, on a site whose productive patterns showed their
first yield within their first page or two (list pages do, at once), is far out of line after
a few idle fetches: it is cut after `patience()` of them, `limit` // 4 (at least 2) or one more
than the slowest first yield seen this run, whichever is larger. So a calendar or a search form
costs about three requests where list pages lead to articles straight away, and a site whose
hubs take longer to show their worth gets more patience.

The counts are learned state, kept per site in the archive (`url_patterns`) so that the next run
starts knowing which patterns are traps; `scraper stats` shows them. What a tracker counted is
added to the stored counts (not written over them), and the sums read back: crawler workers
sharing an archive judge a pattern by all their fetches together, as one process would.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

_DIGITS = re.compile(r"\d+")


def url_pattern(url: str) -> str:
    """'host[:port]/path/with/#/digits.htm?key&other': what pages of one kind share.

    The query contributes its sorted, distinct parameter names (digits masked too), not their
    values: `?y=2023&m=11` and `?m=10&y=2022` are one calendar, `?f1=a&f2=b&f3=a` one filter."""
    parts = urlsplit(url)
    return _pattern(parts.netloc, parts.path, parts.query)


def _pattern(netloc: str, path: str, query: str) -> str:
    """`url_pattern` of these parts: digits masked in the path, the query's sorted names."""
    keys = sorted({_DIGITS.sub("#", p.partition("=")[0]) for p in query.split("&") if p})
    return netloc + _DIGITS.sub("#", path) + ("?" + "&".join(keys) if keys else "")


_LETTER = re.compile(r"[^\W\d_]")
_PAGER_SEGMENTS = frozenset(("page", "pages", "paged", "p", "pn", "list"))   # /tag/教育/page/2/
_SCRIPTS = frozenset(("php", "asp", "aspx", "jsp", "jspx", "do", "action", "cgi"))   # server scripts' extensions


def view_pattern(view: str, page: str | None) -> str:
    """The pattern of an alternate view (print, mobile, AMP) of `page`, the page it was found on:
    its URL with the page's own path (less its extension) written `{page}` when it holds it
    (`a.cn{page}/amp/`, `a.cn{page}?print`, `m.a.cn/m{page}.htm`, `a.cn{page}_print.htm`). That is
    what a site's views share however its articles are named, by number or by their own slug,
    so one verifying fetch speaks for all of them; else its `url_pattern`."""
    try:
        core = urlsplit(page).path.rstrip("/") if page else ""
    except ValueError:              # not a URL: a marker ('robots.txt'), or a malformed one
        core = ""
    stem, dot, ext = core.rpartition(".")
    if dot and "/" not in ext:
        core = stem
    parts = urlsplit(view)
    if len(core) < 2 or core not in parts.path:
        return url_pattern(view)
    return _pattern(parts.netloc, parts.path.replace(core, "{page}", 1), parts.query)


def _families(pattern: str) -> tuple[str, ...]:
    """The wider groups a pattern is judged with as well (see module doc): 'host/path?*' for a
    pattern with a query, and for a path whose last segment is a word, not a number, under a
    parent directory, its *siblings* 'host/dir/*/' or 'host/dir/*.ext' (`/tag/jiaoyu/` and
    `/tag/keji/` are one tag cloud; `/tags/%E#%B#….html` another; a section list such as
    `/category/news/` shares a family with its sibling sections, which yield). A script
    given a query (`/plus/search.php?keyword=`) has no siblings: its name says what kind of
    page it makes, the query which one, and the scripts of one directory are unrelated
    (DedeCMS's `/plus/view.php?aid=` shows articles, `/plus/calendar.php` a calendar: as
    siblings, every URL a calendar page revealed looked productive, and it was walked to 110
    pages)."""
    path, sep, _ = pattern.partition("?")
    families = (path + "?*",) if sep else ()
    host, slash, rest = path.partition("/")
    segments = rest.split("/")
    if sep and segments[-1].rpartition(".")[2].lower() in _SCRIPTS:
        return families
    last = len(segments) - 1 if segments[-1] else len(segments) - 2
    while last >= 1:
        name, dot, ext = segments[last].rpartition(".")
        if not (dot and name):
            name, ext = segments[last], ""
        if _LETTER.search(name) and name.lower() not in _PAGER_SEGMENTS:
            segments[last] = f"*.{ext}" if ext else "*"
            return families + (f"{host}{slash}{'/'.join(segments)}",)
        last -= 1                   # a page number and its pager word: the word before them varies
    return families


def pattern_keys(pattern: str) -> tuple[str, ...]:
    """The pattern and its families: the keys its fetches are counted under."""
    return (pattern, *_families(pattern))


def _is_siblings(key: str) -> bool:
    return "*" in key and not key.endswith("?*")


def _spoken_for(pattern: str) -> bool:
    """A pattern (not a family) with a sibling family, which speaks for its articles: an
    article named by its own slug (/2023/11/05/某标题/) is a pattern of one page, and kept one
    by one, a site of 100k articles would hold 100k of them in memory and in the archive."""
    return "*" not in pattern and _is_siblings(pattern_keys(pattern)[-1])


@dataclass(slots=True)
class PatternStats:
    """How the fetched pages of one pattern fared (all runs)."""

    fetched: int = 0
    yielded: int = 0            # pages that yielded (see module doc)
    articles: int = 0           # pages that were articles
    idle: int = 0               # fetches in a row that yielded nothing
    alias: str | None = None    # alternate views: 'probe' (verifying fetch queued), 'yes', 'no'
    dirty: bool = False
    first_yield: int = 0        # this run: the fetch (1-based) that first yielded, 0 if none did
    unsaved: PatternChange | None = None    # counted since the last `changes()`


@dataclass(slots=True)
class PatternChange:
    """What a tracker counted for one pattern since it last handed its changes over: to be
    added to the stored counts (`idle`: the idle fetches since the last yielding one; when
    `yielded` > 0 the stored idle count restarts from it, else it grows by it)."""

    fetched: int = 0
    yielded: int = 0
    articles: int = 0
    idle: int = 0


class YieldTracker:
    """The per-pattern yield table of one site, in memory; `changes()` lists what to add to the stored counts."""

    def __init__(self, limit: int, known: dict[str, PatternStats] | None = None):
        self.limit = limit
        # archives from before sibling families hold such articles' patterns (see `_spoken_for`)
        self.patterns: dict[str, PatternStats] = {
            pattern: s for pattern, s in (known or {}).items()
            if not (s.fetched == s.articles == s.yielded and not s.idle and s.alias is None
                    and _spoken_for(pattern))}
        self.floor = min(limit, max(2, limit // 4))
        self.slowest = 0        # the latest first yield of a pattern this run (see `patience`)
        self.proven = any(s.articles for s in self.patterns.values())   # the site has shown where its articles are

    def patience(self, found: PatternStats) -> int:
        """Idle fetches after which a pattern is low-yield: `limit` for one that has yielded
        (or on a site that has not yet shown a productive pattern), else a few more than the
        slowest first yield of this run's productive patterns (see module doc)."""
        if found.yielded or not self.proven:
            return self.limit
        return min(self.limit, max(self.floor, self.slowest + 1))

    def stats(self, pattern: str) -> PatternStats:
        found = self.patterns.get(pattern)
        if found is None:
            found = self.patterns[pattern] = PatternStats()
        return found

    def is_low(self, pattern: str, pending: Mapping[str, int] | None = None, siblings: bool = True) -> bool:
        """Whether the last `limit` fetches of the pattern (or of a family of it) yielded
        nothing, counting the fetches under way of each (`pending`, by `pattern_keys`) as such
        when it never yielded (so concurrent workers cannot overshoot the limit on a trap, nor
        a cloud of sibling patterns each with one fetch under way). One that has yielded is
        judged by its own idle fetches only: with as many fetches in flight as the limit, one
        non-article among thousands of articles would otherwise stop it. `siblings` False
        leaves the sibling family out, for a URL shaped as a list: a site's section lists are
        each judged on their own (siblings idle on a site whose sitemap lists every article
        say nothing of the next, and the next may be the one a stale sitemap leaves out)."""
        for key in pattern_keys(pattern):
            found = self.patterns.get(key)
            if found is None or (not siblings and _is_siblings(key)):
                continue
            guessed = (pending or {}).get(key, 0) if found.yielded == 0 and found.idle > 0 else 0
            if found.idle + guessed >= self._patience(key, found):
                return True
        return False

    def _patience(self, key: str, found: PatternStats) -> int:
        # siblings are many patterns: one more idle fetch than the least patience before a cut
        return max(self.patience(found), self.floor + 1) if _is_siblings(key) else self.patience(found)

    def paths_with(self, name: str) -> int:
        """On how many distinct paths (digits masked) the fetched URLs carry the query
        parameter `name`: a session id or tracking tag rides on every kind of page, a script's
        own key on that script's path only (see scraper.dust)."""
        return len({path for _, path, _ in self._carrying(name)})

    def _carrying(self, name: str) -> list[tuple[str, str, list[str]]]:
        """(pattern, its path, its other query names) of each pattern whose URLs carry the
        query parameter `name`."""
        masked = _DIGITS.sub("#", name)
        out = []
        for pattern in self.patterns:
            path, _, keys = pattern.partition("?")
            names = keys.split("&")
            if masked in names:
                out.append((pattern, path, [n for n in names if n != masked]))
        return out

    def is_doubtful(self, pattern: str) -> bool:
        """Half way to low-yield and never productive, itself or its siblings (a tag cloud whose
        first pages showed nothing new): queue its URLs after everything else."""
        for key in pattern_keys(pattern):
            found = self.patterns.get(key)
            if (found is not None and found.yielded == 0
                    and found.idle >= max(1, self._patience(key, found) // 2)):
                return True
        return False

    def revealed_nothing(self, pattern: str) -> bool:
        """Whether the pages fetched of this pattern, or of its siblings (a tag cloud), all
        revealed nothing so far."""
        for key in pattern_keys(pattern):
            found = self.patterns.get(key)
            if found is not None and found.fetched and not found.yielded:
                return True
        return False

    def has_yielded(self, pattern: str) -> bool:
        found = self.patterns.get(pattern)
        return found is not None and found.yielded > 0

    def is_productive(self, pattern: str) -> bool:
        """Whether pages of the pattern, or of its siblings, have been articles."""
        return any((found := self.patterns.get(key)) is not None and found.articles > 0
                   for key in pattern_keys(pattern))

    def record(self, pattern: str, *, article: bool, yielded: bool) -> bool:
        """One fetched page of `pattern` (not a 304: an unchanged page says nothing new).
        Returns True when this revived a low-yield pattern."""
        revived = False
        for key in pattern_keys(pattern):
            if key == pattern and article and key not in self.patterns and _spoken_for(pattern):
                continue
            s = self.stats(key)
            change = self._change(s)
            s.fetched += 1
            change.fetched += 1
            s.articles += article
            change.articles += article
            self.proven = self.proven or article
            revived = self._outcome(key, s, article or yielded) or revived
        return revived

    def credit(self, pattern: str) -> bool:
        """A page of `pattern` turned out to lead to an article (found through it, fetched
        later). Returns True when this revived a low-yield pattern."""
        revived = False
        for key in pattern_keys(pattern):
            s = self.patterns.get(key)
            if s is not None and s.idle > 0:
                revived = self._outcome(key, s, True) or revived
        return revived

    def fold(self, name: str) -> None:
        """The query parameter `name` changes nothing (scraper.dust): the pages of a pattern
        that carried it are the pages of the pattern without it, which takes over what they
        yielded. A session-id site's lists were fetched with the parameter until it was
        learned; their plain pattern, fetched since, showed nothing new, and on the next run it
        looked like a trap that never yielded: no list was read again."""
        for key, path, rest in self._carrying(name):
            src = self.patterns[key]
            if src.alias is not None or not src.yielded:
                continue            # a view's verification, or nothing to hand over
            dst = self.stats(path + ("?" + "&".join(rest) if rest else ""))
            change = self._change(dst)
            for field in ("fetched", "yielded", "articles"):
                count = getattr(src, field)
                setattr(dst, field, getattr(dst, field) + count)
                setattr(change, field, getattr(change, field) + count)
            change.idle = dst.idle  # the idle fetches since the last yielding one: the plain ones
            dst.first_yield = dst.first_yield or src.first_yield
            dst.dirty = True

    @staticmethod
    def _change(s: PatternStats) -> PatternChange:
        if s.unsaved is None:
            s.unsaved = PatternChange()
        return s.unsaved

    def _outcome(self, key: str, s: PatternStats, yielded: bool) -> bool:
        was_low = s.idle >= self._patience(key, s)     # as `is_low` judges the key
        change = self._change(s)
        if yielded:
            if not s.first_yield and not s.yielded:
                s.first_yield = max(1, s.fetched)
                self.slowest = max(self.slowest, s.first_yield)
            s.yielded += 1
            change.yielded += 1
            s.idle = change.idle = 0
        else:
            s.idle += 1
            change.idle += 1
        s.dirty = True
        return was_low and yielded

    def changes(self) -> list[tuple[str, int, int, int, int, str | None]]:
        """(pattern, fetched, yielded, articles, idle, alias) counted since the last call, as
        `PatternChange` says, for `Archive.merge_url_patterns`; then marked handed over."""
        out = []
        for pattern, s in self.patterns.items():
            if s.dirty:
                c = s.unsaved or PatternChange()
                out.append((pattern, c.fetched, c.yielded, c.articles, c.idle, s.alias))
                s.dirty, s.unsaved = False, None
        return out

    def update(self, rows: list[tuple[str, int, int, int, int, str | None]]) -> None:
        """Take the stored counts (everybody's, after a merge) of these patterns."""
        for pattern, fetched, yielded, articles, idle, alias in rows:
            s = self.stats(pattern)
            s.fetched, s.yielded, s.articles, s.idle, s.alias = fetched, yielded, articles, idle, alias
