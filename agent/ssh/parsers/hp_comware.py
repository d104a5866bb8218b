"""HPE/H3C Comware 7 switches (netmiko and ntc-templates ``hp_comware``), e.g. the 5130-EI:
``display interface``, ``display version`` and ``display device manuinfo`` (the serial number).

ntc-templates reads each interface's state but not its counters, and has no ``display version``
template: netwarden's own templates fill both gaps.
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

DISPLAY_INTERFACE = "display interface"
DISPLAY_VERSION = "display version"
DISPLAY_MANUINFO = "display device manuinfo"
PLATFORM = "hp_comware"

_BANDWIDTH = re.compile(r"(\d+)\s*kbps", re.IGNORECASE)


def _speed_bps(bandwidth: str) -> int | None:
    found = _BANDWIDTH.search(bandwidth)
    return int(found[1]) * 1000 if found else None


def _interface(row: Row, counters: dict[str, Row]) -> InterfaceState:
    name = row["interface"]
    stats = counters.get(name, {})
    return InterfaceState(
        name=name,
        # Comware's "Line protocol state" is "UP", "UP(spoofing)" or "DOWN"
        oper_up=row["protocol_status"].upper().startswith("UP"),
        admin_up=not row["line_status"].lower().startswith("administratively"),
        description=row["description"],
        in_octets=opt_int(stats.get("in_octets", "")),
        out_octets=opt_int(stats.get("out_octets", "")),
        in_packets=opt_int(stats.get("in_packets", "")),
        out_packets=opt_int(stats.get("out_packets", "")),
        in_errors=opt_int(stats.get("in_errors", "")),
        out_errors=opt_int(stats.get("out_errors", "")),
        crc=opt_int(stats.get("crc", "")),
        speed_bps=_speed_bps(row["bandwidth"]),
    )


def parse_interfaces(output: str) -> list[InterfaceState]:
    """``display interface``: every interface with its state and counters."""
    rows = require_rows(ntc_parse(PLATFORM, DISPLAY_INTERFACE, output), DISPLAY_INTERFACE)
    counters = {
        r["interface"]: r
        for r in own_parse(
            "hp_comware_display_interface_counters.textfsm", DISPLAY_INTERFACE, output
        )
    }
    return [_interface(row, counters) for row in rows]


def parse_version(output: str) -> VersionInfo:
    """``display version``: Comware release and chassis model (no serial on this command)."""
    rows = own_parse("hp_comware_display_version.textfsm", DISPLAY_VERSION, output)
    row = require_rows(rows, DISPLAY_VERSION)[0]
    return VersionInfo(
        os_version=row["os_version"],
        model=row["model"].removesuffix(" Switch"),
        serial="",
        hostname="",
        uptime_seconds=uptime_seconds(row["uptime"]),
    )


def parse_manuinfo(output: str) -> str:
    """``display device manuinfo``: the chassis serial number of a modular switch, else that
    of the first member of the stack (fans, power supplies and cards are left out)."""
    rows = require_rows(ntc_parse(PLATFORM, DISPLAY_MANUINFO, output), DISPLAY_MANUINFO)
    serials: list[tuple[bool, str]] = [
        (row["slot_type"].lower() != "chassis", str(row["device_serial_number"]))
        for row in rows
        if row["slot_type"].lower() in ("chassis", "slot")
        and row["device_serial_number"] not in ("", "NONE")
    ]
    if not serials:
        raise ParseError(DISPLAY_MANUINFO, "no DEVICE_SERIAL_NUMBER of a chassis or slot")
    return min(serials, key=lambda s: s[0])[1]  # the chassis first, else the first slot
