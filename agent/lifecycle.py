"""The one agent runtime: start-up, signals and shutdown of an agent, whatever its parts.

An agent is an inventory source (files, or the collector's assignment), a results sink
(none, or the collector's disk queue) and extra services (see agent/parts.py), around the
polling runtime (agent/runtime.py) and its /metrics server. ``agent run`` only builds them
from its options; standalone and enrolled agents start, reload and stop here alike.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from netwarden.agent.http_server import MetricsServer
from netwarden.agent.metrics import iter_render
from netwarden.agent.metrics.agent_registry import agent_registry
from netwarden.agent.parts import AgentContext, AgentPart, InventorySource, ResultSink
from netwarden.agent.polling.fleet import SessionFactory
from netwarden.agent.probes.icmp import IcmpPinger
from netwarden.agent.probes.registry import Probers, real_probers
from netwarden.agent.runtime import AgentRuntime
from netwarden.agent.ssh.types import SshRunner
from netwarden.errors import InventoryError, NetwardenError
from netwarden.hostport import format_hostport

log = logging.getLogger(__name__)

WAITING = "waiting for the first assignment"  # /-/ready of an agent that may wait for one


@dataclass(frozen=True)
class RuntimeSettings:
    """How the polling runtime is built: the ``agent run`` options that are not about where
    the inventory comes from or where results go."""

    session_factory: SessionFactory
    max_in_flight: int = 64
    ssh_runner: SshRunner | None = None  # None: netmiko
    ssh_workers: int = 8
    config_store: Path | None = None  # None: no config backups
    # The probers, on the agent's one ICMP socket; None: no probes (tests).
    probers: Callable[[IcmpPinger], Probers] | None = real_probers


class AgentLifecycle:
    """One agent from start to stop. ``run`` is the process's life; tests call ``start`` and
    ``close`` around what they check."""

    def __init__(
        self,
        source: InventorySource,
        sink: ResultSink,
        settings: RuntimeSettings,
        services: Sequence[AgentPart] = (),
    ) -> None:
        self.source, self.sink, self.settings = source, sink, settings
        # One object may be both source and sink (the collector link): started once.
        self.parts: list[AgentPart] = list(dict.fromkeys([source, sink, *services]))
        self.pinger = IcmpPinger()  # opened on the first ping only
        probers = settings.probers(self.pinger) if settings.probers is not None else None
        self.runtime = AgentRuntime(
            source.paths,
            source.agent_id,
            settings.session_factory,
            max_in_flight=settings.max_in_flight,
            probers=probers,
            ssh_runner=settings.ssh_runner,
            ssh_workers=settings.ssh_workers,
            config_store=settings.config_store,
        )
        self.stop = asyncio.Event()
        self.reload_asked = asyncio.Event()
        self.context = AgentContext(
            self.runtime,
            probers,
            agent_registry(self.runtime),
            sink,
            self.stop,
            self._inventory_changed,
        )
        self.server = MetricsServer(lambda: iter_render(self.context.registry), self.not_ready)
        self.loaded = False
        self._started: list[AgentPart] = []
        self._tasks: list[asyncio.Task[None]] = []

    def not_ready(self) -> str | None:
        """Why /-/ready answers 503, or None."""
        if self.loaded or self.source.required:
            return self.runtime.not_ready()
        return WAITING

    async def run(self, host: str, port: int, echo: Callable[[str], None]) -> None:
        """Start, serve until SIGTERM or SIGINT (SIGHUP reloads the inventory), stop."""
        loop = asyncio.get_running_loop()
        with self.source.hold():
            # Handlers first: a signal during start-up stops the agent cleanly once started.
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self.stop.set)
            loop.add_signal_handler(signal.SIGHUP, self.reload_asked.set)
            try:
                bound = await self.start(host, port)
                url = f"http://{format_hostport(*bound)}/metrics"
                echo(f"{self.source.banner(self.context, self.loaded)}, metrics on {url}")
                await self.stop.wait()
            finally:
                await self.close()
                for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    loop.remove_signal_handler(signum)

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Load the inventory there is, start the parts, serve /metrics (the bound address)."""
        if self.source.stored():
            self._first_load()
        for part in self.parts:
            await part.start(self.context)
            self._started.append(part)
        return await self.server.start(host, port)

    def _first_load(self) -> None:
        try:
            self.runtime.apply(self.runtime.load())
        except NetwardenError as exc:
            if self.source.required:
                raise
            problems = exc.problems if isinstance(exc, InventoryError) else [str(exc)]
            for problem in problems[:20]:
                log.error("stored assignment unusable, waiting for a new one: %s", problem)
            return
        self._loaded()

    def _inventory_changed(self) -> None:
        """A source has a new inventory on disk: (re)load it; the first one starts polling."""
        if self.runtime.reload() and not self.loaded:
            self._loaded()

    def _loaded(self) -> None:
        self.loaded = True
        # Everything allocated so far (modules, inventory) lives as long as the agent: keep the
        # garbage collector from rescanning it on every collection (10-20 % of a big walk's CPU).
        gc.freeze()
        watch = self.runtime.watch(self.stop, self.reload_asked)
        self._tasks.append(asyncio.create_task(watch, name="inventory watch"))

    async def close(self) -> None:
        """Stop everything started, in reverse order; safe after a failed start."""
        self.stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.close()
        for part in reversed(self._started):
            await part.close()
        await self.runtime.close()
        await self.pinger.close()
