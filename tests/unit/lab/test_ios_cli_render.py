"""The renderers' output, parsed back with ntc-templates, must reproduce the snapshot exactly."""

from __future__ import annotations

from typing import Any

import pytest
from ntc_templates.parse import parse_output

from netwarden.lab.ios_cli import render
from netwarden.lab.ios_cli.model import Address, Counters, DeviceSnapshot, InterfaceState

LOOPBACK = InterfaceState(
    name="lo",
    ifindex=1,
    kind="loopback",
    mac=None,
    mtu=65536,
    admin_up=True,
    carrier=True,
    speed_mbps=1000,
    full_duplex=True,
    addresses=(Address("127.0.0.1", 8),),
    description="",
    counters=Counters(rx_bytes=4242, tx_bytes=4242, rx_packets=42, tx_packets=42),
)
WAN = InterfaceState(
    name="wan0",
    ifindex=2,
    kind="dummy",
    mac="02:00:5E:10:00:01",
    mtu=1500,
    admin_up=True,
    carrier=True,
    speed_mbps=1000,
    full_duplex=True,
    addresses=(Address("198.18.10.1", 30), Address("198.18.10.5", 30)),
    description="Uplink to So TT&TT, circuit VNPT-0042",
    counters=Counters(
        rx_bytes=987_654_321_012,
        tx_bytes=123_456_789_098,
        rx_packets=7_654_321,
        tx_packets=1_234_567,
        rx_errors=17,
        tx_errors=3,
        rx_dropped=5,
        tx_dropped=6,
        multicast=99,
        collisions=2,
        rx_crc_errors=11,
        rx_frame_errors=4,
        rx_over_errors=1,
        rx_fifo_errors=8,
        rx_missed_errors=9,
        rx_length_errors=12,
        tx_fifo_errors=13,
        tx_carrier_errors=14,
        rx_nohandler=15,
    ),
)
LAN = InterfaceState(
    name="lan0",
    ifindex=3,
    kind="veth",
    mac="ae:11:22:33:44:55",
    mtu=9000,
    admin_up=True,
    carrier=False,
    speed_mbps=10000,
    full_duplex=True,
    addresses=(),
    description="",
    counters=Counters(rx_bytes=1, tx_bytes=2, rx_packets=3, tx_packets=4),
)
MGMT = InterfaceState(
    name="mgmt0",
    ifindex=4,
    kind="ether",
    mac="52:54:00:aa:bb:cc",
    mtu=1500,
    admin_up=False,
    carrier=False,
    speed_mbps=100,
    full_duplex=False,
    addresses=(Address("198.18.20.9", 24),),
    description="quản lý",
    counters=Counters(),
)
SNAPSHOT = DeviceSnapshot(
    uptime_seconds=(365 + 2 * 7 + 3) * 86400 + 4 * 3600 + 5 * 60 + 59,
    machine="x86_64",
    interfaces=(LOOPBACK, WAN, LAN, MGMT),
)
STATUS = {"lo": ("up", "up"), "wan0": ("up", "up"), "lan0": ("down", "down")}
STATUS["mgmt0"] = ("administratively down", "down")


def _parse(command: str, text: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = parse_output(platform="cisco_ios", command=command, data=text)
    return records


def _expected_show_interfaces(iface: InterfaceState) -> dict[str, str]:
    c = iface.counters
    mac = render.dotted_mac(iface.mac) if iface.mac else ""
    first = iface.addresses[0] if iface.addresses else None
    return {
        "interface": iface.name,
        "link_status": STATUS[iface.name][0],
        "protocol_status": STATUS[iface.name][1],
        "mac_address": mac,
        "bia": mac,
        "description": iface.description,
        "ip_address": first.ip if first else "",
        "prefix_length": str(first.prefixlen) if first else "",
        "mtu": str(iface.mtu),
        "bandwidth": f"{iface.speed_mbps * 1000} Kbit",
        "input_packets": str(c.rx_packets),
        "output_packets": str(c.tx_packets),
        "input_errors": str(c.rx_errors),
        "output_errors": str(c.tx_errors),
        "crc": str(c.rx_crc_errors),
        "frame": str(c.rx_frame_errors),
        "overrun": str(c.rx_over_errors),
        "giants": str(c.rx_length_errors),
        "runts": "0",
        "queue_drops": str(c.rx_dropped),
        "queue_output_drops": str(c.tx_dropped),
        "input_rate": "0",
        "output_rate": "0",
    }


def test_show_interfaces_parses_into_one_complete_record_per_interface() -> None:
    records = _parse("show interfaces", render.show_interfaces(SNAPSHOT.interfaces))

    assert [r["interface"] for r in records] == ["lo", "wan0", "lan0", "mgmt0"]
    for iface, record in zip(SNAPSHOT.interfaces, records, strict=True):
        expected = _expected_show_interfaces(iface)
        assert {key: record[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("iface", "expected"),
    [
        (LOOPBACK, ("Loopback", "", "", "", "5000 usec", "LOOPBACK")),
        (WAN, ("Dummy Ethernet", "Full-duplex", "1000Mb/s", "Virtual", "10 usec", "ARPA")),
        (LAN, ("Virtual Ethernet", "Full-duplex", "10Gb/s", "Virtual", "10 usec", "ARPA")),
        (MGMT, ("Ethernet", "Half-duplex", "100Mb/s", "RJ45", "100 usec", "ARPA")),
    ],
)
def test_show_interfaces_hardware_fields(iface: InterfaceState, expected: tuple[str, ...]) -> None:
    (record,) = _parse("show interfaces", render.show_interfaces([iface]))

    fields = ("hardware_type", "duplex", "speed", "media_type", "delay", "encapsulation")
    assert tuple(record[f] for f in fields) == expected


def test_show_interfaces_prints_byte_counters_verbatim() -> None:
    # The template does not capture bytes; SNMP's ifHCInOctets/ifHCOutOctets are these values.
    text = render.show_interfaces([WAN])

    assert "     7654321 packets input, 987654321012 bytes, 9 no buffer\n" in text
    assert "     1234567 packets output, 123456789098 bytes, 13 underruns\n" in text
    assert "     0 watchdog, 99 multicast, 0 pause input\n" in text
    assert "     3 output errors, 2 collisions, 0 interface resets\n" in text


def test_show_ip_interface_brief_parses_every_interface() -> None:
    records = _parse("show ip interface brief", render.show_ip_interface_brief(SNAPSHOT.interfaces))

    assert records == [
        {"interface": "lo", "ip_address": "127.0.0.1", "status": "up", "proto": "up"},
        {"interface": "wan0", "ip_address": "198.18.10.1", "status": "up", "proto": "up"},
        {"interface": "lan0", "ip_address": "unassigned", "status": "down", "proto": "down"},
        {
            "interface": "mgmt0",
            "ip_address": "198.18.20.9",
            "status": "administratively down",
            "proto": "down",
        },
    ]


def test_show_version_parses_with_uptime_hardware_serial_and_image() -> None:
    (record,) = _parse("show version", render.show_version("ubnd-core-01", SNAPSHOT))

    assert record["hostname"] == "ubnd-core-01"
    assert record["version"] == render.IOS_VERSION
    assert record["software_image"] == render.IMAGE
    assert record["running_image"] == render.IMAGE_FILE
    assert record["uptime"] == "1 year, 2 weeks, 3 days, 4 hours, 5 minutes"
    assert (record["uptime_years"], record["uptime_weeks"], record["uptime_days"]) == (
        "1",
        "2",
        "3",
    )
    assert (record["uptime_hours"], record["uptime_minutes"]) == ("4", "5")
    assert record["hardware"] == [render.PLATFORM]
    assert record["serial"] == [render.serial_number("ubnd-core-01")]
    assert record["mac_address"] == ["02:00:5e:10:00:01"]
    assert record["config_register"] == "0x2102"


def test_show_version_counts_only_non_loopback_interfaces() -> None:
    assert "\n3 Ethernet interfaces\n" in render.show_version("sw", SNAPSHOT)


def test_show_running_config_reflects_interface_state() -> None:
    text = render.show_running_config("sw-test", SNAPSHOT.interfaces)

    header, body = text.split("\n!\n", 1)
    assert header.startswith("Building configuration...\n\nCurrent configuration : ")
    assert int(header.rsplit(": ", 1)[1].split()[0]) == len(("!\n" + body).encode())
    assert "\nhostname sw-test\n" in body
    assert (
        "interface wan0\n"
        " description Uplink to So TT&TT, circuit VNPT-0042\n"
        " ip address 198.18.10.1 255.255.255.252\n"
        " ip address 198.18.10.5 255.255.255.252 secondary\n"
        "!\n"
    ) in body
    assert "interface lan0\n no ip address\n!\n" in body
    assert (
        "interface mgmt0\n description quản lý\n ip address 198.18.20.9 255.255.255.0\n"
        " shutdown\n!\n"
    ) in body
    assert body.endswith("!\nend\n")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 minutes"),
        (61, "1 minute"),
        (3600, "1 hour, 0 minutes"),
        (2 * 86400 + 120, "2 days, 0 hours, 2 minutes"),
        (7 * 86400, "1 week, 0 days, 0 hours, 0 minutes"),
    ],
)
def test_format_uptime(seconds: float, text: str) -> None:
    assert render.format_uptime(seconds) == text


def test_serial_number_is_stable_and_per_host() -> None:
    assert render.serial_number("sw-a") == render.serial_number("sw-a")
    assert render.serial_number("sw-a") != render.serial_number("sw-b")
    assert len(render.serial_number("sw-a")) == 11
