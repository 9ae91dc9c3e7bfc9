"""Export formats, version diffs and WARC output on records made here (no archive)."""
import csv
import io
import json

import pytest

from scraper.changes import diff_versions, history
from scraper.formats import WRITERS, markdown, markdown_name, write_markdown_dir

RECORDS = [
    {"url": "http://127.0.0.1/a/1.htm", "site": "univ", "title": "关于2024年本科招生的通知",
     "published_at": "2024-03-01T09:00:00+08:00", "source": "招生办", "body": "第一段。\n第二段，含\"引号\"。",
     "images": [{"src": "http://127.0.0.1/i.jpg", "caption": "校园"}],
     "attachments": [{"url": "http://127.0.0.1/f.pdf", "text": "招生简章"}]},
    {"url": "http://127.0.0.1/a/2.htm", "site": "univ", "title": "关于2024年本科招生的通知",
     "published_at": None, "source": None, "body": "", "images": [], "attachments": []},
]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "md"])
def test_every_format_round_trips_what_it_can(fmt):
    out = io.StringIO()
    assert WRITERS[fmt](iter(RECORDS), out) == 2
    text = out.getvalue()
    assert "\\u" not in text and "招生简章" in text
    if fmt == "json":
        assert json.loads(text) == RECORDS
    elif fmt == "jsonl":
        assert [json.loads(line) for line in text.splitlines()] == RECORDS
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows[0]["body"] == RECORDS[0]["body"] and json.loads(rows[0]["attachments"]) == RECORDS[0]["attachments"]
    else:
        assert text.count("# 关于2024年本科招生的通知") == 2 and "\n---\n" in text


def test_empty_exports_are_valid():
    for fmt in ("json", "jsonl", "csv"):
        out = io.StringIO()
        assert WRITERS[fmt](iter([]), out) == 0
    out = io.StringIO()
    WRITERS["json"](iter([]), out)
    assert json.loads(out.getvalue()) == []


def test_markdown_document():
    text = markdown(RECORDS[0])
    assert text.startswith("# 关于2024年本科招生的通知\n\n- URL: http://127.0.0.1/a/1.htm")
    assert "- 来源: 招生办" in text and "第一段。\n\n第二段" in text
    assert "## 附件\n\n- [招生简章](http://127.0.0.1/f.pdf)" in text and "![校园](http://127.0.0.1/i.jpg)" in text


def test_markdown_dir_one_file_each_even_with_one_title(tmp_path):
    assert write_markdown_dir(iter(RECORDS + [{"url": "x", "title": "a/b:c", "site": "../up"}]), tmp_path) == 3
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.md"))
    assert len(files) == 3 and all(not f.startswith("..") for f in files)
    assert markdown_name(RECORDS[0]).startswith("univ/2024-03-01_关于2024年本科招生的通知_")


def test_version_diff_names_changed_fields_and_body_lines():
    v1 = {"version": 1, "title": "通知", "body": "一\n二\n三", "source": "办公室"}
    v2 = {"version": 2, "title": "通知（更正）", "body": "一\n二改\n三", "source": "办公室", "stored_at": "2024-03-02T00:00:00Z"}
    v3 = dict(v2, version=3, editor="王丽")
    first, second = history([v1, v2, v3])
    assert first.fields == ["title", "body"] and "-二" in first.body_diff and "+二改" in first.body_diff
    assert first.to_dict()["from"] == 1 and first.when == "2024-03-02T00:00:00Z"
    assert second.fields == ["editor"] and second.body_diff == []
    assert diff_versions(v1, v1).fields == []
