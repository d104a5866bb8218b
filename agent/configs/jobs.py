"""The agent's scheduled backups: one job per device of its slice with ``ssh.backup: true`` on a
network platform, each on its ``ssh.backup_interval``, through the agent's shared SSH pool.

A failed backup is retried after 5 min, 15 min and 1 h (never later than the interval), then
waits for the interval again; a success puts the device back on its interval from then on.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Final

from netwarden.agent.configs.device_name import backup_target
from netwarden.agent.configs.fetch import BackupResult, CommandPool, backup_device
from netwarden.agent.configs.plan import plan_backups
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.polling.schedule import Scheduler
from netwarden.agent.ssh.types import SshTarget
from netwarden.errors import NetwardenError
from netwarden.inventory.model import Inventory

log = logging.getLogger(__name__)

MAX_DEADLINE: Final = 300.0  # seconds: a day's interval must not let one fetch hang for hours
RETRY_DELAYS: Final = (300.0, 900.0, 3600.0)  # after the 1st, 2nd, 3rd failure in a row


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
    retry_delays: tuple[float, ...] = RETRY_DELAYS
    latest: BackupResult | None = None
    changes: int = 0  # backups of this agent that found the configuration changed
    changed: bool = False  # the most recent successful backup differed from the one before
    failures: dict[str, int] = field(default_factory=dict)  # reason -> failed backups
    failed_in_row: int = 0  # failed backups since the last success

    def next_delay(self) -> float | None:
        """After a backup: seconds to its retry, or None to wait for the interval."""
        if not 0 < self.failed_in_row <= len(self.retry_delays):
            return None
        return min(self.retry_delays[self.failed_in_row - 1], self.interval)

    @property
    def spec(self) -> tuple[object, ...]:
        """What, if a reload changes it, makes a new job (and resets its counts)."""
        return (self.target, self.setup_error, self.interval, self.site, self.role)

    async def tick(self, deadline: float) -> None:
        """Back the device up once (the scheduler calls this every ``interval``)."""
        if self.target is None:
            result = BackupResult(
                self.device, False, "setup", False, False, 0.0, self.setup_error, None, time.time()
            )
        else:
            result = await backup_device(
                self.pool, self.target, self.store, deadline=min(deadline, MAX_DEADLINE)
            )
        self._record(result)

    def _record(self, result: BackupResult) -> None:
        self.latest = result
        if not result.success:
            self.failures[result.reason] = self.failures.get(result.reason, 0) + 1
            self.failed_in_row += 1
            retry = self.next_delay()
            when = f"retry in {retry:g} s" if retry is not None else "next at the interval"
            log.warning("config backup of %s failed (%s): %s", self.device, when, result.error)
            return
        if self.failed_in_row:
            log.info("config backup of %s works again", self.device)
            self.failed_in_row = 0
        # A first backup has nothing before it to differ from: not a change.
        self.changed = result.changed and not result.new
        self.changes += self.changed
        if self.changed:
            commit = (result.commit or "")[:12]
            log.warning("configuration of %s changed (commit %s)", self.device, commit)


def plan_jobs(
    inventory: Inventory,
    agent_id: str,
    pool: CommandPool,
    store: ConfigStore,
    retry_delays: tuple[float, ...] = RETRY_DELAYS,
) -> dict[str, BackupJob]:
    """The backup jobs of ``agent_id``, keyed by device id."""
    devices, _hosts = plan_backups(inventory, agent=agent_id)
    jobs: dict[str, BackupJob] = {}
    for device in devices:
        assert device.ssh is not None  # plan_backups keeps only devices with an ssh block
        target: SshTarget | None = None
        error = ""
        try:
            target = backup_target(inventory, device)
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
            retry_delays,
        )
    return jobs


class ConfigBackups:
    """The agent's backup jobs; ``apply`` starts, rebuilds or stops them on a reload.
    ``retry_delays``: after the 1st, 2nd... failure in a row (tests shorten them)."""

    def __init__(
        self,
        pool: CommandPool,
        store: ConfigStore,
        *,
        max_in_flight: int = 8,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self.pool = pool
        self.store = store
        self.retry_delays = retry_delays
        self.jobs: dict[str, BackupJob] = {}
        self._scheduler = Scheduler(max_in_flight=max_in_flight)

    def apply(self, inventory: Inventory, agent_id: str) -> None:
        wanted = plan_jobs(inventory, agent_id, self.pool, self.store, self.retry_delays)
        for device in set(self.jobs) - set(wanted):
            self._scheduler.cancel(device)
            del self.jobs[device]
        for device, job in wanted.items():
            old = self.jobs.get(device)
            if old is not None and old.spec == job.spec:
                continue  # unchanged: keep its last result and change count
            self.jobs[device] = job
            self._scheduler.start(device, job.interval, job.tick, job.next_delay)

    def latest(self) -> list[BackupJob]:
        """Every job (the metrics collector reads their results and counts)."""
        return list(self.jobs.values())

    async def stop(self) -> None:
        await self._scheduler.stop()
