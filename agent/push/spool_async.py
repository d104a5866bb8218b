"""The push spool for asyncio: encoding, compression and every SQLite call on one worker
thread, in call order (an append's fsync takes milliseconds; the event loop must not wait)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from netwarden.agent.push.samples import BlockMaker, Taken
from netwarden.agent.push.spool import Entry, Spool, SpoolStats

T = TypeVar("T")


class AsyncSpool:
    """The wrapped :class:`Spool`; ``stats()`` reads memory only, so it is called directly."""

    def __init__(self, spool: Spool, maker: BlockMaker) -> None:
        self.sync = spool
        self._maker = maker  # used on the worker thread only (its label cache is not shared)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netwarden-push")

    async def _call(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(func, *args))

    def _encode_and_append(self, taken: Sequence[Taken]) -> int:
        blocks = [self._maker.block(t) for t in taken]
        self.sync.append(blocks)
        return sum(b.samples for b in blocks)

    async def append(self, taken: Sequence[Taken]) -> int:
        """Encode and keep ``taken``; returns how many samples that was."""
        return await self._call(self._encode_and_append, list(taken))

    def _use(self, maker: BlockMaker) -> None:
        self._maker = maker

    async def use(self, maker: BlockMaker) -> None:
        """Encode with ``maker`` from now on (the agent's site changed)."""
        await self._call(self._use, maker)

    async def read(self, after: int, before: int | None, max_samples: int) -> list[Entry]:
        return await self._call(self.sync.read, after, before, max_samples)

    async def first_since(self, after: int, at: float) -> int | None:
        return await self._call(self.sync.first_since, after, at)

    async def last_seq(self) -> int:
        return await self._call(self.sync.last_seq)

    async def ack(self, seqs: Sequence[int]) -> None:
        await self._call(self.sync.ack, list(seqs))

    async def count_dropped(self, reason: str, samples: int) -> None:
        await self._call(self.sync.count_dropped, reason, samples)

    async def enforce(self) -> None:
        await self._call(self.sync.enforce)

    def stats(self) -> SpoolStats:
        return self.sync.stats()

    async def close(self) -> None:
        await self._call(self.sync.close)
        self._pool.shutdown(wait=True)
