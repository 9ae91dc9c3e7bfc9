"""Polite, fault-tolerant HTTP for the crawler: robots.txt, scope, address check, per-host pacing,
retries with backoff, manual redirects, size caps and conditional GET.

Every failure comes back as a `FetchResult` with a named reason, never as an exception, so the
crawler can record it with the page and `scraper stats` can count it.
"""
from __future__ import annotations

import asyncio
import email.utils
import functools
import ipaddress
import logging
import random
import socket
import ssl
import time
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import Any, Protocol
from urllib.parse import urljoin, urldefrag

import httpx

from scraper.decode import looks_binary
from scraper.reasons import Reason
from scraper.robots import Robots
from scraper.settings import RunSettings, Settings
from scraper.urls import Scope, canonicalize, host_of, is_public_address, origin_of
from scraper.workers import WorkerError

Resolver = Callable[[str], Awaitable[list[str]]]
# What to do with a page's body where it was received: called as then(content, url=…, http_charset=…);
# must pickle (a module-level function or a partial of one), since a worker process runs it.
Then = Callable[..., Any]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Consecutive timeouts/connection failures after which a host counts as down for the rest of the
# run: without it, every queued URL of a dead host would spend all its retries and backoff.
# A Retry-After longer than backoff_max does the same to its origin (not to the host's other
# ports): the server asked for a pause longer than this run will wait, so its other URLs wait
# for the next run too.
_HOST_DOWN_AFTER = 10
log = logging.getLogger(__name__)
_RETRY_AFTER_STATUSES = frozenset({429, 503})
# How long a robots.txt one worker fetched serves the others (an unreachable one: a minute, see
# PostgresArchive.shared_robots); a new crawl reads it afresh.
_SHARED_ROBOTS_AGE = 24 * 3600.0
# How much longer than its own deadline the crawler waits for a worker's answer: the worker ends
# a slow exchange itself (and says why); this only covers a worker that hangs.
_WORKER_GRACE = 1.0
# How long a worker may parse one page it received before the crawler gives up on it as hung (a
# 10 MB page parses in a few seconds; a pathological one can loop for ever).
_PROCESSING_TIMEOUT = 120.0

# Content types a fetch downloads, by what it expects. A missing Content-Type is accepted (many small
# CMS servers omit it); the parser downstream decides. Gzip sitemaps are often octet-stream.
_XML_TYPES = ("application/xml", "text/xml", "application/rss+xml", "application/atom+xml",
              "application/gzip", "application/x-gzip", "application/octet-stream", "text/plain")
_ACCEPTED_TYPES: dict[str, tuple[str, ...] | None] = {
    "page": ("text/html", "application/xhtml+xml"),
    "sitemap": _XML_TYPES + ("text/html", "application/xhtml+xml"),
    "robots": None,       # any: robots.txt is served as text/html or octet-stream surprisingly often
    "attachment": None,   # any: only fetched when the user asks for attachments
}
_WRONG_TYPE_REASON = {"page": Reason.NOT_HTML, "sitemap": Reason.NOT_XML}
_ACCEPT_HEADER = {
    "page": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    "sitemap": "application/xml,text/xml,application/rss+xml,application/atom+xml,"
               "text/plain;q=0.9,*/*;q=0.1",
    "robots": "text/plain,*/*;q=0.1",
    "attachment": "*/*",
}


@dataclass
class FetchResult:
    url: str                                   # what was asked for
    final_url: str                             # after redirects
    status: int | None = None                  # None when no HTTP response
    headers: dict[str, str] = field(default_factory=dict)   # lowercase names
    content: bytes | None = None               # None when not downloaded
    content_type: str | None = None            # mime type only, lowercase
    charset: str | None = None                 # from Content-Type, if any
    reason: Reason | None = None               # None = ok, else why not
    # status/headers are those of the last response received (a 301 when its target was refused)
    redirects: list[str] = field(default_factory=list)
    attempts: int = 0
    timeouts: int = 0                          # attempts that ran out of time (the URL's budget)
    detail: str | None = None                  # what went wrong in plain words ('connection refused')
    elapsed: float = 0.0
    # what `fetch(then=…)` made of the body in the worker process that received it; the body
    # itself then stays there (content None) and only `size` says how long it was
    processed: Any = None
    size: int | None = None                    # bytes of the body, whether kept in `content` or not

    @property
    def ok(self) -> bool:
        return self.reason is None and (self.content is not None or self.processed is not None)

    @property
    def not_modified(self) -> bool:
        return self.reason == Reason.NOT_MODIFIED


@dataclass
class _Retry:
    """Ask `_attempts` for another try, after `after` seconds (Retry-After) or the backoff."""

    after: float | None = None


class _Refused(Exception):
    """A request that must not be made (forbidden address): no retry, no connection."""


class _HostDown(Exception):
    """The host went down (or asked for a long pause) while this request waited for its slot."""


@dataclass
class _Host:
    """Pacing state of one host: in-flight slots and the earliest next request start."""

    slots: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0
    failures: int = 0          # consecutive attempts that got no HTTP response
    held: set[int] = field(default_factory=set)   # shared request slots this process holds
    # Retry-After is an origin's word about itself: another service on the host (another port)
    # keeps its pace. Origin → earliest next start it asked for; origins that asked for longer
    # than this run waits.
    paused: dict[str, float] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)

    @property
    def down(self) -> bool:
        return self.failures >= _HOST_DOWN_AFTER


class HostPacing:
    """Pacing state per host and the run's overall in-flight limit (`concurrency`, a run-wide
    setting). One Fetcher owns one by default; pass the same instance to the Fetchers of several
    sites crawled at once so that two site configs on one host still share its slots, spacing
    and down state (the first Fetcher to meet a host sizes its slots) and all share the limit."""

    shared: Coordination | None = None

    def __init__(self, concurrency: int = RunSettings.concurrency) -> None:
        self._hosts: dict[str, _Host] = {}
        self.concurrency = concurrency
        self.overall = asyncio.Semaphore(concurrency)
        self.under_way = 0      # requests holding a slot now, all hosts together

    def get(self, host: str, per_host_concurrency: int) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host(asyncio.Semaphore(per_host_concurrency))
        return state

    @asynccontextmanager
    async def slot(self, host: str, state: _Host, delay: float, per_host: int):
        """Per-host in-flight limit and start spacing of `delay`, then the overall limit.
        Start times are recorded when the request really starts."""
        async with state.slots:
            async with state.lock:
                # a loop, since a Retry-After seen meanwhile may push next_start further
                while (pause := state.next_start - time.monotonic()) > 0:
                    await asyncio.sleep(pause)
                if state.down:      # e.g. a 429 asking for a day came while we waited
                    raise _HostDown
                await self.overall.acquire()
                state.next_start = time.monotonic() + delay
            with self._under_way():
                yield

    @contextmanager
    def _under_way(self):
        """A request holds the overall slot acquired for it until it ends, counted in `under_way`."""
        self.under_way += 1
        try:
            yield
        finally:
            self.under_way -= 1
            self.overall.release()

    def defer(self, host: str, state: _Host, seconds: float) -> None:
        """No request to `host` for `seconds`."""
        state.next_start = max(state.next_start, time.monotonic() + seconds)

    def pause(self, origin: str, state: _Host, seconds: float) -> None:
        """No request to `origin` for `seconds` (it asked with Retry-After); the host's other
        origins keep their pace."""
        state.paused[origin] = max(state.paused.get(origin, 0.0), time.monotonic() + seconds)

    def sent(self, host: str, state: _Host, sent_at: float, delay: float) -> None:
        """A request left at `sent_at` (time.monotonic): a busy event loop or a new connection
        may have held it after its start was stamped, so the next start waits from here."""
        state.next_start = max(state.next_start, sent_at + delay)


class Coordination(Protocol):
    """What crawler processes on several machines share through their archive (see
    `PostgresArchive`): per-host request slots and next start time, and robots.txt."""

    def take_host(self, host: str, slots: int, delay: float, held: Iterable[int] = ()) -> tuple[int | None, float]: ...
    def release_host_slot(self, host: str, slot: int) -> None: ...
    def defer_host(self, host: str, seconds: float) -> None: ...
    def shared_robots(self, origin: str, max_age: float) -> tuple[int | None, str | None] | None: ...
    def try_robots_lock(self, origin: str) -> bool: ...
    def store_robots(self, origin: str, status: int | None, body: str | None) -> None: ...
    def release_robots_lock(self, origin: str) -> None: ...
    def forget_robots(self, origins: Iterable[str]) -> None: ...


class SharedHostPacing(HostPacing):
    """Politeness across processes: a host's request slots and its next start time live in the
    shared archive, so N workers together keep to one host's delay and concurrency. This
    process's own per-host semaphore comes first, so only its holders poll for a shared slot."""

    def __init__(self, shared: Coordination, concurrency: int = RunSettings.concurrency, poll: float = 0.05) -> None:
        super().__init__(concurrency)
        self.shared = shared
        self._poll = poll

    @asynccontextmanager
    async def slot(self, host: str, state: _Host, delay: float, per_host: int):
        """Nothing is held while waiting: a worker sitting on a host's slot until its own
        in-flight limit lets it go would keep the other workers off that host."""
        shared = self.shared
        assert shared is not None
        async with state.slots:
            while True:
                if state.down:
                    raise _HostDown
                await self.overall.acquire()
                # stamped at the real start: compare-and-set on the server's clock. With every
                # slot taken (other workers' requests), wait for the host's next start if it is
                # still to come, rather than ask again and again
                slot, wait = shared.take_host(host, per_host, delay, state.held)
                if slot is not None and wait == 0:
                    state.held.add(slot)
                    break
                wait = max(wait, self._poll)
                self.overall.release()
                if slot is not None:
                    shared.release_host_slot(host, slot)
                await asyncio.sleep(min(wait, max(self._poll, delay)))
            assert slot is not None         # no slot means a wait: the loop ends holding one
            try:
                with self._under_way():
                    yield
            finally:
                state.held.discard(slot)
                shared.release_host_slot(host, slot)

    def defer(self, host: str, state: _Host, seconds: float) -> None:
        assert self.shared is not None
        self.shared.defer_host(host, seconds)

    def pause(self, origin: str, state: _Host, seconds: float) -> None:
        """Also held in the shared archive, whose pacing rows are per host: the other workers
        keep off the whole host meanwhile."""
        super().pause(origin, state, seconds)
        self.defer(host_of(origin), state, seconds)

    def sent(self, host: str, state: _Host, sent_at: float, delay: float) -> None:
        """Told as the request leaves (in-process exchanges; else when its answer is in): the
        host's shared next start moves to `delay` after the real send, before another worker,
        which only sees the start stamped when the slot was taken, can start early."""
        late = time.monotonic() - sent_at
        if late < delay:
            self.defer(host, state, delay - late)


async def _system_resolver(host: str) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    mime, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset" and val.strip().strip("'\""):
            charset = val.strip().strip("'\"").lower()
    return mime.strip().lower() or None, charset


def _retry_after(value: str | None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP-date), None if absent
    or unparsable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


_DNS_WORDS = ("name or service not known", "nodename nor servname", "name resolution", "no address associated",
              "getaddrinfo", "name does not resolve", "dns lookup failed")


def connect_failure(exc: BaseException) -> str:
    """Why a connection failed, in the words a user acts on: connection refused, DNS lookup
    failed, TLS failed (…), connection reset, network unreachable. Looks through the causes
    (httpx wraps the OSError that says it) and, for an error that crossed from a worker process,
    its message."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    for e in reversed(chain):        # the innermost cause is the most specific
        if isinstance(e, ssl.SSLCertVerificationError):
            return _tls_failure(f"certificate verify failed: {e.verify_message}")
        if isinstance(e, ssl.SSLError):
            return _tls_failure(str(getattr(e, 'reason', None) or e))
        if isinstance(e, socket.gaierror):
            return "DNS lookup failed"
        if isinstance(e, ConnectionRefusedError):
            return "connection refused"
        if isinstance(e, ConnectionResetError):
            return "connection reset"
    text = str(exc) or type(exc).__name__
    low = text.lower()
    if "refused" in low:
        return "connection refused"
    if any(s in low for s in _DNS_WORDS):
        return "DNS lookup failed"
    if low.startswith("tls failed"):
        return text
    if any(s in low for s in ("ssl", "certificate", "tls")):
        return _tls_failure(text)
    if "reset" in low:
        return "connection reset"
    if "unreachable" in low:
        return "network unreachable"
    return text


def _tls_failure(why: str) -> str:
    """A TLS failure; for a certificate that did not verify, what the user can do about it."""
    if "verify" in why.lower():
        why += " (if you trust the site, set verify_tls = false for it)"
    return f"TLS failed: {why}"


def failure_text(result: FetchResult) -> str:
    """A failed fetch in plain words: the detail when known, else the status or the reason."""
    if result.detail:
        return result.detail
    if result.reason == Reason.ROBOTS:
        return "disallowed by robots.txt"
    if result.status is not None and result.status >= 400:
        return f"HTTP {result.status}"
    return result.reason or "ok"


class Fetcher:
    """One per crawl run: holds the HTTP client, per-host pacing, the robots and DNS caches.

    `stats` counts requests made, retries and results by reason, for the run summary.
    """

    def __init__(
        self,
        settings: Settings,
        scope: Scope,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        pacing: HostPacing | None = None,
        exchanger: Callable[..., AsyncGenerator[Any, None]] | None = None,
        exchange_here: Callable[[], bool] | None = None,
    ):
        self.settings = settings
        # a test transport must see the requests, so it keeps them in this process
        self._exchanger = exchanger if transport is None else None
        # asked before each exchange: true makes it on this process's client (the workers are
        # all parsing, and the request would wait for that, holding its host's request slot)
        self._exchange_here = exchange_here
        # a test transport answers in memory: no network stack to warm, and its site must see
        # only the requests the crawl makes
        self._warm = transport is None
        self.scope = scope
        self.stats: Counter[str] = Counter()
        self._resolver = resolver or _system_resolver
        self._pacing = pacing or HostPacing()
        self._client = httpx.AsyncClient(
            transport=transport,
            verify=tls_context(settings.verify_tls),
            timeout=settings.timeout,
            follow_redirects=False,   # each hop is scope-, robots- and address-checked here
            trust_env=False,          # an environment proxy would hide where we connect
            headers={"User-Agent": settings.user_agent,
                     "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"},
            limits=httpx.Limits(max_connections=self._pacing.concurrency,
                                max_keepalive_connections=self._pacing.concurrency),
        )
        self._robots: dict[str, asyncio.Task[Robots]] = {}
        self._addresses: dict[str, str] = {}
        # URL → when its exchange began (its politeness slot held): how long a response has been
        # coming, without the time spent waiting for a slot (the crawler's hold reads it).
        self.exchanging: dict[str, float] = {}

    async def __aenter__(self) -> "Fetcher":
        if self._warm:
            await warm_up(self._client)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for task in self._robots.values():
            task.cancel()
        await asyncio.gather(*self._robots.values(), return_exceptions=True)
        await self._client.aclose()

    # ----------------------------------------------------------------------------- robots

    async def robots(self, url: str) -> Robots:
        """The robots.txt rules of `url`'s origin, fetched once per run and shared by every
        concurrent caller (shielded, so one cancelled caller does not cancel the others)."""
        origin = origin_of(url)
        task = self._robots.get(origin)
        if task is None:
            task = asyncio.ensure_future(self._load_robots(origin))
            self._robots[origin] = task
        return await asyncio.shield(task)

    async def _load_robots(self, origin: str) -> Robots:
        shared = self._pacing.shared
        if shared is None:
            status, text, cause = await self._fetch_robots(origin)
        else:
            status, text, cause = await self._shared_robots(shared, origin)
        robots = Robots.from_response(status, text, self.settings.user_agent)
        if robots.unreachable:
            self.stats[Reason.ROBOTS_UNREACHABLE] += 1
            robots.cause = cause
            log.warning("%s/robots.txt unreachable (%s): nothing of this origin is fetched this run",
                        origin, robots.cause)
        return robots

    async def _fetch_robots(self, origin: str) -> tuple[int | None, str | None, str]:
        """(status, text, what went wrong in plain words) of the origin's robots.txt."""
        result = await self.fetch(origin + "/robots.txt", expect="robots")
        text = result.content.decode("utf-8", "replace") if result.content is not None else None
        status = result.status
        if status is not None and 200 <= status < 300 and result.content is None:
            status, text = None, None   # rules we could not read entirely (too large, a drip): unreachable
        return status, text, failure_text(result)

    async def _shared_robots(self, shared: Coordination, origin: str) -> tuple[int | None, str | None, str]:
        """robots.txt as some worker fetched it: one of them fetches, the others wait for it."""
        while (stored := shared.shared_robots(origin, _SHARED_ROBOTS_AGE)) is None:
            if shared.try_robots_lock(origin):
                try:
                    stored = shared.shared_robots(origin, _SHARED_ROBOTS_AGE)   # stored while we asked?
                    if stored is None:
                        fetched = await self._fetch_robots(origin)
                        shared.store_robots(origin, *fetched[:2])
                        return fetched
                finally:
                    shared.release_robots_lock(origin)
                break
            await asyncio.sleep(0.05)
        status, text = stored
        return status, text, f"{'HTTP ' + str(status) if status else 'no answer'} when another worker asked"

    # ------------------------------------------------------------------------------ fetch

    async def fetch(self, url: str, *, expect: str = "page", etag: str | None = None,
                    last_modified: str | None = None, then: Then | None = None) -> FetchResult:
        """GET `url`, expecting a 'page', 'sitemap', 'robots' or 'attachment' (that decides the
        accepted content types).

        `then(content, url=final URL, http_charset=…)` is run on a received body by the worker
        process that received it, and its result comes back as `processed` instead of the body:
        a page then crosses between processes once, compressed, rather than three times. The
        host's request slot is free again while the worker runs it: politeness limits requests
        in flight, not our parsing, and with one request per host at a time (the default) the
        next request then overlaps this page's parsing. When the request ran in this process
        (no worker, a test transport) or `then` failed, the result has `content` as usual and
        the caller processes it itself; when the worker died or hung over it, reason is
        EXTRACT_ERROR (the body is not asked for again: it may be what killed the worker).

        reason is None on success, else the `Reason` why not (see `scraper.reasons`; SLOW_BODY is
        an answer whose body was still arriving after `timeout`: a drip; HOST_DOWN too many
        failures in a row on that host this run).
        """
        if expect not in _ACCEPTED_TYPES:
            raise ValueError(f"unknown expect {expect!r}")
        started = time.monotonic()
        result = FetchResult(url=url, final_url=url)
        conditional = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        current, visits = url, Counter({urldefrag(url)[0]: 1})
        while True:
            result.final_url = current
            result.reason = await self._refusal(current, expect)
            if result.reason == Reason.ROBOTS_UNREACHABLE:
                result.detail = f"its robots.txt is unreachable: {(await self.robots(current)).cause}"
            if result.reason is None:
                await self._attempts(current, expect, conditional, result, then)
            if result.reason is not None or result.status not in _REDIRECTS:
                break
            try:
                target = urldefrag(urljoin(current, result.headers["location"].strip()))[0]
            except ValueError:            # e.g. 'http://[bad/x': not a URL at all
                result.reason = Reason.BAD_URL
                break
            # A URL seen before is a loop, except one return to it right after a Set-Cookie:
            # WAFs in front of many gov/university sites answer a first visit with a cookie
            # and a redirect to the same URL.
            if visits[target] > 1 or (visits[target] and "set-cookie" not in result.headers):
                result.reason = Reason.REDIRECT_LOOP
                break
            if len(result.redirects) >= self.settings.max_redirects:
                result.reason = Reason.TOO_MANY_REDIRECTS
                break
            visits[target] += 1
            result.redirects.append(target)
            current = target
        result.elapsed = time.monotonic() - started
        self.stats[result.reason or "ok"] += 1
        if then is not None and result.content is not None:
            # A body read here, still to be processed (sent to a worker, ~1 ms with the
            # pickling): a request that waited for the slot just freed goes out first.
            await asyncio.sleep(0)
        return result

    async def _refusal(self, url: str, expect: str) -> Reason | None:
        """Why `url` must not be requested at all, checked before any connection to it."""
        if canonicalize(url) is None:   # not http(s), bad port, unusable host
            return Reason.BAD_URL
        in_scope = (self.scope.allows_host(host_of(url)) if expect == "robots"
                    else self.scope.allows(url))   # robots.txt is needed whatever the patterns say
        if not in_scope:
            return Reason.OFF_SCOPE
        try:
            await self._checked_address(host_of(url))
        except _Refused:
            return Reason.FORBIDDEN_ADDRESS
        except (OSError, ValueError, TimeoutError):
            pass   # DNS trouble: the request itself retries it and reports the failure
        if expect != "robots" and self.settings.respect_robots:
            robots = await self.robots(url)
            if not robots.allowed(url):
                # an unreadable robots.txt forbids the origin for this run only: worth a retry
                return Reason.ROBOTS_UNREACHABLE if robots.unreachable else Reason.ROBOTS
        return None

    async def _attempts(self, url: str, expect: str, conditional: dict[str, str],
                        result: FetchResult, then: Then | None = None) -> None:
        """Request `url` with retries on timeouts, connection errors, 5xx and 429; fill `result`.

        A slow URL has a time budget per run: `max_timeouts` timed-out attempts (over all its
        redirect hops), then it waits for the next run, so one slow page cannot hold its host's
        slot for all the retries. A drip (reason 'slow-body') is not retried this run at all:
        the server did answer, and would drip again.
        """
        s = self.settings
        state = self._host(host_of(url))
        for attempt in range(s.max_retries + 1):
            if state.down:
                result.status, result.reason, result.detail = None, Reason.HOST_DOWN, "host down: it failed repeatedly this run"
                return
            result.attempts += 1
            retry: _Retry | None = _Retry()
            try:
                retry = await self._once(url, expect, conditional, result, then)
            except _Refused:
                result.reason = Reason.FORBIDDEN_ADDRESS
                return
            except _HostDown:
                result.attempts -= 1       # it never went out
                result.status, result.reason = None, Reason.HOST_DOWN
                return
            except (TimeoutError, httpx.TimeoutException):
                result.status, result.reason = None, Reason.TIMEOUT
                result.detail = f"no complete answer within {s.timeout:g}s"
                result.timeouts += 1
                self._no_answer(state, url, result)
                if result.timeouts >= s.max_timeouts:
                    return
            except httpx.DecodingError:
                result.reason = Reason.BAD_ENCODING
                return
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError):
                result.status, result.reason = None, Reason.BAD_URL
                return
            except (httpx.TransportError, OSError) as exc:
                result.status, result.reason, result.detail = None, Reason.CONNECT_ERROR, connect_failure(exc)
                self._no_answer(state, url, result)
            if retry is None or attempt == s.max_retries:
                return
            backoff = s.backoff_base * 2 ** attempt * random.uniform(0.5, 1.5)
            wait = min(s.backoff_max, backoff if retry.after is None else retry.after)
            self.stats["retries"] += 1
            log.info("retrying %s in %.1fs (%s)", url, wait, failure_text(result))
            await asyncio.sleep(wait)

    @staticmethod
    def _no_answer(state: _Host, url: str, result: FetchResult) -> None:
        """Count an attempt the host did not answer; say so once when that makes it down."""
        state.failures += 1
        if state.failures == _HOST_DOWN_AFTER:
            log.warning("host %s is down (%s): its other URLs wait for the next run",
                        host_of(url), failure_text(result))

    async def _once(self, url: str, expect: str, conditional: dict[str, str],
                    result: FetchResult, then: Then | None = None) -> _Retry | None:
        """One request: None when done, a _Retry when worth another try; raises for transport
        failures. The timeout covers the exchange, not the wait for a politeness slot."""
        s = self.settings
        host, origin = host_of(url), origin_of(url)
        state = self._host(host)
        request = await self._build_request(url, expect, conditional)
        await self._paused(state, origin)
        processing = None
        async with self._slot(state, url):
            await self._paused(state, origin)   # a Retry-After may have come while waiting for the slot
            deadline = time.monotonic() + s.timeout     # from the real start, not the slot wait
            self.exchanging[url] = deadline - s.timeout
            try:
                async with asyncio.timeout(s.timeout + _WORKER_GRACE):
                    self.stats["requests"] += 1
                    answer, processing = await self._exchange(
                        request, expect, deadline, partial(then, url=url) if then else None,
                        on_sent=partial(self._pacing.sent, host, state, delay=self._delay(url)))
            finally:
                self.exchanging.pop(url, None)
            if answer.sent_at is not None and not answer.paced:   # keep the next request's distance from the real send
                self._pacing.sent(host, state, answer.sent_at, self._delay(url))
        state.failures = 0   # it answered: not down
        if answer.set_cookies:
            self._keep_cookies(url, answer.set_cookies)
        result.status, result.headers = answer.status, answer.headers
        result.content_type, result.charset = _parse_content_type(answer.headers.get("content-type"))
        status = answer.status
        if status == 429 or status >= 500:
            asked = _retry_after(answer.headers.get("retry-after")) if status in _RETRY_AFTER_STATUSES else None
            result.reason = Reason.http(status)
            if asked is not None and asked > s.backoff_max:
                state.refused.add(origin)
                return None   # the server wants longer than we wait: give up for now
            if asked is not None:
                self._pacing.pause(origin, state, asked)
            return _Retry(asked)
        result.reason, result.content = answer.reason, answer.content
        result.size = answer.size if answer.size is not None else (
            len(answer.content) if answer.content is not None else None)
        if processing is not None:
            await self._processed(result, processing)
        return None

    def _keep_cookies(self, url: str, set_cookies: tuple[str, ...]) -> None:
        """Keep the cookies an answer set, for the requests that follow (`_build_request` sends
        them). WAFs in front of many gov/university sites answer a first visit with a cookie
        and a redirect to the same URL, and serve the page only to a request that brings the
        cookie back. They are taken here, for `url` as the site names it, not by the client
        that made the exchange: that may be a worker's, and it saw the pinned address."""
        answer = httpx.Response(200, headers=[("set-cookie", c) for c in set_cookies],
                                request=httpx.Request("GET", url))
        self._client.cookies.extract_cookies(answer)

    async def _processed(self, result: FetchResult, processing: asyncio.Task) -> None:
        """Fill `result` with what the worker made of the body (see `_exchange`), waited for
        with the host's slot free. A worker that died or hung over it fails the page (reason
        EXTRACT_ERROR), without asking for it again."""
        try:
            async with asyncio.timeout(_PROCESSING_TIMEOUT):
                outcome = await processing
        except TimeoutError:
            outcome = WorkerError(f"it was still being processed after {_PROCESSING_TIMEOUT:g} s")
        if isinstance(outcome, BaseException):
            result.reason, result.detail = Reason.EXTRACT_ERROR, f"a worker process failed on it: {outcome}"
            log.warning("%s: %s", result.final_url, result.detail)
        else:
            result.processed, result.content = outcome

    @staticmethod
    async def _paused(state: _Host, origin: str) -> None:
        """Wait out the pause `origin` asked for; raise _HostDown if it asked for longer than
        this run waits."""
        while True:
            if origin in state.refused:
                raise _HostDown
            pause = state.paused.get(origin, 0.0) - time.monotonic()
            if pause <= 0:
                return
            await asyncio.sleep(pause)

    async def _exchange(self, request: httpx.Request, expect: str, deadline: float,
                        then: Then | None = None, on_sent: Callable[[float], None] | None = None
                        ) -> tuple[Exchange, asyncio.Task | None]:
        """The request/response itself: in a worker process when the crawler gave an
        `exchanger` (and no test transport) and `exchange_here` does not say the workers are all
        parsing, else on this process's client (`then` is then left to the caller, and
        `on_sent` is told the moment the request leaves).

        A worker answers as soon as the body is in, then runs `then` on it: the task returned
        beside the answer brings (what `then` made of it, None), or (None, the body) when
        `then` failed there, or the exception that ended the worker's call."""
        if self._exchanger is not None and not (self._exchange_here is not None and self._exchange_here()):
            stream = self._exchanger(request.method, str(request.url), request.headers.raw,
                                     dict(request.extensions), expect, self.settings.max_bytes, deadline, then,
                                     self.settings.verify_tls)
            try:
                answer = await anext(stream)
            except WorkerError:
                await stream.aclose()     # the worker died under this request: do it here instead
            except BaseException:
                await stream.aclose()
                raise
            else:
                if answer.processing:
                    return answer, asyncio.ensure_future(_last_value(stream))
                await stream.aclose()
                return answer, None
        return await exchange(self._client, request, expect, self.settings.max_bytes, deadline, on_sent), None

    async def _build_request(self, url: str, expect: str, conditional: dict[str, str]) -> httpx.Request:
        headers = {"Accept": _ACCEPT_HEADER[expect], **conditional}
        request = self._client.build_request("GET", url, headers=headers)
        host = request.url.raw_host.decode("ascii")   # IDNA form, as Scope stores hosts
        pinned = await self._checked_address(host)
        if pinned is not None and pinned != host:
            # Connect to the address we checked, not to whatever a second lookup returns
            # (DNS rebinding); Host header and TLS SNI keep naming the site.
            request.headers["Host"] = request.url.netloc.decode("ascii")
            request.url = request.url.copy_with(host=pinned)
            request.extensions["sni_hostname"] = host
        return request

    async def _checked_address(self, host: str) -> str | None:
        """The public address to connect to for `host`, or None to connect by name (hosts the
        user named may be private: an intranet site, the loopback demo). Raises _Refused."""
        if self.scope.is_explicit_host(host):
            return None
        if host in self._addresses:
            if not self._addresses[host]:
                raise _Refused(host)
            return self._addresses[host]
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            async with asyncio.timeout(self.settings.timeout):
                addresses = await self._resolver(host)
        # Every address must be public: a name resolving to [public, private] is an attack.
        if not addresses or not all(is_public_address(a) for a in addresses):
            self._addresses[host] = ""   # remembered, so a trap of links costs one lookup
            raise _Refused(host)
        self._addresses[host] = addresses[0]
        return addresses[0]

    def _delay(self, url: str) -> float:
        """Seconds between two request starts on `url`'s host: max(delay, Crawl-delay)."""
        delay = self.settings.delay
        if self.settings.respect_robots:
            task = self._robots.get(origin_of(url))
            if task is not None and task.done() and not task.cancelled() and task.exception() is None:
                delay = max(delay, task.result().crawl_delay or 0.0)
        return delay

    def _slot(self, state: _Host, url: str):
        """The host's politeness slot (see HostPacing.slot)."""
        return self._pacing.slot(host_of(url), state, self._delay(url), self.settings.per_host_concurrency)

    def _host(self, host: str) -> _Host:
        return self._pacing.get(host, self.settings.per_host_concurrency)


@dataclass
class Exchange:
    """One request's answer before any policy: status, headers and the body when it was
    wanted (2xx of an accepted type within the size cap); `reason` says why there is none."""

    status: int
    headers: dict[str, str]        # lowercase names
    reason: Reason | None = None   # NOT_MODIFIED, http-NNN, NOT_HTML, NOT_XML, TOO_LARGE, SLOW_BODY
    content: bytes | None = None
    sent_at: float | None = None   # time.monotonic() (one clock for all processes of a machine) the request went out
    paced: bool = False            # pacing was told of `sent_at` as the request left (no need to tell it again)
    size: int | None = None        # bytes of the body when it stayed in the worker that received it
    processing: bool = False       # that worker is running `then` on it: see `remote_exchange`
    set_cookies: tuple[str, ...] = ()  # each Set-Cookie as sent (`headers` joins them, unparseably)


async def _last_value(stream: AsyncGenerator[Any, None]) -> Any:
    """The next value of a worker's stream, or the exception that came instead; the stream is
    closed either way."""
    try:
        return await anext(stream)
    except Exception as exc:  # noqa: BLE001 - handed to the caller as a value (see Fetcher._processed)
        return exc
    finally:
        await stream.aclose()


def _reason_before_body(status: int, headers: dict[str, str], expect: str, max_bytes: int) -> Reason | None:
    """Why the body is not worth downloading, judged from the status line and headers."""
    if status == 304:
        return Reason.NOT_MODIFIED
    if status in _REDIRECTS:
        return None if headers.get("location") else Reason.http(status)
    if not 200 <= status < 300:
        return Reason.http(status)
    accepted = _ACCEPTED_TYPES[expect]
    mime, _ = _parse_content_type(headers.get("content-type"))
    if accepted is not None and mime is not None and mime not in accepted:
        return _WRONG_TYPE_REASON[expect]
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        return Reason.TOO_LARGE
    return None


def _raw_location(headers: httpx.Headers) -> str:
    """A Location with non-ASCII bytes, those bytes percent-encoded as they came. Old IIS/ASP
    sites redirect to `/新闻.asp?lb=学校` in GBK, which a decoded header turns into mojibake
    (`/ÐÂÎÅ.asp…`) and a request for another URL; the server's own bytes, escaped, name the
    page it meant whatever its encoding (UTF-8 ones come out as canonicalization makes them)."""
    raw = next(v for k, v in headers.raw if k.lower() == b"location")
    return "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in raw.strip())


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes | None:
    """The body, or None once it passes max_bytes (decoded size, so gzip bombs stop too)."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def exchange(client: httpx.AsyncClient, request: httpx.Request, expect: str, max_bytes: int,
                   deadline: float, on_sent: Callable[[float], None] | None = None) -> Exchange:
    """Send one request and read the body only when it is wanted, all by `deadline`
    (time.monotonic). No answer by then raises TimeoutError; a body still arriving then ends
    the exchange with reason 'slow-body' — the client's timeout is per read, which a server
    sending a byte a second never trips. A page whose bytes are binary is 'not-html' whatever
    its Content-Type said."""
    sent: list[float] = []

    async def trace(event: str, info: dict) -> None:
        if event.endswith("send_request_headers.started"):
            sent.append(time.monotonic())
            if on_sent is not None and len(sent) == 1:
                # pacing learns of the send now, not when the answer is in: another process
                # may take the host's next start meanwhile (see SharedHostPacing.sent)
                on_sent(sent[0])

    request.extensions["trace"] = trace
    async with asyncio.timeout(deadline - time.monotonic()):
        response = await client.send(request, stream=True)
    try:
        headers = {k.lower(): v for k, v in response.headers.items()}
        if not headers.get("location", "").isascii():
            headers["location"] = _raw_location(response.headers)
        reason = _reason_before_body(response.status_code, headers, expect, max_bytes)
        content = None
        if reason is None and response.status_code not in _REDIRECTS:
            try:
                async with asyncio.timeout(deadline - time.monotonic()):
                    content = await _read_capped(response, max_bytes)
                if content is None:
                    reason = Reason.TOO_LARGE
                elif expect == "page" and looks_binary(content):
                    reason, content = Reason.NOT_HTML, None   # an image or archive labelled text/html
            except TimeoutError:
                reason = Reason.SLOW_BODY
        return Exchange(response.status_code, headers, reason, content, sent[0] if sent else None,
                        paced=bool(sent) and on_sent is not None,
                        set_cookies=tuple(response.headers.get_list("set-cookie")))
    finally:
        await response.aclose()


_worker_clients: dict[bool, httpx.AsyncClient] = {}   # by whether it verifies certificates
_warmed = False


# OpenSSL 3 no longer connects to servers without secure renegotiation (RFC 5746) unless told
# to; browsers do, and old government and university servers are often such. Only connecting is
# allowed: a renegotiation they ask for is still refused. (ArchiveBot made the same choice.)
_LEGACY_SERVER_CONNECT = getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)


@functools.cache
def tls_context(verify: bool = True) -> ssl.SSLContext:
    """One TLS context per process and verify mode for every client: each loads the CA bundle
    (~25 ms of CPU), and a run makes a Fetcher per site (40 sites cost a second of CPU before
    the first request, several on a loaded machine, where many worker processes start at once).
    `verify` False accepts any certificate (the site's `verify_tls`)."""
    context = httpx.create_ssl_context(verify=verify, trust_env=False)
    context.options |= _LEGACY_SERVER_CONNECT
    return context


async def warm_up(client: httpx.AsyncClient) -> None:
    """Pay once per process, before any politeness slot is taken, what a process's first
    connection costs (~0.1 s of lazy set-up in the async network stack): spent after a slot's
    start was stamped, it would delay that request towards the next one to the same host.
    A connection attempt to the discard port on this machine, refused at once."""
    global _warmed
    if _warmed:
        return
    _warmed = True
    try:
        await client.get("http://127.0.0.1:9/", timeout=1.0)
    except httpx.HTTPError:
        pass


async def remote_exchange(method: str, url: str, headers: list[tuple[bytes, bytes]], extensions: dict,
                          expect: str, max_bytes: int, deadline: float,
                          then: Then | None = None, verify_tls: bool = True
                          ) -> AsyncGenerator[Exchange | tuple[Any, bytes | None], None]:
    """`exchange` as a worker process runs it (see `scraper.workers`): the crawler built and
    vetted the request (scope, robots, pinned address, pacing); this only performs it, and not
    at all once `deadline` (time.monotonic, shared by processes on one machine) has passed: the
    crawler has given up and freed the host's slot, so a late request would break its pacing.

    Yields the answer as soon as it is in. A body received is then handed to `then` here, and
    only its result goes back (see `Fetcher.fetch`): the answer says `processing`, without its
    content, and a second value follows, (`then`'s result, None), or (None, the body) when
    `then` failed (the crawler's own processing then reports the error)."""
    if deadline <= time.monotonic():
        raise TimeoutError("the crawler gave up on this request before it started")
    client = _worker_clients.get(verify_tls)
    if client is None:
        client = _worker_clients[verify_tls] = httpx.AsyncClient(
            trust_env=False, follow_redirects=False, verify=tls_context(verify_tls),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=32))
        await warm_up(client)
    request = httpx.Request(method, url, headers=headers, extensions=extensions)
    try:
        answer = await exchange(client, request, expect, max_bytes, deadline)
    except httpx.ConnectError as exc:   # its causes do not cross to the crawler: keep what they say
        raise httpx.ConnectError(connect_failure(exc)) from None
    content = answer.content
    if then is None or content is None:
        yield answer
        return
    answer.size, answer.content, answer.processing = len(content), None, True
    yield answer
    try:
        processed = then(content, http_charset=_parse_content_type(answer.headers.get("content-type"))[1])
    except Exception:  # noqa: BLE001 - the body goes back as is: the crawler's own processing reports it
        log.debug("processing in the worker failed; the crawler retries it", exc_info=True)
        yield None, content
    else:
        yield processed, None
