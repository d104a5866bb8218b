"""Proposed devices: ids, ordering, matching known devices, and a fragment the loader accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from discover_fakes import ENV, write_inventory

from netwarden.discovery.facts import HostFacts, SnmpFacts
from netwarden.discovery.fragment import (
    MARKER,
    address_id,
    propose,
    render,
    slug_id,
    unique,
)
from netwarden.discovery.validate import FRAGMENT_NAME, merged_check
from netwarden.inventory import load_inventory
from netwarden.inventory.ids import ID_PATTERN

LINUX = "Linux x 6.1 x86_64"
NET_SNMP = "1.3.6.1.4.1.8072.3.2.10"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sw-so-khcn-core", "sw-so-khcn-core"),
        ("SW-Core-01", "sw-core-01"),
        ("Sở Tài chính — SW 01", "so-tai-chinh-sw-01"),
        ("Đồng Hỷ_GW", "dong-hy_gw"),
        ("01-switch", "switch"),
        ("sw-dist-01.tn.gov.vn", "sw-dist-01.tn.gov.vn"),
        ("!!!", None),
        ("", None),
    ],
)
def test_slug_id(name: str, expected: str | None) -> None:
    assert slug_id(name) == expected


def test_slug_id_of_a_long_name_is_a_valid_id() -> None:
    slug = slug_id("x" * 40 + "-" + "y" * 40)
    assert slug is not None
    assert len(slug) <= 63
    assert yaml.safe_load(f"id: {slug}")["id"] == slug


def test_address_id_and_its_length_limit() -> None:
    assert address_id("so-khcn", "198.18.1.50") == "so-khcn-198-18-1-50"
    long = address_id("s" * 63, "198.18.100.254")
    assert len(long) == 63
    assert long.endswith("-198-18-100-254")


def test_unique_adds_a_suffix_within_the_limit() -> None:
    taken = {"sw", "sw-2"}
    assert unique("sw", taken) == "sw-3"
    assert unique("new", taken) == "new"
    assert "sw-3" in taken and "new" in taken
    full = "a" * 63
    assert unique(full, {full}) == "a" * 61 + "-2"


def _snmp(name: str, credential: str = "snmp-v2") -> SnmpFacts:
    return SnmpFacts(credential, LINUX, NET_SNMP, name, False)


@pytest.fixture
def inventory_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return write_inventory(tmp_path)


def test_proposals_are_ordered_by_address_and_match_known_devices(inventory_path: Path) -> None:
    inv = load_inventory(inventory_path)
    hosts = [
        HostFacts("198.18.1.100", ("icmp",), open_ports=(554,)),
        HostFacts("198.18.1.9", ("arp",), mac="00:11:22:33:44:55"),
        HostFacts("198.18.1.50", ("icmp",), open_ports=(554,)),  # cam-so-khcn
        HostFacts("198.18.1.60", ("icmp",), snmp=_snmp("sw-so-khcn-core")),  # so-tc's address
        HostFacts("198.18.1.2", ("icmp",), snmp=_snmp("sw-so-khcn-core", "snmp-v3")),
    ]
    proposals = propose(inv, "so-khcn", hosts)
    assert [p.device.address for p in proposals] == [
        "198.18.1.2", "198.18.1.9", "198.18.1.50", "198.18.1.60", "198.18.1.100",
    ]  # fmt: skip
    by_address = {p.device.address: p for p in proposals}
    switch = by_address["198.18.1.2"]
    assert (switch.device.id, switch.named, switch.known and switch.known.id) == (
        "sw-so-khcn-core", True, "sw-so-khcn-core",
    )  # fmt: skip
    assert switch.device.snmp is not None and switch.device.snmp.credential == "snmp-v3"
    camera = by_address["198.18.1.50"]
    assert (camera.device.id, camera.named, camera.effective_id) == (
        "so-khcn-198-18-1-50", False, "cam-so-khcn",
    )  # fmt: skip
    # Another site's device at the same address (agencies behind NAT reuse ranges) is not
    # this site's; and the sysName it reports is taken already: it gets a suffix.
    other = by_address["198.18.1.60"]
    assert (other.known, other.device.id) == (None, "sw-so-khcn-core-2")
    assert by_address["198.18.1.9"].device.role == "host"
    assert all(p.device.snmp is None for p in proposals if p.host.snmp is None)


def test_rendered_fragment_holds_new_devices_and_merges_into_the_inventory(
    inventory_path: Path,
) -> None:
    inv = load_inventory(inventory_path)
    hosts = [
        HostFacts("198.18.1.2", ("icmp",), snmp=_snmp("sw-so-khcn-core", "snmp-v3")),
        HostFacts("198.18.1.50", ("icmp",), open_ports=(554,)),
        HostFacts("198.18.1.70", ("icmp",), open_ports=(5060,)),
        HostFacts("198.18.1.3", ("icmp", "arp"), snmp=_snmp("Tổng đài IP")),
    ]
    proposals = propose(inv, "so-khcn", hosts)
    text = render(proposals, [], site="so-khcn", cidr="198.18.1.0/24")
    assert text.startswith(MARKER)
    data = yaml.safe_load(text)
    assert data["links"] == []
    assert data["devices"] == [
        {"id": "tong-dai-ip", "site": "so-khcn", "address": "198.18.1.3", "role": "host",
         "snmp": {"credential": "snmp-v2"}},
        {"id": "so-khcn-198-18-1-70", "site": "so-khcn", "address": "198.18.1.70",
         "role": "vc-endpoint"},
    ]  # fmt: skip
    # Known devices are comments, with how their role was guessed.
    assert "# already in the inventory as cam-so-khcn: 198.18.1.50" in text
    assert "RTSP" in text
    merged, problems = merged_check([inventory_path], text)
    assert problems == []
    assert merged is not None
    assert merged.device("tong-dai-ip").snmp is not None
    assert merged.agent_of("so-khcn-198-18-1-70") == "agent-so-khcn"


def test_a_fragment_that_clashes_is_reported_by_the_loader(inventory_path: Path) -> None:
    clash = "devices:\n  - {id: cam-so-khcn, site: so-khcn, address: 198.18.1.51, role: camera}\n"
    merged, problems = merged_check([inventory_path], clash)
    assert merged is None
    assert problems == [f"{FRAGMENT_NAME}:2: devices[cam-so-khcn].id: duplicate device id "
                        f"'cam-so-khcn' (first at {inventory_path}:12)"]  # fmt: skip


def test_site_with_several_agents_names_one_on_new_devices(tmp_path: Path) -> None:
    text = (
        "province: p\nsites: [{id: s, kind: agency}]\n"
        "agents: [{id: a1, site: s}, {id: a2, site: s}]\n"
    )
    path = write_inventory(tmp_path, text)
    inv = load_inventory(path)
    proposals = propose(inv, "s", [HostFacts("10.0.0.1", ("icmp",))], agent="a1")
    fragment = render(proposals, [], site="s", cidr="10.0.0.0/24")
    assert yaml.safe_load(fragment)["devices"][0]["agent"] == "a1"
    assert merged_check([path], fragment)[1] == []


def test_ids_follow_the_inventory_rule(inventory_path: Path) -> None:
    import re

    inv = load_inventory(inventory_path)
    names = ["", "!!", "9", "x" * 90, "Phòng họp — VC", "sw-so-khcn-core"]
    hosts = [
        HostFacts(f"198.18.1.{200 + i}", ("icmp",), snmp=_snmp(n)) for i, n in enumerate(names)
    ]
    ids = [p.device.id for p in propose(inv, "so-khcn", hosts)]
    assert len(set(ids)) == len(ids)
    assert all(re.match(ID_PATTERN, ident) for ident in ids), ids
