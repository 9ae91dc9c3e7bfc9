"""Run the fuzz properties of tests/test_fuzz.py with many more (random) examples than CI does,
and print how many inputs each one got, how long it took and what failed.

    python bench/fuzz.py                  # 5000 examples per property, fresh random inputs
    python bench/fuzz.py --examples 50000
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import traceback
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=5000, help="examples per property (default 5000)")
    args = parser.parse_args()
    os.environ["FUZZ_EXAMPLES"] = str(args.examples)
    os.environ["FUZZ_RANDOM"] = "1"
    spec = importlib.util.spec_from_file_location("test_fuzz", TESTS / "test_fuzz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    failed = 0
    print(f"{'property':<58} {'inputs':>8} {'seconds':>8}  result")
    for name in sorted(n for n in dir(module) if n.startswith("test_")):
        before = sum(module.CALLS.values())
        started = time.perf_counter()
        try:
            getattr(module, name)()
            result = "ok"
        except Exception as exc:     # noqa: BLE001 - report every property, then fail
            failed += 1
            result = f"FAILED: {type(exc).__name__}"
            traceback.print_exc(file=sys.stderr)
        print(f"{name:<58} {sum(module.CALLS.values()) - before:>8} {time.perf_counter() - started:>8.1f}  {result}")
    print(f"total inputs: {sum(module.CALLS.values())}, failed properties: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
