"""The disk queue for asyncio: every call on one worker thread, in call order.

A put's fsync can take milliseconds (see ``disk_queue``); the event loop must not wait for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from functools import partial
from typing import Any, TypeVar

from netwarden.agent.sync.disk_queue import DiskQueue, Entry, Item, QueueStats

T = TypeVar("T")


class AsyncDiskQueue:
    """The wrapped :class:`DiskQueue`; ``stats()`` reads memory only, so it is called directly."""

    def __init__(self, queue: DiskQueue) -> None:
        self.sync = queue
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netwarden-queue")
        self._added = asyncio.Event()

    async def _call(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(func, *args))

    async def put_many(self, items: Sequence[Item]) -> list[str]:
        ids = await self._call(self.sync.put_many, list(items))
        self._added.set()
        return ids

    async def peek(self, n: int, max_bytes: int | None = None) -> list[Entry]:
        return await self._call(self.sync.peek, n, max_bytes)

    async def ack(self, up_to_seq: int) -> int:
        return await self._call(self.sync.ack, up_to_seq)

    async def reject(self, seq: int) -> None:
        await self._call(self.sync.reject, seq)

    async def wait_added(self, seconds: float) -> None:
        """Return when something was queued since the last call, or after ``seconds``."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._added.wait(), seconds)
        self._added.clear()

    def stats(self) -> QueueStats:
        return self.sync.stats()

    async def close(self) -> None:
        await self._call(self.sync.close)
        self._pool.shutdown(wait=True)
