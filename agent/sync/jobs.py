"""Jobs: work the collector hands the agent (the playbooks' actions), fetched by long poll.

Each job runs through a registry of kinds: ``echo`` (returns its params: for tests and as a
smoke test of the whole path), ``probe`` {kind, target, deadline} (any of the agent's
probers by kind) and the playbook actions of ``agent/actions`` (``ping``, ``snmp_get``, ...,
registered by the caller, which holds what they need). An unknown kind, bad params, a failure
or a timeout is a ``job-result`` with ``ok: false`` and a one-line ``error``, never a crash.

Each job runs once: it is claimed in the state dir's job record before it starts, so a job
delivered again (its lease passed, the agent restarted) is answered from the record, with its
result or as interrupted. A job past its ``expires_at`` is answered as expired, not started.
Results go through the disk queue, so they survive an outage like every other result.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from netwarden.agent.probes.registry import Probers
from netwarden.agent.probes.result import ProbeResult
from netwarden.agent.probes.target_params import TargetParamsError
from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.disk_queue import Item
from netwarden.agent.sync.job_record import AsyncJobRecord, JobRecord, Known
from netwarden.agent.sync.pacing import Backoff, jittered, pause, pause_or_wake
from netwarden.agent.sync.replies import UNANSWERED, Outcome, Reply
from netwarden.agent.sync.status import SyncStatus
from netwarden.errors import NetwardenError

log = logging.getLogger(__name__)

JOBS_WAIT = 30.0  # seconds the collector may hold a jobs request open
MAX_WAIT = 60.0  # the contract's bound on that hold (docs/collector-api.md)
JOB_TIMEOUT = 120.0  # the bound of a job whose handler has none of its own
PROBE_DEADLINE = 10.0  # seconds a probe job may take unless its params say otherwise
RUNNING_MAX = 4  # jobs running at once; the rest wait their turn
MAX_RESULT = 256 * 1024  # bytes of a job-result's JSON (the collector takes 1 MiB a batch)
PRUNE_EVERY = 3600.0  # seconds between prunings of the job record
STOP_WAIT = 5.0  # seconds a stopping agent gives its cancelled jobs to record their end


class JobError(NetwardenError):
    """A job could not run as asked (bad params); the message goes into its result."""


@dataclass(frozen=True)
class JobOutcome:
    """What a handler says happened: ``ok``, its structured ``output``, that output as
    ``text`` for a person, and a one-line ``error`` when not ok."""

    ok: bool
    output: Any = None
    text: str = ""
    error: str = ""


JobHandler = Callable[[dict[str, Any]], Awaitable["dict[str, Any] | JobOutcome"]]


@dataclass(frozen=True)
class JobKind:
    """A registered kind; ``bounded``: its handler enforces its own time bound (an action's
    params say how long it may take), so the runner adds none."""

    handler: JobHandler
    bounded: bool = False


@dataclass
class JobRegistry:
    """Job kinds this agent runs: kind -> handler(params) -> output or :class:`JobOutcome`."""

    _kinds: dict[str, JobKind] = field(default_factory=dict)

    def register(self, kind: str, handler: JobHandler, *, bounded: bool = False) -> None:
        self._kinds[kind] = JobKind(handler, bounded)

    def get(self, kind: str) -> JobKind | None:
        return self._kinds.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._kinds)


async def echo(params: dict[str, Any]) -> dict[str, Any]:
    return dict(params)


def probe_output(result: ProbeResult) -> dict[str, Any]:
    """A probe's result as a job's output (the ``probe`` job's shape, kept by ``ping``)."""
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


def builtin_jobs(
    probers: Probers | None, actions: Mapping[str, JobHandler] | None = None
) -> JobRegistry:
    """``echo``, ``probe`` (with probers) and the given playbook actions (self-bounded)."""
    registry = JobRegistry()
    registry.register("echo", echo)
    if probers is not None:
        registry.register("probe", probe_handler(probers))
    for kind, handler in (actions or {}).items():
        registry.register(kind, handler, bounded=True)
    return registry


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def interrupted(kind: str, started_at: float, why: str) -> dict[str, Any]:
    """The answer for a job whose outcome cannot be known."""
    return {
        "ok": False,
        "kind": kind,
        "interrupted": True,
        "error": f"{why} while this job ran (started {_when(started_at)}): its outcome is "
        "unknown, and it is not run again",
    }


def expired(kind: str, expires_at: float, now: float) -> dict[str, Any]:
    return {
        "ok": False,
        "kind": kind,
        "expired": True,
        "error": f"expired at {_when(expires_at)}, before this agent could start it "
        f"(agent time {_when(now)})",
    }


def bounded_payload(payload: dict[str, Any], limit: int = MAX_RESULT) -> dict[str, Any]:
    """``payload`` if its JSON fits ``limit`` bytes; else with its text cut, else an error."""
    size = len(json.dumps(payload, ensure_ascii=False).encode())
    if size <= limit:
        return payload
    text = str(payload.get("text", ""))
    over = size - limit + 200  # room for the note
    if len(text.encode()) > over:
        cut = text.encode()[: len(text.encode()) - over].decode(errors="ignore")
        note = f"\n[... cut: a job result carries at most {limit // 1024} KiB]\n"
        shorter = {**payload, "text": cut + note, "truncated": True}
        if len(json.dumps(shorter, ensure_ascii=False).encode()) <= limit:
            return shorter
    return {
        "ok": False,
        "kind": payload.get("kind"),
        "truncated": True,
        "error": f"the result is {size // 1024} KiB, over the {limit // 1024} KiB a job result "
        "may carry: ask for less (fewer rows, a narrower command)",
    }


class JobRunner:
    """Long-polls this agent's jobs and queues one ``job-result`` per job, each job once."""

    def __init__(
        self,
        client: CollectorClient,
        queue: AsyncDiskQueue,
        status: SyncStatus,
        registry: JobRegistry,
        *,
        record: AsyncJobRecord | None = None,
        wait: float = JOBS_WAIT,
        job_timeout: float = JOB_TIMEOUT,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client, self._queue, self._status = client, queue, status
        self._registry, self._wait, self._timeout = registry, wait, job_timeout
        # Without a state dir (tests) the record lives in memory: once per process only.
        self.record = record or AsyncJobRecord(JobRecord(":memory:"))
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._rng = random.Random()  # noqa: S311 - spreading long-polls, not secrets
        self._slots = asyncio.Semaphore(RUNNING_MAX)
        self._running: dict[str, asyncio.Task[None]] = {}
        self._pruned = 0.0
        self.path = f"/api/v1/agents/{status.agent}/jobs"

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set() and not self._status.halted.is_set():
                await self._prune()
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
            await self._stop_running()

    async def _stop_running(self) -> None:
        """Cancel the running jobs and give them a moment to record that they were cut."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_WAIT)

    async def _prune(self) -> None:
        now = self._clock()
        if now - self._pruned >= PRUNE_EVERY:
            self._pruned = now
            await self.record.prune()

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
        if job["id"] in self._running:
            return  # delivered again while it runs: its result is on its way
        task = asyncio.create_task(self.run_job(job), name=f"job {job['id']}")
        self._running[job["id"]] = task
        task.add_done_callback(lambda _: self._running.pop(job["id"], None))

    async def run_job(self, job: dict[str, Any]) -> None:
        """Run one job once and queue its result (public: the tests call it directly too)."""
        job_id, kind = str(job["id"]), str(job.get("kind"))
        async with self._slots:
            try:
                known = await self.record.claim(job_id, kind)
            except (sqlite3.Error, OSError) as exc:
                # Without the record a repeat could run twice: refuse rather than risk it.
                log.error("job %s not run: the job record failed: %s", job_id, exc)
                payload = {
                    "ok": False,
                    "kind": kind,
                    "error": f"not run: the agent cannot record jobs in its state dir ({exc})",
                }
            else:
                if known is not None:
                    payload = await self._known(job_id, known)
                else:
                    payload = await self._run_claimed(job_id, kind, job)
        await self._queue.put_many([Item("job-result", payload, self._clock(), job=job_id)])

    async def _known(self, job_id: str, known: Known) -> dict[str, Any]:
        """The answer to a job claimed before: its result, or interrupted (now recorded)."""
        if known.payload is not None:
            log.info("job %s delivered again: answered from the job record", job_id)
            return known.payload
        payload = interrupted(known.kind, known.started_at, "the agent stopped")
        await self.record.finish(job_id, payload)
        log.warning("job %s was interrupted by a restart: answered as such", job_id)
        return payload

    async def _run_claimed(self, job_id: str, kind: str, job: dict[str, Any]) -> dict[str, Any]:
        expires_at, started = _expires_at(job), self._clock()
        try:
            if expires_at is not None and started > expires_at:
                payload = expired(kind, expires_at, started)
                await self.record.finish(job_id, payload)
                return payload
            payload = bounded_payload(await self._outcome(kind, job.get("params") or {}))
        except asyncio.CancelledError:
            # The agent is stopping: say so now, rather than when the lease brings it back.
            cut = interrupted(kind, started, "the agent was stopped")
            await asyncio.shield(self._cut(job_id, cut))
            raise
        await self.record.finish(job_id, payload)
        return payload

    async def _cut(self, job_id: str, payload: dict[str, Any]) -> None:
        await self.record.finish(job_id, payload)
        await self._queue.put_many([Item("job-result", payload, self._clock(), job=job_id)])

    async def _outcome(self, kind: str, params: object) -> dict[str, Any]:
        found = self._registry.get(kind)
        if found is None:
            known = ", ".join(self._registry.kinds())
            return {
                "ok": False,
                "kind": kind,
                "error": f"unknown job kind {kind!r}: this agent runs {known}",
            }
        if not isinstance(params, dict):
            return {"ok": False, "kind": kind, "error": "job params must be an object"}
        try:
            if found.bounded:
                answer = await found.handler(params)
            else:
                answer = await asyncio.wait_for(found.handler(params), self._timeout)
        except TimeoutError:
            return {"ok": False, "kind": kind, "error": f"timed out after {self._timeout:g} s"}
        except JobError as exc:
            return {"ok": False, "kind": kind, "error": str(exc)}
        except Exception as exc:  # a failed job is a result, the agent goes on
            log.exception("job of kind %s failed", kind)
            return {"ok": False, "kind": kind, "error": f"{type(exc).__name__}: {exc}"}
        return _payload(kind, answer)


def _expires_at(job: dict[str, Any]) -> float | None:
    """The job's ``expires_at`` (collector time, unix seconds), None without one."""
    value = job.get("expires_at")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _payload(kind: str, answer: dict[str, Any] | JobOutcome) -> dict[str, Any]:
    """The ``job-result`` payload: ok, kind, output, text, and error when not ok."""
    if not isinstance(answer, JobOutcome):
        text = json.dumps(answer, indent=2, ensure_ascii=False, default=str) + "\n"
        return {"ok": True, "kind": kind, "output": answer, "text": text}
    payload: dict[str, Any] = {"ok": answer.ok, "kind": kind}
    if answer.output is not None:
        payload["output"] = answer.output
    if answer.text:
        payload["text"] = answer.text
    if not answer.ok:
        payload["error"] = answer.error or "failed"
    return payload
