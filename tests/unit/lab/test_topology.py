"""The lab plan: only benchmarking-range addresses, valid names, NAT agencies unrouted."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

from netwarden.errors import UsageError
from netwarden.lab.daemons import DevicePaths, LabSecrets, snmpd_config, sshd_config
from netwarden.lab.topology import (
    CORE_NS,
    DC_NS,
    LAB_RANGE6,
    MAX_AGENCIES,
    build_plan,
    lan_octet,
)

LAB_RANGE = ipaddress.ip_network("198.18.0.0/15")


def _addresses(lines: list[str]) -> list[str]:
    return re.findall(r"\b(\d+\.\d+\.\d+\.\d+)(?:/\d+)?\b", "\n".join(lines))


@pytest.mark.parametrize(("agencies", "nat", "scale"), [(3, 1, 0), (50, 5, 0), (2, 0, 2000)])
def test_every_address_is_in_the_benchmarking_range(agencies: int, nat: int, scale: int) -> None:
    plan = build_plan(agencies, nat, scale)
    lines = plan.root_batch + [line for batch in plan.ns_batch.values() for line in batch]
    addresses = _addresses(lines) + [d.address for d in plan.devices]
    addresses += [e.address for e in plan.endpoints] + plan.scale_addresses
    assert addresses
    for address in addresses:
        assert ipaddress.ip_address(address) in LAB_RANGE, address


def test_interface_names_fit_the_kernel_limit_and_are_unique_per_namespace() -> None:
    plan = build_plan(MAX_AGENCIES, 3, 100)
    per_ns: dict[str, list[str]] = {}
    for line in plan.root_batch:
        for name, ns in re.findall(r"name (\S+) netns (\S+)", line):
            per_ns.setdefault(ns, []).append(name)
    for ns, names in per_ns.items():
        assert len(names) == len(set(names)), ns
        assert all(len(n) <= 15 for n in names), ns


def test_nat_agencies_reuse_a_range_and_have_no_route_from_the_core() -> None:
    plan = build_plan(4, 2, 0)
    nat_sites = [s.id for s in plan.sites if s.nat]
    assert len(nat_sites) == 2
    switches = {d.site: d.address for d in plan.devices}
    assert switches[nat_sites[0]] == switches[nat_sites[1]] == switches["so-khcn"]
    core_routes = [line for line in plan.ns_batch[CORE_NS] if line.startswith("route add")]
    assert "route add 198.18.1.0/24 via 198.19.1.2" in core_routes
    assert not [r for r in core_routes if "via 198.19.3.2" in r or "via 198.19.4.2" in r]
    assert set(plan.nft) == {"nwl-a3", "nwl-a4"}
    assert "masquerade" in plan.nft["nwl-a3"] and 'iifname "wan0" drop' in plan.nft["nwl-a3"]


def test_lan_octets_skip_the_dc_and_core_ranges() -> None:
    octets = [lan_octet(i) for i in range(1, MAX_AGENCIES + 1)]
    assert 10 not in octets and 100 not in octets
    assert len(set(octets)) == len(octets) and max(octets) < 128  # below the scale range


def test_links_are_named_after_sites_and_cover_every_agency_and_the_dc() -> None:
    plan = build_plan(3, 1, 0)
    assert [link.id for link in plan.links] == [
        "tsl-so-khcn", "tsl-so-tc", "tsl-p-phan-dinh-phung", "tsl-dc",
    ]  # fmt: skip
    assert plan.links[0].core_if == "wan1" and plan.links[0].far_if == "wan0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 0, 0), "--agencies must be between 1 and 120, got 0"),
        ((3, 3, 0), "--nat must be between 0 and 2 (agencies - 1), got 3"),
        ((3, 1, -1), "--scale-devices must be between 0 and 30000"),
    ],
)
def test_bad_sizes_are_usage_errors(args: tuple[int, int, int], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        build_plan(*args)
    assert str(caught.value) == message


def test_the_lab_inventory_lets_pulled_agents_advertise_their_management_address(
    tmp_path: Path,
) -> None:
    """Agents reach the collector from their WAN address but serve /metrics on their site's
    management address: the inventory lists that one (agents[].advertise), for pulled agents
    only; the agent behind NAT pushes and may advertise nothing."""
    from netwarden.inventory import load_inventory
    from netwarden.lab.inventory_file import build_inventory, write_inventory

    path = tmp_path / "inventory.yaml"
    write_inventory(build_inventory(build_plan(3, 1, 0), tmp_path / "secrets"), path)
    agents = {a.id: (a.metrics, a.advertise) for a in load_inventory([path]).agents}
    assert agents == {
        "agent-core": ("pull", ["198.18.100.1"]),
        "agent-so-khcn": ("pull", ["198.18.1.2"]),
        "agent-so-tc": ("pull", ["198.18.2.2"]),
        "agent-p-phan-dinh-phung": ("push", None),
        "agent-dc": ("pull", ["198.18.10.1"]),
    }


def test_ipv6_is_on_one_link_only_and_from_the_benchmarking_range() -> None:
    plan = build_plan(3, 1, 0)
    lab6 = ipaddress.ip_network(LAB_RANGE6)
    assert set(plan.ipv6) == {DC_NS, "nwl-dc-web", "nwl-dc-db"}  # the DC LAN, nothing else
    addresses = [a.split("/")[0] for pairs in plan.ipv6.values() for _, a in pairs]
    addresses += [d.address6 for d in plan.devices if d.address6]
    addresses += [p[1] for p in plan.portals if ":" in p[1]]
    assert len(addresses) == 10  # 4 on interfaces, 3 devices, 3 portal ports
    for address in addresses:
        assert ipaddress.ip_address(address) in lab6, address
    v6 = {d.id: d.address6 for d in plan.devices if d.address6}
    assert v6 == {"sw-dc-core": "2001:2:0:10::2", "dc-web-01": "2001:2:0:10::5",
                  "dc-db-01": "2001:2:0:10::6"}  # fmt: skip


def test_daemons_of_an_ipv6_device_listen_on_both_addresses(tmp_path: Path) -> None:
    plan = build_plan(3, 1, 0)
    web = next(d for d in plan.devices if d.id == "dc-web-01")
    secrets = LabSecrets("c0mmunity", "auth", "priv", "ssh", "enable")
    snmpd = snmpd_config(web, secrets, "DC", {})
    assert "agentAddress udp:198.18.10.5:161,udp6:[2001:2:0:10::5]:161\n" in snmpd
    assert "rocommunity6 c0mmunity 2001:2::/48\n" in snmpd
    sshd = sshd_config(web, DevicePaths(tmp_path), tmp_path / "k", tmp_path / "e", tmp_path)
    assert "ListenAddress 198.18.10.5:22\nListenAddress [2001:2:0:10::5]:22\n" in sshd
    switch = next(d for d in plan.devices if d.id == "sw-so-khcn-core")
    assert "udp6" not in snmpd_config(switch, secrets, "A", {})
