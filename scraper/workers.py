"""Work moved off the crawler's event loop into worker processes: HTTP exchanges and parsing.

Why not `ProcessPoolExecutor`: its manager thread fights the event loop for the GIL on every
submit, which on two cores cost more than the parsing it moved away (measured: 63 pages/s with
it, 144 with parsing inline). Here each worker owns one socketpair; the crawler writes pickled
requests and awaits the answers through asyncio streams, with no extra threads. Each worker runs
its own event loop, so one worker holds many HTTP exchanges in flight while it parses.
A worker that dies fails only its pending calls; the pool then runs calls in the crawler itself.

An op that is an async generator streams: each value it yields reaches the caller as soon as it
is made (`WorkerPool.stream`). The HTTP exchange uses it to answer "the body is in" before it
parses the page, so that the crawler frees the host's request slot while the worker parses;
and when every worker is parsing with nothing else to do, the crawler makes its next exchange
itself (`WorkerPool.computing_only`) rather than queue it behind the parsing. It also makes them
itself while only one or two are under way (see `scraper.crawler._exchange_here`): the crawl
then waits on each answer, and every hand-over to a worker and back adds a wait.

Workers run at a lower CPU priority than the crawler (`WORKER_NICENESS`): when the cores are
busy, the crawler's scheduling, storing and its own exchanges go first and parsing takes what
is left, so that the next request to a host is not held up behind a parse (one request per
host, 4 ms answers, 2 cores: 77 → 86 articles/s on average over paired runs; no loss with 8 in
flight). It also leaves the machine to its other programs first, as a background job should.
"""
from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import struct
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
_HEADER = struct.Struct("!I")


class WorkerError(RuntimeError):
    """The call failed in the worker in a way that cannot be re-raised as is, or the worker died."""


# A reply frame is (call id, status, value): the call's result, the exception it raised, or one
# value of a stream (more follow; the stream's end is a result frame holding None).
_RESULT, _ERROR, _STREAMED = 1, 2, 3


@dataclass
class _Part:
    """One streamed value, and the future its call's next reply goes to (set up by the reader
    when it delivers this one, so no reply can arrive before there is a future to take it)."""

    value: Any
    next: asyncio.Future


async def _read_frame(reader: asyncio.StreamReader) -> Any:
    header = await reader.readexactly(_HEADER.size)
    return pickle.loads(await reader.readexactly(_HEADER.unpack(header)[0]))


def _frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def _error_frame(call_id: int, exc: BaseException) -> bytes:
    """The exception itself when it pickles (so the caller can catch its type), else a WorkerError."""
    try:
        return _frame((call_id, _ERROR, exc))
    except Exception:  # noqa: BLE001 - unpicklable exceptions are described instead
        return _frame((call_id, _ERROR, WorkerError(f"{type(exc).__name__}: {exc}")))


async def _serve(sock: socket.socket, ops: Mapping[str, Callable]) -> None:
    """Worker loop: (id, op, args) in → (id, status, value) out. Coroutine and generator ops
    run concurrently; plain ops run to completion in turn (they are CPU work)."""
    reader, writer = await asyncio.open_connection(sock=sock)
    tasks: set[asyncio.Task] = set()

    async def call(call_id: int, func: Callable, args: tuple) -> None:
        try:
            result = func(*args)
            if inspect.isasyncgen(result):
                async for value in result:
                    writer.write(_frame((call_id, _STREAMED, value)))
                result = None
            elif inspect.isawaitable(result):
                result = await result
            writer.write(_frame((call_id, _RESULT, result)))
        except Exception as exc:
            writer.write(_error_frame(call_id, exc))

    try:
        while True:
            call_id, op, args = await _read_frame(reader)
            task = asyncio.create_task(call(call_id, ops[op], args))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    except (asyncio.IncompleteReadError, ConnectionError):
        return                      # the crawler closed its end: we are done


WORKER_NICENESS = 10   # added to the crawler's: see the module's docstring


def _worker_main(sock: socket.socket, ops: Mapping[str, Callable]) -> None:
    # Ctrl-C reaches the whole process group: the crawler decides how to stop, and closes us
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.nice(WORKER_NICENESS)     # raising it needs no privilege
    except (AttributeError, OSError):  # no os.nice on this platform: equal priority then
        pass
    asyncio.run(_serve(sock, ops))


class _Worker:
    def __init__(self, ops: Mapping[str, Callable]):
        parent, child = socket.socketpair()
        ctx = multiprocessing.get_context("spawn")   # fork would copy the parent's threads' locks
        self.process = ctx.Process(target=_worker_main, args=(child, dict(ops)), daemon=True,
                                   name="scraper-worker")
        self.process.start()
        child.close()
        self.sock = parent
        self.pending: dict[int, asyncio.Future] = {}
        # calls keeping its event loop busy with CPU work: plain ops, and streams past their
        # first value (a stream answers first and computes after: the exchange parses its page)
        self.computing = 0
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task | None = None

    async def connect(self) -> None:
        reader, self.writer = await asyncio.open_connection(sock=self.sock)
        self.task = asyncio.create_task(self._read_replies(reader))

    async def _read_replies(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                call_id, status, value = await _read_frame(reader)
                future = self.pending.pop(call_id, None)
                if future is None or future.done():
                    continue          # the caller gave up (timeout, cancel)
                if status == _STREAMED:
                    following = self.pending[call_id] = future.get_loop().create_future()
                    future.set_result(_Part(value, following))
                elif status == _RESULT:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(WorkerError("worker process died"))
            self.pending.clear()

    @property
    def alive(self) -> bool:
        return self.task is not None and not self.task.done()

    def _send(self, call_id: int, op: str, args: tuple) -> asyncio.Future:
        assert self.writer is not None
        future = self.pending[call_id] = asyncio.get_running_loop().create_future()
        self.writer.write(_frame((call_id, op, args)))
        return future

    async def call(self, call_id: int, op: str, args: tuple, computing: bool) -> Any:
        self.computing += computing
        try:
            return await self._send(call_id, op, args)
        finally:
            self.pending.pop(call_id, None)
            self.computing -= computing

    async def stream(self, call_id: int, op: str, args: tuple) -> AsyncGenerator[Any, None]:
        future = self._send(call_id, op, args)
        counted = False
        try:
            while True:
                reply = await future
                if not isinstance(reply, _Part):
                    return            # the end of the stream
                if not counted:       # what follows the first value is the op's CPU work
                    self.computing += 1
                    counted = True
                yield reply.value
                future = reply.next
        finally:
            self.pending.pop(call_id, None)
            self.computing -= counted

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)
        await asyncio.to_thread(self.process.join, 5)
        if self.process.is_alive():
            self.process.kill()


class WorkerPool:
    """`await pool.run(op, *args)` runs `ops[op](*args)` in the least busy worker (in the
    caller's process when no worker is alive). Ops must be importable module-level functions
    (spawned workers import them); coroutine functions are awaited."""

    def __init__(self, ops: Mapping[str, Callable[..., Any]], workers: int):
        self.ops = dict(ops)
        self.size = workers
        self.workers: list[_Worker] = []
        self._ids = itertools.count()

    async def __aenter__(self) -> "WorkerPool":
        self.workers = [_Worker(self.ops) for _ in range(self.size)]
        await asyncio.gather(*(w.connect() for w in self.workers))
        return self

    async def __aexit__(self, *exc) -> None:
        await asyncio.gather(*(w.close() for w in self.workers))
        self.workers = []

    async def run(self, op: str, *args: Any) -> Any:
        worker = self._least_busy()
        if worker is None:
            result = self.ops[op](*args)
            return await result if inspect.isawaitable(result) else result
        return await worker.call(next(self._ids), op, args, not inspect.iscoroutinefunction(self.ops[op]))

    async def stream(self, op: str, *args: Any) -> AsyncGenerator[Any, None]:
        """The values the async generator `ops[op](*args)` yields, each as soon as it is made.
        Close the iterator (`aclose`) when leaving it early."""
        worker = self._least_busy()
        values = self.ops[op](*args) if worker is None else worker.stream(next(self._ids), op, args)
        try:
            async for value in values:
                yield value
        finally:
            await values.aclose()

    def computing_only(self) -> bool:
        """Whether every live worker is computing and has nothing else under way: a call sent
        now would wait for that CPU work while no I/O is in flight anywhere in the pool, and the
        caller does better to do its I/O itself."""
        live = [w for w in self.workers if w.alive]
        return bool(live) and all(w.computing and len(w.pending) == w.computing for w in live)

    def _least_busy(self) -> _Worker | None:
        """The live worker with the fewest calls under way; None (and a warning) when all died."""
        live = [w for w in self.workers if w.alive]
        if not live:
            if self.workers:
                log.warning("all worker processes died; working in the crawler process")
            return None
        return min(live, key=lambda w: len(w.pending))
