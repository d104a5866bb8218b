"""Golden files of Cisco IOS, Huawei VRP and HPE Comware output -> exact parsed values, and a
malformed output per platform -> a ParseError that names the command."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.agent.ssh.collected import InterfaceState, ParseError, VersionInfo
from netwarden.agent.ssh.parsers import cisco_ios, hp_comware, huawei

DATA = Path(__file__).parents[3] / "data" / "ssh"
G = 10**9


def golden(platform: str, command: str) -> str:
    return (DATA / platform / f"{command.replace(' ', '_')}.txt").read_text()


def test_cisco_ios_show_interfaces() -> None:
    got = cisco_ios.parse_interfaces(golden("cisco_ios", "show interfaces"))
    assert got == [
        InterfaceState("GigabitEthernet0/0/0", True, True,
                       "WAN - Mang truyen so lieu chuyen dung (TSLCD)",
                       6543210987654, 2109876543210, 8765432109, 5432109876, 17, 3, 15, G),
        InterfaceState("GigabitEthernet0/0/1", False, False, "Du phong - chua dung",
                       0, 0, 0, 0, 0, 0, 0, G),
        InterfaceState("GigabitEthernet0/0/2", False, True, "LAN - So Tai chinh",
                       98765432, 87654321, 123456, 234567, 0, 0, 0, 100 * 10**6),
        InterfaceState("Loopback0", True, True, "", 0, 0, 0, 0, 0, 0, 0, None),
    ]  # fmt: skip


def test_cisco_ios_show_version() -> None:
    got = cisco_ios.parse_version(golden("cisco_ios", "show version"))
    uptime = 365 * 86400 + 12 * 7 * 86400 + 3 * 86400 + 4 * 3600 + 5 * 60
    assert got == VersionInfo("16.9.5", "ISR4331/K9", "FDO21520TGH", "tn-core-rtr-01", uptime)


def test_huawei_display_interface() -> None:
    got = huawei.parse_interfaces(golden("huawei", "display interface"))
    assert got == [
        InterfaceState("GigabitEthernet0/0/1", True, True, "Uplink to core-rtr (TSLCD)",
                       987654321012, 1876543210123, 1234567890, 2345678901, 12, 1, 10, G),
        InterfaceState("GigabitEthernet0/0/2", False, False, "Cong du phong",
                       0, 0, 0, 0, 0, 0, 0, G),
        InterfaceState("XGigabitEthernet0/0/1", False, True,
                       "Ket noi may chu DC (chua cam quang)",
                       44332211009, 55443322110, 55443322, 66554433, 307, 0, 300, 10 * G),
        # Logical interfaces print no statistics: their counters are absent, not 0
        InterfaceState("Vlanif10", True, True, "Quan tri thiet bi"),
        InterfaceState("NULL0", True, True, "HUAWEI, S Series, NULL0 Interface"),
    ]  # fmt: skip


def test_huawei_display_version() -> None:
    got = huawei.parse_version(golden("huawei", "display version"))
    uptime = 68 * 86400 + 6 * 3600 + 7 * 60
    assert got == VersionInfo("S5720 V200R011C10SPC500", "S5720-28X-SI-AC", "", "", uptime)


def test_hp_comware_display_interface() -> None:
    got = hp_comware.parse_interfaces(golden("hp_comware", "display interface"))
    assert got == [
        InterfaceState("GigabitEthernet1/0/1", True, True, "Uplink - sw-so-khcn-core",
                       98765432109, 187654321098, 123456789, 234567890, 5, 0, 3, G),
        InterfaceState("GigabitEthernet1/0/2", False, False, "GigabitEthernet1/0/2 Interface",
                       0, 0, 0, 0, 0, 0, 0, G),
        InterfaceState("GigabitEthernet1/0/3", False, True, "Camera tang 2",
                       12345678901, 234567890, 9876543, 1234567, 42, 1, 40, 100 * 10**6),
    ]  # fmt: skip


def test_hp_comware_display_version() -> None:
    got = hp_comware.parse_version(golden("hp_comware", "display version"))
    uptime = 3 * 86400 + 5 * 3600 + 12 * 60
    assert got == VersionInfo("7.1.070, Release 3208P03", "5130-24G-4SFP+ EI", "", "", uptime)


def test_huawei_display_esn_gives_the_first_members_serial() -> None:
    assert huawei.parse_esn(golden("huawei", "display esn")) == "2102359579DMKB001234"
    # AR routers name the master instead of a slot
    assert huawei.parse_esn("ESN of master: 210235A1Y6H10C000123\n") == "210235A1Y6H10C000123"


def test_hp_comware_display_device_manuinfo_gives_the_first_members_serial() -> None:
    got = hp_comware.parse_manuinfo(golden("hp_comware", "display device manuinfo"))
    assert got == "CN6BFAB0SB"  # slot 1 of the two-member IRF stack; fans and PSUs left out


def test_hp_comware_manuinfo_of_a_chassis_gives_the_chassis_serial() -> None:
    text = (
        "Slot 0 CPU 0:\nDEVICE_NAME          : LSQ1SRP2XB0\n"
        "DEVICE_SERIAL_NUMBER : 210231A0H6X123000045\nMAC_ADDRESS          : NONE\n"
        "MANUFACTURING_DATE   : 2013-05-02\nVENDOR_NAME          : H3C\n"
        "Chassis self:\nDEVICE_NAME          : S7506E\n"
        "DEVICE_SERIAL_NUMBER : 210235A0VMH123000012\nMAC_ADDRESS          : 3C8C-4000-0001\n"
        "MANUFACTURING_DATE   : 2013-04-20\nVENDOR_NAME          : H3C\n"
        "Fan 1:\nDEVICE_NAME          : LSQM1FANSC0\nDEVICE_SERIAL_NUMBER : NONE\n"
        "MAC_ADDRESS          : NONE\nMANUFACTURING_DATE   : NONE\nVENDOR_NAME          : H3C\n"
    )
    assert hp_comware.parse_manuinfo(text) == "210235A0VMH123000012"


# A device that answered something else: an error banner, a truncated or foreign layout.
MALFORMED = [
    (cisco_ios.parse_interfaces, "show interfaces",
     "% Invalid input detected at '^' marker.\n"),
    (cisco_ios.parse_version, "show version", "% Ambiguous command:  \"show version\"\n"),
    (huawei.parse_interfaces, "display interface",
     "GigabitEthernet0/0/1 current state : UP\nLine protocol current state : UP\n"
     "Input:  12 packets, 3400 bytes\n  Unicast: 12,  Multicast: 0\n"
     "GigabitEthernet0/0/2 current state : DOWN\n"),
    (huawei.parse_version, "display version", "Error: Unrecognized command found at '^'.\n"),
    (hp_comware.parse_interfaces, "display interface",
     "              ^\n % Unrecognized command found at '^' position.\n"),
    (hp_comware.parse_version, "display version", "Cisco IOS Software, Version 15.2\n"),
    (huawei.parse_esn, "display esn", "Error: Unrecognized command found at '^'.\n"),
    (hp_comware.parse_manuinfo, "display device manuinfo",
     " Fan 1:\n The operation is not supported on the specified fan.\n"),
]  # fmt: skip


@pytest.mark.parametrize(("parse", "command", "output"), MALFORMED)
def test_malformed_output_is_a_parse_error_naming_the_command(
    parse: object, command: str, output: str
) -> None:
    assert callable(parse)
    with pytest.raises(ParseError) as caught:
        parse(output)
    assert caught.value.command == command
    assert str(caught.value).startswith(f"{command}: ")


def test_counters_are_joined_by_interface_name_not_position() -> None:
    # The statistics block of one interface must never land on another: drop the first
    # interface's block and the second keeps its own values.
    text = golden("huawei", "display interface")
    first_end = text.index("GigabitEthernet0/0/2 current state")
    block_start = text.index("Input:  1234567890")
    block_end = text.index("    Input bandwidth utilization threshold")
    trimmed = text[:block_start] + text[block_end:first_end] + text[first_end:]
    got = {i.name: i for i in huawei.parse_interfaces(trimmed)}
    assert got["GigabitEthernet0/0/1"].in_octets is None
    assert got["XGigabitEthernet0/0/1"].crc == 300
