"""The whole discovery with fakes: sweep (ICMP + ARP), SNMP with several credentials, TCP
ports, proposals, links and the diff; one broken host never stops the others."""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path

import pytest
import yaml
from discover_fakes import (
    CISCO_LLDP,
    ENV,
    V2,
    V3,
    FakeArp,
    FakePinger,
    FakeTcp,
    SnmpLan,
    system,
    write_inventory,
)

from netwarden.agent.snmp.types import Reason
from netwarden.discovery.run import Discovery, Probes, Settings, discover
from netwarden.discovery.snmp_facts import resolve_credentials
from netwarden.discovery.sweep import SweepError
from netwarden.discovery.validate import merged_check
from netwarden.errors import UsageError
from netwarden.inventory import load_inventory
from netwarden.inventory.model import Inventory

NET = ipaddress.IPv4Network("198.18.1.0/24")
LINUX = "Linux sw-so-khcn-core 6.1.0 #1 SMP x86_64"
C2960 = "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11"


@pytest.fixture
def path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return write_inventory(tmp_path)


def _lan() -> tuple[FakePinger, FakeArp, SnmpLan, FakeTcp]:
    pinger = FakePinger({"198.18.1.1", "198.18.1.2", "198.18.1.20", "198.18.1.50",
                         "198.18.1.70", "198.18.1.200"})  # fmt: skip
    # A printer that ignores ping answers ARP; so do the pinged hosts. .1 is this machine.
    arp = FakeArp({"198.18.1.2": "02:00:00:00:00:02", "198.18.1.33": "02:00:00:00:00:33",
                   "198.18.1.1": "02:00:00:00:00:01"})  # fmt: skip
    lan = SnmpLan()
    lan.add("198.18.1.2", V3, system(LINUX, "1.3.6.1.4.1.8072.3.2.10", "sw-so-khcn-core", 1))
    # A new Cisco access switch that only knows the v2c community, with LLDP.
    lan.add("198.18.1.20", V2, system(C2960, "1.3.6.1.4.1.9.1.1208", "SW-TANG2") + CISCO_LLDP)
    lan.broken["198.18.1.200"] = Reason.decode  # answers garbage
    tcp = FakeTcp({"198.18.1.50": {554, 80}, "198.18.1.70": {5060}, "198.18.1.33": {443}})
    return pinger, arp, lan, tcp


def _run(inv: Inventory, probes: Probes, **settings: object) -> Discovery:
    creds, _ = resolve_credentials(inv, [])
    config = Settings(
        "so-khcn", NET, tuple(creds), timeout=0.2, local=frozenset({"198.18.1.1"}), **settings
    )  # type: ignore[arg-type]
    return asyncio.run(discover(inv, config, probes))


def test_discovery_proposes_what_is_there_and_nothing_else(path: Path) -> None:
    inv = load_inventory(path)
    pinger, arp, lan, tcp = _lan()
    phases: list[tuple[str, int, int]] = []
    creds, _ = resolve_credentials(inv, [])
    settings = Settings("so-khcn", NET, tuple(creds), timeout=0.2, local=frozenset({"198.18.1.1"}))
    result = asyncio.run(discover(inv, settings, Probes(pinger, lan, tcp, arp),
                                  lambda *p: phases.append(p)))  # fmt: skip
    got = {p.device.address: (p.device.id, p.device.role,
                              p.device.snmp and p.device.snmp.credential, p.host.seen_by)
           for p in result.proposals}  # fmt: skip
    assert got == {
        "198.18.1.2": ("sw-so-khcn-core", "switch", "snmp-v3", ("icmp", "arp")),
        "198.18.1.20": ("sw-tang2", "switch", "snmp-v2", ("icmp",)),
        "198.18.1.33": ("so-khcn-198-18-1-33", "ap", None, ("arp",)),
        "198.18.1.50": ("so-khcn-198-18-1-50", "camera", None, ("icmp",)),
        "198.18.1.70": ("so-khcn-198-18-1-70", "vc-endpoint", None, ("icmp",)),
        "198.18.1.200": ("so-khcn-198-18-1-200", "host", None, ("icmp",)),
    }
    # Credentials in inventory order, first that answers wins; a refusal stops at once.
    assert lan.tried("198.18.1.20") == ["snmp-v3", "snmp-v2"]
    assert lan.tried("198.18.1.50") == ["snmp-v3"]
    assert all(t.timeout == 0.2 for t in lan.targets)
    # TCP ports only where SNMP did not answer.
    assert {host for host, _ in tcp.probed} == {"198.18.1.33", "198.18.1.50", "198.18.1.70",
                                                "198.18.1.200"}  # fmt: skip
    broken = next(h for h in result.hosts if h.address == "198.18.1.200")
    assert broken.notes == ["SNMP did not answer (snmp-v3: decode, snmp-v2: decode)"]
    assert arp.swept == [NET]
    assert "ARP on eth9: fake" in result.notes
    assert "not proposed: 198.18.1.1 (this machine's own addresses)" in result.notes
    assert {(op, e.address) for e in result.diff for op in [e.op]} == {
        ("=", "198.18.1.2"), ("+", "198.18.1.20"), ("+", "198.18.1.33"), ("=", "198.18.1.50"),
        ("+", "198.18.1.70"), ("+", "198.18.1.200"), ("-", "198.18.1.80"),
    }  # fmt: skip
    # LLDP of the new switch: its uplink to sw-dist-01 (inventory) becomes a link.
    assert [(lk.a.device, lk.a.interface, lk.b.device, lk.b.interface) for lk in result.links] == [
        ("sw-dist-01", "Gi1/0/48", "sw-tang2", "Gi0/24")
    ]
    assert phases[-1] == ("examine", 6, 6)
    assert ("ping", 254, 254) in phases and ("arp", 1, 1) in phases
    # The fragment: the new devices and the link, valid merged with the inventory.
    data = yaml.safe_load(result.fragment)
    assert [d["address"] for d in data["devices"]] == [
        "198.18.1.20", "198.18.1.33", "198.18.1.70", "198.18.1.200",
    ]  # fmt: skip
    assert merged_check([path], result.fragment)[1] == []


def test_without_arp_the_quiet_printer_is_not_found(path: Path) -> None:
    inv = load_inventory(path)
    pinger, _, lan, tcp = _lan()
    result = _run(inv, Probes(pinger, lan, tcp, None))
    assert "198.18.1.33" not in {p.device.address for p in result.proposals}
    assert not any(note.startswith("ARP") for note in result.notes)


def test_nothing_answers(path: Path) -> None:
    inv = load_inventory(path)
    result = _run(inv, Probes(FakePinger(()), SnmpLan(), FakeTcp({}), FakeArp({})))
    assert result.proposals == [] and result.links == []
    assert [e.op for e in result.diff] == ["-", "-", "-"]  # .2, .50, .80 did not answer
    assert yaml.safe_load(result.fragment) == {"devices": [], "links": []}


def test_unknown_site_or_a_site_without_agent_is_a_usage_error(path: Path) -> None:
    inv = load_inventory(path)
    pinger = FakePinger(())
    probes = Probes(pinger, SnmpLan(), FakeTcp({}), None)
    for site, message in (("nowhere", "no such site"), ("lonely", "no agent has this site")):
        with pytest.raises(UsageError, match=message):
            asyncio.run(discover(inv, Settings(site, NET), probes))
    assert pinger.pinged == []  # refused before sending anything


def test_a_sweep_that_cannot_run_raises(path: Path) -> None:
    inv = load_inventory(path)
    probes = Probes(FakePinger((), fail_open=True), SnmpLan(), FakeTcp({}), None)
    with pytest.raises(SweepError):
        asyncio.run(discover(inv, Settings("so-khcn", NET), probes))


def test_credentials_named_order_and_errors(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inv = load_inventory(path)
    creds, notes = resolve_credentials(inv, ["snmp-v2", "snmp-v3", "snmp-v2"])
    assert [c.name for c in creds] == ["snmp-v2", "snmp-v3"] and notes == []
    assert "c0mmunity" not in repr(creds)  # secrets never in a repr
    with pytest.raises(UsageError, match="--credential nope: no such credential"):
        resolve_credentials(inv, ["nope"])
    with pytest.raises(UsageError, match="--credential ssh-x: an SSH credential, not SNMP"):
        resolve_credentials(inv, ["ssh-x"])
    monkeypatch.delenv("NW_T_AUTH")
    creds, notes = resolve_credentials(inv, [])
    assert [c.name for c in creds] == ["snmp-v2"]
    assert notes == ["credential snmp-v3 skipped: secret env:NW_T_AUTH: environment variable "
                     "is not set"]  # fmt: skip
