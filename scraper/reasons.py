"""Why a URL gave no page: the one vocabulary of failure reasons.

Fetching, sitemap parsing and the crawler name their failures with these; the archive stores
the value strings (`pages.reason`, `frontier.reason`), `scraper stats` counts them, and the
frontier decides from `retryable` and `skip` what the next run asks again. An HTTP error status
is `http-NNN` (any status: `Reason("http-418")` works); 429 and the 5xx a server recovers from
are listed so that they can be retried.
"""
from __future__ import annotations

import re
from enum import StrEnum
from typing import cast

_HTTP = re.compile(r"http-\d{3}")


class Reason(StrEnum):
    """A reason word. Members are strings (`Reason.TIMEOUT == "timeout"`), so stored data and
    comparisons with plain strings keep working."""

    retryable: bool
    skip: bool

    def __new__(cls, value: str, retryable: bool = False, skip: bool = False) -> Reason:
        member = str.__new__(cls, value)
        member._value_ = value
        member.retryable = retryable      # worth another try on the next run (the server may be back)
        member.skip = skip                # "not for us" rather than "went wrong": skipped, never retried
        return member

    # -- refused before any request ------------------------------------------------------------
    ROBOTS = "robots", False, True                    # robots.txt disallows it (checked again every run)
    ROBOTS_UNREACHABLE = "robots-unreachable", True   # robots.txt could not be read: ask later
    OFF_SCOPE = "off-scope", False, True              # outside the site (also a redirect target)
    FORBIDDEN_ADDRESS = "forbidden-address", False, True   # private/link-local address not asked for
    BAD_URL = "bad-url", False, True                  # not a fetchable URL (also a bad redirect)
    # -- the exchange --------------------------------------------------------------------------
    TIMEOUT = "timeout", True                         # no answer within the timeout
    CONNECT_ERROR = "connect-error", True             # refused, reset, DNS, TLS
    HOST_DOWN = "host-down", True                     # too many failures in a row on that host this run
    SLOW_BODY = "slow-body", True                     # the body was still dripping in after the timeout
    TOO_LARGE = "too-large"                           # over the size cap (page, sitemap or gunzipped)
    NOT_HTML = "not-html", False, True                # a page that is not HTML (a PDF, an image)
    NOT_XML = "not-xml", False, True                  # a sitemap URL that serves something else
    BAD_ENCODING = "bad-encoding"                     # a Content-Encoding that cannot be decoded
    REDIRECT_LOOP = "redirect-loop"
    TOO_MANY_REDIRECTS = "too-many-redirects"
    NOT_MODIFIED = "not-modified"                     # 304 to a conditional GET: not a failure
    HTTP_429 = "http-429", True
    HTTP_500 = "http-500", True
    HTTP_502 = "http-502", True
    HTTP_503 = "http-503", True
    HTTP_504 = "http-504", True
    # -- after the fetch -----------------------------------------------------------------------
    EXTRACT_ERROR = "extract-error", True             # parsing failed in (or with) a worker process
    INTERNAL_ERROR = "internal-error", True           # a bug met on this page; the others went on
    LOW_YIELD = "low-yield", False, True              # its URL pattern stopped yielding articles (a trap)
    ALIAS = "alias", False, True                      # a print/mobile/AMP view of a stored article: its alias
    MOVED = "moved", False, True                      # queued under the URL the site serves it at (a moved origin, an idle parameter)
    # -- sitemaps (what could be read before the problem is still used) --------------------------
    EMPTY = "empty"
    TRUNCATED = "truncated"
    NOT_A_SITEMAP = "not-a-sitemap"
    HTML_ERROR_PAGE = "html-error-page"               # an HTML page served where a sitemap should be
    GZIP_ERROR = "gzip-error"
    TOO_MANY_URLS = "too-many-urls"
    XML_ENTITIES = "xml-entities"                     # declares DTD entities (bomb, XXE): read without them

    @property
    def next_run(self) -> str:
        """What the next run does with a URL that failed for this reason (start URLs and
        sitemaps, the hubs, are asked again whatever the reason)."""
        if self.retryable:
            return "retried"
        if self is Reason.ROBOTS:
            return "checked again"
        return "skipped" if self.skip else "given up"

    @classmethod
    def http(cls, status: int) -> Reason:
        """The reason for an HTTP error status."""
        return cls(f"http-{status}")

    @classmethod
    def _missing_(cls, value: object) -> Reason | None:
        """`http-NNN` for statuses without a member of their own (final, not retried)."""
        if isinstance(value, str) and _HTTP.fullmatch(value):
            member = str.__new__(cls, value)
            member._name_ = value.upper().replace("-", "_")
            member._value_ = value
            member.retryable = member.skip = False
            return cast("Reason", cls._value2member_map_.setdefault(value, member))
        return None


RETRYABLE: tuple[Reason, ...] = tuple(r for r in Reason if r.retryable)
