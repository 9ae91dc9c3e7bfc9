import pytest

from scraper.settings import Settings
from scraper.urls import CANONICAL_CACHE, Scope, TrapGuard, canonicalize, host_of, is_public_address, origin_of, registered_domain


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("HTTP://WWW.Example.CN:80/a/", "http://www.example.cn/a/"),
        ("https://example.cn:443", "https://example.cn/"),
        ("http://example.cn:8080/a", "http://example.cn:8080/a"),
        ("http://example.cn/a#section-2", "http://example.cn/a"),
        ("http://example.cn/a/./b/../c.htm", "http://example.cn/a/c.htm"),
        ("http://example.cn/../../c.htm", "http://example.cn/c.htm"),
        ("http://example.cn/news/index.html", "http://example.cn/news/"),
        ("http://example.cn/news/INDEX.HTM", "http://example.cn/news/"),
        ("http://example.cn/index.shtml", "http://example.cn/"),
        ("http://example.cn/default.html?p=2", "http://example.cn/?p=2"),
        ("http://example.cn/myindex.html", "http://example.cn/myindex.html"),
        ("http://example.cn/list.jsp?b=2&a=1&a=0", "http://example.cn/list.jsp?a=0&a=1&b=2"),
        ("http://example.cn/a?utm_source=wx&utm_medium=x&id=7", "http://example.cn/a?id=7"),
        ("http://example.cn/a?spm=C123.PC&from=timeline&isappinstalled=0", "http://example.cn/a"),
        ("http://example.cn/a?fbclid=1&gclid=2&%75tm_term=3", "http://example.cn/a"),
        ("http://example.cn/%7Euser/%e6%96%b0", "http://example.cn/~user/%E6%96%B0"),
        ("http://example.cn/新闻/a b.htm", "http://example.cn/%E6%96%B0%E9%97%BB/a%20b.htm"),
        ("http://example.cn/a%2Fb%zz", "http://example.cn/a%2Fb%25zz"),
        ("http://例子.中国/", "http://xn--fsqu00a.xn--fiqs8s/"),
        ("http://example.cn./a", "http://example.cn/a"),
        ("http://user:pw@example.cn/a", "http://example.cn/a"),
        ("http://[::1]:8000/a", "http://[::1]:8000/a"),
        ("http://example.cn/art.jsp;jsessionid=A1B2C3?id=5", "http://example.cn/art.jsp?id=5"),
        ("http://example.cn/a.php?PHPSESSID=abc&id=5", "http://example.cn/a.php?id=5"),
        (" http://example.cn/a\n/b.htm ", "http://example.cn/a/b.htm"),
        ("http://example.cn\\news\\1.htm?q=a\\b", "http://example.cn/news/1.htm?q=a%5Cb"),
    ],
)
def test_canonicalize(raw, expected):
    assert canonicalize(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["javascript:void(0)", "mailto:a@example.cn", "tel:12345", "data:text/html,hi",
     "ftp://example.cn/f", "http://", "http://example.cn:99999/", "http://a..b/", "http://a b/",
     "", None],
)
def test_canonicalize_rejects_non_http_and_malformed(raw):
    assert canonicalize(raw) is None


def test_canonicalize_resolves_relative_against_base():
    base = "http://example.cn/info/1012/5678.htm"
    assert canonicalize("../1013/1.htm", base) == "http://example.cn/info/1013/1.htm"
    assert canonicalize("./P020231105.pdf", base) == "http://example.cn/info/1012/P020231105.pdf"
    assert canonicalize("//cdn.example.cn/x", base) == "http://cdn.example.cn/x"
    assert canonicalize("#top", base) == "http://example.cn/info/1012/5678.htm"
    assert canonicalize("?page=2", base) == "http://example.cn/info/1012/5678.htm?page=2"


def test_canonicalize_is_idempotent():
    for raw in ["http://Example.cn/a/../b/index.htm?z=1&y=%e4%b8%ad&utm_x=1", "http://例子.中国/新 闻"]:
        once = canonicalize(raw)
        assert canonicalize(once) == once


def test_host_and_origin():
    assert host_of("http://WWW.Example.CN:8080/x") == "www.example.cn"
    assert host_of("/relative") == ""
    assert host_of("http://例子.中国/") == "xn--fsqu00a.xn--fiqs8s"
    assert origin_of("HTTPS://Example.cn:443/a?b") == "https://example.cn"
    assert origin_of("http://127.0.0.1:8000/x") == "http://127.0.0.1:8000"
    assert origin_of("http://example.cn:99999/") == ""


def test_scope_hosts_twins_and_patterns():
    scope = Scope(["http://example.cn/news/"], allow_hosts=["static.example.cn", "*.people.cn"],
                  deny_patterns=[r"/search"])
    assert scope.allows("http://example.cn/a.htm")
    assert scope.allows("https://WWW.example.cn/a.htm")            # www. twin
    assert scope.allows("http://static.example.cn/img.jpg")
    assert scope.allows("http://news.people.cn/x") and scope.allows("http://people.cn/x")
    assert not scope.allows("http://example.cn/search?q=1")
    assert not scope.allows("http://evil.cn/a.htm")
    assert not scope.allows("http://notpeople.cn/x")
    assert not scope.allows("mailto:x@example.cn")
    assert not scope.allows("http://[::1")                        # malformed: no, not a crash
    assert scope.is_explicit_host("example.cn") and scope.is_explicit_host("static.example.cn")
    assert not scope.is_explicit_host("www.example.cn")            # a twin was not named
    assert not scope.is_explicit_host("news.people.cn")


def test_scope_allow_patterns_must_match_one():
    scope = Scope(["http://127.0.0.1:8000/"], allow_patterns=[r"/info/", r"/list"])
    assert scope.allows("http://127.0.0.1:8000/info/1.htm")
    assert not scope.allows("http://127.0.0.1:8000/about.htm")
    assert not scope.allows("http://127.0.0.2:8000/info/1.htm")
    assert not scope.allows("http://www.127.0.0.1:8000/info/1.htm")  # IPs have no www. twin


@pytest.mark.parametrize(
    "ip, public",
    [
        ("8.8.8.8", True), ("2001:4860:4860::8888", True),
        ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
        ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False),
        ("224.0.0.1", False), ("239.255.255.250", False), ("240.0.0.1", False),
        ("255.255.255.255", False), ("::1", False), ("::", False), ("fe80::1%eth0", False),
        ("fc00::1", False), ("ff02::1", False), ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True), ("2002:c0a8:0101::1", False), ("64:ff9b::a00:1", False),
        ("not-an-ip", False), ("", False),
    ],
)
def test_is_public_address(ip, public):
    assert is_public_address(ip) is public


def _guard(**kw):
    return TrapGuard(Settings().with_overrides(**kw))


def test_trap_guard_depth_and_path_shape():
    guard = _guard(max_depth=3, max_path_segments=4)
    assert guard.admit("http://a.cn/x.htm", 3) is None
    assert guard.admit("http://a.cn/y.htm", 4) == "depth"
    assert guard.admit("http://a.cn/1/2/3/4/5.htm", 0) == "deep-path"
    assert guard.admit("http://a.cn/a/b/a/b/", 0) == "repeated-path"
    assert guard.admit("http://a.cn/x/x/x/", 0) == "repeated-path"
    assert guard.admit("http://a.cn/2023/11/11/", 0) is None        # a date repeats twice only


def test_trap_guard_bounds_calendar_patterns():
    guard = _guard(max_per_pattern=5)
    results = [guard.admit(f"http://a.cn/cal/2023/{m}/{d}", 0) for m in (1, 2) for d in range(1, 5)]
    assert results[:5] == [None] * 5 and set(results[5:]) == {"pattern-limit"}
    assert guard.admit("http://a.cn/other/1", 0) is None             # other patterns unaffected
    assert guard.admit("http://b.cn/cal/2023/1/1", 0) is None        # and other hosts


def test_trap_guard_query_variants_vs_ids():
    guard = _guard(max_query_variants=3, max_per_pattern=1000)
    assert all(guard.admit(f"http://a.cn/show.jsp?id={i}", 0) is None for i in range(100))
    sorts = [guard.admit(f"http://a.cn/list.jsp?sort={k}", 0) for k in "abcde"]
    assert sorts == [None, None, None, "query-variants", "query-variants"]
    assert guard.admit("http://a.cn/list.jsp?sort=a", 0) is None     # a known variant stays fine


def test_trap_guard_memory_is_bounded():
    guard = TrapGuard(Settings(), max_keys=10)
    for i in range(100):
        guard.admit(f"http://a.cn/p{chr(97 + i % 26)}{i}/x?q={chr(97 + i % 26)}", 0)
    assert len(guard._pattern_counts) <= 10 and len(guard._query_variants) <= 10


def test_scope_pins_a_host_to_the_non_default_ports_of_its_start_urls():
    scope = Scope(["http://127.0.0.1:8080/", "http://news.example.cn/"])
    assert scope.allows("http://127.0.0.1:8080/info/1.htm")
    assert not scope.allows("http://127.0.0.1:8081/index.htm")      # another site on the same host
    assert not scope.allows("http://127.0.0.1/index.htm")
    assert scope.allows("https://news.example.cn/a.htm")             # default ports: either scheme
    assert scope.allows("http://news.example.cn:8000/a.htm")         # no port pinned for this host


@pytest.mark.parametrize("host, domain", [("news.sxmu.edu.cn", "sxmu.edu.cn"), ("www.people.com.cn", "people.com.cn"),
                                          ("127.0.0.1", None), ("localhost", None)])
def test_registered_domain_uses_the_bundled_suffix_list(host, domain):
    assert registered_domain(host) == domain


def test_the_url_cache_stays_flat_however_many_urls_a_crawl_meets():
    """Every article URL passes through `canonicalize`; its cache keeps the repeated links
    (menus, footers) and forgets the rest, so the memory it holds stops growing once full."""
    import tracemalloc

    def url(i: int) -> str:
        return f"http://news.example.edu.cn/info/1012/{i}.htm?utm_source=list"

    canonicalize.cache_clear()
    tracemalloc.start()
    try:
        for i in range(2 * CANONICAL_CACHE):
            canonicalize(url(i))
        full = tracemalloc.get_traced_memory()[0]
        for i in range(2 * CANONICAL_CACHE, 10 * CANONICAL_CACHE):
            canonicalize(url(i))
        later = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert later - full < full // 10          # four times as many URLs again, no more memory
    hits = canonicalize.cache_info().hits
    canonicalize("http://news.example.edu.cn/index.htm")
    canonicalize("http://news.example.edu.cn/index.htm")   # a menu link on the next page
    assert canonicalize.cache_info().hits == hits + 1
