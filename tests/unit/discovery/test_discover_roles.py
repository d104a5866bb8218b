"""The role heuristic on real-world system groups and port sets."""

from __future__ import annotations

import pytest

from netwarden.discovery.facts import SnmpFacts
from netwarden.discovery.roles import enterprise, from_ports, guess_role, name_role

LINUX = "Linux {} 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64"
NET_SNMP = "1.3.6.1.4.1.8072.3.2.10"


def _facts(descr: str, oid: str, name: str = "", forwarding: bool | None = None) -> SnmpFacts:
    return SnmpFacts("c", descr, oid, name, forwarding)


@pytest.mark.parametrize(
    ("descr", "oid", "name", "forwarding", "role"),
    [
        # Model words in sysDescr decide first.
        ("Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11",
         "1.3.6.1.4.1.9.1.1208", "SW-TANG1", None, "switch"),
        ("Cisco IOS XE Software, Version 17.03.04a - ISR4300 (ISR4331/K9)",
         "1.3.6.1.4.1.9.1.2068", "gw-so-tc", True, "router"),
        ("Cisco IOS Software, C1900 Software (C1900-UNIVERSALK9-M), Version 15.7(3)M5",
         "1.3.6.1.4.1.9.1.1041", "", True, "router"),
        ("Cisco Adaptive Security Appliance Version 9.8(4)", "1.3.6.1.4.1.9.1.2131", "", True,
         "firewall"),
        ("Huawei Versatile Routing Platform Software VRP (R) software, Version 5.170 "
         "(S5720 V200R011C10SPC500)", "1.3.6.1.4.1.2011.2.23.378", "", True, "switch"),
        ("Huawei AR2220 Huawei Versatile Routing Platform Software", "1.3.6.1.4.1.2011.2.224.67",
         "", True, "router"),
        ("H3C Comware Platform Software, Software Version 7.1.070, H3C S5130-28S-EI",
         "1.3.6.1.4.1.25506.11.1.178", "", True, "switch"),
        ("Cisco TelePresence SX20", "1.3.6.1.4.1.5596.150.6.4.1", "phong-hop", None,
         "vc-endpoint"),
        ("AXIS P1435-LE Network Camera", "1.3.6.1.4.1.368.4", "", None, "camera"),
        # A vendor that makes one kind of device.
        ("", "1.3.6.1.4.1.39165.1.1", "ipc-cong-chinh", None, "camera"),
        ("v6.4.11,build2030,221031 (GA.M)", "1.3.6.1.4.1.12356.101.1.3", "", True, "firewall"),
        # The province's naming convention, first or last word of sysName.
        (LINUX.format("sw-so-khcn-core"), NET_SNMP, "sw-so-khcn-core", True, "switch"),
        (LINUX.format("core-rtr"), NET_SNMP, "core-rtr", True, "router"),
        (LINUX.format("cg-bac-kan-sw"), NET_SNMP, "cg-bac-kan-sw", True, "switch"),
        # Vendor default, then general-purpose OS.
        ("Cisco Systems, Inc.", "1.3.6.1.4.1.9.1.9999", "tang-2", None, "switch"),
        (LINUX.format("dc-web-01"), NET_SNMP, "dc-web-01", False, "host"),
        (LINUX.format("nat-box"), NET_SNMP, "nat-box", True, "router"),
        ("Hardware: Intel64 Family 6 - Software: Windows Version 6.3", "1.3.6.1.4.1.311.1.1.3.1.2",
         "KETOAN-PC", False, "host"),
        ("", "", "", None, "host"),
    ],
)  # fmt: skip
def test_role_from_snmp(
    descr: str, oid: str, name: str, forwarding: bool | None, role: str
) -> None:
    guess = guess_role(_facts(descr, oid, name, forwarding), ports=(554,))
    assert guess.role == role, guess.why
    assert guess.why  # every guess says why, for the admin's review


def test_snmp_wins_over_ports() -> None:
    # A Linux server that also serves RTSP is still judged by what SNMP says.
    facts = _facts(LINUX.format("media-01"), NET_SNMP, "media-01", False)
    assert guess_role(facts, ports=(554, 80)).role == "host"


@pytest.mark.parametrize(
    ("ports", "role", "said"),
    [
        ((554,), "camera", "554 (RTSP)"),
        ((80, 554), "camera", "RTSP"),
        ((5060,), "vc-endpoint", "5060 (SIP)"),
        ((1720, 443), "vc-endpoint", "1720 (H.323)"),
        ((80,), "ap", "80 (HTTP)"),
        ((80, 443), "ap", "AP is a guess"),
        ((), "host", "no known service port"),
    ],
)
def test_role_from_ports(ports: tuple[int, ...], role: str, said: str) -> None:
    guess = from_ports(ports)
    assert (guess.role, said in guess.why) == (role, True), guess.why


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("sw-so-khcn-core", "switch"),
        ("cg-bac-kan-sw", "switch"),
        ("FW_TTDL_01", "firewall"),
        ("ap.tang2.so-tc", "ap"),
        ("cam-cong-chinh", "camera"),
        ("vc-phong-hop", "vc-endpoint"),
        ("xa-ap-bac-core", None),  # 'ap' in the middle is a place name (ấp), not a role
        ("dc-web-01", None),
        ("", None),
    ],
)
def test_naming_convention(name: str, role: str | None) -> None:
    assert name_role(name) == role


def test_enterprise_number() -> None:
    assert enterprise("1.3.6.1.4.1.2011.2.23.378") == 2011
    assert enterprise("1.3.6.1.4.1.9") == 9
    assert enterprise("1.3.6.1.2.1.1") is None
    assert enterprise("") is None
