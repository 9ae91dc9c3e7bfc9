"""The stored raw responses as a WARC file, for archivists' tools (pywb, warcio, wget's readers).

Each stored page becomes one gzipped `response` record: the URL the bytes came from, the time
it was fetched, an HTTP status line and the headers we kept (Content-Type, ETag,
Last-Modified), then the body exactly as received. Needs the optional `warc` extra (warcio).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from typing import BinaryIO

_REASONS = {200: "OK", 203: "Non-Authoritative Information"}


@dataclass(frozen=True)
class StoredResponse:
    """One stored fetch with its body (decompressed)."""

    url: str
    status: int
    content_type: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: str | None        # ISO UTC, e.g. 2024-11-05T02:22:00Z
    content: bytes


def _warcio():
    try:
        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter
    except ImportError as exc:
        raise RuntimeError("WARC output needs warcio: pip install 'scraper[warc]'") from exc
    return StatusAndHeaders, WARCWriter


def write_warc(responses: Iterable[StoredResponse], out: BinaryIO) -> int:
    """Write a `warcinfo` record then one `response` record per stored page; returns how many
    responses were written."""
    status_and_headers, writer_class = _warcio()
    writer = writer_class(out, gzip=True)
    writer.write_record(writer.create_warcinfo_record("scraper.warc.gz", {"software": "scraper"}))
    count = 0
    for page in responses:
        headers = [(name, value) for name, value in (("Content-Type", page.content_type), ("ETag", page.etag),
                                                     ("Last-Modified", page.last_modified)) if value]
        headers.append(("Content-Length", str(len(page.content))))
        http = status_and_headers(f"{page.status} {_REASONS.get(page.status, 'OK')}", headers, protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": page.fetched_at} if page.fetched_at else None
        record = writer.create_warc_record(page.url, "response", payload=BytesIO(page.content),
                                           length=len(page.content), http_headers=http,
                                           warc_headers_dict=warc_headers)
        writer.write_record(record)
        count += 1
    return count
