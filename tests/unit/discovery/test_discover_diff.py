"""The diff against the inventory: +, ~, =, - matched on address within the site and CIDR."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from discover_fakes import ENV, write_inventory

from netwarden.discovery.diff import Change, compare, render_diff
from netwarden.discovery.facts import HostFacts, SnmpFacts
from netwarden.discovery.fragment import propose
from netwarden.inventory import load_inventory
from netwarden.inventory.model import Inventory

NET = ipaddress.IPv4Network("198.18.1.0/24")
LINUX = "Linux x 6.1 x86_64"
NET_SNMP = "1.3.6.1.4.1.8072.3.2.10"
TRIED = ["snmp-v3", "snmp-v2"]


@pytest.fixture
def inv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Inventory:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return load_inventory(write_inventory(tmp_path))


def _snmp(name: str, credential: str) -> SnmpFacts:
    return SnmpFacts(credential, LINUX, NET_SNMP, name, True)


def _diff(inv: Inventory, hosts: list[HostFacts], tried: list[str] = TRIED) -> dict[str, tuple]:
    entries = compare(inv, "so-khcn", NET, propose(inv, "so-khcn", hosts), tried)
    assert [e.address for e in entries] == sorted(
        (e.address for e in entries), key=ipaddress.ip_address
    )
    return {e.address: (e.op, e.id, e.role, e.changes) for e in entries}


def test_known_new_and_silent(inv: Inventory) -> None:
    diff = _diff(inv, [
        HostFacts("198.18.1.2", ("icmp",), snmp=_snmp("sw-so-khcn-core", "snmp-v3")),
        HostFacts("198.18.1.50", ("icmp",), open_ports=(554,)),
        HostFacts("198.18.1.99", ("arp",)),
    ])  # fmt: skip
    assert diff == {
        "198.18.1.2": ("=", "sw-so-khcn-core", "switch", ()),
        "198.18.1.50": ("=", "cam-so-khcn", "camera", ()),
        "198.18.1.99": ("+", "so-khcn-198-18-1-99", "host", ()),
        # In the site and the CIDR but silent: reported, never removed. sw-dist-01 is outside
        # the CIDR and so-tc's device at .60 is another site's: neither is listed.
        "198.18.1.80": ("-", "printer-so-khcn", "host", ()),
    }


def test_changes_role_sysname_and_snmp(inv: Inventory) -> None:
    diff = _diff(inv, [
        # sysName no longer the id, and its v3 credential did not answer (v2c did, after it).
        HostFacts("198.18.1.2", ("icmp",), snmp=_snmp("sw-so-khcn-moi", "snmp-v2")),
        # The "camera" answers SNMP now and looks like a Linux router.
        HostFacts("198.18.1.50", ("icmp",), snmp=_snmp("nat-gw", "snmp-v2")),
        HostFacts("198.18.1.80", ("icmp",), open_ports=(80,)),
    ])  # fmt: skip
    assert diff["198.18.1.2"] == ("~", "sw-so-khcn-core", "switch", (
        Change("id", "sw-so-khcn-core", "sw-so-khcn-moi (from sysName)"),
        Change("snmp.credential", "snmp-v3", "snmp-v2 (snmp-v3 did not answer)"),
    ))  # fmt: skip
    assert diff["198.18.1.50"] == ("~", "cam-so-khcn", "camera", (
        Change("id", "cam-so-khcn", "nat-gw (from sysName)"),
        Change("role", "camera", "router"),
        Change("snmp", "none", "credential snmp-v2 answered"),
    ))  # fmt: skip
    assert diff["198.18.1.80"] == ("~", "printer-so-khcn", "host", (Change("role", "host", "ap"),))


def test_snmp_silence_is_a_change_only_if_its_credential_was_tried(inv: Inventory) -> None:
    silent = [HostFacts("198.18.1.2", ("icmp",), open_ports=())]
    changed = _diff(inv, silent)["198.18.1.2"]
    assert changed[0] == "~"
    assert Change("snmp", "credential snmp-v3", "no answer") in changed[3]
    # Only v2 was tried (--credential snmp-v2): nothing is known about its v3 credential.
    untried = _diff(inv, silent, ["snmp-v2"])["198.18.1.2"]
    assert Change("snmp", "credential snmp-v3", "no answer") not in untried[3]
    # Tried v2 first and it answered: whether v3 works is unknown, so no change either.
    found_first = [HostFacts("198.18.1.2", ("icmp",), snmp=_snmp("sw-so-khcn-core", "snmp-v2"))]
    assert _diff(inv, found_first, ["snmp-v2", "snmp-v3"])["198.18.1.2"][0] == "="


def test_rendered_diff_lines(inv: Inventory) -> None:
    hosts = [
        HostFacts("198.18.1.50", ("icmp",), open_ports=(80,)),
        HostFacts("198.18.1.99", ("arp",)),
    ]
    entries = compare(inv, "so-khcn", NET, propose(inv, "so-khcn", hosts), TRIED)
    lines = render_diff(entries)
    assert [line[:14] for line in lines] == [
        "- 198.18.1.2  ", "~ 198.18.1.50 ", "- 198.18.1.80 ", "+ 198.18.1.99 ",
    ]  # fmt: skip
    assert lines[1].split() == ["~", "198.18.1.50", "cam-so-khcn", "camera", "role:", "camera",
                                "->", "ap"]  # fmt: skip
    assert lines[2].endswith("printer-so-khcn      host         did not answer (kept in the "
                             "inventory)")  # fmt: skip
    assert lines[3].split() == ["+", "198.18.1.99", "so-khcn-198-18-1-99", "host", "new"]
    assert render_diff([]) == ["(nothing answered and the inventory has nothing there)"]
