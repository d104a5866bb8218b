"""The read-only commands ``ssh_command`` may send, per platform (netmiko device_type).

A command is allowed when its words are exactly an entry's, keywords spelled in full (an
abbreviation could mean something else to the device than to this list), with an argument
(an interface, an address) where the entry has ``ARG``, and, on network platforms, an output
filter ``| include|exclude|begin|section TEXT``. Linux commands run in a shell, so any shell
syntax (``;``, ``|``, ``$``, quotes, redirections) refuses them. Nothing here changes a device:
no ``configure``, no ``clear``, no ``reload``, no ``copy``, no ``debug``, no running-config
(``collect_config`` fetches that, redacted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from netwarden.errors import NetwardenError

ARG: Final = "ARG"  # one argument word, e.g. Gi0/1, 198.18.1.0, 198.18.1.0/24

_ARG_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/.:_-]{0,63}$")
_SHELL_SAFE = re.compile(r"^[A-Za-z0-9 ._/:=%,+-]+$")
_FILTERS: Final = frozenset({"include", "exclude", "begin", "section"})

_IOS = (
    "show version", "show clock", "show inventory", "show environment",
    "show interfaces", "show interfaces ARG", "show interfaces status",
    "show interfaces description", "show interfaces counters errors",
    "show ip interface brief", "show ip interface ARG",
    "show ip route", "show ip route ARG", "show arp", "show ip arp", "show ip arp ARG",
    "show logging", "show mac address-table", "show vlan brief", "show spanning-tree",
    "show etherchannel summary", "show cdp neighbors", "show lldp neighbors",
    "show processes cpu sorted", "show ip ospf neighbor", "show ip bgp summary",
)  # fmt: skip
_VRP = (
    "display version", "display clock", "display device", "display interface",
    "display interface ARG", "display interface brief", "display ip interface brief",
    "display ip routing-table", "display ip routing-table ARG", "display arp",
    "display mac-address", "display vlan", "display stp brief", "display lldp neighbor brief",
    "display logbuffer", "display cpu-usage",
)  # fmt: skip
_LINUX = (
    "uptime", "hostname", "uname -a", "date", "who",
    "df -h", "df -hP", "df -P", "df -i", "free -m", "free -h",
    "cat /proc/loadavg", "cat /proc/meminfo",
    "top -b -n 1", "top -b -n 1 -o %MEM", "ps aux --sort=-%cpu", "ps aux --sort=-%mem",
    "ip addr", "ip -br addr", "ip link", "ip -s link", "ip route", "ip neigh",
    "ss -s", "ss -tln", "ss -uln", "systemctl --failed --no-legend",
)  # fmt: skip

ALLOWED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"cisco_ios": _IOS, "huawei": _VRP, "hp_comware": _VRP, "linux": _LINUX}
)
"""Platform -> the command forms it allows (``ARG`` stands for one argument word)."""


class Refused(NetwardenError):
    """The command is not on the platform's allow-list; the message says why, in a line."""


def check(platform: str, command: str) -> str:
    """The command to send (words joined by one space) if ``platform`` allows ``command``;
    :class:`Refused` otherwise."""
    forms = ALLOWED.get(platform)
    if forms is None:
        known = ", ".join(sorted(ALLOWED))
        raise Refused(f"no read-only commands are known for platform {platform} (only {known})")
    if platform == "linux" and not _SHELL_SAFE.match(command):
        raise Refused(f"{command!r}: shell syntax is not allowed on linux")
    words, filtered = _split_filter(command, shell=platform == "linux")
    for form in forms:
        if _matches(form.split(), words):
            return " ".join([*words, *filtered])
    listed = ", ".join(form.replace(ARG, "X") for form in forms)
    raise Refused(
        f"{command!r} is not a read-only command allowed on {platform} (allowed: {listed})"
    )


def _split_filter(command: str, *, shell: bool) -> tuple[list[str], list[str]]:
    """The command's words, and its output filter (``|``, filter keyword, text) if any."""
    head, bar, tail = command.partition("|")
    words = head.split()
    if not bar:
        return words, []
    rest = tail.split()
    if shell or len(rest) < 2 or rest[0].lower() not in _FILTERS or "|" in tail:
        raise Refused(f"{command!r}: only one output filter (| include, exclude, begin or section)")
    return words, ["|", rest[0].lower(), *rest[1:]]


def _matches(form: list[str], words: list[str]) -> bool:
    if len(form) != len(words):
        return False
    for expected, word in zip(form, words, strict=True):
        if expected == ARG:
            if not _ARG_WORD.match(word):
                return False
        elif expected.lower() != word.lower():
            return False
    return True
