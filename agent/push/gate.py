"""The push service's stand-in in every agent: it loads the service (protobuf, cramjam,
httpx, the spool: about 10 MiB) the first time the running inventory says ``metrics: push``,
so that a pull-mode agent never pays for it (issue 11, section 4).

This module imports nothing of the push package; keep it so (a unit test runs a pull-mode
agent and checks which modules it loaded).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from netwarden.agent.parts import AgentContext
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceSnapshot
from netwarden.agent.probes.plan import ProbeJob
from netwarden.agent.sync.pacing import pause

DEFAULT_SPOOL_DIR = Path("/var/lib/netwarden/spool")
LOOK_EVERY = 1.0  # s between looks at the running inventory's metrics mode


class PushPart(Protocol):
    """What the gate needs of the push service (agent/push/service.py)."""

    def attach(self, agent: AgentContext) -> None: ...

    def on_poll(self, snapshot: DeviceSnapshot, counters: DeviceCounters) -> None: ...

    def on_probe(self, job: ProbeJob, at: float) -> None: ...

    def heartbeat_fields(self) -> dict[str, float | None]: ...

    async def close(self) -> None: ...


def default_service(spool_dir: Path) -> Callable[[], PushPart]:
    """Builds the real push service with its spool in ``spool_dir``, importing it then."""

    def load() -> PushPart:
        from netwarden.agent.push.service import PushService

        return PushService(spool_dir)

    return load


class PushGate:
    """An agent part that is the push service once some inventory asked for it."""

    def __init__(self, load: Callable[[], PushPart]) -> None:
        self._load = load
        self.service: PushPart | None = None
        self._agent: AgentContext | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, agent: AgentContext) -> None:
        self._agent = agent
        agent.runtime.listeners.append(self)
        if not self._loaded_if_wanted():
            self._task = asyncio.create_task(self._watch(agent), name="push gate")

    async def _watch(self, agent: AgentContext) -> None:
        # A reload may switch the agent to push at any time; a poll completing first loads
        # it too (on_poll), so no poll of a push agent is missed.
        while not self._loaded_if_wanted():
            if await pause(agent.stop, LOOK_EVERY):
                return

    def _loaded_if_wanted(self) -> bool:
        if self.service is None:
            agent = self._agent
            entry = agent.runtime.agent if agent is not None else None
            if agent is None or entry is None or entry.metrics != "push":
                return False
            self.service = self._load()
            self.service.attach(agent)  # it hears polls through this gate, not the runtime
        return True

    def on_poll(self, snapshot: DeviceSnapshot, counters: DeviceCounters) -> None:
        if self._loaded_if_wanted():
            assert self.service is not None
            self.service.on_poll(snapshot, counters)

    def on_probe(self, job: ProbeJob, at: float) -> None:
        if self._loaded_if_wanted():
            assert self.service is not None
            self.service.on_probe(job, at)

    def heartbeat_fields(self) -> dict[str, float | None]:
        """The spool's depth for the collector (None while this agent does not push)."""
        if self.service is None:
            return {"spool_depth": None, "spool_oldest_age": None}
        return self.service.heartbeat_fields()

    async def close(self) -> None:
        if self._agent is not None and self in self._agent.runtime.listeners:
            self._agent.runtime.listeners.remove(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.service is not None:
            await self.service.close()
