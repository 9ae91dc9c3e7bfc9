"""URL identity and the crawl's boundaries: canonical form, scope, address check, trap limits.

The canonical URL is the key of a page in the archive, so every rule here is a general one that
recurs across CMSs (VSB/博达 `index.htm`, TRS `./P020…` relative links, portals' `spm`/`from`
tracking parameters) and never depends on a particular site.
"""
from __future__ import annotations

import ipaddress
import re
from collections import OrderedDict
from collections.abc import Iterable, Set
from functools import lru_cache
from urllib.parse import unquote_plus, urljoin, urlsplit

import idna

from scraper.settings import Settings

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Directory index documents: `/news/index.htm` and `/news/` are one page on every common server.
# `;jsessionid=…` path parameter of Java servlet CMSs (TRS, 大汉 JCMS) running without cookies.
_SESSION_PATH_RE = re.compile(r";jsessionid=[^/?#]*", re.IGNORECASE)
_INDEX_RE = re.compile(r"/(?:index\.s?html?|default\.html?)$", re.IGNORECASE)

# Query parameters that only say where a click came from. `from`/`spm` are the portals' own
# (Sina, Sohu, NetEase, Alibaba), the share/`scene`/`clicktime` family is added by WeChat/Weibo
# share sheets; none of them changes the page served.
_TRACKING_PARAMS = frozenset(
    {
        "spm", "spm_id_from", "from", "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid",
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "vd_source", "share_token", "share_from",
        "sharefrom", "share_source", "share_medium", "sharer_sharetime", "sharer_shareid",
        "isappinstalled", "wxfrom", "nsukey", "clicktime", "enterid", "scene", "tt_from",
        "tt_medium",
        # Session ids (Java/PHP CMSs add them when cookies are off): one page, endless URLs.
        "jsessionid", "phpsessid",
    }
)
_TRACKING_PREFIXES = ("utm_",)

# RFC 3986 unreserved characters: a %XX escape of one of these means the same as the character.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT_RE = re.compile(r"%([0-9A-Fa-f]{2})")
# Characters left as they are in a path/query (reserved + unreserved + '%', re-checked below).
_SAFE_PATH = frozenset("!$&'()*+,;=:@/") | _UNRESERVED
_SAFE_QUERY = _SAFE_PATH | frozenset("?")
# What `_normalise_escapes` rewrites: an escape, or a character not kept as it is (a stray '%'
# among them). One substitution skips the runs of plain characters in C; a loop per character
# was a third of the cost of canonicalizing a link, and links that miss `canonicalize`'s cache
# are mostly new articles, often with escaped Chinese in their path.
_SAFE_CLASS = {safe: re.escape("".join(sorted(safe))) for safe in (_SAFE_PATH, _SAFE_QUERY)}
_TO_REWRITE = {safe: re.compile(rf"%([0-9A-Fa-f]{{2}})|[^{chars}]") for safe, chars in _SAFE_CLASS.items()}


def _kept_escape() -> str:
    """The escapes `_rewrite` gives back as they are: upper-case hex of a character that is not
    unreserved (`%E4`, `%3A`), as a pattern (one alternative per first digit)."""
    seconds: dict[str, str] = {}
    for byte in range(256):
        digits = f"{byte:02X}"
        if chr(byte) not in _UNRESERVED:
            seconds[digits[0]] = seconds.get(digits[0], "") + digits[1]
    return "%(?:" + "|".join(f"{first}[{rest}]" for first, rest in seconds.items()) + ")"


# Text `_normalise_escapes` leaves as it is: kept characters and kept escapes. Escaped Chinese
# (`/%E6%96%B0%E9%97%BB/`) is most of what is not plain, and it went through one Python call
# per escape to come out the same. (Possessive: a '%' never starts a run of kept characters.)
_AS_IS = {safe: re.compile(f"[{chars}]*+(?:{_kept_escape()}[{chars}]*+)*+") for safe, chars in _SAFE_CLASS.items()}
_HOST_RE = re.compile(r"^[a-z0-9_\-.]+$")
URL_NOISE = re.compile(r"[\t\r\n]")     # browsers (and urljoin) drop these inside URLs
# A web URL whose host urlsplit would give as it stands (lower case, no userinfo, no brackets,
# nothing it strips or drops): `host_of` reads it without urlsplit, a third of the cost of
# checking a link against the scope (canonical URLs all have this form).
_SIMPLE_HOST = re.compile(r"https?://([a-z0-9_.-]+)(?::\d*)?(?:[/?#]|\Z)")
# The same, whole, for `_split`: scheme, host, ASCII port, path, query (the fragment dropped).
_PLAIN_URL = re.compile(r"(https?)://([a-z0-9_.-]+)(?::([0-9]*))?(/[^?#]*)?(?:\?([^#]*))?(?:#.*)?", re.S)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # DNS64 synthesises these from v4 addresses


def _normalise_escapes(text: str, safe: frozenset[str]) -> str:
    """Decode escapes of unreserved characters, upper-case the rest, encode what must be.

    Non-ASCII text is encoded as UTF-8, as browsers do for paths; a stray '%' becomes '%25'.
    """
    if _AS_IS[safe].fullmatch(text):
        return text                     # most paths and parameters: quicker told than substituted
    return _TO_REWRITE[safe].sub(_rewrite, text)


def _rewrite(m: re.Match) -> str:
    """The replacement of one `_TO_REWRITE` match."""
    digits = m.group(1)
    if digits is not None:
        decoded = chr(int(digits, 16))
        return decoded if decoded in _UNRESERVED else "%" + digits.upper()
    ch = m.group()
    return "%25" if ch == "%" else "".join(f"%{b:02X}" for b in ch.encode("utf-8"))


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, for absolute URLs that arrive with `/a/../b` already in them."""
    if "/." not in path and path.startswith("/"):
        return path                     # no dot segment: the split and join below give it back
    segments = path.split("/")
    out: list[str] = []
    for seg in segments[1:]:
        if seg == "..":
            if out:
                out.pop()
        elif seg != ".":
            out.append(seg)
    trailing = segments[-1] in (".", "..")
    return "/" + "/".join(out) + ("/" if trailing and out else "")


@lru_cache(maxsize=1024)
def _canonical_host(host: str) -> str | None:
    """`host` lower-cased, IDNA-encoded, without a trailing dot (an IPv6 literal compressed and
    bracketed), or None when it is no valid host. Kept across pages: each link in scope asks it
    two or three times (discovery's scope test, `canonicalize`, `Scope.allows`) of the same
    few hosts of a site."""
    host = host.strip().rstrip(".").lower()
    if not host:
        return None
    if ":" in host:  # IPv6 literal (urlsplit already removed the brackets)
        try:
            return f"[{ipaddress.IPv6Address(host.split('%')[0]).compressed}]"
        except ValueError:
            return None
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            return None
    return host if _HOST_RE.match(host) and ".." not in host else None


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def _canonical_query(query: str) -> str:
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        name = part.split("=", 1)[0]
        if _is_tracking(_PCT_RE.sub(lambda m: chr(int(m.group(1), 16)), name)):
            continue
        pairs.append(_normalise_escapes(part, _SAFE_QUERY))
    return "&".join(sorted(pairs))


# Menus and footers repeat the same links on every page of a site: a few thousand entries hold
# them. Every article URL passes through here too, each a new entry, so the cache's size is what
# it costs for good: 65,536 entries grew the crawler and each worker by ~20 MB over 20k articles.
CANONICAL_CACHE = 4096


@lru_cache(maxsize=CANONICAL_CACHE)
def canonicalize(url: str, base: str | None = None) -> str | None:
    """Absolute, canonical form used as the identity of a page, or None when the URL is not
    http(s) (javascript:, mailto:, tel:, data:) or is malformed.

    Lowercase scheme/host, IDNA host, default port dropped, fragment dropped, dot-segments
    resolved, percent-encoding normalised, trailing index document dropped, query parameters
    sorted, tracking and session parameters removed.
    """
    if not isinstance(url, str):
        return None
    url = url.strip()
    if "\t" in url or "\r" in url or "\n" in url:
        url = URL_NOISE.sub("", url)    # wrapped href attributes
    if "\\" in url:
        before_query, sep, query = url.partition("?")
        url = before_query.replace("\\", "/") + sep + query   # as browsers do: `\` is `/` in a path
    try:
        if base:
            url = urljoin(base, url)
    except ValueError:
        return None
    split = _split(url)
    if split is None:
        return None
    scheme, hostname, port, path, query = split
    if scheme not in _DEFAULT_PORTS or hostname is None:
        return None
    host = _canonical_host(hostname)
    if host is None:
        return None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _SESSION_PATH_RE.sub("", path) or "/"
    path = _remove_dot_segments(_normalise_escapes(path, _SAFE_PATH))
    path = _INDEX_RE.sub("/", path)
    query = _canonical_query(query)
    # what urlunsplit makes of these parts (a netloc, a path starting with '/'), without its
    # argument coercion: a tenth of the cost of a URL new to the cache
    return f"{scheme}://{netloc}{path}?{query}" if query else f"{scheme}://{netloc}{path}"


def _split(url: str) -> tuple[str, str | None, int | None, str, str] | None:
    """(scheme lower-cased, hostname, port, path, query) as urlsplit gives them; None where it
    raises. A plain web URL (`_PLAIN_URL`) is read with one regex: urlsplit and its `port` and
    `hostname` were a third of the cost of a URL new to `canonicalize`'s cache."""
    plain = _PLAIN_URL.fullmatch(url)
    if plain is not None:
        scheme, host, port, path, query = plain.groups()
        number = int(port) if port else None
        if number is not None and number > 65535:
            return None                 # urlsplit's "Port out of range"
        return scheme, host, number, path or "", query or ""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), parts.hostname, parts.port, parts.path, parts.query
    except ValueError:
        return None


def not_http(url: str) -> str:
    """Why `url` cannot start a crawl, said so that a user who typed the host alone (as in a
    browser's address bar) sees what to write."""
    if "://" not in url and (head := url.split("/", 1)[0]) and "." in head and " " not in head:
        return f"not an http(s) URL: {url!r} (did you mean 'https://{url}' or 'http://{url}'?)"
    return f"not an http(s) URL: {url!r}"


def host_of(url: str) -> str:
    """Lowercase host without port ('' if none or unparsable)."""
    simple = _SIMPLE_HOST.match(url)
    if simple is not None:
        return _canonical_host(simple.group(1)) or ""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return (_canonical_host(host) or "").strip("[]")


def origin_of(url: str) -> str:
    """'scheme://host[:port]' with the port kept only when non-default: the unit of robots.txt.
    '' for a URL too malformed to have one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    host = _canonical_host(parts.hostname or "") or ""
    return f"{scheme}://{host}" + ("" if port in (None, _DEFAULT_PORTS.get(scheme)) else f":{port}")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


_PSL = None


def registered_domain(host: str) -> str | None:
    """The registrable domain of a host (`news.sxmu.edu.cn` → `sxmu.edu.cn`), None for IPs
    and single-label hosts. Uses the public suffix list bundled with tldextract, never fetched."""
    global _PSL
    if _PSL is None:
        import tldextract

        _PSL = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return _PSL(host).top_domain_under_public_suffix or None


def _explicit_port(url: str) -> int | None:
    """The port a URL names when it is not its scheme's default (None otherwise or if bad)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    return None if port == _DEFAULT_PORTS.get(parts.scheme.lower()) else port


def _twin(host: str) -> str:
    """`www.example.cn` ↔ `example.cn`: sites link to both and users name either."""
    return host[4:] if host.startswith("www.") else f"www.{host}"


class Scope:
    """Which URLs may ever be requested: the start URLs' hosts (and their www./bare twin),
    plus allow_hosts; allow_patterns (regex, if any must match) and deny_patterns (regex).

    An allow_hosts entry starting with '*.' or '.' admits every subdomain of what follows, so
    a site config can name a family of hosts (`*.people.com.cn`) once. A start URL with a
    non-default port pins its host to the ports named that way: two services on one host
    (`host:8080` news, `host:8081` another site) are different sites. Patterns are searched
    in the URL as passed — the crawler passes canonical URLs, where Chinese path text is
    percent-encoded UTF-8, so write such patterns encoded or match on ASCII parts.
    """

    def __init__(
        self,
        start_urls: Iterable[str],
        allow_hosts: Iterable[str] = (),
        allow_patterns: Iterable[str] = (),
        deny_patterns: Iterable[str] = (),
    ):
        start_urls = list(start_urls)
        start_hosts = {host_of(u) for u in start_urls} - {""}
        self._explicit: set[str] = set(start_hosts)
        self._ports: dict[str, set[int]] = {}
        for url in start_urls:
            port = _explicit_port(url)
            if port is not None:
                self._ports.setdefault(host_of(url), set()).add(port)
        self._suffixes: list[str] = []
        for h in allow_hosts:
            h = h.strip().lower()
            if h.startswith(("*.", ".")):
                bare = h.lstrip("*.")
                self._suffixes.append("." + (_canonical_host(bare) or bare))
            elif h:
                self._explicit.add(_canonical_host(h) or h)
        self._hosts = self._explicit | {_twin(h) for h in start_hosts if not _is_ip(h)}
        self._allow = [re.compile(p) for p in allow_patterns]
        self._deny = [re.compile(p) for p in deny_patterns]

    def allows_host(self, host: str) -> bool:
        host = host.lower()
        return host in self._hosts or any(
            host.endswith(s) or host == s[1:] for s in self._suffixes
        )

    def allows(self, url: str) -> bool:
        if not url.lower().startswith(("http://", "https://")):
            return False
        host = host_of(url)
        if not self.allows_host(host):
            return False
        if host in self._ports and _explicit_port(url) not in self._ports[host]:
            return False
        if self._allow and not any(p.search(url) for p in self._allow):
            return False
        return not any(p.search(url) for p in self._deny)

    def is_explicit_host(self, host: str) -> bool:
        """True when the user named this exact host (start URL or allow_hosts): only such
        hosts may resolve to private addresses (an intranet site, the loopback demo)."""
        return host.lower() in self._explicit


def is_public_address(ip: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved, unspecified and shared
    (CGNAT) addresses, v4 and v6 (v4-mapped/6to4/NAT64 forms judged by the embedded v4).

    Link targets are attacker-controlled: a page may point at 169.254.169.254 or a router's
    admin page, and a crawler must not become a proxy into the network it runs in.
    """
    try:
        addr = ipaddress.ip_address(ip.split("%")[0].strip("[]"))
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = addr.ipv4_mapped or addr.sixtofour
        if embedded is None and addr in _NAT64:
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(str(embedded))
    return addr.is_global and not (
        addr.is_multicast or addr.is_reserved or addr.is_unspecified
        or addr.is_loopback or addr.is_link_local or addr.is_private
    )



def _mask_digits(text: str) -> str:
    return re.sub(r"\d+", "#", text)


class TrapGuard:
    """Bounds crawler traps: link depth, path segment count, repeated path segments
    (/a/b/a/b/), per-pattern counts (digits masked: /cal/2023/11/05 → /cal/#/#/#) and per-path
    query variants (distinct digit-masked queries, so `?id=1…?id=9999` is one variant but
    endless `?sort=…&filter=…` permutations are not).

    Call `admit` once per URL new to the frontier: counts are of distinct URLs. The count
    tables hold at most `max_keys` patterns (oldest forgotten first), so memory stays flat.
    """

    def __init__(self, settings: Settings, max_keys: int = 100_000):
        self._s = settings
        self._max_keys = max_keys
        self._pattern_counts: OrderedDict[str, int] = OrderedDict()
        self._query_variants: OrderedDict[str, set[str]] = OrderedDict()

    def admit(self, url: str, depth: int) -> str | None:
        """None when the URL may enter the frontier, else the reason word: 'depth',
        'deep-path', 'repeated-path', 'query-variants' or 'pattern-limit'."""
        s = self._s
        if depth > s.max_depth:
            return "depth"
        parts = urlsplit(url)
        segments = [seg for seg in parts.path.split("/") if seg]
        if len(segments) > s.max_path_segments:
            return "deep-path"
        if _has_repetition(segments):
            return "repeated-path"
        host = (parts.hostname or "").lower()
        pattern = f"{host}{_mask_digits(parts.path)}"
        if parts.query:
            masked_query = _mask_digits(parts.query)
            variants = self._touch(self._query_variants, f"{host}{parts.path}", set)
            if masked_query not in variants:
                if len(variants) >= s.max_query_variants:
                    return "query-variants"
                variants.add(masked_query)
            pattern += "?" + masked_query
        count = self._touch(self._pattern_counts, pattern, int)
        if count >= s.max_per_pattern:
            return "pattern-limit"
        self._pattern_counts[pattern] = count + 1
        return None

    def _touch(self, table: OrderedDict, key: str, factory):
        """Fetch (creating) a table entry, marking it recent and evicting the oldest."""
        if key in table:
            table.move_to_end(key)
        else:
            table[key] = factory()
            if len(table) > self._max_keys:
                table.popitem(last=False)
        return table[key]


def _has_repetition(segments: list[str]) -> bool:
    """/a/b/a/b/ (a block of ≥2 segments twice in a row) or /x/x/x/ (one segment three times):
    relative links resolved against the wrong base produce these without end. A date such as
    /2023/11/11/ repeats a segment only twice, so it passes."""
    n = len(segments)
    for size in range(1, n // 2 + 1):
        needed = 3 if size == 1 else 2
        for start in range(0, n - size * needed + 1):
            block = segments[start : start + size]
            if all(segments[start + k * size : start + (k + 1) * size] == block for k in range(needed)):
                return True
    return False


def strip_params(url: str, names: Set[str]) -> str:
    """`url` without the query parameters `names` (as it is when it has none of them); a
    `name=value` among them strips that parameter at that value only (`page=1`: the first
    page is the page itself, `page=2` another one)."""
    if not names or "?" not in url:
        return url
    head, _, rest = url.partition("?")
    query, hash_, fragment = rest.partition("#")
    pairs = [p for p in query.split("&") if p]
    kept = [p for p in pairs if p not in names and unquote_plus(p.partition("=")[0]) not in names]
    if len(kept) == len(pairs):
        return url
    return head + ("?" + "&".join(kept) if kept else "") + hash_ + fragment
