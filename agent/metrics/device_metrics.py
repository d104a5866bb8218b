"""The agent's prometheus-client collector: every family of ``names.py`` from the latest polls.

``collect()`` only reads: it calls the callables it was given, builds the families and keeps
nothing between scrapes, so it may run in any thread while the polls go on (the ``source``
callable must return a consistent list; it is called once per scrape).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import CollectorRegistry

from netwarden import __version__
from netwarden.agent.metrics.family import Family, Labels, encode_labels, extend_labels
from netwarden.agent.metrics.interface_rows import (
    HIGH_CAPACITY,
    HighCapacityFamily,
    InterfaceFamily,
    encode_devices,
)
from netwarden.agent.metrics.names import (
    AGENT,
    BY_NAME,
    HOST,
    IF_COUNTERS,
    IF_GAUGES,
    METRICS,
)
from netwarden.agent.polling.interface_table import COLUMNS, InterfaceTable
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceSnapshot, InterfaceSample
from netwarden.agent.snmp.types import Reason

Families = dict[str, Family]

_IF_COUNTERS = frozenset(spec.name for spec in IF_COUNTERS)
_IF_GAUGES = frozenset(spec.name for spec in IF_GAUGES)
_REASONS = tuple(reason.value for reason in Reason)


class LinkEndpoint(Protocol):
    """One end of an inventory link on a device this agent polls (``fleet.LinkEnd`` is one).

    ``if_name`` is the inventory's ``interface``: the ifName (else ifDescr) of the interface,
    so ``on(device, ifName)`` joins ``netwarden_link_info`` to the interface series.
    """

    @property
    def link(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def if_name(self) -> str: ...


@dataclass(frozen=True)
class ReloadStatus:
    """The last inventory (re)load: did it succeed, and when was it attempted (unix time)."""

    success: bool
    timestamp: float


Source = Callable[[], Sequence[tuple[DeviceSnapshot, DeviceCounters]]]


def _no_links() -> Sequence[LinkEndpoint]:
    return ()


def _no_reload() -> ReloadStatus | None:
    return None


class SnapshotCollector:
    """Yields the agent's metric families (see ``docs/metrics.md``) from the latest snapshots.

    ``source`` returns the latest snapshot of every device polled at least once, with its
    running totals; ``links`` the link ends of this agent's devices; ``reload`` the last
    inventory load (None: no reload metrics). Registers itself with ``registry`` if given;
    nothing is ever registered with prometheus-client's global default registry.
    """

    def __init__(
        self,
        source: Source,
        links: Callable[[], Sequence[LinkEndpoint]] = _no_links,
        reload: Callable[[], ReloadStatus | None] = _no_reload,
        *,
        version: str = __version__,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._source = source
        self._links = links
        self._reload = reload
        self._version = version
        if registry is not None:
            registry.register(self)

    def describe(self) -> Iterable[Metric]:
        """Every family, empty (the registry uses the names to refuse duplicates)."""
        return [Family(spec.name, spec.help, spec.type) for spec in METRICS]

    def collect(self) -> Iterator[Metric]:
        """The families that have at least one series, in the order of ``names.METRICS``.

        The per-interface families (a 500-device agent's are ~430,000 series) are streamed:
        written from the snapshots when rendered, each interface's label set encoded once a
        scrape (``interface_rows``); only the per-device families (~20 series a device) are
        built as rows."""
        pairs = list(self._source())  # one consistent view for the whole scrape
        devices = encode_devices(pairs)
        for spec in (*IF_COUNTERS, *IF_GAUGES):
            family = InterfaceFamily(spec, devices)
            if family.has_rows():
                yield family
        families = _empty(with_interfaces=False)
        for snapshot, counters in pairs:
            _add_device(families, snapshot, counters, interfaces=False)
        _add_links(families, self._links())
        _add_agent(families, self._reload(), self._version)
        families[HIGH_CAPACITY] = HighCapacityFamily(BY_NAME[HIGH_CAPACITY], devices)
        yield from (family for family in families.values() if family.has_rows())


def _empty(*, with_interfaces: bool = True) -> Families:
    specs = METRICS if with_interfaces else (*HOST, *AGENT)
    return {spec.name: Family(spec.name, spec.help, spec.type) for spec in specs}


def device_families(snapshot: DeviceSnapshot, counters: DeviceCounters) -> list[Family]:
    """The series of one device's poll, as /metrics shows them after that poll."""
    families = _empty()
    _add_device(families, snapshot, counters)
    return [family for family in families.values() if family.row_values]


def agent_families(
    links: Sequence[LinkEndpoint], reload: ReloadStatus | None, version: str = __version__
) -> list[Family]:
    """The collector's series that belong to no poll: link info, reloads, build info."""
    families = _empty()
    _add_links(families, links)
    _add_agent(families, reload, version)
    return [family for family in families.values() if family.row_values]


def _add_links(families: Families, links: Iterable[LinkEndpoint]) -> None:
    for end in links:
        pairs = (("link", end.link), ("kind", end.kind), ("device", end.device))
        labels = encode_labels((*pairs, ("ifName", end.if_name)))
        families["netwarden_link_info"].add(labels, 1)


def _device_labels(snapshot: DeviceSnapshot) -> Labels:
    info = snapshot.info
    return encode_labels((("device", info.device), ("site", info.site), ("role", info.role)))


def _interface_labels(device: Labels, interface: InterfaceSample) -> Labels:
    index = ("ifIndex", str(interface.if_index))
    name = ("ifName", interface.if_name)
    return extend_labels(
        device, (index, name, ("ifDescr", interface.if_descr), ("ifAlias", interface.if_alias))
    )


def _add_device(
    families: Families,
    snapshot: DeviceSnapshot,
    counters: DeviceCounters,
    *,
    interfaces: bool = True,
) -> None:
    """One device's rows; without ``interfaces``, its interfaces' series (their counters,
    gauges and ``netwarden_if_high_capacity``) are left to the caller (``collect`` streams
    them)."""
    info = snapshot.info
    device = _device_labels(snapshot)
    only_device = encode_labels((("device", info.device),))
    families["netwarden_device_up"].add(
        extend_labels(device, (("method", "snmp"),)), int(snapshot.up)
    )
    families["netwarden_snmp_poll_duration_seconds"].add(device, snapshot.duration)
    if snapshot.last_success is not None:
        families["netwarden_snmp_last_success_timestamp_seconds"].add(device, snapshot.last_success)
    # Every known reason from 0, so the first failure is an increase that rate() can see.
    errors = dict.fromkeys(_REASONS, 0) | counters.errors
    for reason, count in errors.items():
        families["netwarden_snmp_poll_errors_total"].add(
            extend_labels(device, (("reason", reason),)), count
        )
    for trigger, count in sorted(counters.label_refreshes.items()):
        families["netwarden_snmp_label_refreshes_total"].add(
            extend_labels(only_device, (("trigger", trigger),)), count
        )
    families["netwarden_if_renumbered_total"].add(only_device, counters.renumbered)
    # A device that did not answer has no current values: its series go away, as they do
    # when snmp_exporter's scrape of it fails, rather than repeating the last poll's values.
    if snapshot.up:
        _add_values(families, device, only_device, snapshot, interfaces=interfaces)


def _add_values(
    families: Families,
    device: Labels,
    only_device: Labels,
    snapshot: DeviceSnapshot,
    *,
    interfaces: bool,
) -> None:
    if snapshot.sys_uptime is not None:
        families["sysUpTime"].add(device, snapshot.sys_uptime)
    if interfaces:
        if isinstance(snapshot.interfaces, InterfaceTable):
            _add_table(families, device, only_device, snapshot.interfaces)
        else:
            for interface in snapshot.interfaces:
                _add_interface(families, device, only_device, interface)
    for storage in snapshot.storage:
        labels = extend_labels(
            device, (("hrStorageIndex", str(storage.index)), ("hrStorageDescr", storage.descr))
        )
        families["hrStorageAllocationUnits"].add(labels, storage.allocation_units)
        families["hrStorageSize"].add(labels, storage.size)
        families["hrStorageUsed"].add(labels, storage.used)
    for index, load in snapshot.processor_load.items():
        families["hrProcessorLoad"].add(
            extend_labels(device, (("hrDeviceIndex", str(index)),)), load
        )


def _add_interface(
    families: Families, device: Labels, only_device: Labels, interface: InterfaceSample
) -> None:
    labels = _interface_labels(device, interface)
    # Names outside the IF-MIB table are not exported: the table is the contract.
    for metric, value in interface.counters.items():
        if metric in _IF_COUNTERS:
            families[metric].add(labels, value)
    for metric, value in interface.gauges.items():
        if metric in _IF_GAUGES:
            families[metric].add(labels, value)
    _add_high_capacity(families, only_device, interface)


def _add_table(
    families: Families, device: Labels, only_device: Labels, table: InterfaceTable
) -> None:
    """The rows :func:`_add_interface` adds for each of the table's interfaces, read column by
    column: a push converts every poll, and making an ``InterfaceSample`` with its two dicts
    per interface cost it ~25 % more CPU than the rows it was made from. Each family still
    gets its rows in interface order, so the result is the same."""
    rows = list(table.label_rows())
    labels = [
        extend_labels(
            device, (("ifIndex", str(i)), ("ifName", name), ("ifDescr", descr), ("ifAlias", alias))
        )
        for i, name, descr, alias in rows
    ]
    for name in COLUMNS:  # every column is one of the IF-MIB families (names.py)
        column = table.column(name)
        if column is None:
            continue
        values, base, mask = column
        family = families[name]
        for row, lab in enumerate(labels):
            if mask is None or mask[base + row]:
                family.add(lab, values[base + row])
    high_capacity = families["netwarden_if_high_capacity"]
    for row, (index, name, _, _) in enumerate(rows):
        pairs = (("ifIndex", str(index)), ("ifName", name))
        high_capacity.add(extend_labels(only_device, pairs), 1 if table.high_capacity(row) else 0)


def _add_high_capacity(families: Families, only_device: Labels, interface: InterfaceSample) -> None:
    # 1 when the row carries the 64-bit ifHC* counters, 0 on the 32-bit fallback.
    pairs = (("ifIndex", str(interface.if_index)), ("ifName", interface.if_name))
    families["netwarden_if_high_capacity"].add(
        extend_labels(only_device, pairs), 1 if interface.counter_bits == 64 else 0
    )


def _add_agent(families: Families, reload: ReloadStatus | None, version: str) -> None:
    if reload is not None:
        families["netwarden_agent_inventory_reload_success"].add(b"", int(reload.success))
        families["netwarden_agent_inventory_reload_timestamp_seconds"].add(b"", reload.timestamp)
    families["netwarden_agent_build_info"].add(encode_labels((("version", version),)), 1)
