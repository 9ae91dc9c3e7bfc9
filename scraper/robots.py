"""robots.txt rules for one origin, parsed by `protego` (wildcards, `$`, Allow, Crawl-delay)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego


def product_token(user_agent: str) -> str:
    """`scraper/0.1 (news archiver; +https://…)` → `scraper`.

    RFC 9309 matches groups against the product token only; matching the whole header would let
    a group named after any word of the comment (`news`, `archiver`) apply to us.
    """
    m = re.match(r"[A-Za-z0-9_-]+", user_agent.strip())
    return m.group(0) if m else user_agent


@dataclass
class Robots:
    """What one origin's robots.txt lets this crawler do. `unreachable` marks the disallow-all
    stand-in used when the file could not be read (so a run summary can say why)."""

    _parser: Protego | None = None
    _token: str = ""
    _allow_all: bool = True
    crawl_delay: float | None = None
    sitemaps: list[str] = field(default_factory=list)
    unreachable: bool = False
    cause: str | None = None      # why it was unreachable, in plain words

    @classmethod
    def parse(cls, text: str, user_agent: str) -> "Robots":
        parser = Protego.parse(text)
        token = product_token(user_agent)
        delay = parser.crawl_delay(token)
        rate = parser.request_rate(token)  # `Request-rate: 1/5` is a Crawl-delay of 5 s
        if rate and rate.requests:
            delay = max(delay or 0.0, rate.seconds / rate.requests)
        return cls(
            _parser=parser,
            _token=token,
            _allow_all=False,
            crawl_delay=float(delay) if delay else None,
            sitemaps=list(parser.sitemaps),
        )

    @classmethod
    def from_response(cls, status: int | None, text: str | None, user_agent: str) -> "Robots":
        """Rules for an origin from how fetching its robots.txt went (RFC 9309 §2.3.1):

        - 2xx: parse the text (an HTML error page served with 200 simply has no rules);
        - 4xx (404/410/401/403 …): the site publishes no rules → allow all;
        - 3xx left over (a redirect we could not follow within scope): treated like 4xx;
        - 5xx, 429 or no response at all (timeout, DNS, refused): disallow all. The rules
          exist but we could not read them, and an overloaded or failing server is exactly
          the one not to crawl; the next run tries again.
        """
        if status is None or status >= 500 or status == 429:
            return cls(_allow_all=False, unreachable=True)
        if 200 <= status < 300:
            return cls.parse(text or "", user_agent)
        return cls()

    def allowed(self, url: str) -> bool:
        """Whether the rules let us fetch `url`; False for a string that is no URL at all
        (nothing could fetch it, and the parser must not be the one to raise)."""
        try:
            if urlsplit(url).path == "/robots.txt":
                return True
            if self._parser is None:
                return self._allow_all
            return self._parser.can_fetch(url, self._token)
        except ValueError:
            return False
