"""``netwarden agent run --state-dir DIR``: an enrolled agent, polling from its assignment.

The agent id, collector and credential come from the state dir; the inventory is the last
assignment stored there. With one, the agent polls at once and never needs the collector to
keep polling (a restart while the collector is down polls from the stored assignment). Without
one it serves /metrics and /-/healthy, answers /-/ready with "waiting for the first
assignment", and fetches it with backoff. The collector being unreachable never stops it.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry

from netwarden.agent.http_server import MetricsServer
from netwarden.agent.metrics import iter_render
from netwarden.agent.metrics.agent_registry import renderer
from netwarden.agent.metrics.sync_metrics import SyncCollector
from netwarden.agent.probes.icmp import IcmpPinger
from netwarden.agent.probes.registry import Probers, real_probers
from netwarden.agent.runtime import AgentRuntime
from netwarden.agent.sync.assignment import AssignmentSync
from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.disk_queue import MAX_AGE, MAX_BYTES, DiskQueue
from netwarden.agent.sync.jobs import builtin_jobs
from netwarden.agent.sync.loop import FleetSync, SyncSettings
from netwarden.agent.sync.state_dir import StateDir
from netwarden.agent.sync.status import SyncStatus
from netwarden.errors import InventoryError, NetwardenError
from netwarden.hostport import format_hostport

log = logging.getLogger(__name__)

BuildRuntime = Callable[[list[Path], str, Probers | None], AgentRuntime]
"""Makes the runtime (paths, agent id, probers): the CLI passes its SNMP/SSH settings in it."""

WAITING = "waiting for the first assignment"


@dataclass(frozen=True)
class EnrolledOptions:
    state_dir: Path
    advertise: str | None = None
    settings: SyncSettings = field(default_factory=SyncSettings)
    queue_max_bytes: int = MAX_BYTES
    queue_max_age: float = MAX_AGE


class EnrolledAgent:
    """The runtime, its /metrics server and the fleet sync of one state dir."""

    def __init__(
        self, options: EnrolledOptions, build_runtime: BuildRuntime, probers: Probers | None
    ) -> None:
        self.state = StateDir(options.state_dir)
        self.identity = self.state.read_identity()
        ca_pem = self.state.ca_pem()
        if not self.identity.insecure and ca_pem is None:
            raise NetwardenError(f"{self.state.ca_path} is missing: enrol this state dir again")
        self.client = CollectorClient(self.identity.collector, credential=self.state.credential(),
                                      ca_pem=ca_pem)  # fmt: skip
        self.queue = AsyncDiskQueue(DiskQueue(self.state.queue_path,
                                              max_bytes=options.queue_max_bytes,
                                              max_age=options.queue_max_age))  # fmt: skip
        self.runtime = build_runtime([self.state.assignment_path], self.identity.agent, probers)
        self.status = SyncStatus(self.identity.agent)
        self.assignment = AssignmentSync(self.client, self.state, self.status, self._changed)
        self.sync = FleetSync(self.client, self.assignment, self.queue, self.runtime,
                              status=self.status, jobs=builtin_jobs(probers),
                              settings=options.settings, advertise=options.advertise)  # fmt: skip
        self.server = MetricsServer(self._render(), self.not_ready)
        self.loaded = False
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def _render(self) -> Callable[[], Iterator[bytes]]:
        base = renderer(self.runtime)
        registry = CollectorRegistry(auto_describe=True)
        SyncCollector(lambda: self.status, self.queue.stats, registry=registry)
        return lambda: itertools.chain(base(), iter_render(registry))

    def not_ready(self) -> str | None:
        return self.runtime.not_ready() if self.loaded else WAITING

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Poll from the stored assignment (if any), serve /metrics, start the sync."""
        if self.state.has_assignment():
            try:
                self.runtime.apply(self.runtime.load())
                self._loaded()
            except NetwardenError as exc:
                problems = exc.problems if isinstance(exc, InventoryError) else [str(exc)]
                for problem in problems[:20]:
                    log.error("stored assignment unusable, waiting for a new one: %s", problem)
        bound = await self.server.start(host, port)
        self._tasks.append(asyncio.create_task(self.sync.run(self._stop), name="fleet sync"))
        return bound

    def _changed(self) -> None:
        """A new assignment is on disk: (re)load it; the first one starts the polling."""
        if self.runtime.reload() and not self.loaded:
            self._loaded()

    def _loaded(self) -> None:
        self.loaded = True
        # Everything allocated so far lives as long as the agent (see agent/agent_commands.py).
        gc.freeze()
        self._tasks.append(asyncio.create_task(self.runtime.watch(self._stop), name="watch"))

    async def close(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.close()
        await self.runtime.close()
        await self.client.aclose()
        await self.queue.close()


async def serve_enrolled(
    options: EnrolledOptions,
    build_runtime: BuildRuntime,
    listen: tuple[str, int],
    echo: Callable[[str], None],
) -> None:
    """Run the enrolled agent of ``options.state_dir`` until SIGTERM or SIGINT."""
    state = StateDir(options.state_dir)
    state.read_identity()  # not enrolled: say so before creating anything
    if not log.isEnabledFor(logging.DEBUG):
        # httpx logs every request at INFO: 6,000 heartbeat lines a day say nothing.
        logging.getLogger("httpx").setLevel(logging.WARNING)
    with state.lock():
        pinger = IcmpPinger()  # one ICMP socket for the probes and the ping jobs
        try:
            agent = EnrolledAgent(options, build_runtime, real_probers(pinger))
        except BaseException:
            await pinger.close()
            raise
        try:
            host, port = await agent.start(*listen)
            where = "its stored assignment" if agent.loaded else "no assignment yet"
            url = f"http://{format_hostport(host, port)}/metrics"
            echo(f"agent {agent.identity.agent} (collector {agent.identity.collector}): polling "
                 f"from {where}, metrics on {url}")  # fmt: skip
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
        finally:
            await agent.close()
            await pinger.close()
