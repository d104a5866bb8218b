"""Huawei VRP switches (netmiko ``huawei``, ntc-templates ``huawei_vrp``): ``display interface``,
``display version`` and ``display esn`` (the serial number), as S5720/S6730 campus switches
print them.

ntc-templates reads each interface's state but skips its statistics block; netwarden's own
template reads the packet, byte and error totals from the same output.
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
DISPLAY_ESN = "display esn"
NTC_PLATFORM = "huawei_vrp"


def _interface(row: Row, counters: dict[str, Row]) -> InterfaceState:
    name = row["interface"]
    stats = counters.get(name, {})
    speed = opt_int(row["speed"])  # Mbit/s; absent on logical interfaces (Vlanif, LoopBack)
    return InterfaceState(
        name=name,
        # "UP", "UP (spoofing)" (a NULL or LoopBack interface), "DOWN"
        oper_up=row["protocol_status"].upper().startswith("UP"),
        admin_up="administratively" not in row["link_status"].lower(),
        description=row["interface_description"].strip(),
        in_octets=opt_int(stats.get("in_octets", "")),
        out_octets=opt_int(stats.get("out_octets", "")),
        in_packets=opt_int(stats.get("in_packets", "")),
        out_packets=opt_int(stats.get("out_packets", "")),
        in_errors=opt_int(stats.get("in_errors", "")),
        out_errors=opt_int(stats.get("out_errors", "")),
        crc=opt_int(stats.get("crc", "")),
        speed_bps=speed * 10**6 if speed is not None else None,
    )


def parse_interfaces(output: str) -> list[InterfaceState]:
    """``display interface``: every interface with its state and statistics."""
    rows = require_rows(ntc_parse(NTC_PLATFORM, DISPLAY_INTERFACE, output), DISPLAY_INTERFACE)
    counters = {
        r["interface"]: r
        for r in own_parse(
            "huawei_vrp_display_interface_counters.textfsm", DISPLAY_INTERFACE, output
        )
    }
    return [_interface(row, counters) for row in rows]


def parse_version(output: str) -> VersionInfo:
    """``display version``: VRP release and chassis model (VRP prints no serial here)."""
    rows = require_rows(ntc_parse(NTC_PLATFORM, DISPLAY_VERSION, output), DISPLAY_VERSION)
    row = rows[0]
    if not row["vrp_version"] or not row["model"]:
        raise ParseError(DISPLAY_VERSION, "no VRP version or chassis line")
    # "5.170 (S5720 V200R011C10SPC500)": the product version is what admins quote
    version = row["product_version"] or row["vrp_version"]
    model = row["model"].removesuffix(" Routing Switch").strip()
    return VersionInfo(
        os_version=version,
        model=model,
        serial="",
        hostname="",
        uptime_seconds=uptime_seconds(row["uptime"]),
    )


# "ESN of slot 0: 2102359579DMKB001234" (a stack lists every member), "ESN of master: ..." on
# AR routers.
_ESN = re.compile(r"^\s*ESN of [^:]+:\s*(\S+)\s*$", re.MULTILINE)


def parse_esn(output: str) -> str:
    """``display esn``: the equipment serial number (of slot 0, the master, in a stack)."""
    found = _ESN.search(output)
    if found is None:
        raise ParseError(DISPLAY_ESN, "no 'ESN of ...:' line")
    return found[1]
