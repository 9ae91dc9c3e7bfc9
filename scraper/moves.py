"""Origins that only send visitors elsewhere, learned while crawling, so their links cost nothing.

Sites move: from http to https, from `x.gov.cn` to `www.x.gov.cn` or back, to a new domain.
Their pages, sitemaps and feeds keep naming the old origin (hard-coded `http://` links in
articles, sitemaps generated before the move), and the old origin answers every such URL with a
redirect to the same path on the new one. Each such link then costs a request for the redirect,
and when the new URL was known already, a second download of a page the crawl holds.

A browser learns this from `Strict-Transport-Security` (it then asks for `https://` without
trying `http://`); a crawler can also learn it from the redirects themselves. An origin whose
URLs redirected to the same path and query on one other origin `evidence` times, and never
answered a page itself, has moved: its URLs found from then on are queued under the new
origin, with no request to the old one. One page the old origin serves itself (not a
redirect) shows that it has not moved after all, and its URLs are asked for there again.
"""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

from .urls import host_of, origin_of

_MAX_AGE = re.compile(r"max-age\s*=\s*\"?(\d+)", re.I)
_SUBDOMAINS = re.compile(r"(?:^|;)\s*includesubdomains\s*(?:;|$)", re.I)


def _rest(url: str) -> str:
    """Path and query: what stays the same when a site moves."""
    parts = urlsplit(url)
    return f"{parts.path or '/'}?{parts.query}"


class OriginMoves:
    """One site's learned moves (per run; a move is learned again in a couple of redirects)."""

    def __init__(self, evidence: int = 2) -> None:
        self.evidence = evidence
        self.moved: dict[str, str] = {}          # old origin → new origin
        self._seen: Counter[tuple[str, str]] = Counter()
        self._serves: set[str] = set()           # origins that answered a page themselves
        self._hsts_domains: set[str] = set()     # hosts whose HSTS covers their subdomains too

    def observe(self, url: str, redirects: list[str], served: bool, headers: dict[str, str]) -> None:
        """A fetch of `url` went through `redirects` (each target in turn); `served`: the last
        of them answered with a page (not a redirect, not an error); `headers` are its answer's."""
        hops = [url, *redirects]
        for old, new in zip(hops, hops[1:]):
            source, target = origin_of(old), origin_of(new)
            if source and target and source != target and _rest(old) == _rest(new) and source not in self._serves:
                self._seen[source, target] += 1
                if self._seen[source, target] >= self.evidence:
                    self.moved[source] = target
        if served:
            final = origin_of(hops[-1])
            self._serves.add(final)
            self.moved.pop(final, None)
            hsts = headers.get("strict-transport-security")
            if final.startswith("https://") and _hsts(hsts):
                plain = "http://" + final[len("https://"):]
                if plain not in self._serves:
                    self.moved[plain] = final    # as browsers do: HTTPS only, from now on
                if _SUBDOMAINS.search(hsts or ""):
                    self._hsts_domains.add(host_of(final))

    def rewrite(self, url: str) -> str:
        """`url` under the origin its own has moved to (itself when it has not)."""
        if not self.moved:
            return url
        origin = origin_of(url)
        target = self.moved.get(origin)
        if target is None and self._hsts_domains and origin.startswith("http://") and origin not in self._serves:
            host = host_of(url)       # HSTS with includeSubDomains: every subdomain over HTTPS too
            if any(host == d or host.endswith("." + d) for d in self._hsts_domains):
                target = "https://" + origin[len("http://"):]
        if target is None or not url.startswith(origin):
            return url
        return target + url[len(origin):]


def _hsts(value: str | None) -> bool:
    """A Strict-Transport-Security header that asks for HTTPS (max-age 0 lifts it)."""
    if not value:
        return False
    m = _MAX_AGE.search(value)
    return m is not None and int(m.group(1)) > 0
