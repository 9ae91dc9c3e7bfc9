"""Fuzzing the parsers with hypothesis: random and mutated bytes into the extractor, the sitemap
parser, the robots.txt parser, the decoder, link discovery and URL canonicalisation.

The contract each one documents: never raise (a reason or None instead), and canonical URLs are
a fixed point (`canonicalize(canonicalize(u)) == canonicalize(u)`). Deterministic and small here
(derandomized, FUZZ_EXAMPLES examples per property, 200 by default); `bench/fuzz.py` runs the
same properties with many more examples and prints the counts.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scraper.article import Article
from scraper.decode import decode_html
from scraper.discover import discover_links
from scraper.extract import extract_article
from scraper.reasons import Reason
from scraper.robots import Robots
from scraper.sitemaps import parse_sitemap
from scraper.urls import canonicalize

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted((FIXTURES / "pages").glob("*.htm*"))
SITEMAPS = sorted((FIXTURES / "sitemaps").iterdir())
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"        # bench/fuzz.py: new examples every run
CALLS: Counter[str] = Counter()                       # inputs tried per property (bench/fuzz.py prints them)

fuzz = settings(max_examples=EXAMPLES, derandomize=not RANDOM, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
URL = "http://www.example.gov.cn/xwzx/2024/1105/c123.htm"


@st.composite
def mutated(draw, originals: list[bytes]) -> bytes:
    """One of `originals` with a few random edits: bytes flipped, spans deleted, duplicated or
    replaced by markup fragments that break parsers (unclosed tags, entities, NULs, BOMs)."""
    data = bytearray(draw(st.sampled_from(originals)))
    fragments = st.sampled_from([b"<", b">", b"</div>", b"<div>" * 50, b"<!--", b"]]>", b"<![CDATA[", b"&", b"&#x0;",
                                 b"&lol;", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\x81\x30", b"<script>",
                                 b"<meta charset='x-klingon'>", b"<?xml version='1.0' encoding='gbk'?>",
                                 b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"\r\n", "上一篇：".encode(), b"\x1f\x8b"])
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.integers(0, 3))
        if op == 0:
            data[at] = draw(st.integers(0, 255))
        elif op == 1:
            del data[at:at + draw(st.integers(1, 2000))]
        elif op == 2:
            data[at:at] = data[at:at + draw(st.integers(1, 500))]
        else:
            data[at:at] = draw(fragments)
    return bytes(data)


_PAGE_BYTES = [p.read_bytes() for p in PAGES]
_SITEMAP_BYTES = [p.read_bytes() for p in SITEMAPS]
pages = st.one_of(st.binary(max_size=4000), mutated(_PAGE_BYTES))
sitemaps = st.one_of(st.binary(max_size=4000), mutated(_SITEMAP_BYTES))


@fuzz
@given(data=pages, charset=st.sampled_from([None, "utf-8", "gbk", "gb2312", "big5", "x-klingon", "utf-16", "hex"]))
def test_extractor_and_decoder_never_raise(data, charset):
    CALLS["extract"] += 1
    text, codec = decode_html(data, charset)
    assert isinstance(text, str) and codec
    article = extract_article(data, URL, http_charset=charset)
    assert isinstance(article, Article)
    assert article.reason is None or article.reason in {"empty", "binary", "decode-error", "not-article"}
    assert all(isinstance(link.url, str) for link in discover_links(text, URL))


@fuzz
@given(data=sitemaps, url=st.sampled_from([URL, "http://[::1]/s.xml", "https://例子.中国/sitemap.xml"]))
@example(data=b"<urlset><url><loc>h\rttps://!</loc></url></urlset>", url=URL)       # found by bench/fuzz.py
@example(data=b"http://a.cn/1\nhttp://a.cn/\x1b[0m\n", url=URL)
def test_sitemap_parser_never_raises(data, url):
    CALLS["sitemap"] += 1
    sitemap = parse_sitemap(data, url, "application/xml")
    assert sitemap.error is None or Reason(sitemap.error)
    for entry in sitemap.entries + sitemap.children:     # absolute http(s) with a host, no control
        scheme, _, rest = entry.url.partition("://")        # characters (the crawler's canonicalize vets the rest)
        assert scheme.lower() in ("http", "https") and rest.split("/")[0], entry.url
        assert entry.url == entry.url.strip() and not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in entry.url)


_DIRECTIVES = st.sampled_from(["User-agent", "user-agent", "Disallow", "Allow", "Crawl-delay", "Request-rate",
                               "Sitemap", "Host", "Noindex", "", "*", "#"])
_VALUES = st.one_of(st.text(max_size=40), st.sampled_from(["*", "/", "/*.htm$", "scraper", "1/0", "0/5", "-1", "1e999",
                                                           "nan", "/%E4%B8%AD", "/中文/", "$", "*$", "//", "\x00"]))
robots_lines = st.lists(st.tuples(_DIRECTIVES, st.sampled_from([":", ": ", " ", ""]), _VALUES).map("".join),
                        max_size=30).map("\n".join)


@fuzz
@given(text=st.one_of(st.text(max_size=2000), robots_lines),
       status=st.sampled_from([200, 301, 404, 429, 500, None]),
       path=st.one_of(st.text(max_size=30), st.sampled_from(["/", "/a.htm", "/robots.txt", "/%zz", "/中文"])))
def test_robots_parser_never_raises(text, status, path):
    CALLS["robots"] += 1
    robots = Robots.from_response(status, text, "scraper/0.1 (news archiver)")
    assert isinstance(robots.allowed("http://www.example.cn" + path), bool)
    assert robots.crawl_delay is None or robots.crawl_delay >= 0


_HOSTS = st.sampled_from(["www.example.cn", "EXAMPLE.cn.", "例子.中国", "xn--fsqu00a.xn--fiqs8s", "127.0.0.1", "[::1]",
                          "[fe80::1%25eth0]", "user:pw@host.cn", "a..b", "-x-.cn", "0x7f.1", "ß.de", "host.cn:80",
                          "host.cn:8080", "host.cn:0", "host.cn:99999", "", "%41.cn", "xn--.cn", "a" * 64 + ".cn"])
_PIECES = st.sampled_from(["/", "//", "/./", "/../", "%", "%2F", "%2f", "%E4%B8%AD", "中", "?", "&", "=", "#", ";jsessionid=1",
                           "index.html", "?utm_source=x", "?b=2&a=1", "?a=%20", "+", " ", "\\", "\t", "@", ":", "[", "]",
                           "%00", "%zz", "%%", "ä", "/default.aspx", "?PHPSESSID=abc"])
urls = st.one_of(
    st.text(max_size=80),
    st.builds(lambda scheme, host, parts: scheme + host + "".join(parts),
              st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "//", "http:/", "javascript:"]),
              _HOSTS, st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=12)),
)


@fuzz
@given(url=urls, base=st.sampled_from([None, URL, "http://例子.中国/a/b/"]))
def test_canonicalization_never_raises_and_is_idempotent(url, base):
    CALLS["canonicalize"] += 1
    canon = canonicalize(url, base)
    if canon is not None:
        assert canon.startswith(("http://", "https://"))
        assert canonicalize(canon) == canon, (url, canon)


@fuzz
@given(url=urls, page=st.one_of(st.none(), urls, st.sampled_from(["robots.txt", URL])))
def test_pattern_keys_and_view_patterns_never_raise_on_canonical_urls(url, page):
    """What the crawler keys its trap control and alternate views by (scraper.yields, moves):
    computed for every URL queued, from canonical URLs and whatever a page was found from."""
    from scraper.moves import OriginMoves
    from scraper.yields import pattern_keys, url_pattern, view_pattern

    CALLS["pattern keys"] += 1
    canon = canonicalize(url, URL)
    if canon is None:
        return
    keys = pattern_keys(url_pattern(canon))
    assert keys[0] == url_pattern(canon) and len(set(keys)) == len(keys)
    assert isinstance(view_pattern(canon, page), str)
    moves = OriginMoves(evidence=1)
    moves.observe(canon, [URL], True, {"strict-transport-security": "max-age=1"})
    assert canonicalize(moves.rewrite(canon)) is not None
