"""download_files: a site's attachments fetched politely into the content-addressed `files`
table (size cap, conditional GET on the next run), linked to their articles and written out by
`scraper files export` under their link text."""
from __future__ import annotations

import hashlib
import sqlite3

import pytest
from click.testing import CliRunner

from scraper.cli import main
from scraper.files import export_name, file_extension
from scraper.testsite import FixtureServer

BODY = "。".join(f"学校召开招生工作会议第{n}段，部署今年本科招生宣传与录取工作" for n in range(12))
ARTICLE = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>2024年本科招生章程发布</title></head>
<body><div class="nav"><a href="/index.htm">首页</a></div>
<div class="article"><h1>2024年本科招生章程发布</h1>
<p class="info">发布时间：2024-03-05 09:00 来源：招生办</p>
<div id="content"><p>{BODY}。</p>
<p>附件：<a href="/files/zhangcheng.pdf">2024年招生章程.pdf</a></p>
<p><a href="/download.jsp?id=7">报名表.xlsx</a></p>
<p><a href="/files/same.pdf">章程（副本）.pdf</a></p>
<p><a href="/files/notes.doc">说明.doc</a></p>
<p><a href="/files/big.pdf">大文件.pdf</a></p>
<p><img src="/files/photo.jpg" alt="招生咨询会现场"></p>
<p><img src="/files/poster.png"></p>
</div></div></body></html>"""
PDF = b"%PDF-1.4 charter " + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0 photo " + bytes(range(256)) * 2


@pytest.fixture()
def site(tmp_path):
    root = tmp_path / "site"
    (root / "files").mkdir(parents=True)
    (root / "index.htm").write_text('<html><body><ul><li><a href="/info/1.htm">2024年本科招生章程发布</a></li>'
                                    "</ul></body></html>", encoding="utf-8")
    (root / "info").mkdir()
    (root / "info" / "1.htm").write_text(ARTICLE, encoding="utf-8")
    (root / "files" / "zhangcheng.pdf").write_bytes(PDF)
    (root / "files" / "same.pdf").write_bytes(PDF)                 # the same bytes under another URL
    (root / "files" / "notes.doc").write_bytes(b"doc")
    (root / "files" / "big.pdf").write_bytes(b"x" * 300_000)
    (root / "download.jsp").write_bytes(b"PK\x03\x04 xlsx")
    (root / "files" / "photo.jpg").write_bytes(JPEG)
    (root / "files" / "poster.png").write_bytes(b"\x89PNG" + b"x" * 200_000)   # over the size cap
    return root


def crawl(server, tmp_path, *extra, settings='download_files = ["pdf", "xlsx"]'):
    config = tmp_path / "sites.toml"
    config.write_text(f'[defaults]\nextract_workers = 0\n[[site]]\nname = "univ"\n'
                      f'start_urls = ["{server.origin}/index.htm"]\n'
                      f'delay = 0\nmax_bytes = 100000\n{settings}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["crawl", "--config", str(config), "--db", str(tmp_path / "a.db"), *extra])
    assert result.exit_code == 0, result.output
    return sqlite3.connect(tmp_path / "a.db")


def test_attachments_are_kept_once_per_content_and_exported_by_link_text(site, tmp_path):
    with FixtureServer(site) as server:
        conn = crawl(server, tmp_path)
        files = conn.execute("SELECT sha256, size FROM files ORDER BY size").fetchall()
        assert [size for _, size in files] == [len(b"PK\x03\x04 xlsx"), len(PDF)]
        assert files[1][0] == hashlib.sha256(PDF).hexdigest()
        urls = {u.rsplit("/", 1)[1] for (u,) in conn.execute("SELECT url FROM file_urls")}
        assert urls == {"zhangcheng.pdf", "same.pdf", "download.jsp?id=7"}        # not the .doc
        assert conn.execute("SELECT reason FROM pages WHERE url LIKE '%big.pdf'").fetchone() == ("too-large",)
        linked = conn.execute("SELECT text FROM article_files ORDER BY text").fetchall()
        assert [t for (t,) in linked] == ["2024年招生章程.pdf", "报名表.xlsx", "章程（副本）.pdf"]
        fetched = [p for m, p in server.requests if "zhangcheng" in p]
        again = crawl(server, tmp_path, "--refresh")                            # conditional GET: 304
        assert again.execute("SELECT status FROM pages WHERE url LIKE '%zhangcheng.pdf'").fetchone() == (304,)
        assert again.execute("SELECT COUNT(*) FROM files").fetchone() == (2,)
        assert len([p for m, p in server.requests if "zhangcheng" in p]) == len(fetched) + 1
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["files", "export", str(out), "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (out / "univ").iterdir())
    assert names == ["2024年招生章程.pdf", "报名表.xlsx", "章程（副本）.pdf"]
    assert (out / "univ" / "2024年招生章程.pdf").read_bytes() == PDF


def test_images_are_kept_when_the_site_asks_with_the_same_size_cap_and_conditional_get(site, tmp_path):
    with FixtureServer(site) as server:
        conn = crawl(server, tmp_path, settings="download_images = true")
        assert conn.execute("SELECT kind, text, mime FROM article_files").fetchall() == [
            ("image", "招生咨询会现场", "image/jpeg")]                          # no attachment types asked for
        assert conn.execute("SELECT size FROM files").fetchall() == [(len(JPEG),)]
        assert conn.execute("SELECT reason FROM pages WHERE url LIKE '%poster.png'").fetchone() == ("too-large",)
        again = crawl(server, tmp_path, "--refresh", settings="download_images = true")
        assert again.execute("SELECT status FROM pages WHERE url LIKE '%photo.jpg'").fetchone() == (304,)
    out = tmp_path / "images"
    assert CliRunner().invoke(main, ["files", "export", str(out), "--db", str(tmp_path / "a.db")]).exit_code == 0
    assert (out / "univ" / "招生咨询会现场.jpg").read_bytes() == JPEG


def test_download_is_off_by_default(site, tmp_path):
    with FixtureServer(site) as server:
        config = tmp_path / "plain.toml"
        config.write_text(f'[defaults]\nextract_workers = 0\n[[site]]\nname = "univ"\n'
                          f'start_urls = ["{server.origin}/index.htm"]\ndelay = 0\n')
        assert CliRunner().invoke(main, ["crawl", "--config", str(config), "--db", str(tmp_path / "b.db")]).exit_code == 0
        assert not any("/files/" in p for _, p in server.requests)
    assert sqlite3.connect(tmp_path / "b.db").execute("SELECT COUNT(*) FROM files").fetchone() == (0,)


def test_bad_download_files_setting_is_a_config_error(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[[site]]\nname = "x"\nstart_urls = ["http://127.0.0.1:9/"]\ndownload_files = "pdf"\n')
    result = CliRunner().invoke(main, ["crawl", "--config", str(config), "--db", str(tmp_path / "c.db")])
    assert result.exit_code != 0 and "download_files" in result.output


@pytest.mark.parametrize("url, text, expected", [
    ("http://x/a/招生.PDF", None, "pdf"), ("http://x/download.jsp?id=7", "报名表.xlsx", "xlsx"),
    ("http://x/get?f=1", "附件", None), ("http://x/a%20b.docx", "", "docx"),
])
def test_file_extension(url, text, expected):
    assert file_extension(url, text) == expected


def test_export_name():
    assert export_name("2024/招生:章程", "http://x/f.pdf", "ab" * 32) == "2024_招生_章程.pdf"
    assert export_name(None, "http://x/files/plan.xls", "ab" * 32) == "plan.xls"
    assert export_name("..", "http://x/get", "ab" * 32) == "abababababab"
