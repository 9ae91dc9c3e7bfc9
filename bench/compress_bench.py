"""Compressors for raw pages, measured on ../shared/corpus: ratio and MB/s each way.

    python bench/compress_bench.py

The archive keeps every fetched page's bytes; compressing them runs once per page in the worker
processes, so its cost is paid on every fetch while the space it saves is paid once on disk.
"""
from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from pathlib import Path

import zstandard

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def _measure(pages: list[bytes], pack: Callable[[bytes], bytes], unpack: Callable[[bytes], bytes],
             rounds: int = 5) -> tuple[float, float, float]:
    size = sum(map(len, pages))
    started = time.perf_counter()
    for _ in range(rounds):
        packed = [pack(p) for p in pages]
    pack_s = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        for blob in packed:
            unpack(blob)
    unpack_s = (time.perf_counter() - started) / rounds
    return size / sum(map(len, packed)), size / pack_s / 1e6, size / unpack_s / 1e6


def main() -> None:
    pages = [p.read_bytes() for p in sorted(CORPUS.glob("*.html"))]
    print(f"{len(pages)} pages, {sum(map(len, pages)) / 1e6:.1f} MB")
    print(f"{'compressor':<12} {'ratio':>6} {'pack MB/s':>10} {'unpack MB/s':>12} {'ms/140KB page':>14}")
    candidates: dict[str, tuple[Callable, Callable]] = {
        f"zlib-{level}": (lambda d, level=level: zlib.compress(d, level), zlib.decompress) for level in (1, 6)
    }
    for level in (1, 3, 6):
        packer = zstandard.ZstdCompressor(level=level)
        candidates[f"zstd-{level}"] = (packer.compress, zstandard.ZstdDecompressor().decompress)
    for name, (pack, unpack) in candidates.items():
        ratio, pack_mbs, unpack_mbs = _measure(pages, pack, unpack)
        print(f"{name:<12} {ratio:6.2f} {pack_mbs:10.0f} {unpack_mbs:12.0f} {0.14 / pack_mbs * 1000:14.2f}")


if __name__ == "__main__":
    main()
