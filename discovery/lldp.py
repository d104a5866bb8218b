"""LLDP-MIB tables -> neighbours (pure; the walk itself is in ``snmp_facts``).

lldpRemTable rows are indexed by (lldpRemTimeMark, lldpRemLocalPortNum, lldpRemIndex); the
local port number is resolved through lldpLocPortTable (indexed by lldpLocPortNum). A port is
named by its port id when that is text (an interface name, as on Cisco "Gi1/0/1" or Huawei
"GigabitEthernet0/0/1", which is the interface's ifName), else by its description: a port id
that is a MAC address does not name an interface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from netwarden.agent.snmp.types import Oid, VarBind, parse_oid
from netwarden.discovery.facts import Neighbour

REM_TABLE = parse_oid("1.0.8802.1.1.2.1.4.1.1")  # lldpRemEntry
REM_CHASSIS_ID = (*REM_TABLE, 5)
REM_PORT_ID = (*REM_TABLE, 7)
REM_PORT_DESC = (*REM_TABLE, 8)
REM_SYS_NAME = (*REM_TABLE, 9)
LOC_PORT_TABLE = parse_oid("1.0.8802.1.1.2.1.3.7.1")  # lldpLocPortEntry
LOC_PORT_ID = (*LOC_PORT_TABLE, 3)
LOC_PORT_DESC = (*LOC_PORT_TABLE, 4)
ROOTS: tuple[Oid, ...] = (
    REM_CHASSIS_ID,
    REM_PORT_ID,
    REM_PORT_DESC,
    REM_SYS_NAME,
    LOC_PORT_ID,
    LOC_PORT_DESC,
)
"""Every column discovery walks, in one multi-root walk."""


def text(value: object) -> str | None:
    """An OCTET STRING as text when it is printable UTF-8, else None (binary: a MAC, say)."""
    if not isinstance(value, bytes):
        return None
    try:
        decoded = value.decode("utf-8").strip().strip("\x00")
    except UnicodeDecodeError:
        return None
    return decoded if decoded and decoded.isprintable() else None


def _hex(value: object) -> str:
    return ":".join(f"{b:02x}" for b in value) if isinstance(value, bytes) else ""


def _column(walk: Mapping[Oid, Sequence[VarBind]], root: Oid) -> dict[Oid, object]:
    """``root``'s rows as index -> value (exception values are not rows)."""
    return {vb.oid[len(root) :]: vb.value for vb in walk.get(root, ()) if not vb.is_exception}


def _port_name(port_id: object, desc: object) -> str | None:
    return text(port_id) or text(desc)


def local_ports(walk: Mapping[Oid, Sequence[VarBind]]) -> dict[int, str]:
    """lldpLocPortNum -> the port's name (id if text, else description)."""
    ids, descs = _column(walk, LOC_PORT_ID), _column(walk, LOC_PORT_DESC)
    names: dict[int, str] = {}
    for index in sorted(set(ids) | set(descs)):
        name = _port_name(ids.get(index), descs.get(index))
        if len(index) == 1 and name is not None:
            names[index[0]] = name
    return names


def parse_neighbours(walk: Mapping[Oid, Sequence[VarBind]]) -> list[Neighbour]:
    """The neighbours in a walk of :data:`ROOTS`, one per remote row that has a system name
    and a nameable port on both ends, sorted by local port then name; others are skipped."""
    ports = local_ports(walk)
    chassis, port_ids = _column(walk, REM_CHASSIS_ID), _column(walk, REM_PORT_ID)
    descs, names = _column(walk, REM_PORT_DESC), _column(walk, REM_SYS_NAME)
    found: set[Neighbour] = set()
    for index, raw_name in names.items():
        if len(index) != 3:  # not (timeMark, localPortNum, index): a broken agent
            continue
        name = text(raw_name)
        local = ports.get(index[1])
        remote_port = _port_name(port_ids.get(index), descs.get(index))
        if name is None or local is None or remote_port is None:
            continue
        raw_chassis = chassis.get(index)
        found.add(Neighbour(local, name, remote_port, text(raw_chassis) or _hex(raw_chassis)))
    return sorted(found, key=lambda n: (n.local_port, n.remote_name, n.remote_port))
