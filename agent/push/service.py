"""The push service: one more part of the agent runtime (agent/parts.py).

It listens to every completed poll and probe, takes the agent's own series on the push
``interval``, and writes them to the spool before anything is sent; ``lanes`` sends them. It
follows the running inventory: the agent's ``metrics: push`` and ``push`` block (standalone
or from the collector's assignment alike) start it, change its receiver, or pause it. The
spool stays open once used, so samples of a paused push wait for it within their bounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from netwarden.agent.metrics.device_metrics import ReloadStatus
from netwarden.agent.metrics.family import Family
from netwarden.agent.metrics.push_metrics import PushCollector
from netwarden.agent.parts import AgentContext
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceSnapshot
from netwarden.agent.probes.plan import ProbeJob
from netwarden.agent.push.lanes import Lanes, LaneSettings
from netwarden.agent.push.samples import BlockMaker, Taken, of_agent, of_poll, of_probe
from netwarden.agent.push.sender import Answer
from netwarden.agent.push.spool import Spool, SpoolStats
from netwarden.agent.push.spool_async import AsyncSpool
from netwarden.agent.push.status import PushStatus
from netwarden.agent.push.transport import HttpReceiver
from netwarden.agent.sync.pacing import pause
from netwarden.errors import NetwardenError
from netwarden.inventory.model import PushTarget

log = logging.getLogger(__name__)

MAX_PENDING = 20_000  # blocks taken but not yet stored; beyond it the oldest are dropped
CONFIG_EVERY = 1.0  # s between looks at the running inventory's push settings


class Receiver(Protocol):
    """Where requests go: :class:`HttpReceiver`, or a test's fake."""

    async def post(self, body: bytes) -> Answer: ...

    async def close(self) -> None: ...


class PushService:
    """Spools and pushes the agent's samples when its inventory entry says ``metrics: push``."""

    def __init__(
        self,
        spool_dir: Path,
        *,
        lane_settings: LaneSettings | None = None,
        receiver: Callable[[PushTarget], Receiver] = HttpReceiver,
    ) -> None:
        self.spool_dir = spool_dir
        self._lane_overrides = lane_settings
        self._receiver = receiver
        self.spool: AsyncSpool | None = None
        self.status = PushStatus()
        self.target: PushTarget | None = None
        self._site = ""
        self._pending: deque[Taken] = deque()
        self._overflow = 0
        self._taken = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._task: asyncio.Task[None] | None = None
        self._halt = asyncio.Event()  # ends the current target's tasks
        self._warned = False
        self._disk_failed = False
        self._refused: tuple[PushTarget | None, str] | None = None  # a setup that failed
        self._agent: AgentContext | None = None

    # --- the runtime's seams ---------------------------------------------------------

    async def start(self, agent: AgentContext) -> None:
        agent.runtime.listeners.append(self)
        self.attach(agent)

    def attach(self, agent: AgentContext) -> None:
        """Start following ``agent`` without listening to its runtime: the push gate
        (agent/push/gate.py) loads this service late and passes polls on itself."""
        self._agent = agent
        PushCollector(self._status, self._spool_stats, registry=agent.registry)
        self._task = asyncio.create_task(self._follow(agent), name="push")

    def on_poll(self, snapshot: DeviceSnapshot, counters: DeviceCounters) -> None:
        if self._pushing():
            self._take(of_poll(snapshot, counters))

    def on_probe(self, job: ProbeJob, at: float) -> None:
        if self._pushing():
            self._take(of_probe(job, at))

    def _pushing(self) -> bool:
        """What the running inventory says now: the first polls after a start or a reload
        complete before the spool is open, and are kept in memory until it is."""
        entry = self._agent.runtime.agent if self._agent is not None else None
        return entry is not None and entry.metrics == "push" and entry.push is not None

    async def close(self) -> None:
        if self._agent is not None and self in self._agent.runtime.listeners:
            self._agent.runtime.listeners.remove(self)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._stop_tasks()
        if self.spool is not None:
            try:
                await self._flush()  # a clean stop keeps everything taken
            except (OSError, sqlite3.Error) as exc:
                log.error("push spool %s: %d blocks not stored at stop: %s",
                          self.spool_dir, len(self._pending), exc)  # fmt: skip
            await self.spool.close()

    def heartbeat_fields(self) -> dict[str, float | None]:
        """The spool's depth for the collector (None when this agent does not push)."""
        stats = self._spool_stats()
        if stats is None:
            return {"spool_depth": None, "spool_oldest_age": None}
        return {"spool_depth": stats.samples, "spool_oldest_age": round(stats.oldest_age, 3)}

    # --- following the inventory -----------------------------------------------------

    def _status(self) -> PushStatus | None:
        return self.status if self.spool is not None else None

    def _spool_stats(self) -> SpoolStats | None:
        return self.spool.stats() if self.spool is not None else None

    def _wanted(self, agent: AgentContext) -> tuple[PushTarget | None, str]:
        entry = agent.runtime.agent
        if entry is None or entry.metrics != "push":
            return None, ""
        if entry.push is None and not self._warned:
            self._warned = True
            log.warning("agent %s has metrics: push but no push block: nothing is pushed "
                        "(add push: {url: ...} to its inventory entry)", entry.id)  # fmt: skip
        return entry.push, entry.site

    async def _follow(self, agent: AgentContext) -> None:
        while not agent.stop.is_set():
            target, site = self._wanted(agent)
            wanted = (target, site)
            if wanted not in ((self.target, self._site), self._refused):
                try:
                    await self._switch(agent, target, site)
                    self._refused = None
                except NetwardenError as exc:
                    # Said once: tried again when the inventory changes (or at a restart).
                    log.error("push not started: %s", exc)
                    self.target, self._refused = None, wanted
            if await pause(agent.stop, CONFIG_EVERY):
                return

    async def _switch(self, agent: AgentContext, target: PushTarget | None, site: str) -> None:
        await self._stop_tasks()
        self.target, self._site = None, site
        if target is None:
            return
        receiver = self._receiver(target)  # reads the token: a bad one stops here, said once
        maker = BlockMaker(agent.runtime.agent_id, site)
        if self.spool is None:
            try:
                spool = await asyncio.to_thread(
                    Spool, self.spool_dir, max_bytes=target.spool_max_size,
                    max_age=target.spool_max_age,
                )  # fmt: skip
            except NetwardenError:
                await receiver.close()
                raise
            self.spool = AsyncSpool(spool, maker)
            log.info("push to %s, spool %s", target.url, spool.path)
        else:
            await self.spool.use(maker)
            self.spool.sync.max_bytes = target.spool_max_size
            self.spool.sync.max_age = target.spool_max_age
        self.status.url = target.url
        settings = self._lane_overrides or LaneSettings(
            batch=target.batch, backlog_rate=float(target.backlog_rate)
        )
        lanes = Lanes(self.spool, receiver.post, self.status, settings)
        self._halt = asyncio.Event()
        self.target = target
        self._tasks = [
            asyncio.create_task(self._write(lanes), name="push writer"),
            asyncio.create_task(lanes.run(self._halt), name="push sender"),
            asyncio.create_task(self._tick(agent, target.interval), name="push ticker"),
            asyncio.create_task(self._close_when_halted(receiver), name="push receiver"),
        ]

    async def _stop_tasks(self) -> None:
        self._halt.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _close_when_halted(self, receiver: Receiver) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self._halt.wait()
        await receiver.close()

    # --- taking and storing ----------------------------------------------------------

    def _take(self, taken: Taken) -> None:
        self._pending.append(taken)
        if len(self._pending) > MAX_PENDING:
            self._overflow += _count(self._pending.popleft())
        self._taken.set()

    async def _tick(self, agent: AgentContext, interval: float) -> None:
        runtime = agent.runtime
        while not self._halt.is_set():
            reload = ReloadStatus(runtime.reload_ok, runtime.reload_time)
            self._take(of_agent(agent.registry, runtime.links, reload, time.time()))
            if await pause(self._halt, interval):
                return

    async def _write(self, lanes: Lanes) -> None:
        while not self._halt.is_set():
            waiter = asyncio.ensure_future(self._taken.wait())
            halted = asyncio.ensure_future(self._halt.wait())
            await asyncio.wait([waiter, halted], return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            halted.cancel()
            self._taken.clear()
            try:
                await self._flush()
            except (OSError, sqlite3.Error) as exc:
                # A full or failing disk: the blocks wait in memory (bounded, the oldest
                # dropped and counted beyond MAX_PENDING) and the write is tried again.
                if not self._disk_failed:
                    log.error("push spool %s: cannot write: %s", self.spool_dir, exc)
                self._disk_failed = True
                await pause(self._halt, 1.0)
                self._taken.set()
                continue
            self._disk_failed = False
            lanes.appended.set()

    async def _flush(self) -> None:
        assert self.spool is not None
        while self._pending:
            batch = [self._pending.popleft() for _ in range(min(len(self._pending), 200))]
            try:
                await self.spool.append(batch)
            except BaseException:
                self._pending.extendleft(reversed(batch))  # not stored: keep them, in order
                raise
        if self._overflow:
            overflow, self._overflow = self._overflow, 0
            await self.spool.count_dropped("overflow", overflow)


def _count(taken: Taken) -> int:
    """Samples in ``taken`` (to count what overflow drops without encoding it)."""
    return sum(
        len(m.row_values) if isinstance(m, Family) else len(m.samples) for m in taken.metrics
    )
