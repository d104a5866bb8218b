"""The probe plan through the kind -> prober table: one job per device and service check, the
real kinds' targets built from the inventory, run through the registry's prober."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from netwarden.agent.probes.fake import FakeProbers
from netwarden.agent.probes.http import HttpTarget
from netwarden.agent.probes.icmp import IcmpPinger, IcmpTarget
from netwarden.agent.probes.plan import ProbeLabels, plan_probes
from netwarden.agent.probes.registry import Probers, real_probers
from netwarden.agent.probes.target_params import TargetParamsError
from netwarden.agent.probes.tcp import TcpTarget
from netwarden.inventory import Inventory, load_inventory

SITE = "so-khcn"
SERVICES = [
    {"id": "portal", "site": SITE, "interval": "30s",
     "check": {"http": {"url": "https://198.18.10.5/", "tls_verify": False, "timeout": "4s"}}},
    {"id": "camera", "site": SITE, "check": {"tcp": {"host": "198.18.1.50", "port": 554}}},
    {"id": "ap", "site": SITE, "interval": "10s",
     "check": {"icmp": {"host": "198.18.1.60", "count": 5, "timeout": "1s"}}},
]  # fmt: skip


def _inventory(tmp_path: Path) -> Inventory:
    doc = {
        "province": "thai-nguyen",
        "agents": [{"id": "agent-a", "site": SITE}],
        "sites": [{"id": SITE, "name": "Sở Khoa học và Công nghệ", "kind": "agency"}],
        "devices": [{"id": "sw-1", "site": SITE, "address": "198.18.1.2", "role": "switch",
                     "icmp": {"interval": "20s", "count": 10, "timeout": "2s"}}],
        "services": SERVICES,
    }  # fmt: skip
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return load_inventory([path])


def test_each_check_kind_becomes_its_target_and_labels(tmp_path: Path) -> None:
    jobs = plan_probes(_inventory(tmp_path), "agent-a", FakeProbers().probers())
    assert set(jobs) == {"device:sw-1", "service:portal", "service:camera", "service:ap"}
    device = jobs["device:sw-1"]
    assert device.labels == ProbeLabels("icmp", "198.18.1.2", SITE, device="sw-1", role="switch")
    # 10 packets spread over 90 % of 20 s, leaving the 2 s timeout for the last reply
    assert device.spec == ("icmp", IcmpTarget("198.18.1.2", 10, 1.6, 2.0), 20.0)
    portal = jobs["service:portal"]
    assert portal.labels == ProbeLabels("http", "https://198.18.10.5/", SITE, service="portal")
    assert portal.spec == (
        "http",
        HttpTarget("https://198.18.10.5/", 200, False, None, 5, 4.0),
        30.0,
    )
    camera = jobs["service:camera"]
    assert camera.labels.target == "198.18.1.50:554"
    assert camera.spec == ("tcp", TcpTarget("198.18.1.50", 554, 5.0), 60.0)
    assert jobs["service:ap"].spec == ("icmp", IcmpTarget("198.18.1.60", 5, 1.6, 1.0), 10.0)


def test_a_job_runs_its_kinds_prober_with_the_deadline(tmp_path: Path) -> None:
    fake = FakeProbers()
    jobs = plan_probes(_inventory(tmp_path), "agent-a", fake.probers())
    asyncio.run(jobs["service:camera"].tick(54.0))
    assert fake.calls == [("tcp", TcpTarget("198.18.1.50", 554, 5.0), 54.0)]
    assert jobs["service:camera"].latest is not None


def test_a_reload_of_the_same_inventory_plans_equal_jobs(tmp_path: Path) -> None:
    probers = FakeProbers().probers()
    first = plan_probes(_inventory(tmp_path), "agent-a", probers)
    again = plan_probes(_inventory(tmp_path), "agent-a", probers)
    assert {k: j.spec for k, j in first.items()} == {k: j.spec for k, j in again.items()}


def test_a_check_without_a_prober_is_skipped(tmp_path: Path) -> None:
    fake = FakeProbers().probers()
    only_icmp = Probers({"icmp": fake["icmp"]})
    assert set(plan_probes(_inventory(tmp_path), "agent-a", only_icmp)) == {
        "device:sw-1",
        "service:ap",
    }


def test_the_real_table_has_every_kind_and_reads_job_params() -> None:
    probers = real_probers(IcmpPinger())
    assert probers.kinds() == ["http", "icmp", "tcp"]
    assert probers.target("icmp", {"host": "h", "spacing": 1}) == IcmpTarget("h", 5, 1.0, 2.0)
    assert probers.target("http", {"url": "http://h/", "expect_status": None}) == HttpTarget(
        "http://h/", None
    )
    with pytest.raises(TargetParamsError, match="target 'timeout' must be a number or null"):
        probers.target("tcp", {"host": "h", "port": 1, "timeout": "5s"})
