"""An enrolled agent's link to the collector: its inventory source and its results sink.

The agent id, collector and credential come from the state dir; the inventory is the last
assignment stored there. With one, the agent polls at once and never needs the collector to
keep polling (a restart while the collector is down polls from the stored assignment). Without
one it serves /metrics and /-/healthy, answers /-/ready with "waiting for the first
assignment", and fetches it with backoff. The collector being unreachable never stops it.
Results and events wait in the state dir's disk queue until the collector takes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from netwarden.agent.metrics.sync_metrics import SyncCollector
from netwarden.agent.parts import AgentContext
from netwarden.agent.sync.assignment import AssignmentSync
from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.config_revisions import RevisionShipper
from netwarden.agent.sync.disk_queue import MAX_AGE, MAX_BYTES, DiskQueue, Item, QueueStats
from netwarden.agent.sync.job_record import AsyncJobRecord, JobRecord
from netwarden.agent.sync.jobs import JobHandler, builtin_jobs
from netwarden.agent.sync.loop import FleetSync, SyncSettings
from netwarden.agent.sync.state_dir import StateDir
from netwarden.agent.sync.status import SyncStatus
from netwarden.agent.sync.uploader import Uploader
from netwarden.errors import NetwardenError

if TYPE_CHECKING:
    from netwarden.agent.actions.scapy_tracer import ScapyTracer

EVENTS_MAX_BYTES = 64 * 1024 * 1024  # ~200k events of 300 bytes: a day of a busy agency


@dataclass(frozen=True)
class EnrolledOptions:
    state_dir: Path
    advertise: str | None = None
    settings: SyncSettings = field(default_factory=SyncSettings)
    queue_max_bytes: int = MAX_BYTES
    queue_max_age: float = MAX_AGE
    # Traps and syslog wait in a queue of their own (events.db) with its own bound, so a
    # syslog storm drops its own oldest events, never job results or poll summaries.
    events_max_bytes: int = EVENTS_MAX_BYTES
    # More heartbeat fields from other parts (the push spool's depth).
    heartbeat_extra: Callable[[], Mapping[str, object]] | None = None


class CollectorLink:
    """The state dir's assignment (kept in sync with the collector) as the inventory source,
    and its disk queue (delivered to the collector) as the results sink: one object, since
    both ride on one client, one status and one set of sync tasks."""

    required = False  # no assignment yet, or an unusable one: wait for the collector's

    def __init__(self, options: EnrolledOptions) -> None:
        self.options = options
        self.state = StateDir(options.state_dir)
        self.identity = self.state.read_identity()  # not enrolled: say so before anything
        self.status = SyncStatus(self.identity.agent)
        self.client: CollectorClient | None = None
        self.queue: AsyncDiskQueue | None = None
        self.events: AsyncDiskQueue | None = None
        self._events_task: asyncio.Task[None] | None = None
        self.assignment: AssignmentSync | None = None
        self.sync: FleetSync | None = None
        self.record: AsyncJobRecord | None = None
        self.tracer: ScapyTracer | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def agent_id(self) -> str:
        return self.identity.agent

    @property
    def paths(self) -> list[Path]:
        return [self.state.assignment_path]

    def stored(self) -> bool:
        return self.state.has_assignment()

    def hold(self) -> AbstractContextManager[None]:
        return self.state.lock()

    def banner(self, agent: AgentContext, loaded: bool) -> str:
        where = "its stored assignment" if loaded else "no assignment yet"
        return (
            f"agent {self.identity.agent} (collector {self.identity.collector}): polling "
            f"from {where}"
        )

    async def start(self, agent: AgentContext) -> None:
        """Open the client and the disk queue, then run the fleet sync until the agent stops."""
        ca_pem = self.state.ca_pem()
        if not self.identity.insecure and ca_pem is None:
            raise NetwardenError(f"{self.state.ca_path} is missing: enrol this state dir again")
        options = self.options
        self.client = CollectorClient(
            self.identity.collector, credential=self.state.credential(), ca_pem=ca_pem
        )
        disk = DiskQueue(
            self.state.queue_path, max_bytes=options.queue_max_bytes, max_age=options.queue_max_age
        )
        self.queue = AsyncDiskQueue(disk)
        self.assignment = AssignmentSync(
            self.client, self.state, self.status, agent.inventory_changed
        )
        backups = agent.runtime.backups
        self.record = AsyncJobRecord(JobRecord(self.state.jobs_path))
        self.sync = FleetSync(
            self.client,
            self.assignment,
            self.queue,
            agent.runtime,
            status=self.status,
            jobs=builtin_jobs(agent.probers, self._actions(agent)),
            record=self.record,
            settings=options.settings,
            advertise=options.advertise,
            revisions=None
            if backups is None
            else RevisionShipper(
                backups,
                self.queue,
                self.state.revisions_path,
                options.settings.revisions_every,
            ),
            heartbeat_extra=options.heartbeat_extra,
        )
        SyncCollector(lambda: self.status, self.queue.stats, registry=agent.registry)
        self._stopping = agent.stop
        self._task = asyncio.create_task(self.sync.run(agent.stop), name="fleet sync")
        events = DiskQueue(
            self.state.events_path,
            max_bytes=options.events_max_bytes,
            max_age=options.queue_max_age,
        )
        self.events = AsyncDiskQueue(events)
        uploader = Uploader(self.client, self.events, self.status)
        self._events_task = asyncio.create_task(uploader.run(agent.stop), name="events upload")

    def _actions(self, agent: AgentContext) -> dict[str, JobHandler]:
        """The playbook actions, on this agent's runtime (none in tests without probers).
        Imported here: the CLI loads this module, and need not build their params models."""
        from netwarden.agent.actions.context import ActionContext
        from netwarden.agent.actions.handlers import action_handlers
        from netwarden.agent.actions.scapy_tracer import ScapyTracer

        if agent.probers is None:
            return {}
        runtime = agent.runtime
        self.tracer = ScapyTracer()  # scapy itself is imported by the first traceroute only
        context = ActionContext(
            agent_id=runtime.agent_id,
            inventory=lambda: runtime.inventory,
            probers=agent.probers,
            snmp=runtime.session_factory,
            ssh=runtime.ssh_pool,
            configs=runtime.backups.store if runtime.backups is not None else None,
            tracer=self.tracer,
        )
        return action_handlers(context)

    async def put_many(self, items: Sequence[Item]) -> None:
        if self.queue is None:
            raise NetwardenError("the collector link is not started")
        await self.queue.put_many(items)

    async def put_events(self, items: Sequence[Item]) -> None:
        """Queue traps and syslog events in the events queue (their own bound)."""
        if self.events is None:
            raise NetwardenError("the collector link is not started")
        await self.events.put_many(items)

    def events_stats(self) -> QueueStats | None:
        return self.events.stats() if self.events is not None else None

    async def close(self) -> None:
        if self._events_task is not None:
            if not self._stopping.is_set():
                self._events_task.cancel()
            await asyncio.gather(self._events_task, return_exceptions=True)
        if self._task is not None:
            # The agent's stop event ends the sync and its tasks in order; only a close
            # without it (a failed start) cancels.
            if not self._stopping.is_set():
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.client is not None:
            await self.client.aclose()
        if self.queue is not None:
            await self.queue.close()
        if self.events is not None:
            await self.events.close()
        if self.record is not None:
            await self.record.close()
        if self.tracer is not None:
            self.tracer.close()
