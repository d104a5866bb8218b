"""assignment_for: an agent's slice is a valid inventory, holds only its things, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netwarden.collector.assignment import assignment_for, etag
from netwarden.inventory import load_inventory
from netwarden.inventory.model import Inventory
from tests.unit.collector.conftest import CONTRACT

PROVINCE = Path(__file__).parents[3] / "examples" / "province"


def _load_slice(document: dict[str, object], path: Path) -> Inventory:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return load_inventory([path])


def test_contract_slice_of_the_agency_agent(tmp_path: Path) -> None:
    inv = load_inventory([CONTRACT])
    document = assignment_for(inv, "agent-so-khcn")
    sliced = _load_slice(document, tmp_path / "a.yaml")
    assert [a.id for a in sliced.agents] == ["agent-so-khcn"]
    assert [d.id for d in sliced.devices] == ["sw-so-khcn-core"]
    assert [s.id for s in sliced.services] == ["cam-cho-dong-xuan"]
    assert sorted(sliced.credentials) == ["snmp-lab-v3", "ssh-lab"]  # not the unused v2c one
    (link,) = sliced.links
    # The far end is another agent's device: it travels as text, not as a device reference.
    assert link.a.external == "core-rtr:wan1"
    assert (link.b.device, link.b.interface) == ("sw-so-khcn-core", "wan0")
    assert document["credentials"]["ssh-lab"]["ssh"]["password"] == "env:NW_SSH_PASS"
    # Which addresses the agent may advertise is the collector's business, and an agent of an
    # older version would refuse the key: the slice leaves it out.
    assert inv.agents[0].advertise is not None
    assert document["agents"] == [{"id": "agent-so-khcn", "site": "so-khcn", "metrics": "pull"}]


def test_every_agent_of_the_example_province_gets_exactly_its_devices(tmp_path: Path) -> None:
    inv = load_inventory([PROVINCE])
    seen: set[str] = set()
    for n, agent in enumerate(inv.agents):
        sliced = _load_slice(assignment_for(inv, agent.id), tmp_path / f"{n}.yaml")
        devices = {d.id for d in sliced.devices}
        assert devices == {d.id for d in inv.devices_for(agent.id)}
        assert {s.id for s in sliced.services} == {s.id for s in inv.services_for(agent.id)}
        assert devices.isdisjoint(seen)  # no device is in two agents' slices
        seen |= devices
        used = {c for d in sliced.devices for c in (d.snmp and d.snmp.credential,
                                                     d.ssh and d.ssh.credential) if c}  # fmt: skip
        assert set(sliced.credentials) == used
        for link in sliced.links:
            ends = [e.device for e in (link.a, link.b) if e.device is not None]
            assert ends and set(ends) <= devices
    assert seen == {d.id for d in inv.devices}


def test_secret_values_never_appear(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    values = {"NW_SNMP_AUTH": "auth-Secret-42", "NW_SNMP_PRIV": "priv-Secret-43",
              "NW_SSH_PASS": "ssh-Secret-44", "NW_ENABLE": "enable-Secret-45"}  # fmt: skip
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    community = tmp_path / "community"
    community.write_text("community-Secret-46\n", encoding="utf-8")
    text = CONTRACT.read_text(encoding="utf-8").replace("/etc/netwarden/community", str(community))
    text = text.replace("snmp: {credential: snmp-lab-v3}", "snmp: {credential: snmp-lab-v2}")
    path = tmp_path / "inventory.yaml"
    path.write_text(text, encoding="utf-8")
    inv = load_inventory([path])
    dumped = json.dumps([assignment_for(inv, a.id) for a in inv.agents])
    for value in [*values.values(), "community-Secret-46"]:
        assert value not in dumped
    assert "env:NW_SSH_PASS" in dumped
    assert f"file:{community}" in dumped  # agent-core's router now uses the v2c credential


def test_etag_is_stable_and_follows_content() -> None:
    inv = load_inventory([CONTRACT])
    document = assignment_for(inv, "agent-so-khcn")
    reordered = dict(reversed(list(document.items())))
    assert etag(reordered) == etag(document)
    assert len(etag(document)) == 64
    changed = json.loads(json.dumps(document))
    changed["devices"][0]["address"] = "198.18.1.3"
    assert etag(changed) != etag(document)
    assert etag(assignment_for(inv, "agent-dc")) != etag(document)


def test_unknown_agent_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        assignment_for(load_inventory([CONTRACT]), "agent-nobody")
