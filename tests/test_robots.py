import pytest

from scraper.robots import Robots, product_token
from scraper.settings import DEFAULT_USER_AGENT

UA = DEFAULT_USER_AGENT

ROBOTS = """\
User-agent: *
Disallow: /admin/
Disallow: /*.pdf$
Allow: /admin/public/
Crawl-delay: 2
Sitemap: http://example.cn/sitemap.xml
Sitemap: http://example.cn/news_sitemap.xml.gz

User-agent: news
Disallow: /

User-agent: BadBot
Disallow: /
"""


def test_product_token():
    assert product_token(UA) == "scraper"
    assert product_token("Mozilla/5.0 (compatible)") == "Mozilla"


def test_parse_rules_wildcards_allow_and_crawl_delay():
    robots = Robots.parse(ROBOTS, UA)
    assert robots.allowed("http://example.cn/info/1012/1.htm")
    assert not robots.allowed("http://example.cn/admin/login.jsp")
    assert robots.allowed("http://example.cn/admin/public/notice.htm")       # longest match wins
    assert not robots.allowed("http://example.cn/files/report.pdf")
    assert robots.allowed("http://example.cn/files/report.pdf?download=1")   # `$` anchors
    assert robots.allowed("http://example.cn/robots.txt")
    assert robots.crawl_delay == 2.0
    assert robots.sitemaps == ["http://example.cn/sitemap.xml",
                               "http://example.cn/news_sitemap.xml.gz"]


def test_group_named_after_a_comment_word_does_not_apply():
    # The UA comment says "news archiver"; only the product token "scraper" may select a group.
    assert Robots.parse(ROBOTS, UA).allowed("http://example.cn/a.htm")


def test_own_group_wins_over_star():
    text = "User-agent: *\nDisallow: /\n\nUser-agent: scraper\nDisallow: /private/\nCrawl-delay: 5\n"
    robots = Robots.parse(text, UA)
    assert robots.allowed("http://example.cn/a.htm")
    assert not robots.allowed("http://example.cn/private/a.htm")
    assert robots.crawl_delay == 5.0


def test_request_rate_counts_as_crawl_delay():
    robots = Robots.parse("User-agent: *\nRequest-rate: 1/10\n", UA)
    assert robots.crawl_delay == 10.0


def test_garbage_or_html_is_no_rules():
    robots = Robots.parse("<html><body>404 页面不存在</body></html>", UA)
    assert robots.allowed("http://example.cn/anything") and robots.crawl_delay is None
    assert robots.sitemaps == []


@pytest.mark.parametrize("status", [404, 410, 401, 403, 301])
def test_missing_or_forbidden_robots_allows_all(status):
    robots = Robots.from_response(status, "User-agent: *\nDisallow: /\n", UA)
    assert robots.allowed("http://example.cn/a.htm") and not robots.unreachable


@pytest.mark.parametrize("status", [None, 500, 503, 429])
def test_unreachable_robots_disallows_all(status):
    robots = Robots.from_response(status, None, UA)
    assert not robots.allowed("http://example.cn/a.htm")
    assert robots.allowed("http://example.cn/robots.txt")
    assert robots.unreachable


def test_ok_response_is_parsed():
    robots = Robots.from_response(200, "User-agent: *\nDisallow: /x/\n", UA)
    assert not robots.allowed("http://example.cn/x/1.htm")
    assert robots.allowed("http://example.cn/y/1.htm")


def test_a_string_that_is_no_url_is_not_allowed_and_does_not_raise():
    # found by tests/test_fuzz.py: urlsplit raised ValueError ('Invalid IPv6 URL') out of allowed()
    robots = Robots.from_response(200, "User-agent: *\nDisallow: /x\n", "scraper/0.1")
    assert robots.allowed("http://www.example.cn[") is False
