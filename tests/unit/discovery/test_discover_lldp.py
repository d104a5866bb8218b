"""LLDP: parsing a realistic table served by the fake SNMP session, and links from it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from discover_fakes import CISCO_LLDP, ENV, V2, SnmpLan, lldp_table, system, write_inventory

from netwarden.agent.snmp.fake import FakeSnmpSession
from netwarden.agent.snmp.types import Reason
from netwarden.discovery import lldp
from netwarden.discovery.facts import HostFacts, Neighbour, SnmpFacts
from netwarden.discovery.fragment import propose, render
from netwarden.discovery.links import propose_links
from netwarden.discovery.snmp_facts import NamedCredentials, snmp_facts
from netwarden.discovery.validate import merged_check
from netwarden.inventory import load_inventory

C2960 = "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11"


def _walk(varbinds: list) -> dict:
    return asyncio.run(FakeSnmpSession(varbinds).bulk_walk(lldp.ROOTS))


def test_parse_a_cisco_table() -> None:
    assert lldp.parse_neighbours(_walk(CISCO_LLDP)) == [
        # The phone's port id is its MAC: its description names the port instead.
        Neighbour("Gi0/1", "SEP00112233445B", "Port 1", "00:11:22:33:44:5b"),
        Neighbour("Gi0/24", "sw-dist-01.tn.gov.vn", "Gi1/0/48", "00:11:22:33:44:aa"),
        # The row without lldpRemSysName (local port 2) is skipped.
    ]


def test_local_port_names_fall_back_to_the_description() -> None:
    table = lldp_table({5: (bytes.fromhex("a0b1c2d3e4f5"), "ge-0/0/5"), 6: ("", "")}, [])
    assert lldp.local_ports(_walk(table)) == {5: "ge-0/0/5"}


def test_no_lldp_mib_means_no_neighbours() -> None:
    assert lldp.parse_neighbours(_walk(system("Linux", "1.3.6.1.4.1.8072.3.2.10", "x"))) == []


def test_rows_with_an_unknown_local_port_or_a_bad_index_are_skipped() -> None:
    table = lldp_table({1: ("Gi0/1", "")}, [((0, 9, 1), b"", "Gi0/1", "", "far")])
    table += lldp_table({}, [((0, 1), b"", "Gi0/2", "", "broken-index")])
    assert lldp.parse_neighbours(_walk(table)) == []


def test_snmp_facts_walk_lldp_with_the_answering_credential() -> None:
    lan = SnmpLan()
    lan.add("198.18.1.2", V2, system(C2960, "1.3.6.1.4.1.9.1.1208", "sw-so-khcn-core") + CISCO_LLDP)
    notes: list[str] = []
    creds = [NamedCredentials("snmp-v2", V2)]
    facts = asyncio.run(snmp_facts("198.18.1.2", creds, lan, timeout=0.5, notes=notes))
    assert facts is not None and notes == []
    assert [n.remote_name for n in facts.neighbours] == ["SEP00112233445B", "sw-dist-01.tn.gov.vn"]
    assert all(s.closed for s in lan.sessions)


def test_a_failed_lldp_walk_keeps_the_system_facts() -> None:
    lan = SnmpLan()
    lan.add("198.18.1.2", V2, system(C2960, "1.3.6.1.4.1.9.1.1208", "sw-a") + CISCO_LLDP)

    def factory(target):  # type: ignore[no-untyped-def]
        session = lan(target)
        session.fail(lldp.REM_TABLE, Reason.timeout, kinds=("walk",))
        return session

    notes: list[str] = []
    creds = [NamedCredentials("snmp-v2", V2)]
    facts = asyncio.run(snmp_facts("198.18.1.2", creds, factory, timeout=0.5, notes=notes))
    assert facts is not None and facts.sys_name == "sw-a" and facts.neighbours == ()
    assert notes and notes[0].startswith("LLDP walk failed (timeout)")


@pytest.fixture
def inventory_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return write_inventory(tmp_path)


def _switch(name: str, address: str, neighbours: tuple[Neighbour, ...]) -> HostFacts:
    facts = SnmpFacts("snmp-v2", C2960, "1.3.6.1.4.1.9.1.1208", name, None, neighbours)
    return HostFacts(address, ("icmp",), snmp=facts)


def test_links_between_known_ends_once_and_merge_valid(inventory_path: Path) -> None:
    inv = load_inventory(inventory_path)
    hosts = [
        # A new access switch: uplink to sw-dist-01 (in the inventory, FQDN in LLDP), a link to
        # the known core switch, and a phone nobody knows.
        _switch("sw-tang2", "198.18.1.20", (
            Neighbour("Gi0/24", "sw-dist-01.tn.gov.vn", "Gi1/0/48"),
            Neighbour("Gi0/23", "SW-SO-KHCN-CORE", "Gi0/7"),
            Neighbour("Gi0/1", "SEP00112233445B", "Port 1"),
        )),
        # The core switch sees the same link from its side, and the existing inventory link.
        _switch("sw-so-khcn-core", "198.18.1.2", (
            Neighbour("Gi0/7", "sw-tang2", "Gi0/23"),
            Neighbour("Gi0/2", "cam-so-khcn", "eth0"),
        )),
    ]  # fmt: skip
    proposals = propose(inv, "so-khcn", hosts)
    links, notes = propose_links(proposals, inv)
    ends = [((lk.a.device, lk.a.interface), (lk.b.device, lk.b.interface)) for lk in links]
    # Proposed in the order the devices answered (by address), each link once.
    assert ends == [
        (("sw-so-khcn-core", "Gi0/7"), ("sw-tang2", "Gi0/23")),
        (("sw-dist-01", "Gi1/0/48"), ("sw-tang2", "Gi0/24")),
    ]
    assert [lk.id for lk in links] == ["lldp-sw-so-khcn-core-sw-tang2", "lldp-sw-dist-01-sw-tang2"]
    assert all(lk.kind == "lan-uplink" for lk in links)
    assert notes == ["LLDP: sw-tang2 Gi0/1 sees 'SEP00112233445B' Port 1, neither discovered "
                     "nor in the inventory"]  # fmt: skip
    fragment = render(proposals, links, site="so-khcn", cidr="198.18.1.0/24")
    assert len(yaml.safe_load(fragment)["links"]) == 2
    merged, problems = merged_check([inventory_path], fragment)
    assert problems == []
    assert merged is not None and len(merged.links) == 3


def test_parallel_links_get_distinct_ids(inventory_path: Path) -> None:
    inv = load_inventory(inventory_path)
    hosts = [_switch("sw-a", "198.18.1.20", (
        Neighbour("Gi0/1", "sw-dist-01", "Gi1/0/1"),
        Neighbour("Gi0/2", "sw-dist-01", "Gi1/0/2"),
    ))]  # fmt: skip
    links, _ = propose_links(propose(inv, "so-khcn", hosts), inv)
    assert [lk.id for lk in links] == ["lldp-sw-a-sw-dist-01", "lldp-sw-a-sw-dist-01-2"]
