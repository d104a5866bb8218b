"""The SSH collections one agent runs: one job per device with ``ssh`` and ``collect: true``,
each on its ``ssh.interval``, through its own bounded :class:`Scheduler`, keeping the latest
result and running failure counts for the metrics."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from netwarden.agent.polling.schedule import Scheduler
from netwarden.agent.ssh.collection import SshCollection, collect
from netwarden.agent.ssh.plans import PLANS, PlatformPlan
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.ssh.targets import ssh_target_for
from netwarden.agent.ssh.types import SshTarget
from netwarden.errors import NetwardenError
from netwarden.inventory.model import Inventory

log = logging.getLogger(__name__)


@dataclass
class SshJob:
    """One device collected on an interval, with its last result and running totals."""

    device: str
    site: str
    role: str
    target: SshTarget
    interval: float
    plan: PlatformPlan | None
    pool: SshPool
    latest: SshCollection | None = None
    failures: dict[str, int] = field(default_factory=dict)  # reason -> failed collections
    parse_errors: dict[str, int] = field(default_factory=dict)  # command -> failed parses

    @property
    def spec(self) -> tuple[object, ...]:
        """What, if a reload changes it, makes a new job (and resets its counts)."""
        return (self.target, self.interval, self.site, self.role)

    async def tick(self, deadline: float) -> None:
        result = await collect(self.pool, self.target, self.plan, deadline=deadline)
        if not result.success:
            self.failures[result.reason] = self.failures.get(result.reason, 0) + 1
            log.warning("SSH collection of %s failed: %s", self.device, result.message)
        for command, count in result.parse_errors.items():
            self.parse_errors[command] = self.parse_errors.get(command, 0) + count
        if result.parse_errors:
            log.warning("SSH collection of %s: parse errors: %s", self.device, result.message)
        self.latest = result


def plan_jobs(
    inventory: Inventory,
    agent_id: str,
    pool: SshPool,
    plans: Mapping[str, PlatformPlan] = PLANS,
) -> dict[str, SshJob]:
    """The SSH collection jobs of ``agent_id``, keyed by device id."""
    jobs: dict[str, SshJob] = {}
    for device in inventory.devices_for(agent_id):
        if device.ssh is None or not device.ssh.collect:
            continue
        try:
            target = ssh_target_for(inventory, device)
        except NetwardenError as exc:  # a bad credential must not stop the other devices
            log.error("SSH collection of %s not scheduled: %s", device.id, exc)
            continue
        plan = plans.get(device.ssh.platform)
        jobs[device.id] = SshJob(
            device.id, device.site, device.role, target, device.ssh.interval, plan, pool
        )
    return jobs


class SshCollections:
    """The agent's SSH collection jobs; ``apply`` starts, rebuilds or stops them on reload."""

    def __init__(self, pool: SshPool, *, max_in_flight: int | None = None) -> None:
        self.pool = pool
        self.jobs: dict[str, SshJob] = {}
        # Jobs beyond the pool's workers would only queue for a thread; bound them alike.
        self._scheduler = Scheduler(max_in_flight=max_in_flight or pool.max_workers)

    def apply(self, inventory: Inventory, agent_id: str) -> None:
        wanted = plan_jobs(inventory, agent_id, self.pool)
        for device in set(self.jobs) - set(wanted):
            self._scheduler.cancel(device)
            del self.jobs[device]
        for device, job in wanted.items():
            old = self.jobs.get(device)
            if old is not None and old.spec == job.spec and old.plan is job.plan:
                continue  # unchanged: keep its last result and counts
            self.jobs[device] = job
            self._scheduler.start(device, job.interval, job.tick)

    def latest(self) -> list[SshJob]:
        """Every job (the metrics collector reads their latest results and counts)."""
        return list(self.jobs.values())

    async def stop(self) -> None:
        await self._scheduler.stop()
