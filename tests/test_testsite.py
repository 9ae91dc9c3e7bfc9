"""The loopback fixture server: content types, conditional GET, traversal, overrides, substitution."""
from __future__ import annotations

import gzip
import http.client
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest

from scraper.testsite import FixtureServer, bundled_sites, serve_sites


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "site").mkdir()
    site = tmp_path / "site"
    (site / "index.htm").write_bytes("<a href='http://SITE_ORIGIN/a.htm'>首页</a>".encode("gbk"))
    (site / "news").mkdir()
    (site / "news" / "index.html").write_text("<p>news</p>", encoding="utf-8")
    (site / "robots.txt").write_text("Sitemap: http://SITE_ORIGIN/sitemap.xml\n")
    (site / "sitemap.xml").write_text("<urlset><loc>http://SITE_ORIGIN/x</loc><loc>http://OTHER_ORIGIN/y</loc></urlset>")
    (site / "s.xml.gz").write_bytes(gzip.compress(b"<loc>http://SITE_ORIGIN/z</loc>"))
    (site / "f.pdf").write_bytes(b"%PDF-1.4\n")
    (site / "blob.bin").write_bytes(b"\x00\x01")
    (tmp_path / "secret.txt").write_text("outside root")
    return site


@pytest.fixture
def server(root: Path):
    with FixtureServer(root) as srv:
        yield srv


# One client for the module: building one per request (TLS context) costs ~50 ms each.
CLIENT = httpx.Client(follow_redirects=False, timeout=5)


def get(server: FixtureServer, path: str, **headers) -> httpx.Response:
    return CLIENT.get(server.origin + path, headers=headers)


def test_origin_and_content_types(server: FixtureServer) -> None:
    assert server.origin.startswith("http://127.0.0.1:") and server.port > 0
    expected = {"/index.htm": "text/html", "/news/index.html": "text/html", "/robots.txt": "text/plain",
                "/sitemap.xml": "application/xml", "/s.xml.gz": "application/x-gzip",
                "/f.pdf": "application/pdf", "/blob.bin": "application/octet-stream"}
    for path, ctype in expected.items():
        r = get(server, path)
        assert r.status_code == 200, path
        assert r.headers["content-type"] == ctype, path


def test_directory_serves_index_and_query_is_ignored(server: FixtureServer) -> None:
    assert get(server, "/news/").text == "<p>news</p>"
    assert get(server, "/news/index.html?print=1").text == "<p>news</p>"
    assert get(server, "/").content == get(server, "/index.htm").content


def test_placeholders_are_replaced_in_text_and_gzip(server: FixtureServer) -> None:
    assert get(server, "/index.htm").content.decode("gbk") == f"<a href='{server.origin}/a.htm'>首页</a>"
    assert f"Sitemap: {server.origin}/sitemap.xml" in get(server, "/robots.txt").text
    assert f"http://127.0.0.2:{server.port}/y" in get(server, "/sitemap.xml").text
    raw = get(server, "/s.xml.gz").content
    assert gzip.decompress(raw) == f"<loc>{server.origin}/z</loc>".encode()


def test_etag_and_last_modified_give_304(server: FixtureServer) -> None:
    first = get(server, "/index.htm")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert get(server, "/index.htm", **{"If-None-Match": etag}).status_code == 304
    assert get(server, "/index.htm", **{"If-Modified-Since": modified}).status_code == 304
    not_modified = get(server, "/index.htm", **{"If-None-Match": etag})
    assert not_modified.content == b"" and not_modified.headers["etag"] == etag


def test_stale_validators_get_200(server: FixtureServer) -> None:
    assert get(server, "/index.htm", **{"If-None-Match": '"other"'}).status_code == 200
    assert get(server, "/index.htm", **{"If-Modified-Since": formatdate(0, usegmt=True)}).status_code == 200
    assert get(server, "/index.htm", **{"If-Modified-Since": "not a date"}).status_code == 200
    # If-None-Match wins: a wrong tag with a fresh date is still a 200.
    fresh = get(server, "/index.htm").headers["last-modified"]
    assert get(server, "/index.htm", **{"If-None-Match": '"x"', "If-Modified-Since": fresh}).status_code == 200


def test_missing_file_is_404(server: FixtureServer) -> None:
    assert get(server, "/nope.htm").status_code == 404
    assert get(server, "/news/missing/").status_code == 404


@pytest.mark.parametrize("path", ["/../secret.txt", "/%2e%2e/secret.txt", "/news/../../secret.txt", "/%2E%2E%2Fsecret.txt"])
def test_path_traversal_is_refused(server: FixtureServer, path: str) -> None:
    # Raw request line: httpx would normalise the dots away before sending.
    host, port = server.origin.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", path)
    response = conn.getresponse()
    assert response.status == 404
    assert b"outside root" not in response.read()
    conn.close()


def test_requests_are_recorded_in_order(server: FixtureServer) -> None:
    get(server, "/robots.txt")
    CLIENT.head(server.origin + "/index.htm?x=1")
    assert server.requests == [("GET", "/robots.txt"), ("HEAD", "/index.htm?x=1")]


def test_head_has_headers_but_no_body(server: FixtureServer) -> None:
    r = CLIENT.head(server.origin + "/index.htm")
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["content-length"]) == len(get(server, "/index.htm").content)


def test_override_for_n_times_then_file(server: FixtureServer) -> None:
    server.set_response("/robots.txt", status=503, headers={"Retry-After": "1"}, body=b"busy", times=2)
    assert [get(server, "/robots.txt").status_code for _ in range(3)] == [503, 503, 200]


def test_override_for_good_and_redirect_with_placeholder(server: FixtureServer) -> None:
    server.set_response("/old.htm", status=301, headers={"Location": "http://SITE_ORIGIN/index.htm"})
    for _ in range(3):
        r = get(server, "/old.htm")
        assert r.status_code == 301 and r.headers["location"] == f"{server.origin}/index.htm"


def test_override_exact_query_beats_bare_path(server: FixtureServer) -> None:
    server.set_response("/index.htm?page=2", status=500)
    server.set_response("/news/", status=429, headers={"Retry-After": "3"})
    assert get(server, "/index.htm?page=2").status_code == 500
    assert get(server, "/index.htm").status_code == 200
    assert get(server, "/news/?anything").status_code == 429


def test_override_serves_binary_body(server: FixtureServer) -> None:
    body = bytes(range(256)) * 1000
    server.set_response("/big.htm", headers={"Content-Type": "text/html"}, body=body, times=1)
    r = get(server, "/big.htm")
    assert r.content == body and r.headers["content-length"] == str(len(body))
    assert get(server, "/big.htm").status_code == 404


def test_override_rejects_zero_times(server: FixtureServer) -> None:
    with pytest.raises(ValueError):
        server.set_response("/x", times=0)


def test_stop_is_idempotent_and_closes_port(root: Path) -> None:
    srv = FixtureServer(root).start()
    origin = srv.origin
    srv.stop()
    srv.stop()
    with pytest.raises(httpx.ConnectError):
        CLIENT.get(origin + "/index.htm")


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        FixtureServer(tmp_path / "absent")


def test_user_substitutions(root: Path) -> None:
    with FixtureServer(root, substitutions={"http://OTHER_ORIGIN": "http://127.0.0.3:9"}) as srv:
        assert "http://127.0.0.3:9/y" in get(srv, "/sitemap.xml").text


def test_serve_sites_cross_links(root: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "index.html").write_text("<a href='http://OTHER_ORIGIN/'>a</a> <a href='http://A_ORIGIN/x'>b</a>")
    with serve_sites({"a": root, "b": other}) as servers:
        a, b = servers["a"], servers["b"]
        assert a.origin != b.origin
        assert get(b, "/").text == f"<a href='{a.origin}/'>a</a> <a href='{a.origin}/x'>b</a>"
        assert f"{b.origin}/y" in get(a, "/sitemap.xml").text
    with pytest.raises(httpx.ConnectError):
        CLIENT.get(a.origin + "/")


def test_bundled_sites_are_found() -> None:
    sites = bundled_sites()
    assert set(sites) == {"univ", "gov"}
    assert all((p / "robots.txt").is_file() for p in sites.values())
