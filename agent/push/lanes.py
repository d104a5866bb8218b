"""Draining the spool: live samples first, the backlog of an outage at a bounded rate.

The spool is one sequence of blocks. Blocks from ``live_from`` on are the live lane, sent as
they come. When the oldest unsent live block is older than ``LIVE_HORIZON`` (the receiver was
away), ``live_from`` moves up to the blocks of that horizon and everything before it becomes
the backlog. Each round sends the live lane first, then one backlog batch, oldest first, if the
token bucket of ``backlog_rate`` samples/s allows: after an outage the newest data shows at
once and the hole fills behind it, without starving live samples nor flooding the WAN link or
the receiver. Blocks are acknowledged one by one, whichever lane sent them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from netwarden.agent.push.sender import Delivery, Post, Verdict, deliver
from netwarden.agent.push.spool import Entry
from netwarden.agent.push.spool_async import AsyncSpool
from netwarden.agent.push.status import PushStatus
from netwarden.agent.sync.pacing import Backoff, pause

log = logging.getLogger(__name__)

LIVE_HORIZON = 30.0  # s: older unsent blocks are backlog


@dataclass(frozen=True)
class LaneSettings:
    batch: int = 5000  # samples per request at most
    backlog_rate: float = 20_000.0  # samples/s from the backlog
    live_horizon: float = LIVE_HORIZON
    backoff_base: float = 0.5
    backoff_cap: float = 10.0  # Prometheus' own remote write retries at most every 5 s


class Lanes:
    """Sends the spool's blocks through ``post`` until ``stop``."""

    def __init__(
        self,
        spool: AsyncSpool,
        post: Post,
        status: PushStatus,
        settings: LaneSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spool, self.post, self.status, self.settings = spool, post, status, settings
        self._clock = clock
        self.live_from = 1
        self._tokens = float(settings.batch)
        self._refilled = time.monotonic()
        self.appended = asyncio.Event()  # set by the writer after each append
        self.retry_after = 0.0  # what the last failed answer asked for (429/503 Retry-After)

    async def run(self, stop: asyncio.Event) -> None:
        # Whatever is spooled at start (a restart after an outage) is backlog.
        self.live_from = await self.spool.last_seq() + 1
        backoff = Backoff(self.settings.backoff_base, self.settings.backoff_cap)
        while not stop.is_set():
            self.appended.clear()
            sent, failed = await self.round()
            if failed:
                if await pause(stop, max(backoff.next(), min(self.retry_after, 300.0))):
                    return
                continue
            backoff.reset()
            if not sent:
                await self._idle(stop)

    async def round(self) -> tuple[bool, bool]:
        """One live batch, then one backlog batch if the rate allows: (sent any, failed)."""
        live = await self._live()
        if live and not await self._send(live):
            return True, True
        self._refill()
        if self._tokens <= 0 or self.live_from <= 1:
            return bool(live), False
        allowed = min(self.settings.batch, int(self._tokens) or 1)
        backlog = await self.spool.read(0, self.live_from, allowed)
        if not backlog:
            return bool(live), False
        self._tokens -= sum(e.samples for e in backlog)
        return True, not await self._send(backlog)

    async def _live(self) -> list[Entry]:
        entries = await self.spool.read(self.live_from - 1, None, self.settings.batch)
        horizon = self._clock() - self.settings.live_horizon
        if entries and entries[0].at < horizon:
            # An outage left more than the horizon unsent: the older part becomes backlog.
            first = await self.spool.first_since(self.live_from - 1, horizon)
            self.live_from = first if first is not None else await self.spool.last_seq() + 1
            log.info("push: backlog up to block %d, drained at %g samples/s",
                     self.live_from - 1, self.settings.backlog_rate)  # fmt: skip
            entries = await self.spool.read(self.live_from - 1, None, self.settings.batch)
        return entries

    def _refill(self) -> None:
        now = time.monotonic()
        rate = self.settings.backlog_rate
        self._tokens = min(float(self.settings.batch), self._tokens + (now - self._refilled) * rate)
        self._refilled = now

    async def _send(self, entries: list[Entry]) -> bool:
        """Deliver one batch; True when its blocks are done with (acknowledged or refused)."""
        body = b"".join(e.body for e in entries)
        samples = sum(e.samples for e in entries)
        delivery: Delivery = await deliver(self.post, body, samples)
        self.status.noted(delivery, samples)
        if delivery.verdict is Verdict.retry:
            last = delivery.last
            self.retry_after = (last.retry_after or 0.0) if last is not None else 0.0
            return False
        await self.spool.ack([e.seq for e in entries])
        await self.spool.count_dropped("rejected", delivery.refused)
        return True

    async def _idle(self, stop: asyncio.Event) -> None:
        """Until something is appended, the backlog may go on, or a second passed."""
        wait = 1.0
        if self._tokens <= 0:
            wait = min(wait, -self._tokens / self.settings.backlog_rate + 0.01)
        waiters = [asyncio.ensure_future(self.appended.wait()), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(waiters, timeout=max(0.01, wait), return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
