"""The agent against the lab's real snmpd: what /metrics shows, how failures read, reloads."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from netwarden.lab import wan
from tests.lab.agent_process import AgentProcess, fast_inventory
from tests.lab.conftest import Lab
from tests.waiting import wait_for

NW = [sys.executable, "-m", "netwarden"]


@pytest.fixture
def fast(lab: Lab, tmp_path: Path) -> Path:
    return fast_inventory(lab.state.inventory, tmp_path / "inventory.yaml")


@pytest.fixture
def core_agent(fast: Path, tmp_path: Path) -> Iterator[AgentProcess]:
    agent = AgentProcess(fast, "agent-core", tmp_path / "agent.log")
    try:
        agent.wait_ready()
        agent.wait_value("netwarden_device_up", 1, device="core-rtr")  # a poll that answered
        yield agent
    finally:
        agent.stop()


def _poll_json(inventory: Path, device: str) -> tuple[int, dict[str, object]]:
    done = subprocess.run([*NW, "poll", device, "-i", str(inventory), "-o", "json"],
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    return done.returncode, json.loads(done.stdout)


def test_link_cut_shows_as_if_oper_status_2_within_a_poll(
    lab: Lab, core_agent: AgentProcess
) -> None:
    labels = {"device": "core-rtr", "ifName": "wan2"}
    core_agent.wait_value("ifOperStatus", 1, **labels)
    wan.fault(lab.root, "tsl-so-tc", down=True)
    try:
        # One 1 s poll plus snmpd's own interface cache (a few seconds).
        core_agent.wait_value("ifOperStatus", 2, timeout=15, **labels)
        # Each waited for too: the scrape after the one above may show a newer poll, and on a
        # loaded machine a poll can outlast its SNMP timeouts (1 s, one retry; its series then go).
        core_agent.wait_value("ifAdminStatus", 1, **labels)
        core_agent.wait_value("netwarden_device_up", 1, device="core-rtr")
    finally:
        wan.fault(lab.root, "tsl-so-tc", down=False)
    core_agent.wait_value("ifOperStatus", 1, timeout=15, **labels)
    link = core_agent.value("netwarden_link_info", link="tsl-so-tc", device="core-rtr")
    assert link == 1


def test_metrics_carry_inventory_labels_and_exact_if_mib_names(core_agent: AgentProcess) -> None:
    samples = core_agent.samples()
    rows = {labels["ifName"]: labels for labels, _ in samples["ifHCInOctets"]}
    assert rows["wan1"]["ifAlias"] == "TSLCD → Sở Khoa học và Công nghệ"
    assert rows["wan1"]["device"] == "core-rtr"
    assert rows["wan1"]["site"] == "core"
    assert rows["wan1"]["role"] == "router"
    assert "ifHCInOctets_total" not in samples
    assert samples["sysUpTime"][0][1] > 0
    assert core_agent.value("netwarden_snmp_poll_duration_seconds", device="core-rtr") is not None
    assert core_agent.value("netwarden_snmp_last_success_timestamp_seconds", device="core-rtr")


def test_promtool_finds_nothing_about_netwarden_metrics(core_agent: AgentProcess) -> None:
    _, body = core_agent.get("/metrics")
    done = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    findings = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    ours = [f for f in findings if f.startswith("netwarden_")]
    # camelCase label names on netwarden_link_info are the ifName join key, as the issue asks.
    assert all("label names should be written in 'snake_case'" in f for f in ours), ours
    # promtool did read the IF-MIB families: their deliberate camelCase names are flagged.
    assert any(f.startswith("ifHCInOctets ") for f in findings), findings[:5]


def test_poll_values_equal_snmpbulkwalk(lab: Lab, fast: Path) -> None:
    code, snapshot = _poll_json(fast, "sw-so-khcn-core")
    assert code == 0
    walk = subprocess.run(
        ["snmpbulkwalk", "-v2c", "-c", lab.secret("snmp-community"), "-On", "-Oqv",
         "198.18.1.2", "1.3.6.1.2.1.31.1.1.1.1"],
        capture_output=True, text=True, timeout=20, check=True,
    )  # fmt: skip
    names = [line.strip('"') for line in walk.stdout.splitlines()]
    interfaces = snapshot["interfaces"]
    assert isinstance(interfaces, list)
    assert [i["if_name"] for i in interfaces] == names
    for row in interfaces:
        index = row["if_index"]
        after = int(lab.snmp_value("198.18.1.2", f"1.3.6.1.2.1.31.1.1.1.6.{index}", version="2c"))
        assert row["counters"]["ifHCInOctets"] <= after  # counters only grow between the reads
        speed = lab.snmp_value("198.18.1.2", f"1.3.6.1.2.1.31.1.1.1.15.{index}", version="2c")
        assert row["gauges"]["ifHighSpeed"] == int(speed)


def _variant(fast: Path, tmp_path: Path, name: str, change: dict[str, object]) -> Path:
    document = yaml.safe_load(fast.read_text())
    device = next(d for d in document["devices"] if d["id"] == "sw-so-khcn-core")
    device.update(change)
    document["credentials"]["wrong-v2"] = {"snmp": {"version": "2c", "community": "env:NW_WRONG"}}
    wrong = "env:NW_WRONG"
    document["credentials"]["wrong-v3"] = {
        "snmp": {"version": 3, "user": "labv3", "auth": {"protocol": "sha", "secret": wrong},
                 "priv": {"protocol": "aes", "secret": wrong}}
    }  # fmt: skip
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("name", "change", "reasons"),
    [
        ("wrong-community", {"snmp": {"credential": "wrong-v2", "timeout": "300ms", "retries": 0}},
         {"timeout"}),
        ("wrong-v3-key", {"snmp": {"credential": "wrong-v3", "timeout": "1s", "retries": 0}},
         {"auth"}),
        ("nothing-listening", {"snmp": {"credential": "snmp-lab-v3", "port": 1161,
                                        "timeout": "1s", "retries": 0}}, {"refused"}),
        ("no-such-host", {"address": "198.18.99.99",
                          "snmp": {"credential": "snmp-lab-v3", "timeout": "300ms", "retries": 0}},
         {"timeout", "unreachable"}),
    ],
)  # fmt: skip
def test_failures_are_data_with_a_bounded_reason(
    fast: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    name: str, change: dict[str, object], reasons: set[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("NW_WRONG", "definitely-wrong-secret")
    code, snapshot = _poll_json(_variant(fast, tmp_path, name, change), "sw-so-khcn-core")
    assert code == 1
    assert snapshot["up"] is False
    assert set(snapshot["errors"]) <= reasons  # type: ignore[arg-type]
    assert snapshot["errors"]


def test_reload_applies_a_good_inventory_and_keeps_the_old_on_a_bad_one(
    fast: Path, tmp_path: Path
) -> None:
    agent = AgentProcess(fast, "agent-dc", tmp_path / "agent.log")
    try:
        agent.wait_ready()
        agent.wait_value("netwarden_device_up", 1, device="dc-db-01")
        document = yaml.safe_load(fast.read_text())
        document["devices"] = [d for d in document["devices"] if d["id"] != "dc-db-01"]
        document["links"] = [
            link for link in document["links"] if "dc-db-01" not in (link["a"].get("device"),
                                                                      link["b"].get("device"))
        ]  # fmt: skip
        # No signal: the agent notices the changed file by itself.
        fast.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
        wait_for(
            "the removed device gone from /metrics",
            lambda: agent.value("netwarden_device_up", device="dc-db-01") is None,
            30,
        )
        assert agent.value("netwarden_agent_inventory_reload_success") == 1
        agent.wait_value("netwarden_device_up", 1, device="dc-web-01")  # still polled
        # SIGHUP reloads an unchanged file at once (the file watcher would not).
        before = agent.value("netwarden_agent_inventory_reload_timestamp_seconds")
        assert before is not None
        agent.hup()
        wait_for("a reload after SIGHUP", lambda: (agent.value(
            "netwarden_agent_inventory_reload_timestamp_seconds") or 0) > before, 30)  # fmt: skip
        fast.write_text("province: [this is not an inventory\n")
        agent.wait_value("netwarden_agent_inventory_reload_success", 0)
        wait_for("the rejection logged",
                 lambda: "inventory reload rejected" in agent.log.read_text(), 10)  # fmt: skip
        # Still polling (waited for: the newest poll may have outlasted its SNMP timeouts on a
        # loaded machine, which shows as 0 until the next one).
        agent.wait_value("netwarden_device_up", 1, device="dc-web-01")
    finally:
        agent.stop()


def test_agent_behind_nat_polls_its_agency_from_inside(fast: Path, tmp_path: Path) -> None:
    agent = AgentProcess(fast, "agent-p-phan-dinh-phung", tmp_path / "agent.log", ns="nwl-a3")
    try:
        agent.wait_ready()
        agent.wait_value("netwarden_device_up", 1, device="sw-p-phan-dinh-phung-core")
        agent.wait_value("ifOperStatus", 1, device="sw-p-phan-dinh-phung-core", ifName="wan0")
    finally:
        agent.stop()
