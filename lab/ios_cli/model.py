"""The snapshot the renderers work from: plain frozen data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Counters:
    """Kernel interface counters, named as in ``/sys/class/net/IF/statistics``.

    These are the same numbers net-snmp serves in IF-MIB, so SSH and SNMP views agree.
    """

    rx_bytes: int = 0
    tx_bytes: int = 0
    rx_packets: int = 0
    tx_packets: int = 0
    rx_errors: int = 0
    tx_errors: int = 0
    rx_dropped: int = 0
    tx_dropped: int = 0
    multicast: int = 0
    collisions: int = 0
    rx_crc_errors: int = 0
    rx_frame_errors: int = 0
    rx_over_errors: int = 0
    rx_fifo_errors: int = 0
    rx_missed_errors: int = 0
    rx_length_errors: int = 0
    tx_fifo_errors: int = 0
    tx_carrier_errors: int = 0
    rx_nohandler: int = 0


@dataclass(frozen=True, slots=True)
class Address:
    """One IPv4 address of an interface."""

    ip: str
    prefixlen: int


@dataclass(frozen=True, slots=True)
class InterfaceState:
    """One Linux interface of the device namespace, as the CLI shows it.

    ``kind`` is the iproute2 link kind (``veth``, ``dummy``, ...), ``loopback`` for ``lo`` and
    ``ether`` for a plain device. ``admin_up`` is the IFF_UP flag, ``carrier`` is LOWER_UP.
    """

    name: str
    ifindex: int
    kind: str
    mac: str | None
    mtu: int
    admin_up: bool
    carrier: bool
    speed_mbps: int
    full_duplex: bool
    addresses: tuple[Address, ...]
    description: str
    counters: Counters

    @property
    def is_loopback(self) -> bool:
        return self.kind == "loopback"


@dataclass(frozen=True, slots=True)
class DeviceSnapshot:
    """Everything the ``show`` commands need at one moment."""

    uptime_seconds: float
    machine: str
    interfaces: tuple[InterfaceState, ...]
