"""A running agent: its inventory slice, the polling loops, reloads, and what /metrics shows.

Reloads (SIGHUP, or a changed inventory file) are atomic: the new inventory is validated in
full before anything changes; a bad one is logged problem by problem and the agent keeps
polling with the old one (netwarden_agent_inventory_reload_success drops to 0).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Protocol

from netwarden.agent.configs.jobs import ConfigBackups
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.polling.fleet import (
    LinkEnd,
    PolledDevice,
    SessionFactory,
    build_device,
    link_ends,
    plan_devices,
    same_setup,
)
from netwarden.agent.polling.schedule import Scheduler
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceSnapshot
from netwarden.agent.polling.targets import target_for
from netwarden.agent.probes.plan import ProbeJob, plan_probes
from netwarden.agent.probes.registry import Probers
from netwarden.agent.snmp.types import Target
from netwarden.agent.ssh.jobs import SshCollections
from netwarden.agent.ssh.netmiko_runner import NetmikoRunner
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.ssh.types import SshRunner
from netwarden.errors import NetwardenError, UsageError
from netwarden.inventory import load_inventory
from netwarden.inventory.loader import file_stamps, reload_or_log
from netwarden.inventory.model import Agent, Inventory

log = logging.getLogger(__name__)

WATCH_EVERY = 2.0  # seconds between checks of the inventory files' modification times


class RunListener(Protocol):
    """Told of every completed poll and probe, on the event loop (e.g. the push service,
    which must see each one, not only the latest). It must return quickly."""

    def on_poll(self, snapshot: DeviceSnapshot, counters: DeviceCounters) -> None: ...

    def on_probe(self, job: ProbeJob, at: float) -> None: ...


class AgentRuntime:
    """The agent ``agent_id`` polling its devices from the inventory at ``paths``."""

    def __init__(
        self,
        paths: Sequence[Path],
        agent_id: str,
        session_factory: SessionFactory,
        *,
        max_in_flight: int = 64,
        probers: Probers | None = None,
        ssh_runner: SshRunner | None = None,
        ssh_workers: int = 8,
        config_store: Path | None = None,
    ) -> None:
        self.paths = list(paths)
        self.agent_id = agent_id
        self._factory = session_factory
        self._scheduler = Scheduler(max_in_flight=max_in_flight)
        # Probes mostly wait (ICMP spreads its packets over the interval): a separate, much
        # wider bound, so thousands of them never hold the SNMP polls' slots.
        self._probe_scheduler = Scheduler(max_in_flight=4096)
        self._probers = probers
        # One pool for every SSH session of this agent (collection here, config backup too).
        self.ssh_pool = SshPool(ssh_runner or NetmikoRunner(), ssh_workers)
        self.ssh = SshCollections(self.ssh_pool)
        # Config backups share that pool (one session per device at a time); none without a store.
        self.backups = (
            ConfigBackups(self.ssh_pool, ConfigStore(config_store)) if config_store else None
        )
        self.probes: dict[str, ProbeJob] = {}
        self.devices: dict[str, PolledDevice] = {}
        self.links: list[LinkEnd] = []
        self.reload_ok = False
        self.reload_time = 0.0
        self.inventory: Inventory | None = None  # the slice applied last (jobs resolve devices)
        self.agent: Agent | None = None  # this agent's entry in the running inventory
        self.listeners: list[RunListener] = []
        self._stamps: tuple[float, ...] = ()

    @property
    def session_factory(self) -> SessionFactory:
        """How this agent opens an SNMP session (jobs open their own, beside the polls')."""
        return self._factory

    def snapshots(self) -> list[tuple[DeviceSnapshot, DeviceCounters]]:
        """The latest poll of every device that has been polled, with its running totals."""
        return [(d.latest, d.totals) for d in self.devices.values() if d.latest is not None]

    def not_ready(self) -> str | None:
        """Why /-/ready answers 503, or None: ready once every device was polled once."""
        if not self.reload_ok and not self.devices:
            return "inventory not loaded"
        waiting = sum(1 for d in self.devices.values() if d.latest is None)
        return f"{waiting} of {len(self.devices)} devices not polled yet" if waiting else None

    def load(self) -> Inventory:
        """Load and check the inventory and this agent's place in it (raises on problems)."""
        self._stamps = file_stamps(self.paths)
        inventory = load_inventory(self.paths)
        if self.agent_id not in {a.id for a in inventory.agents}:
            raise UsageError(f"agent {self.agent_id!r} is not in the inventory")
        return inventory

    def apply(self, inventory: Inventory) -> None:
        """Switch to ``inventory``: start, rebuild or stop device loops as it requires."""
        wanted = plan_devices(inventory, self.agent_id)
        for device_id in set(self.devices) - set(wanted):
            self._stop(device_id)
        for device_id, (info, interval) in wanted.items():
            old = self.devices.get(device_id)
            if old is not None and same_setup(old, info, interval, _target(inventory, device_id)):
                continue
            if old is not None:
                self._stop(device_id)
            polled = build_device(inventory, device_id, interval, self._factory)
            self.devices[device_id] = polled
            self._scheduler.start(device_id, interval, self._told_poll(polled))
        self.agent = next((a for a in inventory.agents if a.id == self.agent_id), None)
        self.links = link_ends(inventory, self.agent_id)
        if self._probers is not None:
            self._apply_probes(plan_probes(inventory, self.agent_id, self._probers))
        self.ssh.apply(inventory, self.agent_id)
        if self.backups is not None:
            self.backups.apply(inventory, self.agent_id)
        self.inventory = inventory
        self.reload_ok, self.reload_time = True, time.time()
        log.info("agent %s: polling %d devices", self.agent_id, len(self.devices))

    def _apply_probes(self, wanted: dict[str, ProbeJob]) -> None:
        for key in set(self.probes) - set(wanted):
            self._probe_scheduler.cancel(key)
            del self.probes[key]
        for key, job in wanted.items():
            old = self.probes.get(key)
            if old is not None and old.spec == job.spec and old.labels == job.labels:
                continue  # unchanged: keep its last result and failure counts
            self.probes[key] = job
            self._probe_scheduler.start(key, job.interval, self._told_probe(job))

    def _told_poll(self, polled: PolledDevice) -> Callable[[float], Awaitable[None]]:
        async def poll(deadline: float) -> None:
            await polled.poll(deadline)
            if polled.latest is not None:
                for listener in self.listeners:
                    listener.on_poll(polled.latest, polled.totals)

        return poll

    def _told_probe(self, job: ProbeJob) -> Callable[[float], Awaitable[None]]:
        async def tick(deadline: float) -> None:
            await job.tick(deadline)
            for listener in self.listeners:
                listener.on_probe(job, time.time())

        return tick

    def probe_jobs(self) -> list[ProbeJob]:
        return list(self.probes.values())

    def reload(self) -> bool:
        """Reload from disk; on any problem keep the running inventory and say why."""
        inventory = reload_or_log(self.load, log)
        if inventory is None:
            self.reload_ok, self.reload_time = False, time.time()
            return False
        self.apply(inventory)
        return True

    def _stop(self, device_id: str) -> None:
        self._scheduler.cancel(device_id)
        polled = self.devices.pop(device_id)
        if polled.session is not None:
            # Closing is cheap (a UDP socket); do it in the background so apply() stays sync.
            asyncio.get_running_loop().create_task(polled.session.close())

    async def watch(self, stop: asyncio.Event, reload_asked: asyncio.Event) -> None:
        """Reload when ``reload_asked`` is set (SIGHUP) and whenever an inventory file changes,
        until ``stop`` (which ends the wait at once: shutdown never waits for the next check)."""
        while not stop.is_set():
            asked = asyncio.create_task(reload_asked.wait())
            stopping = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait(
                    {asked, stopping}, timeout=WATCH_EVERY, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                asked.cancel()
                stopping.cancel()
            if stop.is_set():
                return
            if not reload_asked.is_set() and file_stamps(self.paths) == self._stamps:
                continue
            reload_asked.clear()
            self.reload()

    async def close(self) -> None:
        await self._scheduler.stop()
        await self._probe_scheduler.stop()
        await self.ssh.stop()
        if self.backups is not None:
            await self.backups.stop()
        self.ssh_pool.close()
        for polled in self.devices.values():
            if polled.session is not None:
                await polled.session.close()


def _target(inventory: Inventory, device_id: str) -> Target | None:
    try:
        return target_for(inventory, inventory.device(device_id))
    except NetwardenError:
        return None
