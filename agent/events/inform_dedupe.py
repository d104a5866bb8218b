"""Informs already received: a sender whose Response was lost sends the same inform again
(same request-id), and it must be answered again but kept once.

Keyed by (sender address, community or v3 user, request-id); a key is remembered for
``window`` seconds, which covers the longest common retry schedule (Cisco IOS: 3 retries,
30 s apart), and at most ``limit`` keys are kept (the oldest go first), so a sender cycling
request-ids costs bounded memory.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

WINDOW = 180.0
LIMIT = 20_000

InformKey = tuple[str, bytes, int]


class RecentInforms:
    def __init__(
        self,
        window: float = WINDOW,
        limit: int = LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window, self._limit, self._clock = window, limit, clock
        self._seen: OrderedDict[InformKey, float] = OrderedDict()

    def first_time(self, key: InformKey) -> bool:
        """True the first time ``key`` is seen within the window (and remembers it)."""
        now = self._clock()
        seen = self._seen
        for _ in range(len(seen)):  # expire from the oldest end: insertion order is time order
            oldest, at = next(iter(seen.items()))
            if now - at <= self._window:
                break
            del seen[oldest]
        if key in seen:
            return False
        if len(seen) >= self._limit:
            seen.popitem(last=False)
        seen[key] = now
        return True
