"""How raw page bytes are packed in the archive: zstd (level 3), read back whatever wrote them.

Compression runs in the worker processes, off the crawler's loop.

Measured on ../shared/corpus (`python bench/compress_bench.py`): zstd level 3 keeps the size of
zlib level 6 (ratio 3.95 vs 3.94) at 84 MB/s instead of 19 — 1.7 ms instead of 7.5 ms of a
worker's time per 140 KB page, paid on every fetch — and unpacks four times faster. Rows written
by earlier versions hold zlib streams; the two formats tell themselves apart by their first bytes
(a zstd frame starts with its magic number, a zlib stream with 0x78), so old archives stay readable
without a migration.
"""
from __future__ import annotations

import zlib

import zstandard

LEVEL = 3
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_packer = zstandard.ZstdCompressor(level=LEVEL)      # writes the content size: one-shot unpacking
_unpacker = zstandard.ZstdDecompressor()


def compress(data: bytes) -> bytes:
    return _packer.compress(data)


def decompress(blob: bytes) -> bytes:
    """The page bytes of a stored `raw` value, zstd or (archives from before) zlib."""
    if blob[:4] == _ZSTD_MAGIC:
        return _unpacker.decompress(blob)
    return zlib.decompress(blob)
