"""What one poll of one device produced: the data behind its metrics (and `poll --output`).

Values are exact Python ints (Counter64 up to 2**64-1); turning them into Prometheus floats is
the exposition's job, not the poller's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeviceInfo:
    """The inventory labels every series of a device carries."""

    device: str
    site: str
    role: str


@dataclass(frozen=True, slots=True)
class InterfaceSample:
    """One IF-MIB row. ``counters`` maps the exported metric name (snmp_exporter's spelling,
    e.g. ``ifHCInOctets`` or, on 32-bit-only devices, ``ifInOctets``) to its raw value;
    ``gauges`` likewise (ifOperStatus, ifAdminStatus, ifHighSpeed, ifLastChange)."""

    if_index: int
    if_name: str
    if_descr: str
    if_alias: str
    counters: Mapping[str, int]
    gauges: Mapping[str, int]
    counter_bits: int = 64  # 32 when the device has no HC counters for this interface


@dataclass(frozen=True, slots=True)
class StorageSample:
    """One HOST-RESOURCES hrStorage row."""

    index: int
    descr: str
    type_oid: str
    allocation_units: int
    size: int
    used: int


@dataclass
class DeviceSnapshot:
    """The latest poll of one device. A failed table is missing data plus an error, never an
    exception: the other tables of the same poll are still exported."""

    info: DeviceInfo
    started: float  # unix time the poll started
    duration: float  # seconds
    up: bool  # the device answered SNMP at all in this poll
    errors: list[str] = field(default_factory=list)  # Reason values of this poll's failures
    error_messages: list[str] = field(default_factory=list)
    sys_uptime: int | None = None  # hundredths of a second
    # From the poller an interface_table.InterfaceTable: packed, a row made on access.
    interfaces: Sequence[InterfaceSample] = field(default_factory=list)
    storage: list[StorageSample] = field(default_factory=list)
    processor_load: dict[int, int] = field(default_factory=dict)  # hrDeviceIndex -> percent
    last_success: float | None = None  # unix time of the last poll that answered


@dataclass
class DeviceCounters:
    """Running totals kept across polls of one device (they become *_total counters)."""

    errors: dict[str, int] = field(default_factory=dict)  # reason -> count
    label_refreshes: dict[str, int] = field(default_factory=dict)  # trigger -> count
    renumbered: int = 0  # interfaces seen moving to another ifIndex
