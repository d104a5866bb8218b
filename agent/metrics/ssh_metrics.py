"""The SSH families (see ``names.SSH``) from the latest collection of every SSH job.

Like the SNMP collector, a failed collection exports only ``netwarden_ssh_up 0``, its duration
and the failure counts: repeating stale interface or host values would hide that the device
is gone. A series the platform does not report (``None``) is omitted, never written as 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import CollectorRegistry

from netwarden.agent.metrics.family import Family, Labels, encode_labels, extend_labels
from netwarden.agent.metrics.names import SSH
from netwarden.agent.ssh.collected import HostState, InterfaceState
from netwarden.agent.ssh.jobs import SshJob

Families = dict[str, Family]

_COUNTERS = (
    ("netwarden_ssh_interface_in_octets_total", "in_octets"),
    ("netwarden_ssh_interface_out_octets_total", "out_octets"),
    ("netwarden_ssh_interface_in_errors_total", "in_errors"),
    ("netwarden_ssh_interface_out_errors_total", "out_errors"),
)


class SshCollector:
    """Yields ``netwarden_ssh_*`` and ``netwarden_host_*`` families; ``jobs()`` lists them."""

    def __init__(
        self, jobs: Callable[[], Sequence[SshJob]], *, registry: CollectorRegistry | None = None
    ) -> None:
        self._jobs = jobs
        if registry is not None:
            registry.register(self)

    def describe(self) -> Iterable[Metric]:
        return [Family(spec.name, spec.help, spec.type) for spec in SSH]

    def collect(self) -> Iterable[Metric]:
        families = {spec.name: Family(spec.name, spec.help, spec.type) for spec in SSH}
        for job in self._jobs():
            _add_job(families, job)
        return [family for family in families.values() if family.row_values]


def _add_job(families: Families, job: SshJob) -> None:
    labels = encode_labels((("device", job.device), ("site", job.site), ("role", job.role)))
    for reason, count in sorted(job.failures.items()):
        families["netwarden_ssh_failures_total"].add(
            extend_labels(labels, (("reason", reason),)), count
        )
    for command, count in sorted(job.parse_errors.items()):
        families["netwarden_ssh_parse_errors_total"].add(
            extend_labels(labels, (("command", command),)), count
        )
    result = job.latest
    if result is None:
        return
    families["netwarden_ssh_up"].add(labels, int(result.success))
    families["netwarden_ssh_duration_seconds"].add(labels, result.duration)
    if not result.success:
        return
    for interface in result.interfaces:
        _add_interface(families, labels, interface)
    if result.version is not None:
        v = result.version
        info = (
            ("platform", result.platform),
            ("os_version", v.os_version),
            ("model", v.model),
            ("serial", v.serial),
        )
        families["netwarden_ssh_device_info"].add(extend_labels(labels, info), 1)
        if v.uptime_seconds is not None:
            families["netwarden_ssh_device_uptime_seconds"].add(labels, v.uptime_seconds)
    if result.host is not None:
        _add_host(families, labels, result.host)


def _add_interface(families: Families, labels: Labels, interface: InterfaceState) -> None:
    own = extend_labels(labels, (("interface", interface.name),))
    families["netwarden_ssh_interface_up"].add(own, int(interface.oper_up))
    families["netwarden_ssh_interface_admin_up"].add(own, int(interface.admin_up))
    for name, attribute in _COUNTERS:
        value = getattr(interface, attribute)
        if value is not None:
            families[name].add(own, value)


def _add_host(families: Families, labels: Labels, host: HostState) -> None:
    for fs in host.filesystems or ():
        own = extend_labels(labels, (("mountpoint", fs.mountpoint), ("fstype", fs.fstype)))
        families["netwarden_host_filesystem_size_bytes"].add(own, fs.size_bytes)
        families["netwarden_host_filesystem_used_bytes"].add(own, fs.used_bytes)
        families["netwarden_host_filesystem_avail_bytes"].add(own, fs.avail_bytes)
    if host.load is not None:
        families["netwarden_host_load1"].add(labels, host.load.load1)
        families["netwarden_host_load5"].add(labels, host.load.load5)
        families["netwarden_host_load15"].add(labels, host.load.load15)
    if host.memory is not None:
        families["netwarden_host_memory_total_bytes"].add(labels, host.memory.total_bytes)
        families["netwarden_host_memory_available_bytes"].add(labels, host.memory.available_bytes)
    if host.systemd_available is not None:
        families["netwarden_host_systemd_available"].add(labels, int(host.systemd_available))
    if host.failed_units is not None:
        families["netwarden_host_systemd_units_failed"].add(labels, len(host.failed_units))
        for unit in host.failed_units:
            families["netwarden_host_systemd_unit_failed"].add(
                extend_labels(labels, (("unit", unit),)), 1
            )
