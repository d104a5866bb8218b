"""Guessing a device's inventory role from what it answered (pure; reviewed by the admin).

With SNMP, in this order (the first that decides wins):

1. a model or product word in sysDescr (``Catalyst``, ``FortiGate``, ``TelePresence`` ...);
2. a vendor that makes one kind of device only (sysObjectID's enterprise: Hikvision ->
   camera, Fortinet -> firewall ...);
3. the province's naming convention in sysName: its first or last word ``sw``/``rtr``/``fw``/
   ``ap``/``cam``/``vc`` (``sw-so-khcn-core``, ``cg-bac-kan-sw``);
4. a network vendor's most common kind (Cisco, Huawei, H3C, HPE/Aruba ... -> switch);
5. a general-purpose OS (net-snmp on Linux, Windows): router when it forwards IP
   (ipForwarding = 1), else host.

Without SNMP, from the TCP ports that accepted a connection: 554 (RTSP) -> camera, 5060 (SIP)
or 1720 (H.323) -> vc-endpoint, only 80/443 (web) -> ap (a guess), nothing -> host.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from netwarden.discovery.facts import SnmpFacts
from netwarden.inventory.model import Role

_ENTERPRISES = "1.3.6.1.4.1."

# enterprise number -> (vendor, role when the vendor makes one kind of device, else None)
SINGLE_KIND: dict[int, tuple[str, Role]] = {
    12356: ("Fortinet", "firewall"),
    25461: ("Palo Alto Networks", "firewall"),
    8741: ("SonicWall", "firewall"),
    2620: ("Check Point", "firewall"),
    39165: ("Hikvision", "camera"),
    1004849: ("Dahua", "camera"),
    368: ("Axis", "camera"),
    13885: ("Polycom", "vc-endpoint"),
    25053: ("Ruckus", "ap"),
    14823: ("Aruba", "ap"),
    14988: ("MikroTik", "router"),
}
NETWORK_VENDORS: dict[int, tuple[str, Role]] = {
    9: ("Cisco", "switch"),
    2011: ("Huawei", "switch"),
    25506: ("H3C", "switch"),
    11: ("HP/HPE", "switch"),
    2636: ("Juniper", "router"),
    1916: ("Extreme", "switch"),
    171: ("D-Link", "switch"),
    11863: ("TP-Link", "switch"),
    4526: ("Netgear", "switch"),
    6486: ("Alcatel-Lucent", "switch"),
    4881: ("Ruijie", "switch"),
    3902: ("ZTE", "switch"),
    41112: ("Ubiquiti", "ap"),
}
GENERAL_OS: dict[int, str] = {8072: "net-snmp", 311: "Windows"}

# Checked in this order: a firewall or endpoint may also mention routing or switching.
_KEYWORD_PATTERNS: tuple[tuple[Role, str], ...] = (
    ("firewall", r"\b(adaptive security appliance|firepower|fortigate|fortios|usg\d+"
                 r"|srx\d+|pan-os|sonicwall|firewall)\b"),
    ("vc-endpoint", r"\b(telepresence|tandberg|realpresence|video ?conferenc\w*)\b"),
    ("camera", r"\b(camera|nvr)\b"),
    ("ap", r"\b(aironet|access point|unifi ap|instant ap)\b"),
    ("switch", r"\b(catalyst|nexus|switch|cloudengine|procurve|quidway s\d*|s\d{4}[a-z-]*"
               r"|c(2960|3560|3650|3750|3850|9[2-6]\d\d)\w*|ex\d{4})\b"),
    ("router", r"\b(router|routeros|isr\d*|asr\d*|csr1000v|msr\d*|ar\d{3,4}\w*|ne\d{2}\w*"
               r"|c(8\d\d|1[19]\d\d|29\d\d|39\d\d|1100)\w*|vyos)\b"),
)  # fmt: skip
KEYWORDS: tuple[tuple[Role, re.Pattern[str]], ...] = tuple(
    (role, re.compile(pattern, re.IGNORECASE)) for role, pattern in _KEYWORD_PATTERNS
)
NAME_WORDS: dict[str, Role] = {
    "sw": "switch", "switch": "switch", "rtr": "router", "router": "router", "gw": "router",
    "fw": "firewall", "firewall": "firewall", "ap": "ap", "wap": "ap", "cam": "camera",
    "camera": "camera", "nvr": "camera", "vc": "vc-endpoint",
}  # fmt: skip
PORT_NAMES = {554: "RTSP", 5060: "SIP", 1720: "H.323", 80: "HTTP", 443: "HTTPS"}


@dataclass(frozen=True, slots=True)
class RoleGuess:
    """A role and the reason, written next to the device for the admin to review."""

    role: Role
    why: str


def enterprise(sys_object_id: str) -> int | None:
    """The enterprise number in a sysObjectID (``1.3.6.1.4.1.<n>...``), else None."""
    if not sys_object_id.startswith(_ENTERPRISES):
        return None
    head = sys_object_id[len(_ENTERPRISES) :].split(".", 1)[0]
    return int(head) if head.isdigit() else None


def name_role(sys_name: str) -> Role | None:
    """The role the naming convention gives ``sys_name`` (its first, then last word)."""
    words = [w for w in re.split(r"[-_.\s]+", sys_name.lower()) if w]
    for word in (words[:1] + words[-1:]) if words else []:
        if word in NAME_WORDS:
            return NAME_WORDS[word]
    return None


def _keyword(descr: str) -> tuple[Role, str] | None:
    for role, pattern in KEYWORDS:
        match = pattern.search(descr)
        if match is not None:
            return role, match.group(0)
    return None


def from_snmp(facts: SnmpFacts) -> RoleGuess:
    """The role of a device that answered SNMP (see the module's rules, in order)."""
    number = enterprise(facts.sys_object_id)
    found = _keyword(facts.sys_descr)
    if found is not None:
        return RoleGuess(found[0], f"sysDescr mentions '{found[1]}'")
    if number in SINGLE_KIND:
        vendor, role = SINGLE_KIND[number]
        return RoleGuess(role, f"{vendor} (sysObjectID enterprise {number}) makes {role}s")
    by_name = name_role(facts.sys_name)
    if by_name is not None:
        return RoleGuess(by_name, f"sysName '{facts.sys_name}' follows the naming convention")
    if number in NETWORK_VENDORS:
        vendor, role = NETWORK_VENDORS[number]
        return RoleGuess(role, f"{vendor} (enterprise {number}), no model word: most are {role}s")
    agent = GENERAL_OS.get(number or -1, "an unknown SNMP agent")
    if facts.forwarding:
        return RoleGuess("router", f"{agent} that forwards IP (ipForwarding = 1)")
    return RoleGuess("host", f"{agent}, not forwarding IP: a server or PC")


def from_ports(ports: Collection[int]) -> RoleGuess:
    """The role of a device without SNMP, from the TCP ports that accepted a connection."""
    named = ", ".join(f"{port} ({PORT_NAMES.get(port, '?')})" for port in sorted(ports))
    if 554 in ports:
        return RoleGuess("camera", f"no SNMP; TCP {named} answered: RTSP means a camera")
    if 5060 in ports or 1720 in ports:
        return RoleGuess("vc-endpoint", f"no SNMP; TCP {named} answered: SIP/H.323 endpoint")
    if ports and set(ports) <= {80, 443}:
        return RoleGuess("ap", f"no SNMP; only TCP {named} answered: web-managed, AP is a guess")
    return RoleGuess("host", "no SNMP and no known service port answered: host by default")


def guess_role(facts: SnmpFacts | None, ports: Collection[int]) -> RoleGuess:
    """The role of one device: from SNMP when it answered, else from its open ports."""
    return from_snmp(facts) if facts is not None else from_ports(ports)
