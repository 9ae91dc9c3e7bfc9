"""Query parameters a site's pages do not depend on, learned while crawling ("DUST": different
URLs with similar text, Bar-Yossef, Keidar & Schonfeld, WWW 2007).

Some sites put a parameter on every link that changes nothing in the page: a session id
(`?sid=4f9c…`, a new one in every answer to a client without the session cookie), a cache
buster (`?t=1700000000`), a tracking tag (`?from=nav`). Each value makes another URL of the
same page, so the crawl fetches every article again and again (a simulated site whose links
carry a session id: 2,500 requests for 74 pages; only the trap guard's limit of query variants
per path stopped it). No list of names covers them all, and a rule by name would strip
parameters that matter elsewhere.

The crawl learns them instead. When a page fetched at one URL turns out to hold the very
article stored from another URL of the same path, the parameters they differ in (one or
two; carried by one only, or by both with other values) did not matter there, except those
that name an alternate view (`?print=1`): views are known and recorded as aliases of their
page on their own (see `scraper.yields.view_pattern`). They are taken as idle for the whole site
when they also appear in the URLs of other kinds of page (other paths): a session id or a
tracking tag rides on every link, while `show.asp?id=` that served a default page for two
unknown ids is one script's own key and stays. From then on the site's URLs are queued
without them, and the URLs queued with them are settled without a request. What was learned
is kept beside the site's URL pattern yields (a row `{idle-param}NAME`), so that later runs
start knowing it.
"""
from __future__ import annotations

from collections.abc import Callable, Set
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from .discover import VIEW_PARAMS

MAX_DIFFERING = 2      # parameters two URLs of one page may differ in for the lesson to be clear
IDLE = "idle"          # the `alias` column of a parameter's row in the pattern yields
_PREFIX = "{idle-param}"


def idle_pattern(name: str) -> str:
    """The key under which an idle parameter is kept with the site's URL pattern yields."""
    return _PREFIX + name


def idle_param(pattern: str) -> str | None:
    """The parameter a pattern key keeps as idle (see `idle_pattern`), else None."""
    return pattern[len(_PREFIX):] or None if pattern.startswith(_PREFIX) else None


class IdleParams:
    """One site's idle query parameters: learned from duplicates, kept for later runs (see the module doc)."""

    def __init__(self, spread: int = 2) -> None:
        self.spread = spread         # distinct paths a parameter must be seen on to be learned
        self.idle: frozenset[str] = frozenset()    # handed as is to every page's processing

    def learn(self, url: str, twin: str, paths_with: Callable[[str], int]) -> list[str]:
        """`url` was fetched and held the same article as `twin`: the parameters newly learned
        as idle (`paths_with(name)` says on how many distinct paths the site's URLs carry it)."""
        a, b = urlsplit(url), urlsplit(twin)
        if (a.scheme, a.netloc, a.path) != (b.scheme, b.netloc, b.path):
            return []
        qa = dict(parse_qsl(a.query, keep_blank_values=True))
        qb = dict(parse_qsl(b.query, keep_blank_values=True))
        differing = {name for name in qa.keys() | qb.keys()
                     if qa.get(name) != qb.get(name) and name.lower() not in VIEW_PARAMS}
        if not differing or len(differing) > MAX_DIFFERING:
            return []
        learned = [name for name in sorted(differing) if name not in self.idle and paths_with(name) >= self.spread]
        self.idle |= frozenset(learned)
        return learned

    def strip(self, url: str) -> str:
        """`url` without the idle parameters (as it is when there is none)."""
        return strip_params(url, self.idle)


def strip_params(url: str, names: Set[str]) -> str:
    """`url` without the query parameters `names` (as it is when it has none of them)."""
    if not names or "?" not in url:
        return url
    head, _, rest = url.partition("?")
    query, hash_, fragment = rest.partition("#")
    pairs = [p for p in query.split("&") if p]
    kept = [p for p in pairs if unquote_plus(p.partition("=")[0]) not in names]
    if len(kept) == len(pairs):
        return url
    return head + ("?" + "&".join(kept) if kept else "") + hash_ + fragment
