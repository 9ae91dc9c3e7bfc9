"""Body text on the magic-html benchmark's Chinese article pages: ours vs trafilatura, same run.

    python bench/magic_html_bench.py [--set DIR] [--show N]

Scores with the benchmark's own metric (summary-level ROUGE-L over jieba tokens, the `score.py`
that ships with the pages in ../shared/benchmarks/magic-html-zh/): `f1_mean` is the harmonic mean
of mean precision and mean recall, as the benchmark reports it; mean and min are over per-page F1.
Needs the `bench` extra (jieba, rouge-score, ltp-extension, trafilatura).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scraper.extract import extract_article  # noqa: E402

DEFAULT_SET = ROOT.parent / "shared" / "benchmarks" / "magic-html-zh"


def _load_metric(folder: Path) -> Callable[[str, str], tuple[float, float, float]]:
    spec = importlib.util.spec_from_file_location("magic_html_score", folder / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._metric()


def _ours(data: bytes, url: str) -> str:
    return extract_article(data, url).body or ""


def _trafilatura(data: bytes, url: str) -> str:
    from trafilatura import extract
    return extract(data, url=url, include_comments=False) or ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", type=Path, default=DEFAULT_SET, help="pages + ground_truth.jsonl + score.py")
    ap.add_argument("--show", type=int, default=0, help="list our N lowest pages")
    args = ap.parse_args()
    truth_path = args.set / "ground_truth.jsonl"
    if not truth_path.exists():
        print(f"no benchmark at {args.set}; nothing to measure")
        return 0
    rows = [json.loads(line) for line in truth_path.read_text("utf-8").splitlines() if line.strip()]
    score = _load_metric(args.set)
    print(f"{len(rows)} pages of the magic-html benchmark (its metric)\n")
    print(f"{'extractor':<14}{'f1_mean':>9}{'mean':>8}{'min':>8}{'ms/page':>9}")
    lowest: list[tuple[float, str]] = []
    for name, run in (("ours", _ours), ("trafilatura", _trafilatura)):
        ps, rs, fs, ms = [], [], [], []
        for row in rows:
            data = (args.set / row["file"]).read_bytes()
            t0 = time.process_time()
            text = run(data, row["url"])
            ms.append((time.process_time() - t0) * 1000)
            p, r, f = score(row["content"], text)
            ps.append(p), rs.append(r), fs.append(f)
            if name == "ours":
                lowest.append((f, row["file"]))
        mp, mr = statistics.fmean(ps), statistics.fmean(rs)
        f1_mean = 2 * mp * mr / (mp + mr) if mp + mr else 0.0
        print(f"{name:<14}{f1_mean:>9.3f}{statistics.fmean(fs):>8.3f}{min(fs):>8.3f}{statistics.median(ms):>9.2f}")
    for f, file in sorted(lowest)[: args.show]:
        print(f"  {f:.3f}  {file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
