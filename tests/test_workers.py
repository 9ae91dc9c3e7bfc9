"""The worker pool: answers every call, reports errors by type, survives a dead worker."""
from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator

import pytest

from scraper.workers import WorkerError, WorkerPool


def square_or_fail(x: int) -> int:
    if x < 0:
        raise ValueError("negative")
    return x * x


async def slow_echo(x: int, delay: float) -> int:
    await asyncio.sleep(delay)
    return x


async def count_to(n: int, marker: str) -> AsyncIterator[int]:
    """Streams 1..n; before each value after the first it waits (at most 10 s) for `marker` to
    exist, so the caller can show that a value reaches it while the op is still running.
    A negative n fails with ValueError after the first value."""
    yield 1
    if n < 0:
        raise ValueError("negative")
    for i in range(2, n + 1):
        deadline = time.monotonic() + 10
        while not os.path.exists(marker) and time.monotonic() < deadline:
            time.sleep(0.01)
        yield i


def niceness() -> int:
    return os.nice(0)


OPS = {"square": square_or_fail, "echo": slow_echo, "count": count_to, "niceness": niceness}


def test_results_come_back_for_every_call():
    async def go():
        async with WorkerPool(OPS, 2) as pool:
            return await asyncio.gather(*(pool.run("square", i) for i in range(50)))
    assert asyncio.run(go()) == [i * i for i in range(50)]


def test_coroutine_ops_run_concurrently_and_answer_out_of_order():
    async def go():
        async with WorkerPool(OPS, 1) as pool:
            slow = asyncio.create_task(pool.run("echo", 1, 0.5))
            fast = await pool.run("echo", 2, 0.0)
            return fast, slow.done(), await slow
    assert asyncio.run(go()) == (2, False, 1)


def test_an_exception_keeps_its_type_and_the_worker_lives_on():
    async def go():
        async with WorkerPool(OPS, 1) as pool:
            with pytest.raises(ValueError, match="negative"):
                await pool.run("square", -1)
            return await pool.run("square", 3)
    assert asyncio.run(go()) == 9


def test_dead_workers_fail_their_calls_then_work_runs_in_process():
    async def go():
        async with WorkerPool(OPS, 1) as pool:
            assert await pool.run("square", 2) == 4
            os.kill(pool.workers[0].process.pid, signal.SIGKILL)
            for _ in range(100):                  # wait until the loop notices the EOF
                if not pool.workers[0].alive:
                    break
                await asyncio.sleep(0.02)
            return await pool.run("square", 5), await pool.run("echo", 6, 0.0)
    assert asyncio.run(go()) == (25, 6)


@pytest.mark.parametrize("workers", [1, 0])
def test_a_stream_delivers_each_value_while_its_op_runs_on(tmp_path, workers):
    marker = tmp_path / "go-on"

    async def go():
        async with WorkerPool(OPS, workers) as pool:
            seen, ran_on = [], []
            async for value in pool.stream("count", 3, str(marker)):
                seen.append(value)
                ran_on.append(marker.exists())      # the op waits for it: it is still running
                marker.touch()
            return seen, ran_on
    assert asyncio.run(go()) == ([1, 2, 3], [False, True, True])


def test_a_stream_raises_its_ops_exception_and_a_dead_worker_ends_it():
    async def go():
        async with WorkerPool(OPS, 1) as pool:
            values = pool.stream("count", -2, "/nonexistent/never")
            assert await anext(values) == 1
            with pytest.raises(ValueError, match="negative"):
                await anext(values)
            values = pool.stream("count", 2, "/nonexistent/never")
            assert await anext(values) == 1
            os.kill(pool.workers[0].process.pid, signal.SIGKILL)
            with pytest.raises(WorkerError):
                await anext(values)
            await values.aclose()
            return pool.workers[0].pending
    assert asyncio.run(go()) == {}


def test_computing_only_while_every_worker_computes_with_nothing_else_under_way(tmp_path):
    """A stream past its first value computes (the exchange parses its page); a call queued
    beside it is I/O to come, so the pool is then not 'computing only'."""
    marker = tmp_path / "go-on"

    async def go():
        async with WorkerPool(OPS, 1) as pool:
            seen = [pool.computing_only()]
            values = pool.stream("count", 2, str(marker))
            assert await anext(values) == 1        # the op now waits for the marker: it computes
            seen.append(pool.computing_only())
            queued = asyncio.ensure_future(pool.run("echo", 7, 0.0))
            await asyncio.sleep(0.05)
            seen.append(pool.computing_only())
            marker.touch()
            assert await anext(values) == 2 and await queued == 7
            await values.aclose()
            seen.append(pool.computing_only())
            return seen
    assert asyncio.run(go()) == [False, True, False, False]


def test_workers_run_at_a_lower_cpu_priority_than_the_crawler():
    """Parsing takes the CPU the crawler's loop leaves, not the reverse (see WORKER_NICENESS)."""
    from scraper.workers import WORKER_NICENESS

    async def go():
        async with WorkerPool(OPS, 1) as pool:
            return await pool.run("niceness")
    assert asyncio.run(go()) == min(19, os.nice(0) + WORKER_NICENESS)
