"""The probes one agent runs: ICMP for each of its devices (unless disabled) and every check of
the services it is responsible for, each on its own interval. A failed target is a result."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from netwarden.agent.probes import icmp
from netwarden.agent.probes.registry import Probers
from netwarden.agent.probes.result import ProbeResult
from netwarden.inventory.model import Device, Inventory, Service

log = logging.getLogger(__name__)

Run = Callable[[float], Awaitable[ProbeResult]]  # run one probe with this deadline (s)


@dataclass(frozen=True)
class ProbeLabels:
    """The labels of a probe's series: its kind, its target and the inventory's names."""

    probe: str
    target: str
    site: str
    device: str = ""
    role: str = ""
    service: str = ""

    def pairs(self) -> tuple[tuple[str, str], ...]:
        return (
            ("probe", self.probe),
            ("device", self.device),
            ("service", self.service),
            ("site", self.site),
            ("role", self.role),
            ("target", self.target),
        )


@dataclass
class ProbeJob:
    """One target probed on an interval, with its last result and failure counts."""

    key: str
    labels: ProbeLabels
    interval: float
    spec: tuple[object, ...]  # what, if changed by a reload, means a new job
    run: Run
    latest: ProbeResult | None = None
    failures: dict[str, int] = field(default_factory=dict)

    async def tick(self, deadline: float) -> None:
        result = await self.run(deadline)
        if not result.success:
            self.failures[result.reason.value] = self.failures.get(result.reason.value, 0) + 1
        self.latest = result


def _job(key: str, labels: ProbeLabels, interval: float, target: Any, probers: Probers) -> ProbeJob:
    # The target is frozen: equal targets and interval mean an unchanged job across a reload.
    probe = probers[labels.probe].probe
    run: Run = lambda deadline: probe(target, deadline=deadline)  # noqa: E731
    return ProbeJob(key, labels, interval, (labels.probe, target, interval), run)


def device_job(device: Device, probers: Probers) -> ProbeJob | None:
    """The ICMP probe of ``device``, unless its ``icmp`` block disables it."""
    access = device.icmp
    if not access.enabled:
        return None
    host = str(device.address)
    spacing = icmp.spread(access.interval, access.count, access.timeout)
    target = icmp.IcmpTarget(host, access.count, spacing, access.timeout)
    labels = ProbeLabels("icmp", host, device.site, device=device.id, role=device.role)
    return _job(f"device:{device.id}", labels, access.interval, target, probers)


def service_job(service: Service, probers: Probers) -> ProbeJob | None:
    """The probe of ``service``'s check: the kind whose block the check sets."""
    for kind in probers.kinds():
        check = getattr(service.check, kind, None)
        if check is not None:
            target = probers[kind].from_check(check, service.interval)
            labels = ProbeLabels(kind, target.label, service.site, service=service.id)
            return _job(f"service:{service.id}", labels, service.interval, target, probers)
    log.warning("service %s: no prober for its check", service.id)
    return None


def plan_probes(inventory: Inventory, agent_id: str, probers: Probers) -> dict[str, ProbeJob]:
    """Every probe job of ``agent_id``, keyed by a stable id."""
    jobs = [device_job(d, probers) for d in inventory.devices_for(agent_id)]
    jobs += [service_job(s, probers) for s in inventory.services_for(agent_id)]
    return {job.key: job for job in jobs if job is not None}
