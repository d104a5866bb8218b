"""Cisco IOS (netmiko ``cisco_ios``): ``show interfaces`` and ``show version``.

ntc-templates reads state, packets and errors; netwarden's own template adds the byte totals
that ntc-templates does not capture. Both read the same output, joined by interface name.
"""

from __future__ import annotations

import re

from netwarden.agent.ssh.collected import InterfaceState, ParseError, VersionInfo
from netwarden.agent.ssh.parsers import (
    Row,
    ntc_parse,
    opt_int,
    own_parse,
    require_rows,
    uptime_seconds,
)

SHOW_INTERFACES = "show interfaces"
SHOW_VERSION = "show version"

_SPEED = re.compile(r"(\d+)\s*([MG])b(?:/s|ps)", re.IGNORECASE)  # 1000Mb/s, 1000Mbps


def _speed_bps(text: str) -> int | None:
    found = _SPEED.search(text)
    if found is None:  # "Auto-speed" on a port that is down
        return None
    return int(found[1]) * (10**9 if found[2].upper() == "G" else 10**6)


def _interface(row: Row, octets: dict[str, Row]) -> InterfaceState:
    name = row["interface"]
    extra = octets.get(name, {})
    return InterfaceState(
        name=name,
        # "up", "up (connected)"; "down (notconnect)", "down (err-disabled)"
        oper_up=row["protocol_status"].startswith("up"),
        admin_up=not row["link_status"].startswith("administratively"),
        description=row["description"],
        in_octets=opt_int(extra.get("in_octets", "")),
        out_octets=opt_int(extra.get("out_octets", "")),
        in_packets=opt_int(row["input_packets"]),
        out_packets=opt_int(row["output_packets"]),
        in_errors=opt_int(row["input_errors"]),
        out_errors=opt_int(row["output_errors"]),
        crc=opt_int(row["crc"]),
        speed_bps=_speed_bps(row["speed"]),
    )


def parse_interfaces(output: str) -> list[InterfaceState]:
    """``show interfaces``: every interface with its state and counters."""
    rows = require_rows(ntc_parse("cisco_ios", SHOW_INTERFACES, output), SHOW_INTERFACES)
    octets = {
        r["interface"]: r
        for r in own_parse("cisco_ios_show_interfaces_octets.textfsm", SHOW_INTERFACES, output)
    }
    return [_interface(row, octets) for row in rows]


def parse_version(output: str) -> VersionInfo:
    """``show version``: release, hardware, board ID (serial), hostname and uptime."""
    rows = require_rows(ntc_parse("cisco_ios", SHOW_VERSION, output), SHOW_VERSION)
    row = rows[0]
    if not row["version"]:
        raise ParseError(SHOW_VERSION, "no software version line")
    return VersionInfo(
        os_version=row["version"],
        model=(row["hardware"] or [""])[0],
        serial=(row["serial"] or [""])[0],
        hostname=row["hostname"],
        uptime_seconds=uptime_seconds(row["uptime"]),
    )
