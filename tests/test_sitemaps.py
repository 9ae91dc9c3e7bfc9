"""Sitemap/feed parsing from bytes: every format, every way a file in the wild is broken."""
from __future__ import annotations

import gzip
from urllib.parse import urljoin
from pathlib import Path

import pytest

from scraper.sitemaps import SITEMAP_FALLBACKS, SitemapEntry, normalize_date, parse_sitemap

FIXTURES = Path(__file__).parent / "fixtures" / "sitemaps"
SITE = "https://news.example.cn/sitemap.xml"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_google_news_urlset():
    sm = parse_sitemap(fixture("news_urlset.xml"), SITE)
    assert (sm.format, sm.error, sm.children) == ("urlset", None, [])
    assert sm.entries[0] == SitemapEntry(
        url="https://news.example.cn/2023/11/05/c_1129955123.htm",   # not the image:loc before it
        lastmod="2023-11-05T10:30:00+08:00",
        news_date="2023-11-05T09:00:00+08:00",
        title="我市召开2023年秋季经济形势分析会",
    )
    urls = [e.url for e in sm.entries]
    assert urls == [
        "https://news.example.cn/2023/11/05/c_1129955123.htm",
        "https://news.example.cn/search.jsp?cid=12&page=2",           # bare '&' kept
        "https://news.example.cn/2023/11/04/c_1129955001.htm",        # relative, padded loc
        "https://news.example.cn/2023/11/03/c_1129954777.htm",
    ]                                                                 # ftp:, javascript:, no loc: dropped
    assert [e.lastmod for e in sm.entries[1:]] == ["2023-11-05T08:15:00", "2023-11-04", None]


def test_sitemap_index_children_with_lastmod():
    sm = parse_sitemap(fixture("index.xml"), SITE)
    assert (sm.format, sm.error, sm.entries) == ("index", None, [])
    assert sm.children == [
        SitemapEntry("https://news.example.cn/sitemap/news.xml", lastmod="2023-11-05T10:31:00+00:00"),
        SitemapEntry("https://news.example.cn/sitemap/2023-10.xml.gz", lastmod="2023-10-31"),
        SitemapEntry("https://news.example.cn/sitemap/pages.txt"),
    ]


def test_truncated_file_keeps_complete_entries():
    sm = parse_sitemap(fixture("truncated.xml"), "http://www.example.gov.cn/sitemap.xml")
    assert (sm.format, sm.error) == ("urlset", "truncated")
    # the third <url> is cut inside its <loc>: its half URL must not be kept
    assert [e.url for e in sm.entries] == [
        "http://www.example.gov.cn/art/2023/11/5/art_1234_567890.html",
        "http://www.example.gov.cn/art/2023/11/4/art_1234_567880.html",
    ]


def test_gbk_declared_sitemap():
    sm = parse_sitemap(fixture("gbk_urlset.xml"), "http://www.example.com.cn/sitemap.xml")
    assert sm.error is None
    assert sm.entries[0].url == "http://www.example.com.cn/新闻/2023/1105/123456.html"


def test_rss_in_gb2312():
    sm = parse_sitemap(fixture("rss_gb2312.xml"), "http://www.example.com.cn/rss.xml")
    assert (sm.format, sm.error) == ("rss", None)
    assert sm.entries == [
        SitemapEntry("http://www.example.com.cn/yw/202311/t20231105_4567890.html",
                     lastmod="2023-11-05T10:30:00+08:00", title="省政府常务会议研究部署今冬明春重点工作"),
        SitemapEntry("http://www.example.com.cn/yw/202311/t20231104_4567001.html",   # from <guid>
                     lastmod="2023-11-04T18:02:11", title="全省秋粮收购进度过半"),
    ]


def test_atom_uses_alternate_link_and_updated():
    sm = parse_sitemap(fixture("atom.xml"), "https://blog.example.cn/feed/atom/")
    assert sm.format == "atom"
    assert sm.entries == [
        SitemapEntry("https://blog.example.cn/2023/11/rural-revitalization/",
                     lastmod="2023-11-05T11:20:00+08:00", title="关于乡村振兴的几点思考"),
        SitemapEntry("https://blog.example.cn/2023/11/relative-entry/",
                     lastmod="2023-11-04T08:00:00+00:00", title="相对链接的条目"),
    ]


def test_text_sitemap():
    sm = parse_sitemap(fixture("sitemap.txt"), "https://www.example.cn/sitemap.txt")
    assert (sm.format, sm.error) == ("text", None)
    assert [e.url for e in sm.entries] == [
        "https://www.example.cn/news/2023/1105/123456.html",
        "https://www.example.cn/news/2023/1105/123457.html",
        "http://www.example.cn/list/index_2.html",
    ]


def test_text_sitemap_in_gbk():
    data = "http://www.example.cn/新闻/1.html\n".encode("gbk")
    assert parse_sitemap(data, "http://www.example.cn/s.txt").entries[0].url == "http://www.example.cn/新闻/1.html"


@pytest.mark.parametrize("name", ["news_urlset.xml", "index.xml", "sitemap.txt", "rss_gb2312.xml"])
def test_gzip_is_sniffed_not_trusted_from_name_or_header(name):
    plain = parse_sitemap(fixture(name), SITE)
    # served as plain text/xml under a .xml name, and the reverse: the bytes decide
    assert parse_sitemap(gzip.compress(fixture(name)), SITE, "text/xml") == plain
    assert parse_sitemap(fixture(name), SITE, "application/x-gzip") == plain


def test_truncated_gzip_keeps_what_it_can():
    data = gzip.compress(fixture("sitemap.txt"))
    sm = parse_sitemap(data[: len(data) - 12], SITE)             # trailer and some payload lost
    assert sm.error == "gzip-error"
    assert all(e.url.endswith(".html") for e in sm.entries)      # no half-written last line


def test_corrupt_gzip_is_invalid():
    sm = parse_sitemap(b"\x1f\x8b\x08\x00garbage-not-deflate", SITE)
    assert (sm.format, sm.error, sm.entries) == ("invalid", "gzip-error", [])


def test_gzip_bomb_is_capped():
    bomb = gzip.compress(b"<urlset>" + b" " * 3_000_000)
    sm = parse_sitemap(bomb, SITE, max_bytes=1_000_000)
    assert sm.error == "too-large"


@pytest.mark.parametrize("data,content_type,error", [
    (fixture("error_page.html"), "text/html", "html-error-page"),
    (fixture("error_page.html"), "application/xml", "html-error-page"),    # header lies
    (b"<html><body>\xd2\xb3\xc3\xe6\xb2\xbb\xb4\xe6\xd4\xda</body></html>", None, "html-error-page"),
    (b"\xef\xbb\xbf<!-- cdn --><!doctype html><title>x</title>", None, "html-error-page"),
    (b"", "application/xml", "empty"),
    (b"  \r\n\t", None, "empty"),
    (b'<?xml version="1.0"?><error><code>NoSuchKey</code></error>', "application/xml", "not-a-sitemap"),
    (b'{"error": "not found"}', "application/json", "not-a-sitemap"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", "not-a-sitemap"),
    (b"Service Unavailable", "text/html", "html-error-page"),
    ('<meta charset="gbk"><div class="err">系统维护中</div>'.encode("gbk"), None, "html-error-page"),
])
def test_not_a_sitemap(data, content_type, error):
    sm = parse_sitemap(data, SITE, content_type)
    assert (sm.format, sm.error, sm.entries, sm.children) == ("invalid", error, [], [])


def test_junk_before_the_xml_is_skipped():
    data = b"<br />\n<b>Warning</b>: Cannot modify header information in /var/www/wp.php\n" + fixture("index.xml")
    assert parse_sitemap(data, SITE).format == "index"
    notice = b"PHP Notice: undefined index\n" + fixture("news_urlset.xml")
    assert len(parse_sitemap(notice, SITE).entries) == 4


def test_wrong_content_type_does_not_hide_a_good_sitemap():
    sm = parse_sitemap(fixture("index.xml"), SITE, "text/html; charset=utf-8")
    assert (sm.format, len(sm.children)) == ("index", 3)


def test_url_cap_per_file():
    body = "".join(f"<url><loc>/a/{i}.html</loc></url>" for i in range(120))
    sm = parse_sitemap(f"<urlset>{body}</urlset>".encode(), SITE, max_urls=100)
    assert (len(sm.entries), sm.error, sm.entries[-1].url) == (100, "too-many-urls", "https://news.example.cn/a/99.html")
    text = "\n".join(f"https://news.example.cn/a/{i}.html" for i in range(120)).encode()
    assert len(parse_sitemap(text, SITE, max_urls=100).entries) == 100


def test_large_sitemap_streams_in_chunks():
    body = "".join(f"<url><loc>https://news.example.cn/2023/11/05/{i}.html</loc><lastmod>2023-11-05</lastmod></url>"
                   for i in range(20_000))
    sm = parse_sitemap(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'.encode(), SITE)
    assert (len(sm.entries), sm.error) == (20_000, None)
    assert sm.entries[-1].url.endswith("/19999.html")


def test_entities_and_no_external_entities():
    doc = (b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b"<urlset><url><loc>https://news.example.cn/a?b=1&amp;c=2&#38;d=3&x;</loc></url></urlset>")
    sm = parse_sitemap(doc, SITE)
    assert "root:" not in sm.entries[0].url
    assert sm.entries[0].url.startswith("https://news.example.cn/a?b=1&c=2&d=3")


@pytest.mark.parametrize("raw,expected", [
    ("2023-11-05", "2023-11-05"),
    (" 2023-11-05T10:30:00+08:00 ", "2023-11-05T10:30:00+08:00"),
    ("2023-11-05T10:30+08:00", "2023-11-05T10:30:00+08:00"),
    ("2023-11-05T02:30:00Z", "2023-11-05T02:30:00+00:00"),
    ("2023-11-05T10:30:00+08", "2023-11-05T10:30:00+08:00"),
    ("2023-11-05T10:30:00 -0530", "2023-11-05T10:30:00-05:30"),
    ("2023-11-05T10:30:00.123+0800", "2023-11-05T10:30:00+08:00"),
    ("2023-11-05 10:30:00", "2023-11-05T10:30:00"),
    ("2023/11/5", "2023-11-05"),
    ("2023-11", "2023-11"),
    ("2023", "2023"),
    ("Sun, 05 Nov 2023 10:30:00 +0800", "2023-11-05T10:30:00+08:00"),
    ("Sun, 05 Nov 2023 02:30:00 GMT", "2023-11-05T02:30:00+00:00"),
    ("0000-00-00", None),
    ("2023-02-30", None),
    ("yesterday", None),
    ("", None),
    (None, None),
])
def test_normalize_date(raw, expected):
    assert normalize_date(raw) == expected


def test_fallbacks_are_root_paths():
    assert SITEMAP_FALLBACKS[0] == "/sitemap.xml"
    assert all(p.startswith("/") for p in SITEMAP_FALLBACKS)
    assert len(SITEMAP_FALLBACKS) <= 2        # guesses cost a request each on every site without one


def test_utf16_and_double_gzip():
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><urlset><url><loc>http://a.cn/新闻/1.html</loc></url></urlset>'
    assert [e.url for e in parse_sitemap(utf16.encode("utf-16"), SITE).entries] == ["http://a.cn/新闻/1.html"]
    twice = gzip.compress(gzip.compress(fixture("index.xml")))
    assert len(parse_sitemap(twice, SITE).children) == 3


@pytest.mark.parametrize("data,fmt,error,urls", [
    # an entity bomb is not expanded (resolve_entities=False): the URL keeps its plain part,
    # and the file is flagged
    (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
     b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><urlset><url><loc>http://a.cn/&c;</loc></url></urlset>',
     "urlset", "xml-entities", ["http://a.cn/"]),
    (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b'<urlset><url><loc>http://a.cn/1</loc></url><url><loc>&x;</loc></url></urlset>',
     "urlset", "xml-entities", ["http://a.cn/1"]),
    (gzip.compress(bytes(60 * 1024 * 1024)), "invalid", "too-large", []),   # a bomb of zeros
    (b"<urlset>" + b"<a>" * 20_000 + b"<url><loc>http://a.cn/1</loc></url>", "urlset", "truncated", []),
    (b'<?xml version="1.0" encoding="no-such-codec"?><urlset><url><loc>http://a.cn/1</loc></url></urlset>',
     "urlset", None, ["http://a.cn/1"]),
    (b"<urlset><url><loc>http://[::1/x</loc></url></urlset>", "urlset", None, []),
    (b"<rss><channel><item><link>http://a.cn/1</link><pubDate>Sun, 05 Nov 99999 10:30:00 +0800</pubDate>"
     b"</item></channel></rss>", "rss", None, ["http://a.cn/1"]),
    (gzip.compress(b""), "invalid", "empty", []),
    (b"\x1f\x8b", "invalid", "gzip-error", []),
])
def test_hostile_files_do_not_raise(data, fmt, error, urls):
    sm = parse_sitemap(data, SITE)
    assert (sm.format, sm.error, [e.url for e in sm.entries]) == (fmt, error, urls)


def test_a_loc_without_host_is_dropped():
    # found by tests/test_fuzz.py: 'http:' joined against the sitemap URL stayed 'http:'
    sitemap = parse_sitemap(b"<urlset><url><loc>http:</loc></url><url><loc>/a.htm</loc></url></urlset>", SITE)
    assert [e.url for e in sitemap.entries] == [urljoin(SITE, "/a.htm")]
    assert parse_sitemap(b"hTtp://\nhttp://a.cn/1\n", SITE).entries == [SitemapEntry("http://a.cn/1")]


@pytest.mark.parametrize("loc", ["h\rttps://!", "h\ttps://a.cn/1", "http://a.cn/\x1b[31m", "http://a.cn/a\x85b",
                                 "https://a.cn/\x7f"])
def test_a_loc_with_control_characters_is_dropped(loc):
    # found by bench/fuzz.py: 'h\rttps://!' was kept (XML turns \r into \n, urlsplit then drops it)
    data = f"<urlset><url><loc> {loc} </loc></url><url><loc>\n http://a.cn/ok \t</loc></url></urlset>".encode()
    assert [e.url for e in parse_sitemap(data, SITE).entries] == ["http://a.cn/ok"]
    assert [e.url for e in parse_sitemap(f"http://a.cn/ok\n{loc}\n".encode(), SITE).entries] == ["http://a.cn/ok"]
