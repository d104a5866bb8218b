"""When each device is polled: its own interval, a random phase, and a bound on polls in flight.

Every device has its own loop, so a dead or slow device only ever delays itself: its poll is cut
at a deadline below its interval, and at most ``max_in_flight`` polls run at once per agent.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

PollOnce = Callable[[float], Awaitable[None]]  # poll once with this deadline (seconds)
# After a poll: seconds until the next one when it must come sooner than the interval (a retry
# of a failed config backup), None to keep the loop's interval and phase.
NextDelay = Callable[[], float | None]
DEADLINE_SHARE = 0.9  # a poll may use this share of its interval, so polls never overlap


class Scheduler:
    """Runs one loop per device; ``stop()`` ends them all."""

    def __init__(self, *, max_in_flight: int = 64, rng: random.Random | None = None) -> None:
        self._slots = asyncio.Semaphore(max_in_flight)
        self._rng = rng or random.Random()  # noqa: S311 - spreading polls, not secrets
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(
        self, key: str, interval: float, poll: PollOnce, next_delay: NextDelay | None = None
    ) -> None:
        """Start polling ``key`` every ``interval`` seconds (replacing a loop of the same key);
        ``next_delay``, asked after each poll, may bring the next one forward (see above)."""
        self.cancel(key)
        loop = self._loop(key, interval, poll, next_delay)
        self._tasks[key] = asyncio.create_task(loop, name=f"poll {key}")

    def cancel(self, key: str) -> None:
        task = self._tasks.pop(key, None)
        if task is not None:
            task.cancel()

    def keys(self) -> set[str]:
        return set(self._tasks)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(
        self, key: str, interval: float, poll: PollOnce, next_delay: NextDelay | None
    ) -> None:
        # A random phase spreads a fleet's polls over the interval instead of bursting at once;
        # the first poll still comes soon (within a tenth of the interval).
        await asyncio.sleep(self._rng.uniform(0, interval * 0.1))
        next_start = time.monotonic()
        while True:
            async with self._slots:
                try:
                    await poll(interval * DEADLINE_SHARE)
                except Exception:  # a bug in one device's poll must not end its loop silently
                    log.exception("poll of %s failed unexpectedly", key)
            _honour_cancellation()
            sooner = next_delay() if next_delay is not None else None
            if sooner is not None:  # a retry; the interval counts again from it
                next_start = time.monotonic() + sooner
                await asyncio.sleep(sooner)
                continue
            next_start += interval
            delay = next_start - time.monotonic()
            if delay < 0:  # overran (slots were busy): skip the missed ticks, keep the phase
                next_start += interval * (int(-delay // interval) + 1)
                delay = next_start - time.monotonic()
            await asyncio.sleep(delay)


def _honour_cancellation() -> None:
    """End the loop if ``stop()`` cancelled it while a poll swallowed the cancellation.

    On Python 3.11, ``asyncio.wait_for`` returns its inner result when the cancellation arrives
    just as that result does (fixed in 3.12); the poll then returns normally, the loop would go
    on for ever, and ``stop()`` (the agent's shutdown) would wait for it for ever.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
