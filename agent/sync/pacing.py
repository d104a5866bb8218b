"""Waiting between attempts: exponential backoff with jitter, and a sleep that a stop ends."""

from __future__ import annotations

import asyncio
import contextlib
import random


class Backoff:
    """Delays of ``base``, 2 base, 4 base ... up to ``cap`` seconds, each drawn from its upper half.

    The jitter matters with 200 agents: after a WAN outage they would all retry in step and
    hit the collector at the same instant; drawing each delay from [d/2, d] spreads them.
    """

    def __init__(self, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None):
        self.base, self.cap = base, cap
        self._rng = rng or random.Random()  # noqa: S311 - spreading retries, not secrets
        self._attempt = 0

    def next(self) -> float:
        """The delay before the next attempt (and count this failure)."""
        delay = min(self.cap, self.base * 2.0**self._attempt)
        self._attempt = min(self._attempt + 1, 62)  # no float overflow after days of failing
        return max(self.base, self._rng.uniform(delay / 2, delay))

    def reset(self) -> None:
        """After a success, the next failure starts from ``base`` again."""
        self._attempt = 0


JITTER = 0.1  # a periodic wait is drawn from interval x [0.9, 1.1]


def jittered(interval: float, rng: random.Random) -> float:
    """``interval`` give or take ``JITTER``: agents that came up together (a province's power
    back at once, a collector restart) would otherwise heartbeat in step forever; with it they
    drift apart within a few periods, and the mean interval stays ``interval``."""
    return interval * rng.uniform(1.0 - JITTER, 1.0 + JITTER)


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless ``stop`` is set first; True when stopping."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(0.0, seconds))
    return stop.is_set()


async def pause_or_wake(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> bool:
    """``pause``, ended early by ``wake`` too; True when stopping."""
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waits, timeout=max(0.0, seconds), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
    return stop.is_set()
