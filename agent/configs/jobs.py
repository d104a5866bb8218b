"""The agent's scheduled backups: one job per device of its slice with ``ssh.backup: true`` on a
network platform, each on its ``ssh.backup_interval``, through the agent's shared SSH pool."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Final

from netwarden.agent.configs.fetch import BackupResult, CommandPool, backup_device
from netwarden.agent.configs.plan import plan_backups
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.polling.schedule import Scheduler
from netwarden.agent.ssh.targets import ssh_target_for
from netwarden.agent.ssh.types import SshTarget
from netwarden.errors import NetwardenError
from netwarden.inventory.model import Inventory

log = logging.getLogger(__name__)

MAX_DEADLINE: Final = 300.0  # seconds: a day's interval must not let one fetch hang for hours


@dataclass
class BackupJob:
    """One device backed up on an interval: its last result and what the agent saw change."""

    device: str
    site: str
    role: str
    target: SshTarget | None  # None when the inventory's credential cannot be used
    setup_error: str
    interval: float
    pool: CommandPool
    store: ConfigStore
    latest: BackupResult | None = None
    changes: int = 0  # backups of this agent that found the configuration changed
    changed: bool = False  # the most recent successful backup differed from the one before

    @property
    def spec(self) -> tuple[object, ...]:
        """What, if a reload changes it, makes a new job (and resets its counts)."""
        return (self.target, self.setup_error, self.interval, self.site, self.role)

    async def tick(self, deadline: float) -> None:
        """Back the device up once (the scheduler calls this every ``interval``)."""
        if self.target is None:
            self.latest = BackupResult(
                self.device, False, "setup", False, False, 0.0, self.setup_error, None, time.time()
            )
            return
        result = await backup_device(
            self.pool, self.target, self.store, deadline=min(deadline, MAX_DEADLINE)
        )
        if result.success:
            # A first backup has nothing before it to differ from: not a change.
            self.changed = result.changed and not result.new
            self.changes += self.changed
            if self.changed:
                log.warning(
                    "configuration of %s changed (commit %s)",
                    self.device,
                    (result.commit or "")[:12],
                )
        else:
            log.warning("config backup of %s failed: %s", self.device, result.error)
        self.latest = result


def plan_jobs(
    inventory: Inventory, agent_id: str, pool: CommandPool, store: ConfigStore
) -> dict[str, BackupJob]:
    """The backup jobs of ``agent_id``, keyed by device id."""
    devices, _hosts = plan_backups(inventory, agent=agent_id)
    jobs: dict[str, BackupJob] = {}
    for device in devices:
        assert device.ssh is not None  # plan_backups keeps only devices with an ssh block
        target: SshTarget | None = None
        error = ""
        try:
            target = ssh_target_for(inventory, device)
        except NetwardenError as exc:  # reported as a failed backup, not a stopped agent
            error = str(exc)
        jobs[device.id] = BackupJob(
            device.id,
            device.site,
            device.role,
            target,
            error,
            device.ssh.backup_interval,
            pool,
            store,
        )
    return jobs


class ConfigBackups:
    """The agent's backup jobs; ``apply`` starts, rebuilds or stops them on a reload."""

    def __init__(self, pool: CommandPool, store: ConfigStore, *, max_in_flight: int = 8) -> None:
        self.pool = pool
        self.store = store
        self.jobs: dict[str, BackupJob] = {}
        self._scheduler = Scheduler(max_in_flight=max_in_flight)

    def apply(self, inventory: Inventory, agent_id: str) -> None:
        wanted = plan_jobs(inventory, agent_id, self.pool, self.store)
        for device in set(self.jobs) - set(wanted):
            self._scheduler.cancel(device)
            del self.jobs[device]
        for device, job in wanted.items():
            old = self.jobs.get(device)
            if old is not None and old.spec == job.spec:
                continue  # unchanged: keep its last result and change count
            self.jobs[device] = job
            self._scheduler.start(device, job.interval, job.tick)

    def latest(self) -> list[BackupJob]:
        """Every job (the metrics collector reads their results and counts)."""
        return list(self.jobs.values())

    async def stop(self) -> None:
        await self._scheduler.stop()
