"""Export selections and formats through the command line, WARC read back by warcio."""
from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from scraper.article import Article
from scraper.cli import main
from scraper.store import PageRecord, compress, open_archive


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "archive.db"
    with open_archive(path) as archive:
        run1 = archive.start_run({})
        for n, (site, day) in enumerate((("edu", "2024-03-01"), ("edu", "2024-11-05"), ("gov", "2024-11-20"))):
            url = f"http://127.0.0.1/{site}/{n}.htm"
            with archive.transaction():
                archive.save_article(Article(url=url, title=f"标题{n}", published_at=day, body=f"正文{n}。",
                                             source="教育局" if site == "edu" else "政府办"), url, site, run1)
                archive.save_page(PageRecord(url=url, site=site, status=200, content_type="text/html; charset=utf-8",
                                             etag=f'"e{n}"', raw=compress(f"<html>页面{n}</html>".encode()),
                                             encoding="utf-8", fetched_at="2024-11-21T00:00:00Z"))
        archive.finish_run(run1, "completed", {}, {})
        run2 = archive.start_run({})
        with archive.transaction():
            url = "http://127.0.0.1/edu/0.htm"
            archive.save_article(Article(url=url, title="标题0", published_at="2024-03-01", body="正文0（更正）。", source="教育局"),
                                 url, "edu", run2)
            archive.save_article(Article(url="http://127.0.0.1/edu/9.htm", title="新文", published_at="2024-12-01",
                                         body="新。"), "http://127.0.0.1/edu/9.htm", "edu", run2)
            archive.save_article(Article(url="http://127.0.0.1/gov/2.htm", title="标题2", published_at="2024-11-20",
                                         body="正文2。", source="政府办"), "http://127.0.0.1/gov/2.htm", "gov", run2)
        archive.finish_run(run2, "completed", {}, {})
    return path


def export(db, *args):
    result = CliRunner().invoke(main, ["export", "--db", str(db), *args])
    return result


def titles(db, *args):
    result = export(db, "--format", "jsonl", "--fields", "title", *args)
    assert result.exit_code == 0, result.output
    return sorted(json.loads(line)["title"] for line in result.stdout.splitlines())


def test_selections(db):
    assert titles(db) == ["新文", "标题0", "标题1", "标题2"]
    assert titles(db, "--site", "gov") == ["标题2"]
    assert titles(db, "--since", "2024-11", "--until", "2024-11") == ["标题1", "标题2"]
    assert titles(db, "--run", "1") == ["标题1", "标题2"]              # unchanged in run 2: still run 1's text
    assert titles(db, "--changed-since-run", "1") == ["新文", "标题0"]
    assert titles(db, "--where", "source LIKE '%教育%'") == ["标题0", "标题1"]


def test_fields_and_csv(db):
    result = export(db, "--format", "csv", "--fields", "url,title,attachments", "--site", "gov")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows == [{"url": "http://127.0.0.1/gov/2.htm", "title": "标题2", "attachments": "[]"}]
    bad = export(db, "--fields", "title,nonsense")
    assert bad.exit_code == 2 and "nonsense" in bad.output
    assert export(db, "--where", "no_such_column = 1").exit_code == 1


def test_markdown_stream_and_folder(db, tmp_path):
    stream = export(db, "--format", "md", "--site", "gov").stdout
    assert stream.startswith("# 标题2\n") and "- 来源: 政府办" in stream
    folder = tmp_path / "md"
    assert export(db, "--format", "md", "--output-dir", str(folder)).exit_code == 0
    assert len(list(folder.rglob("*.md"))) == 4 and (folder / "edu").is_dir()
    assert export(db, "--format", "csv", "--output-dir", str(folder)).exit_code == 2


def test_warc_is_read_by_warcio(db, tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    out = tmp_path / "pages.warc.gz"
    assert export(db, "--format", "warc", "-o", str(out), "--site", "edu").exit_code == 0
    with open(out, "rb") as fh:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.http_headers, r.content_stream().read())
                   for r in ArchiveIterator(fh)]
    assert records[0][0] == "warcinfo"
    responses = [r for r in records if r[0] == "response"]
    assert [r[1] for r in responses] == ["http://127.0.0.1/edu/0.htm", "http://127.0.0.1/edu/1.htm"]
    assert responses[0][2].get_statuscode() == "200" and responses[0][2].get_header("ETag") == '"e0"'
    assert responses[1][3].decode() == "<html>页面1</html>"
    assert export(db, "--format", "warc").exit_code == 2                # a WARC needs a file


def test_extract_several_files_and_a_folder_as_jsonl(tmp_path):
    from scraper.testsite import bundled_sites

    pages = sorted((bundled_sites()["univ"]).rglob("*.htm"))[:3]
    folder = tmp_path / "pages"
    (folder / "sub").mkdir(parents=True)
    for n, page in enumerate(pages):
        (folder / ("sub" if n else "") / f"{n}.htm").write_bytes(page.read_bytes())
    (folder / "notes.txt").write_text("not a page")
    several = CliRunner().invoke(main, ["extract", *map(str, pages)])
    assert several.exit_code == 0
    records = [json.loads(line) for line in several.stdout.splitlines()]
    assert [r["path"] for r in records] == list(map(str, pages)) and all("title" in r for r in records)
    walked = CliRunner().invoke(main, ["extract", "--input-dir", str(folder)])
    assert len(walked.stdout.splitlines()) == 3 and "notes.txt" not in walked.stdout
    missing = CliRunner().invoke(main, ["extract", str(pages[0]), str(tmp_path / "gone.htm")])
    assert missing.exit_code == 1 and len(missing.stdout.splitlines()) == 1 and "gone.htm" in missing.stderr
    assert CliRunner().invoke(main, ["extract"]).exit_code == 2
    assert CliRunner().invoke(main, ["extract", str(pages[0]), str(pages[1]), "--url", "http://x/"]).exit_code == 2
