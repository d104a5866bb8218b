"""bench.agent_tool: the inventory it writes is one the agent accepts, and it reads a round's
progress from the agent's real /metrics text (no lab: the benchmark itself needs one)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.agent_tool import _LAST_SUCCESS, AGENT_ID, agent_inventory
from bench.targets import V3, Device, V2c
from netwarden.agent.metrics.agent_registry import render_one
from netwarden.agent.polling.snapshot import DeviceInfo, DeviceSnapshot
from netwarden.inventory import load_inventory

CREDENTIALS = {
    "snmp-lab-v2": {"snmp": {"version": "2c", "community": "env:NW_TEST_COMMUNITY"}},
    "snmp-lab-v3": {"snmp": {"version": 3, "user": "u", "auth": {"protocol": "sha",
                    "secret": "env:NW_TEST_AUTH"}, "priv": {"protocol": "aes",
                    "secret": "env:NW_TEST_PRIV"}}},
}  # fmt: skip


def test_the_generated_inventory_loads_as_one_pull_agent_polling_every_device(
    tmp_path: Path,
) -> None:
    v3 = V3("u", "sha", "a" * 8, "aes", "p" * 8)
    devices = [Device("sim-00001", "198.18.128.1", V2c("x")), Device("sim-00002",
               "198.18.128.2", v3, timeout=2.0, retries=1)]  # fmt: skip
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(agent_inventory(devices, CREDENTIALS, 20.0)), encoding="utf-8")
    inventory = load_inventory([path])
    (agent,) = inventory.agents
    assert agent.id == AGENT_ID and agent.metrics == "pull"
    polled = inventory.devices_for(AGENT_ID)
    assert [d.id for d in polled] == ["sim-00001", "sim-00002"]
    assert [d.snmp.credential for d in polled if d.snmp] == ["snmp-lab-v2", "snmp-lab-v3"]
    assert all(d.snmp and d.snmp.interval == 20.0 for d in polled)


def test_a_round_is_read_from_the_agents_own_last_success_series() -> None:
    snapshot = DeviceSnapshot(DeviceInfo("sim-00001", "scale", "switch"), 100.0, 0.2, True,
                              last_success=1_800_000_000.5)  # fmt: skip
    page = render_one(snapshot, []).encode()
    assert _LAST_SUCCESS.findall(page) == [(b"sim-00001", b"1800000000.5")]
