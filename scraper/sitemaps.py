"""Sitemaps, sitemap indexes, text sitemaps and RSS/Atom feeds: bytes in, URLs (with dates) out.

Pure functions, no I/O, so every parser is tested with bytes. The format is chosen by sniffing
the content, never by the file name or the Content-Type: servers lie both ways (gzip served
as ``text/xml``, XML served as ``text/html``, HTML error pages served with status 200).

A broken file is reported in ``Sitemap.error`` and yields what could be read before the break;
it never raises, because one bad sitemap must not stop a crawl.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree

from .reasons import Reason

MAX_URLS = 50_000                     # the protocol's limit per file
MAX_BYTES = 50 * 1024 * 1024          # the protocol's limit per (uncompressed) file
_CHUNK = 64 * 1024

# Where a sitemap is guessed when neither robots.txt nor the home page names one: the two
# locations most sites that have one use, asked in order until one answers. Guessing more (.gz,
# .txt, feeds…) cost a site without a sitemap a request per guess and found what its links
# reveal anyway.
SITEMAP_FALLBACKS: tuple[str, ...] = ("/sitemap.xml", "/sitemap_index.xml")


@dataclass
class SitemapEntry:
    url: str                        # absolute
    lastmod: str | None = None      # ISO 8601, normalised: '2023-11-05' or '2023-11-05T10:30:00+08:00'
    news_date: str | None = None    # Google News news:publication_date, normalised the same way
    title: str | None = None        # news:title / RSS item title / Atom entry title


@dataclass
class Sitemap:
    url: str
    format: str                     # 'urlset' | 'index' | 'text' | 'rss' | 'atom' | 'invalid'
    entries: list[SitemapEntry] = field(default_factory=list)   # pages
    children: list[SitemapEntry] = field(default_factory=list)  # child sitemaps of an index
    error: Reason | None = None     # TRUNCATED, NOT_A_SITEMAP, HTML_ERROR_PAGE, EMPTY, GZIP_ERROR,
                                    # TOO_LARGE, TOO_MANY_URLS, XML_ENTITIES


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)                    # sitemaps repeat the same lastmod many times
def normalize_date(value: str | None) -> str | None:
    """W3C/ISO 8601 or RFC 822 (RSS) → '2023-11-05' or '2023-11-05T10:30:00+08:00'.

    The time zone is kept as given (none stays none): converting would invent information.
    Unparseable or impossible dates give None rather than a string the crawler cannot compare.
    """
    if not value:
        return None
    value = value.strip()
    m = _ISO_RE.match(value)
    if m:
        return _format_iso(*m.groups())
    try:
        dt = parsedate_to_datetime(value)           # 'Sun, 05 Nov 2023 10:30:00 +0800'
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return dt.isoformat(timespec="seconds")


def _format_iso(y, mo, d, h, mi, s, tz) -> str | None:
    try:
        if mo is None:
            return y if 1900 <= int(y) <= 2100 else None
        if d is None:
            datetime(int(y), int(mo), 1)
            return f"{y}-{int(mo):02d}"
        dt = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    except ValueError:
        return None
    if not 1900 <= dt.year <= 2100:
        return None
    if h is None:
        return dt.date().isoformat()
    text = dt.isoformat(timespec="seconds")
    if tz:
        minutes = tz[3:].lstrip(":") or "00"          # '+08' means '+08:00'
        text += "+00:00" if tz.upper() == "Z" else f"{tz[:3]}:{minutes}"
    return text


# ---------------------------------------------------------------------------------------------
# One handler per XML format: which element is an item, and how an item becomes an entry
# ---------------------------------------------------------------------------------------------

_LOCAL_NAMES: dict[str, str] = {}


def _local(tag) -> str:
    """'{namespace}Name' → 'name'. Memoised: a sitemap repeats a handful of tags 50,000 times."""
    if not isinstance(tag, str):            # comments, processing instructions
        return ""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = _LOCAL_NAMES[tag] = tag.rpartition("}")[2].lower()
    return name


def _child_text(el, *names: str) -> str | None:
    """Text of the first child named ``names[0]``, else ``names[1]``… (namespace-agnostic,
    because sitemaps in the wild use every prefix and none). Children only: an image
    sitemap's ``image:loc`` must not stand in for the page's ``loc``."""
    for name in names:                      # in order of preference
        for node in el:
            if _local(node.tag) == name and node.text and node.text.strip():
                return node.text.strip()
    return None


def _urlset_entry(el) -> SitemapEntry | None:
    loc = lastmod = news = None
    for child in el:                        # one pass: this runs 50,000 times per file
        name = _local(child.tag)
        if name == "loc":
            loc = child.text
        elif name == "lastmod":
            lastmod = child.text
        elif name == "news":
            news = child
    if not loc or not loc.strip():
        return None
    return SitemapEntry(
        url=loc,
        lastmod=normalize_date(lastmod),
        news_date=normalize_date(_child_text(news, "publication_date")) if news is not None else None,
        title=_child_text(news, "title") if news is not None else None,
    )


def _index_entry(el) -> SitemapEntry | None:
    loc = _child_text(el, "loc")
    return SitemapEntry(url=loc, lastmod=normalize_date(_child_text(el, "lastmod"))) if loc else None


def _rss_entry(el) -> SitemapEntry | None:
    link = None
    for node in el:
        name = _local(node.tag)
        if name == "link" and (node.text or "").strip():
            link = node.text.strip()
            break
        if name == "link" and node.get("href"):      # atom:link inside an RSS item
            link = node.get("href")
            break
    if link is None:
        guid = next((n for n in el if _local(n.tag) == "guid"), None)
        if guid is not None and guid.get("isPermaLink", "true") != "false" and guid.text:
            link = guid.text.strip()
    if not link:
        return None
    date = _child_text(el, "pubdate", "date", "updated")   # RSS 2.0, RSS 1.0 (dc:date)
    return SitemapEntry(url=link, lastmod=normalize_date(date), title=_child_text(el, "title"))


def _atom_entry(el) -> SitemapEntry | None:
    links = [n for n in el if _local(n.tag) == "link" and n.get("href")]
    chosen = next((n for n in links if n.get("rel", "alternate") == "alternate"), None)
    if chosen is None:
        return None
    return SitemapEntry(
        url=chosen.get("href"),
        lastmod=normalize_date(_child_text(el, "updated", "published")),
        title=_child_text(el, "title"),
    )


# root local name → (format, item local name, item parser, is_index)
_XML_FORMATS = {
    "urlset": ("urlset", "url", _urlset_entry, False),
    "sitemapindex": ("index", "sitemap", _index_entry, True),
    "rss": ("rss", "item", _rss_entry, False),
    "rdf": ("rss", "item", _rss_entry, False),
    "feed": ("atom", "entry", _atom_entry, False),
}


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------

_HTML_START_RE = re.compile(rb"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
                            re.IGNORECASE | re.DOTALL)
_XML_START_RE = re.compile(rb"<\?xml\b|<(?:[\w.-]+:)?(?:urlset|sitemapindex|rss|feed|rdf)\b", re.IGNORECASE)
_ENCODING_DECL_RE = re.compile(r"""encoding\s*=\s*["'][^"']*["']""")
# Roots that mean an HTML page (often a fragment without <html>) came instead of a sitemap.
_HTML_ROOTS = frozenset("html head body meta title script style link div p table center h1 br".split())
# A bare '&' (not starting an entity) is the most common defect of hand-made sitemaps;
# lxml's recover mode would silently cut the URL at it.
# Sitemaps never need a DTD's entities; files declaring some are entity-expansion bombs or XXE
# probes. They are never expanded nor fetched (see _xml_parser); the file is read without them
# and flagged, so `stats` says why its URLs look odd or are missing.
_ENTITY_DECL_RE = re.compile(rb"<!ENTITY", re.IGNORECASE)
_PROLOG_BYTES = 64 * 1024
# Control bytes XML forbids: recover mode would silently drop them, joining 'http://a.cn/\x1bx'
# into a URL nobody wrote. As DEL (which XML allows) they reach `_absolute`, which refuses the loc.
_XML_FORBIDDEN = bytes.maketrans(bytes([*range(0, 9), 11, 12, *range(14, 32)]), b"\x7f" * 29)
_BARE_AMP_RE = re.compile(rb"&(?!(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)")


def parse_sitemap(data: bytes, url: str, content_type: str | None = None,
                  max_urls: int = MAX_URLS, max_bytes: int = MAX_BYTES) -> Sitemap:
    """Parse one fetched sitemap/feed. Never raises.

    Gzip is detected by its magic bytes. A truncated document keeps the entries completed
    before the break and reports 'truncated'. XML entities are never expanded ('xml-entities'). An HTML page served in place of a sitemap is
    'invalid'. Relative locs are resolved against ``url``; non-http(s) locs are dropped; at
    most ``max_urls`` entries are kept. ``content_type`` is only a hint for the error reason.
    """
    error = None
    for _ in range(2):                      # a .gz served with Content-Encoding: gzip arrives twice packed
        if data[:2] != b"\x1f\x8b" or error:
            break
        data, error = _gunzip(data, max_bytes)
        if error == Reason.GZIP_ERROR and not data:
            return Sitemap(url, "invalid", error=error)
    data = _utf16_to_utf8(data)
    if len(data) > max_bytes:
        data, error = data[:max_bytes], Reason.TOO_LARGE
    body = data.lstrip(b"\xef\xbb\xbf \t\r\n\x00")
    if not body:                            # nothing but padding: a gzip bomb of zeros is too-large
        return Sitemap(url, "invalid", error=error or Reason.EMPTY)
    if body[:8].lower().startswith((b"http://", b"https://")):
        if error:                           # the last line may be a URL cut in half
            body = body[:body.rfind(b"\n") + 1]
        sitemap = _parse_text(body, url, max_urls)
    elif _HTML_START_RE.match(body[:4096]):
        return Sitemap(url, "invalid", error=Reason.HTML_ERROR_PAGE)
    elif (body := _skip_preamble(body))[:1] == b"<":
        sitemap = _parse_xml(body, url, max_urls)
    else:
        html = bool(content_type and "html" in content_type.lower())
        return Sitemap(url, "invalid", error=Reason.HTML_ERROR_PAGE if html else Reason.NOT_A_SITEMAP)
    # A damaged gzip stream or an oversize body explains a truncation better than 'truncated'.
    if error and sitemap.format != "invalid":
        sitemap.error = error
    return sitemap


def _skip_preamble(body: bytes) -> bytes:
    """Drop junk before the XML (PHP notices, a stray line a plugin printed): the sitemap
    behind it is intact and worth reading."""
    if _XML_START_RE.match(body):
        return body
    m = _XML_START_RE.search(body, 0, 4096)
    return body[m.start():] if m else body


def _utf16_to_utf8(data: bytes) -> bytes:
    """UTF-16 files (Windows tools write them) become UTF-8, so sniffing and the parsers see
    bytes they can read; the declaration is rewritten to match."""
    if data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        return data
    text = data.decode("utf-16", errors="replace")
    return _ENCODING_DECL_RE.sub('encoding="utf-8"', text, count=1).encode("utf-8")


def _gunzip(data: bytes, max_bytes: int) -> tuple[bytes, Reason | None]:
    """Decompress with a size cap (gzip bombs) and keep what a damaged stream still yields."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error:
        return b"", Reason.GZIP_ERROR
    if len(out) > max_bytes:
        return out[:max_bytes], Reason.TOO_LARGE
    if not inflater.eof:
        return out, Reason.GZIP_ERROR
    return out, None


# Control characters (C0, DEL, C1) inside a loc: not a URL. Left in, parsers disagree on it —
# urlsplit drops tab/CR/LF, so 'h\nttps://x' would pass as https while being stored as written.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _absolute(loc: str, base: str) -> str | None:
    """`loc` as an absolute http(s) URL with a host, or None when it is not a valid one."""
    loc = loc.strip()
    if _CONTROL_RE.search(loc):
        return None
    if loc[:8].lower().startswith(("http://", "https://")) and "[" not in loc and "]" not in loc:
        return loc if loc.split("/", 3)[2] else None   # the usual case (urljoin costs more than the parse)
    if not loc:
        return None
    try:
        absolute = urljoin(base, loc)
        parts = urlsplit(absolute)
        return absolute if parts.scheme in ("http", "https") and parts.netloc else None   # not 'http:'
    except ValueError:                      # e.g. a broken IPv6 literal
        return None


def _xml_parser(**kwargs) -> etree.XMLPullParser:
    # recover: keep going past bad bytes and stray tags; no entities or network (XXE-safe).
    return etree.XMLPullParser(recover=True, resolve_entities=False, no_network=True,
                               huge_tree=False, **kwargs)


def _root_tag(body: bytes) -> str | None:
    """The document element's tag, read from the first chunk(s): it decides the parser."""
    parser = _xml_parser(events=("start",))
    for start in range(0, len(body), _CHUNK):
        parser.feed(body[start:start + _CHUNK])
        for _, el in parser.read_events():
            return el.tag if isinstance(el.tag, str) else None
    return None


def _parse_xml(body: bytes, url: str, max_urls: int) -> Sitemap:
    entities = _ENTITY_DECL_RE.search(body, 0, _PROLOG_BYTES) is not None
    body = _BARE_AMP_RE.sub(b"&amp;", body).translate(_XML_FORBIDDEN)
    root = _root_tag(body)
    name = _local(root)
    if name not in _XML_FORMATS:
        return Sitemap(url, "invalid", error=Reason.HTML_ERROR_PAGE if name in _HTML_ROOTS else Reason.NOT_A_SITEMAP)
    fmt, item, build, is_index = _XML_FORMATS[name]
    # Only item and root ends reach Python: the parse stays in C for everything else.
    parser = _xml_parser(events=("end",), tag=(root, "{*}" + item))
    items: list[SitemapEntry] = []
    root_closed = capped = False
    for start in range(0, len(body), _CHUNK):
        parser.feed(body[start:start + _CHUNK])
        for _, el in parser.read_events():
            if el.tag == root and el.getparent() is None:
                root_closed = True
                break
            entry = build(el)
            _clear(el)
            absolute = _absolute(entry.url, url) if entry is not None else None
            if entry is None or absolute is None:
                continue
            if len(items) >= max_urls:
                capped = True
                break
            entry.url = absolute
            items.append(entry)
        if capped or root_closed:
            break
    # Events that only close() would produce belong to elements recover mode closed for us:
    # a truncated file. The item cut in half is not kept (its URL could be cut too).
    try:
        parser.close()
    except etree.XMLSyntaxError:
        pass
    error = Reason.TOO_MANY_URLS if capped else None if root_closed else Reason.TRUNCATED
    if entities:                            # what the entities would have said is missing
        error = Reason.XML_ENTITIES
    if is_index:
        return Sitemap(url, fmt, children=items, error=error)
    return Sitemap(url, fmt, entries=items, error=error)


def _clear(el) -> None:
    """Free a processed item and its already-processed siblings: big files stay small in memory."""
    el.clear()
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


_ASCII_SPACE_RE = re.compile(r"[ \t\r\f\v]+")


def _parse_text(body: bytes, url: str, max_urls: int) -> Sitemap:
    """One URL per line (the protocol says UTF-8; GBK files exist, so fall back to GB18030)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("gb18030", errors="replace")
    entries: list[SitemapEntry] = []
    seen: set[str] = set()
    for line in text.split("\n"):          # not splitlines(): it would cut a URL at \x85 or \x1c
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        candidate = _ASCII_SPACE_RE.split(line, 1)[0]   # a URL then stray text; \x85 is not a separator
        if not candidate.lower().startswith(("http://", "https://")):
            continue                        # the protocol wants absolute URLs; skip stray text
        absolute = _absolute(candidate, url)
        if absolute is None or absolute in seen:
            continue
        if len(entries) >= max_urls:
            return Sitemap(url, "text", entries=entries, error=Reason.TOO_MANY_URLS)
        seen.add(absolute)
        entries.append(SitemapEntry(absolute))
    return Sitemap(url, "text", entries=entries)


__all__ = ["SITEMAP_FALLBACKS", "Sitemap", "SitemapEntry", "normalize_date", "parse_sitemap"]
