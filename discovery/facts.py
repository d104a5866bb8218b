"""What discovery learned about one address: plain data shared by the probes and the logic."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Neighbour:
    """One LLDP neighbour seen by a device: its local port and the far end's name and port."""

    local_port: str
    remote_name: str
    remote_port: str
    remote_chassis: str = ""


@dataclass(frozen=True, slots=True)
class SnmpFacts:
    """The system group of a device that answered SNMP, and the credential that worked."""

    credential: str
    sys_descr: str
    sys_object_id: str  # dotted, without a leading dot; "" when the agent did not say
    sys_name: str
    forwarding: bool | None = None  # ipForwarding: True when the device routes IP
    neighbours: tuple[Neighbour, ...] = ()


@dataclass(slots=True)
class HostFacts:
    """One address that answered the sweep (ICMP and/or ARP) and what it told us."""

    address: str
    seen_by: tuple[str, ...]  # "icmp", "arp"
    mac: str | None = None
    snmp: SnmpFacts | None = None
    open_ports: tuple[int, ...] = ()
    notes: list[str] = field(default_factory=list)  # per-host problems (bounded, readable)
