"""Wake-ups for long-polling agents: one ``asyncio.Event`` per agent waiting for jobs.

A waiter takes the agent's current event *before* asking the store for jobs, and a new job
sets and forgets that event. So a job created between the store query and the wait still wakes
the waiter, and later waiters get a fresh event (no clear/set race).
"""

from __future__ import annotations

import asyncio


class JobSignals:
    """Per-agent events set by job creation, and one shutdown that wakes everyone."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self.closing = False

    def event(self, agent_id: str) -> asyncio.Event:
        """The event the next job for ``agent_id`` will set (already set while closing)."""
        ev = self._events.get(agent_id)
        if ev is None:
            ev = self._events[agent_id] = asyncio.Event()
            if self.closing:
                ev.set()
        return ev

    def notify(self, agent_id: str) -> None:
        """A job for ``agent_id`` exists: wake its waiters."""
        ev = self._events.pop(agent_id, None)
        if ev is not None:
            ev.set()

    def close(self) -> None:
        """Shutting down: every wait ends now, and no new one starts."""
        self.closing = True
        for ev in self._events.values():
            ev.set()
        self._events.clear()


async def wait_for(event: asyncio.Event, seconds: float) -> bool:
    """True if ``event`` was set within ``seconds``."""
    if seconds <= 0:
        return event.is_set()
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True
