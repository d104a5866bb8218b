"""Jobs: work the collector hands the agent (the playbooks' actions), fetched by long poll.

Each job runs through a registry of kinds; built in are ``echo`` (returns its params: for
tests and as a smoke test of the whole path), ``ping`` {host, count} on the agent's own
ICMP socket, and ``probe`` {kind, target, deadline}: any of the agent's probers by kind. An
unknown kind, bad params, a failure or a timeout is a ``job-result`` with ``ok: false`` and a
clear error, never a crash. Results go through the disk queue, so they
survive an outage like every other result.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from netwarden.agent.probes.icmp import IcmpTarget
from netwarden.agent.probes.registry import Probers
from netwarden.agent.probes.result import ProbeResult
from netwarden.agent.probes.target_params import TargetParamsError
from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
from netwarden.agent.sync.client import UNANSWERED, CollectorClient, Outcome, Reply
from netwarden.agent.sync.disk_queue import Item
from netwarden.agent.sync.pacing import Backoff, jittered, pause, pause_or_wake
from netwarden.agent.sync.status import SyncStatus
from netwarden.errors import NetwardenError

log = logging.getLogger(__name__)

JobHandler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
JOBS_WAIT = 30.0  # seconds the collector may hold a jobs request open
MAX_WAIT = 60.0  # the contract's bound on that hold (docs/collector-api.md)
JOB_TIMEOUT = 120.0
PROBE_DEADLINE = 10.0  # seconds a probe job may take unless its params say otherwise
RUNNING_MAX = 4  # jobs running at once; the rest wait their turn
REMEMBERED = 1000  # job ids remembered, so a job delivered twice runs once


class JobError(NetwardenError):
    """A job could not run as asked (bad params); the message goes into its result."""


class JobRegistry:
    """Job kinds this agent runs: kind -> handler(params) -> output."""

    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}

    def register(self, kind: str, handler: JobHandler) -> None:
        self._handlers[kind] = handler

    def get(self, kind: str) -> JobHandler | None:
        return self._handlers.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._handlers)


async def echo(params: dict[str, Any]) -> dict[str, Any]:
    return dict(params)


def ping_handler(probers: Probers) -> JobHandler:
    """``ping`` {host, count (1..100, default 5)} with the agent's ICMP prober."""

    async def ping(params: dict[str, Any]) -> dict[str, Any]:
        host, count = params.get("host"), params.get("count", 5)
        if not isinstance(host, str) or not host:
            raise JobError("ping needs params.host (an address or a name)")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 100:
            raise JobError("ping params.count must be a whole number from 1 to 100")
        target = IcmpTarget(host, count, spacing=0.2, timeout=2.0)
        return probe_output(await probers.probe("icmp", target, deadline=JOB_TIMEOUT))

    return ping


def probe_output(result: ProbeResult) -> dict[str, Any]:
    """A probe's result as a job's output."""
    return {
        "success": result.success,
        "reason": result.reason.value,
        "message": result.message,
        "duration": result.duration,
        "values": result.values,
        "labelled": result.labelled,
    }


def probe_handler(probers: Probers) -> JobHandler:
    """``probe`` {kind, target: {the kind's target}, deadline (seconds, default 10, at most
    120)}: run one of the agent's probers once. Its failure is the output, not a job error."""

    async def probe(params: dict[str, Any]) -> dict[str, Any]:
        kind, deadline = params.get("kind"), params.get("deadline", PROBE_DEADLINE)
        if kind not in probers.kinds():
            known = ", ".join(probers.kinds())
            raise JobError(f"probe params.kind must be one of {known}, got {kind!r}")
        if isinstance(deadline, bool) or not isinstance(deadline, int | float):
            raise JobError("probe params.deadline must be a number of seconds")
        if not 0 < deadline <= JOB_TIMEOUT:
            raise JobError(f"probe params.deadline must be over 0 and at most {JOB_TIMEOUT:g}")
        try:
            target = probers.target(kind, params.get("target"))
        except TargetParamsError as exc:
            raise JobError(f"probe {kind}: {exc}") from None
        return probe_output(await probers.probe(kind, target, deadline=float(deadline)))

    return probe


def builtin_jobs(probers: Probers | None) -> JobRegistry:
    registry = JobRegistry()
    registry.register("echo", echo)
    if probers is not None:
        registry.register("ping", ping_handler(probers))
        registry.register("probe", probe_handler(probers))
    return registry


class JobRunner:
    """Long-polls this agent's jobs and queues one ``job-result`` per job."""

    def __init__(
        self,
        client: CollectorClient,
        queue: AsyncDiskQueue,
        status: SyncStatus,
        registry: JobRegistry,
        *,
        wait: float = JOBS_WAIT,
        job_timeout: float = JOB_TIMEOUT,
        backoff: Backoff | None = None,
    ) -> None:
        self._client, self._queue, self._status = client, queue, status
        self._registry, self._wait, self._timeout = registry, wait, job_timeout
        self._backoff = backoff or Backoff()
        self._rng = random.Random()  # noqa: S311 - spreading long-polls, not secrets
        self._slots = asyncio.Semaphore(RUNNING_MAX)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._running: set[asyncio.Task[None]] = set()
        self.path = f"/api/v1/agents/{status.agent}/jobs"

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set() and not self._status.halted.is_set():
                # Jittered like the heartbeat, so that long-polls opened together (after a
                # collector restart) do not all come back, and come again, at one instant.
                wait = min(MAX_WAIT, jittered(self._wait, self._rng))
                reply = await self._client.get(
                    self.path, params={"wait": f"{wait:.2f}"}, read_timeout=wait + 10
                )
                self._status.answered(reply)
                if reply.outcome is Outcome.revoked:
                    return
                jobs = reply.data.get("jobs") if isinstance(reply.data, dict) else None
                if not reply.ok or not isinstance(jobs, list):
                    if await self._back_off(stop, reply):
                        return
                    continue
                self._backoff.reset()
                for job in jobs:
                    self._start(job)
        finally:
            for task in self._running:
                task.cancel()

    async def _back_off(self, stop: asyncio.Event, reply: Reply) -> bool:
        """Wait before the next long-poll; True when stopping. After an unanswered request the
        next heartbeat that gets through ends the wait (a job sent just after a WAN outage
        need not wait out a minute of backoff)."""
        delay = self._backoff.next()
        if reply.outcome not in UNANSWERED:
            return await pause(stop, delay)
        with self._status.next_contact() as contact:
            return await pause_or_wake(stop, contact, delay)

    def _start(self, job: object) -> None:
        if not isinstance(job, dict) or not isinstance(job.get("id"), str):
            log.warning("ignoring a job without an id from the collector")
            return
        if job["id"] in self._seen:
            return
        self._seen[job["id"]] = None
        if len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)
        task = asyncio.create_task(self.run_job(job), name=f"job {job['id']}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def run_job(self, job: dict[str, Any]) -> None:
        """Run one job and queue its result (public: the tests call it directly too)."""
        async with self._slots:
            payload = await self._outcome(str(job.get("kind")), job.get("params") or {})
        await self._queue.put_many([Item("job-result", payload, time.time(), job=job["id"])])

    async def _outcome(self, kind: str, params: object) -> dict[str, Any]:
        handler = self._registry.get(kind)
        if handler is None:
            known = ", ".join(self._registry.kinds())
            return {
                "ok": False,
                "kind": kind,
                "error": f"unknown job kind {kind!r}: this agent runs {known}",
            }
        if not isinstance(params, dict):
            return {"ok": False, "kind": kind, "error": "job params must be an object"}
        try:
            output = await asyncio.wait_for(handler(params), self._timeout)
        except TimeoutError:
            return {"ok": False, "kind": kind, "error": f"timed out after {self._timeout:g} s"}
        except JobError as exc:
            return {"ok": False, "kind": kind, "error": str(exc)}
        except Exception as exc:  # a failed job is a result, the agent goes on
            log.exception("job of kind %s failed", kind)
            return {"ok": False, "kind": kind, "error": f"{type(exc).__name__}: {exc}"}
        return {"ok": True, "kind": kind, "output": output}
