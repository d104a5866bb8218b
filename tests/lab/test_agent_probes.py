"""Probes inside the running agent: ICMP for every device, the services' TCP and HTTPS checks,
a stopped camera seen within one interval, certificate days left from the portal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from netwarden.lab import wan
from tests.lab.agent_process import AgentProcess, fast_inventory
from tests.lab.conftest import Lab


@pytest.fixture
def fast(lab: Lab, tmp_path: Path) -> Path:
    return fast_inventory(lab.state.inventory, tmp_path / "inventory.yaml", interval="2s")


@pytest.fixture
def khcn_agent(fast: Path, tmp_path: Path) -> Iterator[AgentProcess]:
    agent = AgentProcess(fast, "agent-so-khcn", tmp_path / "agent.log")
    try:
        agent.wait_ready()
        yield agent
    finally:
        agent.stop()


def test_every_device_is_pinged_with_smokeping_statistics(khcn_agent: AgentProcess) -> None:
    labels = {"probe": "icmp", "device": "sw-so-khcn-core"}
    khcn_agent.wait_value("netwarden_probe_success", 1, **labels)
    assert khcn_agent.value("netwarden_probe_icmp_loss_ratio", **labels) == 0
    assert khcn_agent.value("netwarden_probe_icmp_packets_sent", **labels) == 5
    rtt = {
        got["stat"]: value
        for got, value in khcn_agent.samples()["netwarden_probe_icmp_rtt_seconds"]
        if got.get("device") == "sw-so-khcn-core"
    }
    assert set(rtt) == {"min", "avg", "max", "p50", "p95"}
    assert 0 < rtt["min"] <= rtt["avg"] <= rtt["max"] < 0.5
    # The agency's endpoints are devices too: the camera is pinged as well.
    khcn_agent.wait_value("netwarden_probe_success", 1, probe="icmp", device="cam-so-khcn")


def test_a_stopped_camera_fails_its_probes_within_one_interval(
    lab: Lab, khcn_agent: AgentProcess
) -> None:
    tcp = {"probe": "tcp", "service": "svc-cam-so-khcn"}
    khcn_agent.wait_value("netwarden_probe_success", 1, **tcp)
    wan.fault(lab.root, "cam-so-khcn", down=True)
    try:
        # One 2 s interval plus the probe's own 2 s deadline; the rest is margin for a loaded
        # machine (still well short of what a missed interval or a stuck probe would take).
        khcn_agent.wait_value("netwarden_probe_success", 0, timeout=12, **tcp)
        khcn_agent.wait_value("netwarden_probe_success", 0, timeout=12, probe="icmp",
                              device="cam-so-khcn")  # fmt: skip
        failures = [
            got["reason"]
            for got, _ in khcn_agent.samples()["netwarden_probe_failures_total"]
            if got.get("service") == "svc-cam-so-khcn"
        ]
        assert failures
        assert set(failures) <= {"timeout", "unreachable", "refused"}
        # Everything else at the agency is still fine.
        khcn_agent.wait_value("netwarden_probe_success", 1, probe="icmp",
                              device="sw-so-khcn-core")  # fmt: skip
    finally:
        wan.fault(lab.root, "cam-so-khcn", down=False)
    # Restored, and seen so: the camera answers both probes again before the lab moves on.
    khcn_agent.wait_value("netwarden_probe_success", 1, timeout=12, **tcp)
    khcn_agent.wait_value("netwarden_probe_success", 1, timeout=12, probe="icmp",
                          device="cam-so-khcn")  # fmt: skip


def test_portal_certificates_report_their_days_left(fast: Path, tmp_path: Path) -> None:
    agent = AgentProcess(fast, "agent-dc", tmp_path / "agent.log")
    try:
        agent.wait_ready()
        expected = {"cong-dvc": 90, "cong-dvc-cu": 5, "cong-dvc-het-han": -3}
        for service, days in expected.items():
            agent.wait_value("netwarden_probe_success", 1, probe="http", service=service)
            left = agent.value("netwarden_probe_tls_days_left", service=service)
            assert left is not None
            assert days - 0.2 < left <= days, (service, left)
            assert agent.value("netwarden_probe_http_status_code", service=service) == 200
    finally:
        agent.stop()
