"""Scale-out: articles/s of 1, 2 and 4 `scraper worker` processes sharing one PostgreSQL archive,
beside the single SQLite process, on 40 loopback news sites under polite settings.

    python bench/scale_bench.py                       # 40 sites x 20 articles, 1 s delay, 0.8 s answers
    python bench/scale_bench.py --sites 20 --articles 5 --latency 0.5

Every site has its own 127.0.x.y address and answers each request after `--latency` seconds (real
news servers take a fraction of a second, which is what limits how many hosts one process with
8 requests in flight keeps busy); each host allows one request at a time, one per `--delay`
seconds. A scratch PostgreSQL server is started from the machine's server binaries. For each
setup the frontier is seeded (`crawl --seed-only`, which reads every robots.txt: once per crawl
whatever the number of workers, so timed apart), then the workers run until it is empty; their
time includes starting the processes (Python and its imports: under a heavy load, seconds), so
the rate from the first request on is shown too. 20 articles a site by default: with a handful,
each host's own delay (a request a second) bounds the whole run to a few seconds and the figure
measures process start-up, not throughput.

Each figure comes with its ceiling, from the requests made: the busiest host's requests one
delay apart (politeness), or every request's latency over the processes' request slots; and
with the CPU time of the crawler processes and of the database server, to tell a setup that
waits from one that is short of CPU (on a small, shared machine the latter limits first). Politeness is judged from the sites' own request log: starts on
one host closer than the delay (less 50 ms of measuring slack) are violations and must be 0;
the largest number of requests one host answered at once must be 1.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scraper.store import open_archive  # noqa: E402
from scraper.testfarm import SiteFarm  # noqa: E402
from scraper.testpg import start_temp_postgres  # noqa: E402

SLACK = 0.05
CONCURRENCY = 8    # the default `concurrency`: requests in flight per process


def _config(path: Path, farm: SiteFarm, delay: float) -> str:
    sites = "".join(f'[[site]]\nname = "site{i:02d}"\nstart_urls = ["{origin}/"]\n'
                    for i, origin in enumerate(farm.origins))
    path.write_text(f"[defaults]\ndelay = {delay}\nextract_workers = 0\ntimeout = 10\n" + sites, encoding="utf-8")
    return str(path)


def _scraper(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scraper", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _finish(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        _, err = p.communicate()
        if p.returncode:
            raise SystemExit(f"scraper exited {p.returncode}: {err[-1500:]}")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _server_cpu(data: Path | None) -> float:
    """CPU seconds of a PostgreSQL server so far: the postmaster and its live backends, plus the
    backends that exited (the postmaster reaps them, so they are in its children's times)."""
    if data is None:
        return 0.0
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(pid) == postmaster:
            total += sum(int(f) for f in fields[11:15])   # utime stime cutime cstime
        elif int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _ceiling(farm: SiteFarm, processes: int, delay: float, latency: float) -> tuple[float, float]:
    """The shortest time the requests just made could have taken: (politeness bound, the
    busiest host's requests one `delay` apart; concurrency bound, every request's `latency` over
    the request slots of `processes`)."""
    polite = max(((len(hits) - 1) * delay + latency for hits in farm.by_host().values()), default=0.0)
    return polite, len(farm.hits) * latency / (processes * CONCURRENCY)


def _measure(farm: SiteFarm, label: str, db: str, run, args: argparse.Namespace, workers: int,
             data: Path | None, seed=None) -> dict:
    seconds = 0.0
    if seed is not None:            # once per crawl, whatever the number of workers: timed apart
        started = time.monotonic()
        seed()
        seconds = time.monotonic() - started
    farm.hits.clear()
    cpu, server = _children_cpu(), _server_cpu(data)
    load = os.getloadavg()[0]
    started = time.monotonic()
    run()
    elapsed = time.monotonic() - started
    cpu, server = _children_cpu() - cpu, _server_cpu(data) - server
    with open_archive(db, readonly=True) as archive:
        articles = archive.query("SELECT COUNT(*) FROM articles").first()[0]
    polite, busy = _ceiling(farm, workers, args.delay, args.latency)
    first = min((h.start for h in farm.hits), default=started) - started    # processes starting up
    row = {"setup": label, "articles": articles, "seconds": elapsed, "per_s": articles / elapsed,
           "requests": len(farm.hits), "violations": farm.politeness_violations(args.delay, SLACK),
           "closest": farm.closest_starts(), "most_at_once": max(farm.max_in_flight().values()),
           "cpu": cpu, "server_cpu": server, "load": load, "ceiling": articles / max(polite, busy),
           "working": articles / (elapsed - first)}
    print(f"{label:<22} {articles:>5} articles in {elapsed:6.1f}s = {row['per_s']:5.1f} articles/s"
          f" ({row['per_s'] / row['ceiling']:.0%} of the ceiling, {row['ceiling']:.1f}: {max(polite, busy):.1f}s"
          f" for {'politeness' if polite >= busy else 'request slots'})"
          + (f", after seeding in {seconds:.1f}s" if seed is not None else ""), flush=True)
    print(f"{'':<22} first request after {first:.1f}s (starting the processes): from there"
          f" {row['working']:.1f} articles/s ({row['working'] / row['ceiling']:.0%} of the ceiling)", flush=True)
    print(f"{'':<22} {row['requests']} requests, {row['violations']} politeness violations"
          f" (closest starts on a host {row['closest']:.3f}s, delay {args.delay}s),"
          f" at most {row['most_at_once']} in flight per host", flush=True)
    print(f"{'':<22} CPU: crawler processes {cpu:.1f}s ({cpu / workers / elapsed:.0%} of a core each),"
          f" database server {server:.1f}s ({server / elapsed:.0%} of a core); load average {load:.1f}", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=40)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--latency", type=float, default=0.8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    rows = []
    with start_temp_postgres() as pg, SiteFarm(args.sites, args.articles, args.latency) as farm:
        config = _config(tmp / "sites.toml", farm, args.delay)
        print(f"{args.sites} sites x {args.articles} articles, delay {args.delay}s, answers after {args.latency}s,"
              f" {CONCURRENCY} requests in flight per process, on {os.cpu_count()} cores; politeness allows"
              f" {args.sites / args.delay:.0f} requests/s in all, one process's slots"
              f" {CONCURRENCY / args.latency:.0f}/s", flush=True)
        sqlite_db = str(tmp / "archive.db")
        rows.append(_measure(farm, "SQLite, 1 process", sqlite_db,
                             lambda: _finish([_scraper("crawl", "--config", config, "--db", sqlite_db)]), args, 1, None))
        for n in args.workers:
            with psycopg.connect(pg.url(), autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE bench{n}")
            url = pg.url(f"bench{n}")
            rows.append(_measure(
                farm, f"PostgreSQL, {n} worker{'s' * (n > 1)}", url,
                lambda url=url, n=n: _finish([_scraper("worker", "--db", url, "--extract-workers", "0") for _ in range(n)]),
                args, n, pg.data,
                seed=lambda url=url: _finish([_scraper("crawl", "--config", config, "--db", url, "--seed-only")])))
    base = next(r for r in rows if r["setup"].startswith("PostgreSQL, 1 "))
    for r in rows:
        print(f"  {r['setup']:<22} {r['per_s'] / base['per_s']:4.2f}x one PostgreSQL worker,"
              f" {r['working'] / base['working']:4.2f}x from the first request (ceiling {r['ceiling'] / base['ceiling']:4.2f}x)")
    print(f"politeness violations in all: {sum(r['violations'] for r in rows)}")


if __name__ == "__main__":
    main()
