"""The seams of the agent runtime (agent/lifecycle.py): an inventory source, a results sink and
extra services, each started after the first inventory load and closed at shutdown.

A later long-running part (a trap or syslog listener, a push spool) is a class with
``start(agent)`` and ``close()`` passed in ``services``: it finds the polling runtime, the
probers, the /metrics registry and the sink in the :class:`AgentContext` it is started with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from netwarden.agent.metrics.agent_registry import AgentRegistry
from netwarden.agent.probes.registry import Probers
from netwarden.agent.runtime import AgentRuntime
from netwarden.agent.sync.queue_items import Item


class AgentPart(Protocol):
    """Something the runtime starts (after the first load) and closes (in reverse order)."""

    async def start(self, agent: AgentContext) -> None: ...

    async def close(self) -> None: ...


class ResultSink(AgentPart, Protocol):
    """Where results and events go: nowhere (standalone) or the collector's disk queue."""

    async def put_many(self, items: Sequence[Item]) -> None:
        """Keep ``items`` for delivery, in order (a sink without a destination drops them)."""
        ...


class InventorySource(AgentPart, Protocol):
    """Where the agent's inventory comes from: files given to it, or the collector's
    assignment kept in a state dir (fetched by the source while the agent runs)."""

    @property
    def agent_id(self) -> str: ...

    @property
    def paths(self) -> list[Path]:
        """The inventory files the runtime loads, and watches for changes."""
        ...

    @property
    def required(self) -> bool:
        """True when the agent cannot start without a good inventory at once (files); False
        when it may wait for one (an assignment that has not come yet, or was unusable)."""
        ...

    def stored(self) -> bool:
        """True when there is an inventory to load at start."""
        ...

    def hold(self) -> AbstractContextManager[None]:
        """Held for the agent's whole run (a state dir's lock: one agent per dir)."""
        ...

    def banner(self, agent: AgentContext, loaded: bool) -> str:
        """The start-up line's beginning, e.g. ``agent a: 3 devices polled, 4 probes``."""
        ...


@dataclass(frozen=True)
class AgentContext:
    """What a part is started with."""

    runtime: AgentRuntime
    probers: Probers | None  # None: this agent runs no probes (tests)
    registry: AgentRegistry  # /metrics: a part adds its collectors here
    sink: ResultSink
    stop: asyncio.Event  # set when the agent stops
    inventory_changed: Callable[[], None]  # a source calls it when a new inventory is on disk
