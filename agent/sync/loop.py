"""``FleetSync``: the agent's life in the fleet, beside its polling and never in its way.

Five tasks: heartbeats (every 15 s), the assignment (on start, when a heartbeat announces a
new ETag, and every 5 minutes), the uploader (disk queue -> collector), the jobs long poll, and
the event tracker (runtime state -> disk queue); a sixth when the agent backs up configurations:
the shipper of new configuration revisions (config store -> disk queue). None of them can stop
the polling: a missing collector only means results wait on disk. When the collector refuses
the credential (the agent was revoked) every task ends and the agent keeps polling locally.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from netwarden import __version__
from netwarden.agent.runtime import AgentRuntime
from netwarden.agent.sync.assignment import AssignmentSync
from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.config_revisions import RevisionShipper
from netwarden.agent.sync.events import EventTracker, device_health
from netwarden.agent.sync.job_record import AsyncJobRecord
from netwarden.agent.sync.jobs import JobRegistry, JobRunner
from netwarden.agent.sync.pacing import Backoff, jittered, pause
from netwarden.agent.sync.replies import Reply
from netwarden.agent.sync.status import SyncStatus
from netwarden.agent.sync.uploader import Uploader

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncSettings:
    """Intervals (seconds) and limits; the defaults are production's, tests shorten them."""

    heartbeat_interval: float = 15.0
    summary_interval: float = 60.0
    observe_every: float = 1.0
    assignment_refresh: float = 300.0
    jobs_wait: float = 30.0
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    batch_results: int = 500
    batch_bytes: int = 512 * 1024
    revisions_every: float = 10.0  # seconds between looks for new configuration revisions

    def backoff(self) -> Backoff:
        return Backoff(self.backoff_base, self.backoff_cap)


class FleetSync:
    """Ties the client, the state dir's assignment, the disk queue and the runtime together."""

    def __init__(
        self,
        client: CollectorClient,
        assignment: AssignmentSync,
        queue: AsyncDiskQueue,
        runtime: AgentRuntime,
        *,
        status: SyncStatus,
        jobs: JobRegistry,
        record: AsyncJobRecord | None = None,
        settings: SyncSettings | None = None,
        advertise: str | None = None,
        revisions: RevisionShipper | None = None,
        heartbeat_extra: Callable[[], Mapping[str, object]] | None = None,
    ) -> None:
        self.settings = settings or SyncSettings()
        self.revisions = revisions
        self.heartbeat_extra = heartbeat_extra
        self.client, self.assignment, self.queue = client, assignment, queue
        self.runtime, self.status, self.advertise = runtime, status, advertise
        self.tracker = EventTracker(runtime)
        self.started_at = time.time()
        self.uploader = Uploader(
            client,
            queue,
            status,
            backoff=self.settings.backoff(),
            batch_results=self.settings.batch_results,
            batch_bytes=self.settings.batch_bytes,
        )
        self.jobs = JobRunner(
            client,
            queue,
            status,
            jobs,
            record=record,
            wait=self.settings.jobs_wait,
            backoff=self.settings.backoff(),
        )
        self._assignment_due = asyncio.Event()
        self.advertise_error: str | None = None  # the collector's last word on --advertise

    async def run(self, stop: asyncio.Event) -> None:
        """Run every task until ``stop`` is set or the agent is revoked."""
        tasks = [
            asyncio.create_task(self._heartbeats(stop), name="heartbeat"),
            asyncio.create_task(self._assignments(stop), name="assignment"),
            asyncio.create_task(self.uploader.run(stop), name="uploader"),
            asyncio.create_task(self.jobs.run(stop), name="jobs"),
            asyncio.create_task(self._events(stop), name="events"),
        ]
        if self.revisions is not None:
            tasks.append(asyncio.create_task(self.revisions.run(stop), name="config revisions"))
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(self.status.halted.wait())]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in [*tasks, *waits]:
            task.cancel()
        for done in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(done, Exception):
                log.error("fleet sync task failed: %r", done)

    def heartbeat_body(self) -> dict[str, object]:
        assigned, healthy = device_health(self.runtime)
        queue = self.queue.stats()
        return {
            "sent_at": time.time(),
            "version": __version__,
            "started_at": self.started_at,
            "devices_assigned": assigned,
            "devices_healthy": healthy,
            "polls_ok": self.tracker.polls_ok,
            "polls_failed": self.tracker.polls_failed,
            "queue_depth": queue.depth,
            "queue_dropped": sum(queue.dropped.values()),
            "assignment_etag": self.assignment.etag,
            "advertise": self.advertise,
            **(self.heartbeat_extra() if self.heartbeat_extra is not None else {}),
        }

    async def heartbeat(self) -> Reply:
        """One heartbeat; a new assignment ETag in the answer triggers a fetch."""
        path = f"/api/v1/agents/{self.status.agent}/heartbeat"
        reply = await self.client.post_json(path, self.heartbeat_body())
        self.status.answered(reply)
        data = reply.data if isinstance(reply.data, dict) else {}
        wanted = data.get("assignment_etag")
        if self.assignment.wants(wanted if isinstance(wanted, str) else None):
            self._assignment_due.set()
        if reply.ok:
            self._note_advertise(data.get("advertise_error"))
        return reply

    def _note_advertise(self, error: object) -> None:
        """Log the collector's refusal of ``--advertise`` when it starts or changes, and its
        end: Prometheus will not scrape this agent until the address is fixed or allowed."""
        text = error if isinstance(error, str) and error else None
        if text is not None and text != self.advertise_error:
            log.warning("the collector refused --advertise: %s", text)
        elif text is None and self.advertise_error is not None:
            log.info("the collector accepts --advertise %s again", self.advertise)
        self.advertise_error = text

    async def _heartbeats(self, stop: asyncio.Event) -> None:
        rng = random.Random()  # noqa: S311 - spreading heartbeats, not secrets
        while not self.status.halted.is_set():
            await self.heartbeat()
            if await pause(stop, jittered(self.settings.heartbeat_interval, rng)):
                return

    async def _assignments(self, stop: asyncio.Event) -> None:
        backoff = self.settings.backoff()
        while not self.status.halted.is_set():
            self._assignment_due.clear()
            reply = await self.assignment.fetch()
            wait = self.settings.assignment_refresh if reply.ok else backoff.next()
            if reply.ok:
                backoff.reset()
            with_due = asyncio.create_task(self._assignment_due.wait())
            stopping = asyncio.create_task(pause(stop, wait))
            await asyncio.wait([with_due, stopping], return_when=asyncio.FIRST_COMPLETED)
            with_due.cancel()
            stopping.cancel()
            if stop.is_set():
                return

    async def _events(self, stop: asyncio.Event) -> None:
        next_summary = time.monotonic() + self.settings.summary_interval
        while not self.status.halted.is_set():
            now = time.time()
            items = self.tracker.observe(now)
            if time.monotonic() >= next_summary:
                items += self.tracker.summary(now)
                next_summary += self.settings.summary_interval
            if items:
                await self.queue.put_many(items)
            if await pause(stop, self.settings.observe_every):
                return
