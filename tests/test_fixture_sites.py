"""The bundled fixture sites agree with their truth file, and the truth with the files.

Every claim of truth.json (a body, a discovery way, a disallowed or alias path) is checked
against the page bytes, so the end-to-end tests can trust it.
"""
from __future__ import annotations

import gzip
import importlib.util
import json
import re
import sys
from functools import cache
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from protego import Protego
from selectolax.lexbor import LexborHTMLParser

from scraper.testsite import FIXTURE_SITES_DIR, bundled_sites, serve_sites

TRUTH = json.loads((FIXTURE_SITES_DIR / "truth.json").read_text(encoding="utf-8"))["sites"]
ORIGIN = "http://SITE_ORIGIN"
PREVNEXT = re.compile(r'(?:上一条|下一条|上一篇|下一篇)[:：]<a href="([^"]+)"')
SITES = sorted(TRUTH)


def file_for(site: str, path: str) -> Path:
    target = bundled_sites()[site] / urlsplit(path).path.lstrip("/")
    return target / "index.html" if target.is_dir() else target


def decode(site: str, data: bytes) -> str:
    return data.decode("gb18030" if TRUTH[site]["encoding"] == "gbk" else "utf-8")  # strict


@cache
def pages(site: str) -> dict[str, str]:
    """URL path → decoded text of every HTML page of a site."""
    root = bundled_sites()[site]
    out = {}
    for f in sorted(root.rglob("*")):
        if f.suffix in {".htm", ".html", ".jsp"}:
            rel = "/" + f.relative_to(root).as_posix()
            out[rel] = decode(site, f.read_bytes())
    return out


def links(page_path: str, html: str) -> list[str]:
    """On-site links of a page as path+query; off-site and javascript:/mailto: kept verbatim."""
    out = []
    for a in LexborHTMLParser(html).css("a[href]"):
        url = urljoin(ORIGIN + page_path, a.attributes["href"])
        parts = urlsplit(url)
        out.append(parts.path + ("?" + parts.query if parts.query else "") if url.startswith(ORIGIN + "/") else url)
    return out


def linked_from(site: str, sources: list[str]) -> set[str]:
    return {link for src in sources for link in links(src, pages(site)[src])}


def sitemap_paths(site: str) -> set[str]:
    root = bundled_sites()[site]
    found = set()
    for name in TRUTH[site].get("sitemaps", []):
        data = (root / name.lstrip("/")).read_bytes()
        xml = (gzip.decompress(data) if name.endswith(".gz") else data).decode("utf-8")
        found |= {loc.removeprefix(ORIGIN) for loc in re.findall(r"<loc>([^<]+)</loc>", xml)}
    return found


def articles():
    return [(site, a) for site in SITES for a in TRUTH[site]["articles"]]


def test_truth_has_enough_articles_of_every_kind() -> None:
    assert len(articles()) >= 44
    for site in SITES:
        arts = TRUTH[site]["articles"]
        assert any(a["discovery"] == ["prevnext"] for a in arts), site
        assert any("T" in a["published_at"] for a in arts) and all(len(a["published_at"]) in (10, 25) for a in arts)
        assert all(a["body"].count("\n") >= 1 for a in arts)  # 2+ paragraphs
    assert any(a["author"] is None for _, a in articles()) and any(a["source"] is None for _, a in articles())
    assert any(a["editor"] is None for a in TRUTH["gov"]["articles"])


def test_generator_reproduces_committed_files_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("make_sites", Path(__file__).parent / "fixtures" / "make_sites.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_sites", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    built = module.build()
    on_disk = {p.relative_to(FIXTURE_SITES_DIR).as_posix() for p in FIXTURE_SITES_DIR.rglob("*") if p.is_file()}
    assert on_disk == set(built)
    for rel, data in built.items():
        assert (FIXTURE_SITES_DIR / rel).read_bytes() == data, rel


@pytest.mark.parametrize("site,article", articles(), ids=lambda v: v["path"] if isinstance(v, dict) else v)
def test_article_page_holds_truth(site: str, article: dict) -> None:
    html = pages(site)[urlsplit(article["path"]).path]
    tree = LexborHTMLParser(html)
    assert tree.css_first("h1").text(strip=True) == article["title"]
    blocks = {p.text(strip=True) for p in tree.css("p")}
    blocks |= {" ".join(td.text(strip=True) for td in tr.css("td")) for tr in tree.css("tr")}
    for line in article["body"].split("\n"):
        assert line in blocks, line
    header = tree.css_first(".content-info, .article-info").text()
    stamp = article["published_at"][:16].replace("T", " ")
    assert stamp in header
    for label in ("author", "source", "editor"):
        if article[label]:
            assert article[label] in header, label


def test_declared_charsets_lie_where_truth_says() -> None:
    for site in SITES:
        for path, html in pages(site).items():
            declared = re.search(r"charset=([\w-]+)", html).group(1).lower()
            data = file_for(site, path).read_bytes()
            if path in TRUTH[site]["declared_charset_mismatch"]:
                with pytest.raises(UnicodeDecodeError):
                    data.decode(declared)
            else:
                assert data.decode(declared), path
    assert TRUTH["univ"]["declared_charset_mismatch"] and TRUTH["gov"]["declared_charset_mismatch"]


def test_discovery_claims_match_the_link_graph() -> None:
    for site in SITES:
        t = TRUTH[site]
        arts = {a["path"] for a in t["articles"]}
        found = {
            "home": linked_from(site, [t["home"]]),
            "list": linked_from(site, t["list_pages"]),
            "sitemap": sitemap_paths(site),
            "prevnext": {urlsplit(urljoin(ORIGIN + src, href)).path
                         for src in arts for href in PREVNEXT.findall(pages(site)[src])},
        }
        for a in t["articles"]:
            claimed = set(a["discovery"])
            actual = {way for way, paths in found.items() if a["path"] in paths}
            assert claimed == actual, a["path"]


def test_prevnext_only_articles_are_linked_only_from_articles() -> None:
    for site in SITES:
        hidden = {a["path"] for a in TRUTH[site]["articles"] if a["discovery"] == ["prevnext"]}
        arts = {a["path"] for a in TRUTH[site]["articles"]}
        for src, html in pages(site).items():
            if src not in arts:
                assert not hidden & set(links(src, html)), src


def test_list_pages_and_non_articles_exist_and_are_linked() -> None:
    for site in SITES:
        t = TRUTH[site]
        everything = linked_from(site, list(pages(site)))
        for path in t["non_articles"]:
            assert file_for(site, path).is_file(), path
            assert path in everything or path.removesuffix("index.html") in everything, path


def test_robots_disallow_linked_pages_and_allow_articles() -> None:
    for site in SITES:
        t = TRUTH[site]
        robots_txt = (bundled_sites()[site] / "robots.txt").read_text()
        robots = Protego.parse(robots_txt)
        assert list(robots.sitemaps) == [ORIGIN + "/sitemap.xml"]
        everything = linked_from(site, list(pages(site)))
        for path in t["disallowed"]:
            assert path in everything, path
            assert file_for(site, path).is_file(), path
            assert not robots.can_fetch(ORIGIN + path, "scraper")
        for a in t["articles"]:
            assert robots.can_fetch(ORIGIN + a["path"], "scraper")
        assert robots.crawl_delay("scraper") == t.get("crawl_delay")


def test_gov_sitemap_index_points_to_plain_and_gzipped_news_sitemaps() -> None:
    root = bundled_sites()["gov"]
    index = (root / "sitemap.xml").read_text()
    assert "<sitemapindex" in index
    assert re.findall(r"<loc>([^<]+)</loc>", index) == [ORIGIN + "/sitemap-2023.xml", ORIGIN + "/sitemap-news.xml.gz"]
    news = gzip.decompress((root / "sitemap-news.xml.gz").read_bytes()).decode()
    assert "http://www.google.com/schemas/sitemap-news/0.9" in news and "<news:publication_date>" in news
    assert "<lastmod>" in (root / "sitemap-2023.xml").read_text()
    in_maps = sitemap_paths("gov")
    assert any(a["path"] not in in_maps for a in TRUTH["gov"]["articles"])


def test_offsite_and_non_http_links_are_present() -> None:
    for site in SITES:
        everything = linked_from(site, list(pages(site)))
        assert any(u.startswith("mailto:") for u in everything), site
        assert any(u.startswith("javascript:") for u in everything), site
        for url in TRUTH[site]["offsite"]:
            assert url in everything


def test_served_sites_answer_truth_paths() -> None:
    with serve_sites(bundled_sites()) as servers, httpx.Client(timeout=5) as client:
        for site, server in servers.items():
            t = TRUTH[site]
            for a in t["articles"]:
                r = client.get(server.url(a["path"]))
                assert r.status_code == 200 and r.headers["content-type"] == "text/html", a["path"]
                assert b"SITE_ORIGIN" not in r.content and b"OTHER_ORIGIN" not in r.content
            for alias, canonical in t["aliases"].items():
                assert client.get(server.url(alias)).content == client.get(server.url(canonical)).content
            for path in t["missing"]:
                assert client.get(server.url(path)).status_code == 404
            for path in t.get("attachments", []):
                r = client.get(server.url(path))
                assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF-")
        gov_home = client.get(servers["gov"].url("/index.html")).text
        assert servers["univ"].origin + "/index.htm" in gov_home
        news = gzip.decompress(client.get(servers["gov"].url("/sitemap-news.xml.gz")).content).decode()
        assert servers["gov"].origin + "/xwdt/" in news
