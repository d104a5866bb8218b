"""The probes one agent runs: ICMP for each of its devices (unless disabled) and every check of
the services it is responsible for, each on its own interval. A failed target is a result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from netwarden.agent.probes.result import ProbeResult
from netwarden.inventory.model import Device, Inventory, Service

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
        return (("probe", self.probe), ("device", self.device), ("service", self.service),
                ("site", self.site), ("role", self.role), ("target", self.target))  # fmt: skip


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


@dataclass(frozen=True)
class Probers:
    """The probe functions, injected so tests can use fakes."""

    icmp: Callable[
        [str, int, float, float], Awaitable[ProbeResult]
    ]  # host, count, spacing, timeout
    tcp: Callable[[str, int, float], Awaitable[ProbeResult]]  # host, port, deadline
    http: Callable[[Service, float], Awaitable[ProbeResult]]  # service (http check), deadline


def _icmp_run(probers: Probers, host: str, count: int, timeout: float, interval: float) -> Run:
    # Packets are spread over the interval, leaving room for the last reply before the
    # scheduler's deadline (90 % of the interval).
    spacing = max(0.001, (interval * 0.9 - timeout) / count)
    return lambda deadline: probers.icmp(host, count, spacing, timeout)


def device_job(device: Device, probers: Probers) -> ProbeJob | None:
    icmp = device.icmp
    if not icmp.enabled:
        return None
    host = str(device.address)
    labels = ProbeLabels("icmp", host, device.site, device=device.id, role=device.role)
    spec = ("icmp", host, icmp.count, icmp.timeout, icmp.interval)
    run = _icmp_run(probers, host, icmp.count, icmp.timeout, icmp.interval)
    return ProbeJob(f"device:{device.id}", labels, icmp.interval, spec, run)


def service_job(service: Service, probers: Probers) -> ProbeJob:
    check = service.check
    key = f"service:{service.id}"
    if check.http is not None:
        http = check.http
        labels = ProbeLabels("http", http.url, service.site, service=service.id)
        spec: tuple[object, ...] = ("http", http.model_dump_json(), service.interval)
        timeout = http.timeout
        run: Run = lambda deadline: probers.http(service, min(deadline, timeout))  # noqa: E731
        return ProbeJob(key, labels, service.interval, spec, run)
    if check.tcp is not None:
        host, port, timeout = str(check.tcp.host), check.tcp.port, check.tcp.timeout
        labels = ProbeLabels("tcp", f"{host}:{port}", service.site, service=service.id)
        spec = ("tcp", host, port, timeout, service.interval)
        run = lambda deadline: probers.tcp(host, port, min(deadline, timeout))  # noqa: E731
        return ProbeJob(key, labels, service.interval, spec, run)
    assert check.icmp is not None  # the model guarantees exactly one kind
    host = str(check.icmp.host)
    labels = ProbeLabels("icmp", host, service.site, service=service.id)
    spec = ("icmp", host, check.icmp.count, check.icmp.timeout, service.interval)
    run = _icmp_run(probers, host, check.icmp.count, check.icmp.timeout, service.interval)
    return ProbeJob(key, labels, service.interval, spec, run)


def plan_probes(inventory: Inventory, agent_id: str, probers: Probers) -> dict[str, ProbeJob]:
    """Every probe job of ``agent_id``, keyed by a stable id."""
    jobs = [device_job(d, probers) for d in inventory.devices_for(agent_id)]
    jobs += [service_job(s, probers) for s in inventory.services_for(agent_id)]
    return {job.key: job for job in jobs if job is not None}
