"""Reading an archive of 100k synthetic records: JSONL export throughput, search latency,
`changes` latency. Targets: export ≥ 50 MB/s, search median ≤ 50 ms, changes ≤ 200 ms.

    python bench/archive_bench.py [--records 100000] [--keep DIR]

The archive is made here through the normal write path (`Archive.save_article`, two runs: the
second changes 2% of the articles and adds 1%), so it has the indexes, FTS and versions a crawl
leaves. Text is drawn from a fixed vocabulary of Chinese words with a Zipf-like spread, so common
words match thousands of articles and rare ones a few. Peer for the export: `sqlite3` reading
the same columns with json.dumps and no archive code (the floor for a Python exporter).
"""
from __future__ import annotations

import argparse
import io
import itertools
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from scraper.article import Article
from scraper.changes import Since
from scraper.export import export_articles, search
from scraper.search import parse_query
from scraper.store import open_archive

# The words the bench searches for, placed at realistic frequency ranks of a Zipf vocabulary
# (rank 20 is in most articles, rank 2000 in a few hundred of 100k).
PLACED = {"发展": 20, "工作": 30, "教育": 60, "学院": 120, "招生": 250, "乡村振兴": 400, "高质量": 500,
          "研究生": 800, "本科": 900, "通知": 150, "征求": 1500, "意见": 300, "公示名单": 2500, "防汛抗旱": 4000}
QUERIES = ["乡村振兴", "招生", "高质量 发展", "研究生 OR 本科", '"征求 意见"', "教育 -通知", "防汛抗旱",
           "学院", "公示名单", "征求 意见"]
PUNCT = "，。；、"
VOCABULARY_SIZE = 8000


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Pseudo-words of 2–4 common characters with Zipf weights (1/rank), the placed words at
    their ranks."""
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3500)]
    words = ["".join(rng.choices(chars, k=rng.choice((2, 2, 2, 3, 4)))) for _ in range(VOCABULARY_SIZE)]
    for word, rank in PLACED.items():
        words[rank] = word
    weights = [1 / (rank + 1) for rank in range(VOCABULARY_SIZE)]
    return words, list(itertools.accumulate(weights))


def synthetic_article(rng: random.Random, vocab: tuple[list[str], list[float]], n: int, site: str) -> Article:
    words = rng.choices(vocab[0], cum_weights=vocab[1], k=rng.randint(150, 450))
    body = "".join(w + (rng.choice(PUNCT) if rng.random() < 0.15 else "") for w in words)
    paragraphs = "\n".join(body[i:i + 200] for i in range(0, len(body), 200))
    day = f"20{rng.randint(20, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return Article(url=f"http://{site}.example.cn/info/{n}.htm",
                   title="".join(rng.choices(vocab[0], cum_weights=vocab[1], k=6)),
                   published_at=f"{day}T{rng.randint(8, 20):02d}:00:00+08:00", source=rng.choice(vocab[0][:50]) + "办公室",
                   author=rng.choice(("王丽", "李明", None)), body=paragraphs)


def build(db: Path, records: int) -> None:
    rng = random.Random(7)
    vocab = vocabulary(rng)
    sites = [f"site{i}" for i in range(20)]
    with open_archive(db) as archive:
        for run_no, share in ((1, 1.0), (2, 0.03)):
            run = archive.start_run({"bench": run_no})
            with archive.group_commit(max_units=2000, max_seconds=30):
                for n in range(records if run_no == 1 else int(records * 1.01)):
                    if run_no == 2 and n < records and rng.random() > share:
                        continue
                    article = synthetic_article(rng, vocab, n, sites[n % len(sites)])
                    with archive.transaction():
                        archive.save_article(article, article.url, sites[n % len(sites)], run)
            archive.finish_run(run, "completed", {}, {})


def timed(fn, repeat: int = 1) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def bench(db: Path) -> None:
    size = db.stat().st_size / 1e6
    sink = io.StringIO()
    export_ms = min(timed(lambda: (sink.seek(0), sink.truncate(), export_articles(db, sink, "jsonl")), 2))
    mb = len(sink.getvalue().encode("utf-8")) / 1e6

    def peer() -> None:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        out = io.StringIO()
        cursor = conn.execute("SELECT * FROM articles ORDER BY site, published_at, url")
        names = [d[0] for d in cursor.description]
        for row in cursor:
            out.write(json.dumps(dict(zip(names, row)), ensure_ascii=False) + "\n")
        conn.close()

    peer_ms = min(timed(peer, 2))
    print(f"archive: {size:.0f} MB on disk; JSONL export {mb:.0f} MB in {export_ms:.0f} ms = "
          f"{mb / export_ms * 1000:.0f} MB/s (plain sqlite3+json.dumps: {mb / peer_ms * 1000:.0f} MB/s, "
          f"ratio {peer_ms / export_ms:.2f})")
    per_query = {}
    for text in QUERIES:
        query = parse_query(text)
        search(db, query, 20)                                # warm the page cache
        per_query[text] = statistics.median(timed(lambda: search(db, query, 20), 5))
    print("search ms (median of 5, first 20 hits + total): "
          + ", ".join(f"{q} {ms:.0f}" for q, ms in per_query.items()))
    print(f"search median over queries: {statistics.median(per_query.values()):.1f} ms "
          f"(max {max(per_query.values()):.0f} ms)")
    with open_archive(db, readonly=True) as archive:
        changes_ms = statistics.median(timed(lambda: sum(1 for _ in archive.changes(Since(run_id=1))), 5))
        count = sum(1 for _ in archive.changes(Since(run_id=1)))
    print(f"changes since run 1: {count} rows in {changes_ms:.0f} ms (median of 5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="folder to keep (and reuse) the generated archive in "
                                                  "(default: scraper-archive-bench in the temp folder)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.gettempdir()) / "scraper-archive-bench"   # reused: building takes minutes
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"bench-v2-{args.records}.db"      # v2: Zipf vocabulary with placed words
    if not db.exists():
        start = time.perf_counter()
        build(db, args.records)
        print(f"built {args.records} records in {time.perf_counter() - start:.0f} s")
    bench(db)


if __name__ == "__main__":
    main()
