"""Fakes for discovery: an ICMP pinger, an ARP sweeper, a TCP prober and an SNMP "LAN" of
fake agents (the in-repo FakeSnmpSession), plus a small inventory and an LLDP table."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from netwarden.agent.probes.result import ProbeReason, ProbeResult
from netwarden.agent.probes.tcp import TcpTarget
from netwarden.agent.snmp.fake import FakeSnmpSession
from netwarden.agent.snmp.types import (
    Credentials,
    Reason,
    Tag,
    Target,
    V2cCredentials,
    V3Credentials,
    VarBind,
)
from netwarden.discovery import lldp
from netwarden.discovery.arp import ArpResult
from netwarden.discovery.snmp_facts import (
    IP_FORWARDING,
    SYS_DESCR,
    SYS_NAME,
    SYS_OBJECT_ID,
)

V3 = V3Credentials("labv3", "sha", b"auth-pass", "aes", b"priv-pass")
V2 = V2cCredentials(b"c0mmunity")
ENV = {"NW_T_AUTH": "auth-pass", "NW_T_PRIV": "priv-pass", "NW_T_COMMUNITY": "c0mmunity"}

INVENTORY = """\
province: thai-nguyen
agents:
  - {id: agent-so-khcn, site: so-khcn}
  - {id: agent-so-tc, site: so-tc}
sites:
  - {id: so-khcn, kind: agency}
  - {id: so-tc, kind: agency}
  - {id: lonely, kind: agency}
devices:
  - {id: sw-so-khcn-core, site: so-khcn, address: 198.18.1.2, role: switch,
     snmp: {credential: snmp-v3}}
  - {id: cam-so-khcn, site: so-khcn, address: 198.18.1.50, role: camera}
  - {id: printer-so-khcn, site: so-khcn, address: 198.18.1.80, role: host}
  - {id: sw-dist-01, site: so-khcn, address: 198.18.9.1, role: switch}
  - {id: sw-so-tc-core, site: so-tc, address: 198.18.1.60, role: switch}
links:
  - id: lan-existing
    kind: lan-uplink
    a: {device: sw-so-khcn-core, interface: Gi0/2}
    b: {device: cam-so-khcn, interface: eth0}
credentials:
  snmp-v3: {snmp: {version: 3, user: labv3, auth: {protocol: sha, secret: "env:NW_T_AUTH"},
            priv: {protocol: aes, secret: "env:NW_T_PRIV"}}}
  snmp-v2: {snmp: {version: 2c, community: "env:NW_T_COMMUNITY"}}
  ssh-x: {ssh: {username: ops, password: "env:NW_T_COMMUNITY"}}
"""


def write_inventory(tmp_path: Path, text: str = INVENTORY) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class FakePinger:
    """Answers echo requests from ``answering``; counts how many pings run at once."""

    def __init__(self, answering: Iterable[str], *, fail_open: bool = False) -> None:
        self.answering = set(answering)
        self.fail_open = fail_open
        self.in_flight = 0
        self.max_in_flight = 0
        self.pinged: list[tuple[str, int]] = []

    def open(self) -> None:
        if self.fail_open:
            raise PermissionError(1, "Operation not permitted")

    async def ping(self, host: str, *, count: int, spacing: float, timeout: float) -> ProbeResult:  # noqa: ASYNC109
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.pinged.append((host, count))
        await asyncio.sleep(0.001)
        self.in_flight -= 1
        if host in self.answering:
            return ProbeResult(True, 0.001)
        return ProbeResult(False, timeout, ProbeReason.loss, f"all {count} packets lost")

    async def close(self) -> None:
        pass


@dataclass
class FakeArp:
    """Answers ARP from ``found`` (address -> MAC) for addresses inside the swept network."""

    found: dict[str, str]
    note: str = "ARP on eth9: fake"
    swept: list[ipaddress.IPv4Network] = field(default_factory=list)

    async def sweep(self, network: ipaddress.IPv4Network, *, timeout: float) -> ArpResult:  # noqa: ASYNC109
        self.swept.append(network)
        inside = {a: m for a, m in self.found.items() if ipaddress.ip_address(a) in network}
        return ArpResult(inside, self.note)


class FakeTcp:
    """TCP connect succeeds on ``open[host]`` ports, is refused elsewhere."""

    def __init__(self, open_ports: dict[str, set[int]]) -> None:
        self.open = open_ports
        self.probed: list[tuple[str, int]] = []

    async def __call__(self, target: TcpTarget, *, deadline: float) -> ProbeResult:
        self.probed.append((target.host, target.port))
        if target.port in self.open.get(target.host, set()):
            return ProbeResult(True, 0.001)
        return ProbeResult(False, 0.001, ProbeReason.refused, "refused")


def system(descr: str, object_id: str, name: str, forwarding: int = 2) -> list[VarBind]:
    """The system group (and ipForwarding) of a fake agent."""
    oid = tuple(int(n) for n in object_id.split("."))
    return [
        VarBind(SYS_DESCR, Tag.OCTET_STRING, descr.encode()),
        VarBind(SYS_OBJECT_ID, Tag.OBJECT_IDENTIFIER, oid),
        VarBind(SYS_NAME, Tag.OCTET_STRING, name.encode()),
        VarBind(IP_FORWARDING, Tag.INTEGER, forwarding),
    ]


def _s(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def lldp_table(
    local: dict[int, tuple[str | bytes, str]],
    remote: list[tuple[tuple[int, int, int], bytes, str | bytes, str, str | None]],
) -> list[VarBind]:
    """lldpLocPortTable rows ``{portNum: (portId, portDesc)}`` and lldpRemTable rows
    ``((timeMark, localPortNum, index), chassisId, portId, portDesc, sysName or None)``."""
    out = []
    for num, (port_id, desc) in local.items():
        out.append(VarBind((*lldp.LOC_PORT_ID, num), Tag.OCTET_STRING, _s(port_id)))
        out.append(VarBind((*lldp.LOC_PORT_DESC, num), Tag.OCTET_STRING, _s(desc)))
    for index, chassis, port_id, desc, name in remote:
        out.append(VarBind((*lldp.REM_CHASSIS_ID, *index), Tag.OCTET_STRING, chassis))
        out.append(VarBind((*lldp.REM_PORT_ID, *index), Tag.OCTET_STRING, _s(port_id)))
        out.append(VarBind((*lldp.REM_PORT_DESC, *index), Tag.OCTET_STRING, _s(desc)))
        if name is not None:
            out.append(VarBind((*lldp.REM_SYS_NAME, *index), Tag.OCTET_STRING, name.encode()))
    return out


# A Cisco access switch's LLDP view: its uplink to the distribution switch (which sends its
# FQDN and a text port id), an IP phone (MAC as port id), and a neighbour without a name.
MAC = bytes.fromhex("0011223344aa")
CISCO_LLDP = lldp_table(
    {1: ("Gi0/1", "GigabitEthernet0/1"), 2: ("Gi0/2", "GigabitEthernet0/2"),
     24: ("Gi0/24", "GigabitEthernet0/24")},
    [((0, 24, 1), MAC, "Gi1/0/48", "GigabitEthernet1/0/48", "sw-dist-01.tn.gov.vn"),
     ((4711, 1, 2), bytes.fromhex("00112233445b"), bytes.fromhex("00112233445b"), "Port 1",
      "SEP00112233445B"),
     ((4711, 2, 3), MAC, "eth0", "eth0", None)],
)  # fmt: skip


class SnmpLan:
    """Fake SNMP agents by address: each accepts one credential; others time out (v2c) or
    fail authentication (v3); an address without an agent refuses (port unreachable)."""

    def __init__(self) -> None:
        self.agents: dict[str, tuple[Credentials, list[VarBind]]] = {}
        self.broken: dict[str, Reason] = {}
        self.targets: list[Target] = []
        self.sessions: list[FakeSnmpSession] = []

    def add(self, address: str, accepts: Credentials, mib: list[VarBind]) -> None:
        self.agents[address] = (accepts, mib)

    def __call__(self, target: Target) -> FakeSnmpSession:
        self.targets.append(target)
        agent = self.agents.get(target.host)
        session = FakeSnmpSession(agent[1] if agent else ())
        if target.host in self.broken:
            session.fail((1,), self.broken[target.host])
        elif agent is None:
            session.fail((1,), Reason.refused)
        elif agent[0] != target.credentials:
            wrong = Reason.auth if isinstance(target.credentials, V3Credentials) else Reason.timeout
            session.fail((1,), wrong)
        self.sessions.append(session)
        return session

    def tried(self, address: str) -> list[str]:
        names = {V3: "snmp-v3", V2: "snmp-v2"}
        return [names.get(t.credentials, "?") for t in self.targets if t.host == address]
