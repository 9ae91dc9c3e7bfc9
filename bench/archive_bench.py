"""Reading an archive of 100k synthetic records: JSONL export throughput, search latency,
`changes` latency. Targets: export ≥ 50 MB/s, search median ≤ 50 ms, changes ≤ 200 ms.

    python bench/archive_bench.py [--records 100000] [--keep DIR]

The archive is made here through the normal write path (`Archive.save_article`, two runs: the
second changes 2% of the articles and adds 1%), so it has the indexes, FTS and versions a crawl
leaves. Text is drawn from a fixed vocabulary of Chinese words with a Zipf-like spread, so common
words match thousands of articles and rare ones a few. Peer for the export: `sqlite3` reading
the same columns with json.dumps and no archive code. Figures give wall time and this process's
CPU time: on a shared machine the wall time also counts other processes' turns.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from scraper.article import Article
from scraper.changes import Since
from scraper.export import export_to_file, search
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
            archive.update_search_index()                    # as a crawl does when its run ends
            archive.finish_run(run, "completed", {}, {})


def timed(fn, repeat: int = 1) -> list[float]:
    """Wall milliseconds of each call."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def cpu_and_wall(fn) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) of one call: on a shared machine the wall
    time also counts the other processes' turns."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def bench(db: Path) -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    size = db.stat().st_size / 1e6
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "articles.jsonl"
        export_to_file(db, out, "jsonl")                          # warm the page cache
        cpu, wall = min(cpu_and_wall(lambda: export_to_file(db, out, "jsonl")) for _ in range(2))
        mb = out.stat().st_size / 1e6

    def peer() -> None:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        with open(os.devnull, "w", encoding="utf-8") as sink:
            cursor = conn.execute("SELECT * FROM articles ORDER BY site, published_at, url")
            names = [d[0] for d in cursor.description]
            for row in cursor:
                sink.write(json.dumps(dict(zip(names, row)), ensure_ascii=False) + "\n")
        conn.close()

    peer_cpu, peer_wall = min(cpu_and_wall(peer) for _ in range(2))
    print(f"archive: {size:.0f} MB on disk; JSONL export {mb:.0f} MB: {mb / wall:.0f} MB/s wall, "
          f"{mb / cpu:.0f} MB/s of CPU time (peer, sqlite3 rows + json.dumps: {mb / peer_wall:.0f} MB/s wall, "
          f"{mb / peer_cpu:.0f} MB/s CPU; ratio {peer_cpu / cpu:.2f})")
    per_query, cpu_query = {}, {}
    for text in QUERIES:
        query = parse_query(text)
        search(db, query, 20)                                # warm the page cache
        runs = [cpu_and_wall(lambda: search(db, query, 20)) for _ in range(5)]
        per_query[text] = statistics.median(w for _, w in runs) * 1000
        cpu_query[text] = statistics.median(c for c, _ in runs) * 1000
    print("search ms (median of 5 runs, first 20 hits + total; wall/CPU): "
          + ", ".join(f"{q} {per_query[q]:.0f}/{cpu_query[q]:.0f}" for q in QUERIES))
    print(f"search median over queries: {statistics.median(per_query.values()):.1f} ms wall, "
          f"{statistics.median(cpu_query.values()):.1f} ms CPU (max {max(per_query.values()):.0f} ms wall)")
    with open_archive(db, readonly=True) as archive:
        runs = [cpu_and_wall(lambda: sum(1 for _ in archive.changes(Since(run_id=1)))) for _ in range(5)]
        count = sum(1 for _ in archive.changes(Since(run_id=1)))
    print(f"changes since run 1: {count} rows in {statistics.median(w for _, w in runs) * 1000:.0f} ms wall, "
          f"{statistics.median(c for c, _ in runs) * 1000:.0f} ms CPU (median of 5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="folder to keep (and reuse) the generated archive in "
                                                  "(default: scraper-archive-bench in the temp folder)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.gettempdir()) / "scraper-archive-bench"   # reused: building takes minutes
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"bench-v3-{args.records}.db"      # v3: search index filled at the end of each run
    if not db.exists():
        start = time.perf_counter()
        build(db, args.records)
        print(f"built {args.records} records in {time.perf_counter() - start:.0f} s")
    else:
        start = time.perf_counter()
        open_archive(db).close()                         # a reused archive: bring its schema up to date
        print(f"reusing {db} (schema brought up to date in {time.perf_counter() - start:.1f} s)")
    bench(db)


if __name__ == "__main__":
    main()
