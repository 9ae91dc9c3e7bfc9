"""Filling the full-text index beside a crawl, off its event loop.

Tokenizing for the trigram index costs ~1.4 ms of CPU per article. In the crawler's event loop
each fill of a few dozen articles held it for ~0.1 s, in which no answer was read and no
request sent: with one request per host at a time, 17% of a crawl's time went so (35 waits
over 20 ms in a server's log of a 1,000-page crawl). A thread fills the index instead, on a
connection of its own (sqlite works without the GIL), while the loop goes on fetching.

Both connections write to one file, one at a time. `start` commits the crawl's open group and
returns once the thread holds the write lock, so that a write of the loop can only wait for the
fill, never the fill for the loop (which would be waiting for the fill). The crawl's write paths
`await writable()` first, so they wait without blocking the event loop; one that does not
blocks it until the fill is done, as before.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from .store import Archive, ArchiveError

log = logging.getLogger(__name__)


class SearchFill:
    """One per crawl run (sites share the archive, and its write lock)."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self.indexer = archive.search_indexer()
        self.task: asyncio.Future[None] | None = None
        self.spares = 0     # coroutines fetching in place of ones waiting for a fill (see crawler._store_turn)
        # fills run one at a time: a thread of their own, not the event loop's shared pool
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="search-fill")

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> None:
        """Index what is stored so far: in a thread when the archive can, else here and now.
        While a fill runs, this does nothing: the next one takes the newer articles too."""
        if self.indexer is None:
            self.archive.update_search_index()
            return
        if self.busy:
            return
        self.archive.commit_group()
        holding = threading.Event()
        self.task = asyncio.get_running_loop().run_in_executor(self.thread, partial(self._fill, holding.set))
        holding.wait()      # the thread's start and a BEGIN on a free lock: well under a millisecond

    def _fill(self, holding) -> None:
        assert self.indexer is not None
        try:
            self.indexer(holding)
        except ArchiveError as exc:   # the run's last fill (or the next run's) indexes them
            log.warning("the search index was not filled: %s", exc)
        finally:
            holding()   # a fill that failed before its BEGIN (opening the file) must not leave `start` waiting

    async def writable(self) -> None:
        """Return once no fill holds the archive's write lock. A loop: another waiter woken by
        the same fill's end may have stored a page and started the next fill before this one
        runs again."""
        while (task := self.task) is not None and not task.done():
            await asyncio.shield(task)   # a waiter cancelled must not mark the fill done

    async def close(self) -> None:
        """Wait for the fill under way, then let its thread go."""
        await self.writable()
        self.thread.shutdown()
