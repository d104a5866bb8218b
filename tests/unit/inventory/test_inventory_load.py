"""Loading valid inventories: values, defaults, normalisation, helpers, merging files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from netwarden.errors import InventoryError
from netwarden.inventory import Inventory, load_inventory
from netwarden.inventory.fields import format_duration
from netwarden.secret import Secret

Write = Callable[[str, str], Path]


def test_contract_example_loads_with_values(contract: Path) -> None:
    inv = load_inventory([contract])
    assert inv.province == "thai-nguyen"
    assert inv.counts() == {
        "sites": 3,
        "agents": 3,
        "devices": 2,
        "links": 1,
        "services": 2,
        "credentials": 3,
    }
    core, switch = inv.devices
    assert core.snmp is not None
    assert (core.snmp.port, core.snmp.timeout, core.snmp.retries) == (161, 2.0, 1)
    assert switch.ssh is not None
    assert (switch.ssh.platform, switch.ssh.port, switch.ssh.timeout) == ("cisco_ios", 2222, 10.0)
    assert inv.sites[0].name == "Sở Khoa học và Công nghệ"
    assert inv.agents[1].metrics == "pull"
    assert inv.services[0].security_level == 3
    http = inv.services[0].check.http
    assert http is not None
    assert (http.expect_status, http.tls_verify) == (200, False)
    assert inv.links[0].b.device == "sw-so-khcn-core"


def test_a_single_path_may_be_given_bare(contract: Path) -> None:
    assert load_inventory(contract) == load_inventory([str(contract)])  # type: ignore[arg-type]


def test_snmp_version_is_normalised_to_text(contract: Path) -> None:
    inv = load_inventory([contract])
    v3 = inv.credential("snmp-lab-v3").snmp
    v2 = inv.credential("snmp-lab-v2").snmp
    assert v3 is not None
    assert v2 is not None
    assert (v3.version, v2.version) == ("3", "2c")
    assert v3.auth is not None
    assert v3.auth.protocol == "sha"


def test_quoted_version_3_is_accepted(write: Write) -> None:
    path = write("v.yaml", 'province: p\ncredentials: {c: {snmp: {version: "3", user: u}}}\n')
    snmp = load_inventory([path]).credential("c").snmp
    assert snmp is not None
    assert snmp.version == "3"


def test_secrets_are_references(contract: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inv = load_inventory([contract])
    ssh = inv.credential("ssh-lab").ssh
    assert ssh is not None
    assert ssh.password == Secret("env:NW_SSH_PASS")
    monkeypatch.setenv("NW_SSH_PASS", "opened-on-demand")
    assert ssh.password.reveal() == "opened-on-demand"


def test_default_agent_is_the_agent_of_the_site(contract: Path) -> None:
    inv = load_inventory([contract])
    assert inv.agent_of("core-rtr") == "agent-core"
    assert inv.agent_of(inv.device("sw-so-khcn-core")) == "agent-so-khcn"
    assert [d.id for d in inv.devices_for("agent-core")] == ["core-rtr"]
    assert inv.devices_for("agent-dc") == []


@pytest.mark.parametrize(
    ("text", "seconds", "canonical"),
    [
        ("2s", 2.0, "2s"),
        ("500ms", 0.5, "500ms"),
        ("1m", 60.0, "1m"),
        ("90s", 90.0, "90s"),
        ("1.5s", 1.5, "1500ms"),
        ("1h", 3600.0, "1h"),
        ("0.0005s", 0.0005, "0.0005s"),
    ],
)
def test_durations(write: Write, text: str, seconds: float, canonical: str) -> None:
    path = write(
        "d.yaml",
        "province: p\nsites: [{id: s, kind: core}]\nagents: [{id: a, site: s}]\n"
        f"devices: [{{id: d, site: s, address: 10.0.0.1, role: host,"
        f" snmp: {{credential: c, timeout: {text}}}}}]\n"
        "credentials: {c: {snmp: {version: 2c, community: 'env:C'}}}\n",
    )
    snmp = load_inventory([path]).devices[0].snmp
    assert snmp is not None
    assert snmp.timeout == seconds
    assert format_duration(snmp.timeout) == canonical


def test_json_dump_loads_back_as_the_same_inventory(contract: Path, tmp_path: Path) -> None:
    inv = load_inventory([contract])
    again = tmp_path / "again.yaml"  # JSON is YAML
    again.write_text(inv.model_dump_json(), encoding="utf-8")
    assert load_inventory([again]) == inv


MERGE_FILES = {
    "10-sites.yaml": "province: p\nsites:\n  - {id: s1, kind: agency}\n  - {id: s2, kind: core}\n",
    "20-agents.yml": "agents:\n  - {id: a1, site: s1}\n  - {id: a2, site: s2}\n",
    "30-devices.yaml": (
        "province: p\ndevices:\n"
        "  - {id: d1, site: s1, address: 10.0.0.1, role: switch, snmp: {credential: c}}\n"
        "  - {id: d2, site: s2, address: 10.0.0.1, role: router}\n"  # same address, other agent
    ),
    "40-creds.yaml": "credentials: {c: {snmp: {version: 2c, community: 'env:C'}}}\n",
    "README.txt": "not an inventory file: ignored",
    "sub/ignored.yaml": "this is not read: directories are not recursed into: [",
}


def test_directory_is_merged(write: Write, tmp_path: Path) -> None:
    for name, text in MERGE_FILES.items():
        write(f"inv/{name}", text)
    inv = load_inventory([tmp_path / "inv"])
    assert inv.counts() == {
        "sites": 2,
        "agents": 2,
        "devices": 2,
        "links": 0,
        "services": 0,
        "credentials": 1,
    }
    assert [d.id for d in inv.devices_for("a2")] == ["d2"]


def test_files_and_directories_mix_and_a_file_is_read_once(write: Write, tmp_path: Path) -> None:
    for name, text in MERGE_FILES.items():
        write(f"inv/{name}", text)
    extra = write("extra.yaml", "services: [{id: w, site: s1, check: {icmp: {host: gw.local}}}]\n")
    inv = load_inventory([tmp_path / "inv", extra, tmp_path / "inv" / "10-sites.yaml"])
    assert inv.counts()["services"] == 1
    assert inv.counts()["sites"] == 2


def test_empty_sections_are_allowed(write: Write) -> None:
    path = write("e.yaml", "province: p\nsites:\n# all commented out\ndevices: []\n")
    assert load_inventory([path]) == Inventory(province="p")


def test_anchors_and_merge_keys(write: Write) -> None:
    path = write(
        "a.yaml",
        "province: p\nsites: [{id: s, kind: core}]\nagents: [{id: a, site: s}]\n"
        "credentials: {c: {snmp: {version: 2c, community: 'env:C'}}}\n"
        "devices:\n"
        "  - &base {id: d1, site: s, address: 10.0.0.1, role: switch,"
        " snmp: &snmp {credential: c, timeout: 3s}}\n"
        "  - {<<: *base, id: d2, address: 10.0.0.2, snmp: *snmp}\n",
    )
    d1, d2 = load_inventory([path]).devices
    assert (d2.id, d2.site, d2.role, d2.address) == ("d2", "s", "switch", "10.0.0.2")
    assert d2.snmp == d1.snmp


def test_devices_with_equal_access_settings_share_one_object(write: Write) -> None:
    # An agent holds its inventory as long as it runs: equal access settings are one object
    # per load. Equal is the same values and the same fields given, so that a dump without
    # the unset fields stays each device's own.
    def device(n: int, snmp: str) -> str:
        return f"  - {{id: d{n}, site: s, address: 10.0.0.{n}, role: switch, snmp: {{{snmp}}}}}\n"

    path = write(
        "s.yaml",
        "province: p\nsites: [{id: s, kind: core}]\nagents: [{id: a, site: s}]\n"
        "credentials: {c: {snmp: {version: 2c, community: 'env:C'}}}\ndevices:\n"
        + device(1, "credential: c, timeout: 3s")
        + device(2, "credential: c, timeout: 3s")
        + device(3, "credential: c, timeout: 3s, port: 161")
        + device(4, "credential: c, timeout: 4s"),
    )
    d1, d2, d3, d4 = load_inventory([path]).devices
    assert d1.snmp is d2.snmp
    assert d1.icmp is d2.icmp is d3.icmp is d4.icmp  # the default too
    assert d3.snmp is not d1.snmp and d3.snmp is not None
    assert d3.snmp.model_fields_set == {"credential", "timeout", "port"}
    assert d4.snmp is not d1.snmp and d4.snmp is not None and d4.snmp.timeout == 4.0
    again = load_inventory([path]).devices[0]
    assert again == d1 and again.snmp is not d1.snmp  # a reload shares nothing with the last


def test_ipv6_addresses(write: Write) -> None:
    path = write(
        "v6.yaml",
        "province: p\nsites: [{id: s, kind: core}]\nagents: [{id: a, site: s}]\n"
        "devices:\n"
        "  - {id: d1, site: s, address: '2001:db8::1', role: host}\n"
        "  - {id: d2, site: s, address: 'fe80::1', role: host}\n",
    )
    assert [d.address for d in load_inventory([path]).devices] == ["2001:db8::1", "fe80::1"]


def test_ipv6_equal_spellings_are_the_same_address(write: Write) -> None:
    path = write(
        "v6.yaml",
        "province: p\nsites: [{id: s, kind: core}]\nagents: [{id: a, site: s}]\n"
        "devices:\n"
        "  - {id: d1, site: s, address: '2001:db8::1', role: host}\n"
        "  - {id: d2, site: s, address: '2001:DB8:0::1', role: host}\n",
    )
    with pytest.raises(InventoryError) as caught:
        load_inventory([path])
    assert caught.value.problems == [
        f"{path}:6: devices[d2].address: 2001:DB8:0::1 is already used on agent 'a' by device"
        f" 'd1' (first at {path}:5)"
    ]


def test_lookups_of_unknown_ids(contract: Path) -> None:
    inv = load_inventory([contract])
    assert inv.site("dc").kind == "datacentre"
    assert [a.id for a in inv.agents_at("dc")] == ["agent-dc"]
    with pytest.raises(KeyError, match="no device with id 'nope'"):
        inv.device("nope")
    with pytest.raises(KeyError):
        inv.credential("nope")


def test_agent_of_a_hand_made_inventory_without_agent() -> None:
    inv = Inventory(
        province="p",
        sites=[{"id": "s", "kind": "core"}],  # type: ignore[list-item]
        devices=[{"id": "d", "site": "s", "address": "10.0.0.1", "role": "host"}],  # type: ignore[list-item]
    )
    with pytest.raises(LookupError, match="site s has 0 agents"):
        inv.agent_of("d")
