"""The extraction worker pool: answers in order, reports errors, survives a dead worker."""
from __future__ import annotations

import asyncio
import os
import signal

import pytest

from scraper.workers import WorkerError, WorkerPool


def square_or_fail(x: int) -> int:
    if x < 0:
        raise ValueError("negative")
    return x * x


def test_results_come_back_for_every_call():
    async def go():
        async with WorkerPool(square_or_fail, 2) as pool:
            return await asyncio.gather(*(pool.run(i) for i in range(50)))
    assert asyncio.run(go()) == [i * i for i in range(50)]


def test_an_exception_in_the_worker_is_reported_and_the_worker_lives_on():
    async def go():
        async with WorkerPool(square_or_fail, 1) as pool:
            with pytest.raises(WorkerError, match="ValueError: negative"):
                await pool.run(-1)
            return await pool.run(3)
    assert asyncio.run(go()) == 9


def test_dead_workers_fail_their_pages_then_work_goes_inline():
    async def go():
        async with WorkerPool(square_or_fail, 1) as pool:
            assert await pool.run(2) == 4
            os.kill(pool.workers[0].process.pid, signal.SIGKILL)
            for _ in range(100):                  # wait until the loop notices the EOF
                if not pool.workers[0].alive:
                    break
                await asyncio.sleep(0.02)
            return await pool.run(5)
    assert asyncio.run(go()) == 25
