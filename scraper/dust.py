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

The crawl does not wait for a duplicate to come its way: a parameter whose one value rides on
the links of `RIDE_PATHS` or more different paths of one page (a session id or a tracking tag
does; `id=` has a value per link) is a candidate. The first URL that differs from a page
fetched before only in a candidate is fetched as a probe, and the other such URLs wait for
its answer: the same article learns the parameter, another one refutes it. Before, fetching
ran ahead of storing and a session-id site had ten or more of its articles fetched twice
before the first duplicate was stored (a crawl cut at 1.2 × the article count held 70%).
Page numbers (`page=2`) and views (`print=1`) are never candidates, nor is a parameter that
one page's links give two values on one path (`list.asp?classid=1`, `list.asp?classid=2`): it
selects what that path shows, even where another path ignores it.

A page number's first value is learned on its own, as `page=1` (`FIRST_PAGE`): old ASP/JSP
pagers link the first page of a list or of a multi-page article as `show.asp?id=3&page=1`
(首页, the number 1) beside `show.asp?id=3`, so every multi-page article was fetched twice.
One such article held under both URLs teaches it for the site, on any path (a page number is
no script's own key, as `id=` is); `page=2` still matters, and a
site counting pages from 0 (whose `page=1` is the second page) holds another text there and
teaches nothing.
"""
from __future__ import annotations

import hashlib
import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from .discover import PAGE_PARAMS, VIEW_PARAMS
from .urls import strip_params

MAX_DIFFERING = 2      # parameters two URLs of one page may differ in for the lesson to be clear
RIDE_PATHS = 3         # different paths one value must ride on in a page's links to make a candidate
_REMEMBERED = 4096     # forms of the latest fetched URLs remembered (see `fetching`)
_NOTED = 500           # links of a page read for candidates: a session id rides on all of them
_MAX_CANDIDATES = 16   # a page whose every link has its own parameters makes no more than these
_NEVER_IDLE = frozenset(VIEW_PARAMS + PAGE_PARAMS)   # a view, a page number: never nothing
FIRST_PAGE = "1"       # … but a page number at this value may be the page itself (see the module doc)
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
        self.candidates: frozenset[str] = frozenset()   # riding on many paths, neither learned nor refuted
        self.refuted: set[str] = set()             # a URL differing in it held another article
        self.keys: set[str] = set()                # two values on one path in one page's links
        # ("", a fetched URL) and (name, that URL without the parameter) → the fetched URL
        self._fetched: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._hubs: OrderedDict[str, bytes] = OrderedDict()     # a fetched hub → what it links (see same_hub)

    def note_links(self, urls: Iterable[str]) -> None:
        """Read one page's links. A parameter with two values on one path among them selects
        what that path shows (`list.asp?classid=1` and `=2`, `show.asp?id=5` and `=6`): it is
        a key, never a candidate nor learned, whatever a twin later suggests (`show.asp` may
        ignore the `classid` that `list.asp` needs). A session id has one value in each
        answer. One whose one value rides on `RIDE_PATHS` different paths becomes a candidate."""
        riding: dict[tuple[str, str], set[str]] = {}
        values: dict[tuple[str, str], str] = {}        # (name, path) → its value there
        for url in itertools.islice((u for u in urls if "?" in u), _NOTED):
            head, _, query = url.partition("?")
            for pair in query.partition("#")[0].split("&"):
                name, _, value = pair.partition("=")
                name = unquote_plus(name)
                if not value or name in self.keys or name.lower() in _NEVER_IDLE:
                    continue
                if values.setdefault((name, head), value) != value:
                    self.keys.add(name)
                    continue
                if name in self.candidates or name in self.idle or name in self.refuted:
                    continue
                paths = riding.setdefault((name, value), set())
                paths.add(head)
                if len(paths) >= RIDE_PATHS and len(self.candidates) < _MAX_CANDIDATES:
                    self.candidates |= {name}
        if self.keys & self.candidates:
            self.candidates -= self.keys

    def fetching(self, url: str) -> None:
        """`url` is being fetched: remember it as it is and by its form without each parameter
        it carries (a candidate may show up only later), unless a twin was fetched before
        (`variant` must find that one still)."""
        self._remember(("", url), url)
        if "?" in url:
            for name in _names(url):
                self._remember((name, strip_params(url, {name})), url)

    def _remember(self, key: tuple[str, str], url: str) -> None:
        if key not in self._fetched:
            self._fetched[key] = url
            if len(self._fetched) > _REMEMBERED:
                self._fetched.popitem(last=False)

    def variant(self, url: str) -> tuple[str, str] | None:
        """(parameter, URL) of a page fetched before whose URL differs from `url` only in that
        candidate or idle parameter (one carries it and the other not, or with another value)."""
        for name in self.candidates | self.idle:
            plain = strip_params(url, {name})
            for key in ((name, plain), ("", plain)) if plain != url else ((name, url),):
                seen = self._fetched.get(key)
                if seen is not None and seen != url:
                    return name, seen
        return None

    def same_hub(self, url: str, links: Iterable[str]) -> str | None:
        """A hub (a list, the home page) fetched at `url` links `links`: remember what it links
        and return the URL of a hub fetched before that differs from `url` only in a candidate
        or idle parameter and links the same URLs in the same order, those parameters left out
        (a session id has a new value in each answer, on every link). Such a probe teaches the
        parameter at once: the home page found at `index.htm?sid=…` beside `index.htm` was a
        probe that taught nothing, and the lesson waited for an article's probe, a request
        more per site. Links that differ in any other way teach nothing either way (a hub's
        latest-news box may change between two answers); only an article refutes."""
        unread = self.candidates | self.idle
        digest = hashlib.blake2b("\n".join(dict.fromkeys(strip_params(link, unread) for link in links)).encode(),
                                 digest_size=16).digest()
        self._hubs[url] = digest
        if len(self._hubs) > _REMEMBERED:
            self._hubs.popitem(last=False)
        variant = self.variant(url)
        if variant is not None and self._hubs.get(variant[1]) == digest:
            return variant[1]
        return None

    def refute(self, name: str) -> None:
        """A URL differing from a page fetched before only in `name` held another article:
        `name` matters to the site's pages, and is no candidate any more."""
        self.candidates -= {name}
        self.refuted.add(name)

    def learn(self, url: str, twin: str, paths_with: Callable[[str], int]) -> list[str]:
        """`url` was fetched and held the same article as `twin`: the parameters newly learned
        as idle (`paths_with(name)` says on how many distinct paths the site's URLs carry it)."""
        a, b = urlsplit(url), urlsplit(twin)
        if (a.scheme, a.netloc, a.path) != (b.scheme, b.netloc, b.path):
            return []
        qa = dict(parse_qsl(a.query, keep_blank_values=True))
        qb = dict(parse_qsl(b.query, keep_blank_values=True))
        differing = {name for name in qa.keys() | qb.keys() if qa.get(name) != qb.get(name)}
        # key kept as idle → the parameter it strips (a first page number: at that value only)
        idle = {name: name for name in differing if name.lower() not in _NEVER_IDLE}
        idle |= {f"{name}={FIRST_PAGE}": name for name in differing if name.lower() in PAGE_PARAMS
                 and {qa.get(name), qb.get(name)} == {None, FIRST_PAGE}}
        if not idle or len(idle) > MAX_DIFFERING:
            return []
        # a first page number needs no spread: no script's key, it names the page itself
        learned = [key for key, name in sorted(idle.items()) if key not in self.idle and name not in self.keys
                   and (key in self.candidates or key != name or paths_with(name) >= self.spread)]
        self.idle |= frozenset(learned)
        self.candidates -= frozenset(learned)
        return learned

    def strip(self, url: str) -> str:
        """`url` without the idle parameters (as it is when there is none)."""
        return strip_params(url, self.idle)


def _names(url: str) -> set[str]:
    """The names of the query parameters of `url` that could change nothing."""
    names = {unquote_plus(pair.partition("=")[0]) for pair in url.partition("?")[2].partition("#")[0].split("&")}
    return {name for name in names if name and name.lower() not in _NEVER_IDLE}
