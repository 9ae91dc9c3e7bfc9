"""Start-up time of the command line: `scraper --help` (and `scraper query --help`) beside a
peer that only starts Python and imports click, in the same run, alternating runs so that a
machine's drift hits both. Prints median wall and CPU seconds and the ratio to the peer, plus
the slowest imports of `scraper.cli` (python -X importtime).

    python bench/startup_bench.py [--runs 15]

The target is `scraper --help` under 0.3 s of wall time; the heavy parts (crawler, parsers,
asyncio, httpx, rich) are imported only by the commands that use them.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "scraper --help": [sys.executable, "-m", "scraper", "--help"],
    "scraper query --help": [sys.executable, "-m", "scraper", "query", "--help"],
    "peer: python -c 'import click'": [sys.executable, "-c", "import click"],
}


def _once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _slowest_imports(n: int = 10) -> list[tuple[int, str]]:
    """The modules imported by `import scraper.cli` with the largest cumulative time."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import scraper.cli"],
                         capture_output=True, text=True, check=True).stderr
    rows = []
    for line in out.splitlines()[1:]:
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3:
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    for argv in COMMANDS.values():          # warm the file cache and the .pyc files
        _once(argv)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            times[name].append(_once(argv))
    peer = statistics.median(w for w, _ in times["peer: python -c 'import click'"])
    print(f"{'command':<34} {'wall s (median)':>16} {'cpu s (median)':>15} {'vs peer':>8}")
    for name, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name:<34} {wall:>16.3f} {cpu:>15.3f} {wall / peer:>7.1f}x")
    print("\nslowest top-level imports of scraper.cli (cumulative µs, one run):")
    for micros, name in _slowest_imports():
        print(f"  {micros:>8}  {name}")


if __name__ == "__main__":
    main()
