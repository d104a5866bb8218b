"""Reading the namespace: iproute2 JSON and sysfs, faked so no namespace or root is needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netwarden.errors import LabError
from netwarden.lab.ios_cli.interfaces import (
    FALLBACK_SPEED_MBPS,
    NamespaceReader,
    SysfsNet,
    run_ip,
    stats64_counters,
)
from netwarden.lab.ios_cli.model import Address, Counters

STATS64 = {
    "rx": {"bytes": 1000, "packets": 10, "errors": 1, "dropped": 2, "multicast": 3},
    "tx": {"bytes": 2000, "packets": 20, "errors": 4, "dropped": 5, "collisions": 6},
}
LINKS: list[dict[str, Any]] = [
    {
        "ifindex": 1,
        "ifname": "lo",
        "flags": ["LOOPBACK", "UP", "LOWER_UP"],
        "mtu": 65536,
        "link_type": "loopback",
        "address": "00:00:00:00:00:00",
        "addr_info": [
            {"family": "inet", "local": "127.0.0.1", "prefixlen": 8},
            {"family": "inet6", "local": "::1", "prefixlen": 128},
        ],
        "stats64": STATS64,
    },
    {
        "ifindex": 7,
        "ifname": "wan0",
        "flags": ["BROADCAST", "NOARP", "UP", "LOWER_UP"],
        "mtu": 1500,
        "link_type": "ether",
        "address": "02:00:5e:00:00:07",
        "ifalias": "uplink",
        "linkinfo": {"info_kind": "dummy"},
        "addr_info": [{"family": "inet", "local": "198.18.1.1", "prefixlen": 30}],
        "stats64": STATS64,
    },
    {
        "ifindex": 9,
        "ifname": "lan0",
        "flags": ["BROADCAST", "MULTICAST", "UP"],
        "mtu": 9000,
        "link_type": "ether",
        "address": "ae:00:00:00:00:09",
        "linkinfo": {"info_kind": "veth"},
        "addr_info": [],
        "stats64": STATS64,
    },
]


def _sysfs(root: Path, name: str, ifindex: int, files: dict[str, str]) -> None:
    (root / name / "statistics").mkdir(parents=True)
    (root / name / "ifindex").write_text(f"{ifindex}\n")
    for rel, value in files.items():
        (root / name / rel).write_text(f"{value}\n")


@pytest.fixture
def sysfs(tmp_path: Path) -> SysfsNet:
    _sysfs(tmp_path, "lo", 1, {"statistics/rx_bytes": "11", "statistics/tx_bytes": "12"})
    _sysfs(
        tmp_path,
        "wan0",
        7,
        {
            "statistics/rx_bytes": "98765432101",
            "statistics/tx_bytes": "12345678901",
            "statistics/rx_packets": "555",
            "statistics/tx_packets": "666",
            "statistics/rx_crc_errors": "7",
            "statistics/collisions": "8",
            "duplex": "half",
        },
    )
    # Same name, other ifindex: this sysfs belongs to another namespace's lan0.
    _sysfs(tmp_path, "lan0", 42, {"statistics/rx_bytes": "1", "speed": "10000"})
    return SysfsNet(tmp_path)


def _reader(sysfs: SysfsNet, links: list[dict[str, Any]] = LINKS) -> NamespaceReader:
    calls: list[list[str]] = []

    def fake_ip(args: list[str]) -> str:
        calls.append(args)
        return json.dumps(links)

    return NamespaceReader(run=fake_ip, sysfs=sysfs)


def test_links_become_interface_states(sysfs: SysfsNet) -> None:
    lo, wan, lan = _reader(sysfs).snapshot().interfaces

    assert (lo.name, lo.kind, lo.mac, lo.is_loopback) == ("lo", "loopback", None, True)
    assert lo.addresses == (Address("127.0.0.1", 8),)
    assert (wan.kind, wan.mac, wan.mtu, wan.description) == (
        "dummy",
        "02:00:5e:00:00:07",
        1500,
        "uplink",
    )
    assert (wan.admin_up, wan.carrier) == (True, True)
    assert (lan.kind, lan.admin_up, lan.carrier, lan.addresses) == ("veth", True, False, ())


def test_counters_come_from_sysfs_when_it_is_ours(sysfs: SysfsNet) -> None:
    wan = _reader(sysfs).snapshot().interfaces[1]

    assert wan.counters.rx_bytes == 98765432101
    assert wan.counters.tx_bytes == 12345678901
    assert (wan.counters.rx_packets, wan.counters.tx_packets) == (555, 666)
    assert (wan.counters.rx_crc_errors, wan.counters.collisions) == (7, 8)
    # A file sysfs lacks falls back to the same counter from netlink.
    assert wan.counters.rx_errors == 1
    assert wan.full_duplex is False


def test_sysfs_of_another_namespace_is_ignored(sysfs: SysfsNet) -> None:
    lan = _reader(sysfs).snapshot().interfaces[2]

    assert lan.counters == stats64_counters(LINKS[2])
    assert lan.speed_mbps == 10000  # veth's fixed speed, not the foreign sysfs value


@pytest.mark.parametrize(
    ("link", "speed", "expected"),
    [
        (LINKS[1], "2500", 2500),
        (LINKS[1], "-1", FALLBACK_SPEED_MBPS),
        (LINKS[1], None, FALLBACK_SPEED_MBPS),
        (LINKS[2], None, 10000),
    ],
)
def test_speed_falls_back_when_sysfs_has_none(
    tmp_path: Path, link: dict[str, Any], speed: str | None, expected: int
) -> None:
    _sysfs(tmp_path, link["ifname"], link["ifindex"], {} if speed is None else {"speed": speed})

    (iface,) = _reader(SysfsNet(tmp_path), [link]).snapshot().interfaces

    assert iface.speed_mbps == expected


def test_stats64_counters_maps_directions() -> None:
    assert stats64_counters(LINKS[0]) == Counters(
        rx_bytes=1000,
        tx_bytes=2000,
        rx_packets=10,
        tx_packets=20,
        rx_errors=1,
        tx_errors=4,
        rx_dropped=2,
        tx_dropped=5,
        multicast=3,
        collisions=6,
    )
    assert stats64_counters({}) == Counters()


def test_invalid_json_is_a_lab_error(sysfs: SysfsNet) -> None:
    reader = NamespaceReader(run=lambda args: "not json", sysfs=sysfs)

    with pytest.raises(LabError, match="invalid JSON"):
        reader.snapshot()


def test_run_ip_failure_is_a_lab_error() -> None:
    with pytest.raises(LabError, match="failed"):
        run_ip(["link", "show", "dev", "nwt-no-such-if"])
