"""Writing article records out: JSON, JSON Lines, CSV, Markdown (one stream, or one file per
article in a folder). Each writer takes an iterator of dicts and keeps one record in memory at
a time, so an export of any size runs in constant memory.

Records are dicts of stored columns; `images` and `attachments` are lists of dicts. Fields a
caller left out (`--fields`) are simply absent.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

FORMATS = ("jsonl", "json", "csv", "md")
JSON_FORMATS = ("jsonl", "json")       # these take records as JSON text too
_LIST_FIELDS = ("images", "attachments")
# Markdown header lines, in this order, for the fields a record has.
_MD_LABELS = (("url", "URL"), ("site", "站点"), ("published_at", "发布时间"), ("author", "作者"),
              ("source", "来源"), ("editor", "责任编辑"), ("version", "版本"))
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')


def _json_bytes(record: dict | str | bytes) -> bytes:
    if isinstance(record, bytes):
        return record
    return (record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)).encode("utf-8")


def _binary_writer(out: IO[str]) -> Callable[[bytes], object]:
    """A function writing UTF-8 bytes to `out`: straight to its binary buffer when it has one
    (files, stdout), so JSON the archive already encoded is not decoded and encoded again (a
    third of a JSON export's CPU time on Chinese text); decoded for a text-only stream."""
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        return lambda piece: out.write(piece.decode("utf-8"))
    out.flush()                     # whatever the text layer holds goes first
    return buffer.write


def write_jsonl(records: Iterable[dict | str | bytes], out: IO[str]) -> int:
    """One JSON object per line; records may be dicts, JSON text or UTF-8 JSON bytes."""
    count = 0
    write = _binary_writer(out)
    for record in records:
        write(_json_bytes(record))
        write(b"\n")
        count += 1
    return count


def write_json(records: Iterable[dict | str | bytes], out: IO[str]) -> int:
    """One JSON array, written element by element (dicts, JSON text or UTF-8 JSON bytes)."""
    count = 0
    write = _binary_writer(out)
    write(b"[")
    for record in records:
        write(b"\n" if count == 0 else b",\n")
        write(_json_bytes(record))
        count += 1
    write(b"\n]\n" if count else b"]\n")
    return count


def write_csv(records: Iterable[dict], out: IO[str], columns: Sequence[str] | None = None) -> int:
    """A header of `columns` (else the first record's keys), written even when no record follows:
    an empty result is still a CSV file with its columns; lists go into their cell as JSON text."""
    writer = None
    if columns is not None:
        writer = csv.DictWriter(out, fieldnames=list(columns))
        writer.writeheader()
    count = 0
    for record in records:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(record))
            writer.writeheader()
        writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                         for k, v in record.items()})
        count += 1
    return count


def markdown(record: dict) -> str:
    """One article as a Markdown document: title, a list of its metadata, the body's paragraphs,
    then its attachments and images as links."""
    lines = [f"# {record.get('title') or record.get('url') or '(untitled)'}", ""]
    lines += [f"- {label}: {record[key]}" for key, label in _MD_LABELS if record.get(key) not in (None, "")]
    if body := record.get("body"):
        lines += ["", *(p + "\n" for p in body.split("\n") if p.strip())]
        lines[-1] = lines[-1].rstrip("\n")
    for key, heading, link in (("attachments", "附件", lambda a: f"[{a.get('text') or a['url']}]({a['url']})"),
                               ("images", "图片", lambda i: f"![{i.get('caption') or ''}]({i['src']})")):
        if record.get(key):
            lines += ["", f"## {heading}", "", *(f"- {link(item)}" for item in record[key])]
    return "\n".join(lines) + "\n"


def write_markdown(records: Iterable[dict], out: IO[str]) -> int:
    """Every article in one stream, separated by a horizontal rule."""
    count = 0
    for record in records:
        out.write(("\n---\n\n" if count else "") + markdown(record))
        count += 1
    return count


def write_markdown_dir(records: Iterable[dict], folder: Path) -> int:
    """One `.md` file per article under `folder/<site>/`, named by date and title (plus a short
    hash of the URL, so two articles with one title never overwrite each other)."""
    count = 0
    for record in records:
        path = folder / markdown_name(record)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown(record), encoding="utf-8")
        count += 1
    return count


def markdown_name(record: dict) -> str:
    site = _UNSAFE_NAME.sub("_", record.get("site") or "articles").strip("._") or "articles"
    title = _UNSAFE_NAME.sub("_", record.get("title") or "").strip("._")[:60]
    day = (record.get("published_at") or "")[:10]
    tag = hashlib.sha1((record.get("url") or title).encode("utf-8")).hexdigest()[:8]
    return f"{site}/{'_'.join(p for p in (day, title, tag) if p)}.md"


WRITERS: dict[str, Callable[[Iterable, IO[str]], int]] = {
    "jsonl": write_jsonl, "json": write_json, "csv": write_csv, "md": write_markdown,
}


def decoded(records: Iterable[dict]) -> Iterator[dict]:
    """Records whose list fields are still JSON text, decoded (an absent list is empty)."""
    for record in records:
        for key in _LIST_FIELDS:
            if key in record:
                value = record[key]
                record[key] = json.loads(value) if value else []
        yield record
