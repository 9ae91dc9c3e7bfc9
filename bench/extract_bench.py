"""Extraction speed: ms/page for ours vs trafilatura's bare_extraction, in the same run.

    python bench/extract_bench.py [--corpus DIR] [--repeat N]

Each page is extracted `--repeat` times by each extractor, alternating, and the page's time is
its fastest run in CPU time (time.process_time: extraction is single-threaded and CPU-bound, and
CPU time leaves out waiting for other processes on a shared machine); the table shows the
median and 90th percentile over pages, and how many times faster ours is.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scraper.extract import extract_article  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


def _time(fn, data: bytes) -> float:
    t0 = time.process_time()
    fn(data)
    return (time.process_time() - t0) * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    pages = sorted(args.corpus.glob("*.html"))
    if not pages:
        print(f"no pages in {args.corpus}; nothing to measure")
        return 0
    runners = {"ours": extract_article}
    try:
        from trafilatura import bare_extraction

        runners["trafilatura"] = lambda data: bare_extraction(data, with_metadata=True, include_comments=False)
    except ImportError:
        print("trafilatura not installed: timing ours only")
    times: dict[str, list[float]] = {name: [] for name in runners}
    for path in pages:
        data = path.read_bytes()
        best = {name: float("inf") for name in runners}
        for _ in range(max(1, args.repeat)):
            for name, fn in runners.items():
                best[name] = min(best[name], _time(fn, data))
        for name in runners:
            times[name].append(best[name])
    print(f"{len(pages)} pages, best of {args.repeat} runs each\n")
    print(f"{'extractor':<14}{'median ms':>11}{'p90 ms':>9}")
    for name, ts in times.items():
        print(f"{name:<14}{statistics.median(ts):>11.2f}{percentile(ts, 0.9):>9.2f}")
    if "trafilatura" in times:
        ratio = statistics.median(times["trafilatura"]) / statistics.median(times["ours"])
        print(f"\nours is {ratio:.1f}x faster than trafilatura (median ms/page)")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux reports KiB
    print(f"peak RSS of this process (both extractors loaded): {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
