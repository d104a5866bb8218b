"""What every route shares: the store, the inventory, the clock and the collector's settings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from netwarden.collector.api.advertise import AdvertiseChecks
from netwarden.collector.api.auth_cache import AgentAuthCache
from netwarden.collector.api.incident_state import IncidentServices
from netwarden.collector.api.longpoll import JobSignals
from netwarden.collector.api.playbook_state import PlaybookServices
from netwarden.collector.api.port import StoreApi
from netwarden.collector.inventory_state import InventoryState

T = TypeVar("T")


@dataclass
class AppState:
    """The collector's shared state, reachable from a request as ``request.app.state.nw``."""

    store: StoreApi
    inventory: InventoryState
    clock: Callable[[], float]
    insecure: bool
    stale_after: float
    ca_pem: str | None = None  # None when serving plain HTTP
    signals: JobSignals = field(default_factory=JobSignals)
    agent_auth: AgentAuthCache = field(default_factory=AgentAuthCache)
    reload_requested: asyncio.Event = field(default_factory=asyncio.Event)  # set by SIGHUP
    incidents: IncidentServices | None = None  # None: this app keeps no incident record
    advertise: AdvertiseChecks = field(default_factory=AdvertiseChecks)
    playbooks: PlaybookServices | None = None  # None: this app runs no playbooks

    async def call(self, func: Callable[..., T], *args: object) -> T:
        """Run a blocking store call in the thread pool (the event loop never waits on I/O)."""
        return await run_in_threadpool(func, *args)

    def state_of(self, last_seen: float | None, revoked: bool, now: float) -> str:
        """``up``, ``stale``, ``never`` or ``revoked``, as the fleet listing shows it."""
        if revoked:
            return "revoked"
        if last_seen is None:
            return "never"
        return "stale" if now - last_seen > self.stale_after else "up"


def app_state(request: Request) -> AppState:
    """The shared state of the app serving ``request``."""
    state: AppState = request.app.state.nw
    return state
