"""The network built-ins' decisions on answers the lab cannot make (a port counting errors), with
fake agents answering the jobs inside one real collector; and the ``uplink`` a template sees.
The lab runs them against real devices (tests/lab/test_playbooks_network.py)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netwarden.collector.store.rows import ResultIn
from netwarden.playbooks.collector_actions import CollectorActions
from netwarden.playbooks.context import uplink_context
from tests.unit.collector.conftest import Clock
from tests.unit.incidents.province import province
from tests.unit.incidents.webhooks import BASE, alert, body
from tests.unit.playbooks.collector_rig import Rig
from tests.waiting import wait_for

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    found = Rig(tmp_path, Clock(BASE + 60))
    try:
        yield found
    finally:
        found.close()


def _values(oids: list[str], figures: dict[str, int]) -> list[dict[str, Any]]:
    """snmp_get's values: each OID's column (its last-but-one arc) read from ``figures``."""
    column = {"1.3.6.1.2.1.1.3": "uptime"} | {
        f"1.3.6.1.2.1.2.2.1.{n}": name
        for n, name in (
            (7, "admin"),
            (8, "oper"),
            (9, "last"),
            (13, "in_discards"),
            (14, "in_errors"),
            (19, "out_discards"),
            (20, "out_errors"),
        )
    }
    return [
        {"oid": oid, "type": "Counter32", "value": figures[column[oid.rsplit(".", 1)[0]]]}
        for oid in oids
    ]


class FakeDevices:
    """Agents' answers: each device's counters grow by ``growth`` between two reads."""

    def __init__(
        self, growth: dict[str, dict[str, int]], loss: float = 0.0, p95: float = 0.004
    ) -> None:
        self.growth, self.loss, self.p95, self.reads = growth, loss, p95, Counter[str]()
        self.met = False

    def __call__(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        output: dict[str, Any]
        if kind == "snmp_get":
            device = params["device"]
            read = self.reads[device]
            self.reads[device] += 1
            base = {
                "uptime": 100_000,
                "admin": 1,
                "oper": 1,
                "last": 4_000,
                "in_errors": 7,
                "out_errors": 0,
                "in_discards": 0,
                "out_discards": 0,
            }
            grown = {k: v + read * self.growth.get(device, {}).get(k, 0) for k, v in base.items()}
            output = {"device": device, "values": _values(params["oids"], grown)}
        elif kind == "snmp_walk":
            rows = [
                {"oid": f"{IF_DESCR}.{i}", "type": "STRING", "value": name}
                for i, name in ((1, "wan1"), (3, "wan0"))
            ]
            output = {"device": params["device"], "rows": rows, "truncated": False, "total": 2}
        elif kind == "ping":
            output = {
                "host": params["host"],
                "sent": 50,
                "received": round(50 * (1 - self.loss)),
                "loss_ratio": self.loss,
                "rtt": {"p95": self.p95},
                "jitter": 0.012,
            }
        elif self.met:  # wait_until: the port changed state
            output = {"met": True, "checks": 3, "after_seconds": 1.04, "last": None}
        else:  # wait_until: the port kept its state
            output = {"met": False, "checks": 60, "after_seconds": 30.0, "last": None}
            return {
                "ok": False,
                "kind": kind,
                "output": output,
                "text": "not met",
                "error": "condition not met within 30 s",
            }
        return {"ok": True, "kind": kind, "output": output, "text": f"{kind}: {output}"}


def _run(rig: Rig, playbook: str, labels: dict[str, str], devices: FakeDevices) -> Any:
    found = rig.call(
        "POST", "/api/v1/playbook-runs", json={"playbook": playbook, "alert": {"labels": labels}}
    )
    run_id = found["id"]
    agents = ("agent-core", "agent-so-tc")

    def serve() -> Any:
        for agent in agents:
            rig.serve_jobs(agent, devices)
        run = rig.call("GET", f"/api/v1/playbook-runs/{run_id}", "viewer")
        return run if run["status"] not in ("running", "waiting") else None

    # Each of the run's steps needs a poll to serve its jobs: a short pause between polls
    # (a few SQLite reads each) instead of wait_for's 0.25 s, paid once per step.
    return wait_for(f"{playbook} ended", serve, timeout=30, every=0.1)


def test_interface_trouble_counts_the_errors_of_the_interval(rig: Rig) -> None:
    labels = {
        "alertname": "NetwardenInterfaceErrors",
        "device": "sw-so-tc",
        "ifIndex": "3",
        "ifName": "wan0",
        "direction": "in",
    }
    growth = {"sw-so-tc": {"uptime": 3000, "in_errors": 120, "out_errors": 3}}
    now = rig.clock.now
    table = (
        (1200, "linkDown", "sw-so-tc", "wan0"),  # too old
        (40, "linkDown", "sw-so-tc", "wan0"),
        (35, "linkDown", "core-rtr", "wan1"),  # another device
        (30, "linkUp", "sw-so-tc", "wan0"),
    )
    logged = [
        ResultIn(
            str(uuid.uuid4()),
            "device-event",
            now - ago,
            None,
            {"source": "trap", "kind": kind, "device": device, "message": f"{kind} {port}"},
        )
        for ago, kind, device, port in table
    ]
    rig.store.add_results("agent-so-tc", logged, now)
    run = _run(rig, "interface-trouble", labels, FakeDevices(growth))
    assert run["status"] == "succeeded", run
    log = next(s for s in run["steps"] if s["step"] == "device_log")
    assert (log["agent"], log["output"]["count"], log["output"]["truncated"]) == (
        "collector",
        2,
        False,
    )
    assert [e["message"] for e in log["output"]["events"]] == ["linkDown wan0", "linkUp wan0"]
    assert run["conclusions"][2:] == [
        "sw-so-tc logged 2 events in the last 15 minutes; the last: linkUp wan0"
    ]
    assert run["conclusions"][:2] == [
        "sw-so-tc wan0 kept its state for the 30 s we watched (oper status up, last change 990 s"
        " ago).",
        "sw-so-tc wan0 counted 120 input and 3 output errors in 30.0 s: the port, its cable or"
        " optic, or a duplex mismatch.",
    ]


def test_interface_trouble_a_port_shut_while_watched_is_not_a_flap(rig: Rig) -> None:
    labels = {
        "alertname": "NetwardenLinkFlapping",
        "device": "sw-so-tc",
        "ifIndex": "3",
        "ifName": "wan0",
        "link": "tsl-so-tc",
    }
    devices = FakeDevices({"sw-so-tc": {"uptime": 200, "admin": 1, "oper": 1, "last": 90}})
    devices.met = True
    run = _run(rig, "interface-trouble", labels, devices)
    assert run["conclusions"][0] == (
        "sw-so-tc wan0 changed state again while we watched (within 1.0 s; oper status now"
        " down): it is administratively down now: someone shut it, so check the change log"
        " before the cable."
    )


def test_link_degraded_names_the_port_that_counts_errors(rig: Rig) -> None:
    labels = {
        "alertname": "NetwardenLinkDegraded",
        "device": "sw-so-tc",
        "link": "tsl-so-tc",
        "symptom": "loss",
    }
    run = _run(rig, "link-degraded", labels, FakeDevices({"sw-so-tc": {"in_errors": 40}}, 0.2))
    assert run["status"] == "succeeded", run
    steps = {s["step"]: s for s in run["steps"]}
    assert steps["near_before"]["args"]["oids"][0] == "1.3.6.1.2.1.2.2.1.14.3"  # wan0's ifIndex
    assert steps["far_before"]["args"]["oids"][1] == "1.3.6.1.2.1.2.2.1.20.1"  # wan1's
    assert (steps["ping_from_far"]["agent"], steps["ping_from_near"]["agent"]) == (
        "agent-core",
        "agent-so-tc",
    )
    assert run["conclusions"] == [
        "sw-so-tc wan0 counted 40 input and 0 output errors during the pings: that end's port,"
        " cable or optic is bad."
    ]


def test_link_degraded_without_errors_blames_the_line(rig: Rig) -> None:
    labels = {"alertname": "NetwardenLinkDegraded", "device": "sw-so-tc", "link": "tsl-so-tc"}
    run = _run(rig, "link-degraded", labels, FakeDevices({}, 0.3))
    assert run["conclusions"] == [
        "The line tsl-so-tc itself loses packets: 30.0% of pings from core-rtr to sw-so-tc and"
        " 30.0% the other way were lost, while neither port (sw-so-tc wan0, core-rtr wan1)"
        " counted an error: the loss is between the ports, on the provider's line; report it"
        " with these figures."
    ]


def test_link_degraded_a_slow_clean_line(rig: Rig) -> None:
    labels = {
        "alertname": "NetwardenLinkDegraded",
        "device": "sw-so-tc",
        "link": "tsl-so-tc",
        "symptom": "latency",
    }
    run = _run(rig, "link-degraded", labels, FakeDevices({}, 0.0, p95=0.1504))
    assert run["conclusions"] == [
        "Round trips across tsl-so-tc are slow: p95 150.4 ms from core-rtr, jitter 12.0 ms."
    ]


def test_uplink_is_the_devices_own_link_from_its_b_end_first() -> None:
    inventory = province()
    web = uplink_context(inventory, "dc-web")
    assert web is not None and web["id"] == "lan-dc-web"
    assert (web["near"]["device"], web["far"]["device"], web["far"]["interface"]) == (
        "dc-web",
        "dc-sw",
        "p1",
    )
    assert web["far"]["site"] == "dc" and web["far"]["address"] == "198.18.10.2"
    switch = uplink_context(inventory, "sw-so-tc")  # a at lan-so-tc-1, b at tsl-so-tc
    assert switch is not None and switch["id"] == "tsl-so-tc"
    assert switch["far"]["device"] == "core-rtr"
    assert uplink_context(inventory, "srv-so-tc") is None  # no link names it
    assert uplink_context(inventory, "hs-sw") is None  # only a link to an external end


@pytest.mark.parametrize(
    ("name", "labels", "playbook"),
    [
        ("NetwardenInterfaceErrors", {"device": "sw-so-tc", "ifIndex": "3", "ifName": "wan0"},
         "interface-trouble"),
        ("NetwardenLinkFlapping", {"device": "core-rtr", "ifIndex": "1", "ifName": "wan1",
                                   "link": "tsl-so-tc"}, "interface-trouble"),
        ("NetwardenLinkDegraded", {"device": "sw-so-tc", "link": "tsl-so-tc"}, "link-degraded"),
        ("NetwardenDeviceDown", {"device": "srv-so-tc", "site": "so-tc"}, "device-unreachable"),
    ],
)  # fmt: skip
def test_the_alert_starts_its_playbook(
    rig: Rig, name: str, labels: dict[str, str], playbook: str
) -> None:
    fired = alert(name, severity="warning", **labels)
    rig.call("POST", "/api/v1/alerts/alertmanager", "webhook", json=body(fired))
    runs = rig.call("GET", "/api/v1/playbook-runs", "viewer")["runs"]
    assert [r["playbook"] for r in runs] == [playbook]


def test_events_keeps_the_newest_and_says_when_it_cut() -> None:
    asked: list[tuple[str, float, float, int]] = []

    def reader(device: str, since: float, until: float, limit: int) -> list[dict[str, Any]]:
        asked.append((device, since, until, limit))
        return [
            {
                "at": 1000.0 + i,
                "source": "syslog",
                "kind": "syslog",
                "severity": None,
                "message": f"line {i}",
            }
            for i in range(limit)
        ]

    outcome = CollectorActions(event_reader=reader).events(
        {"device": "sw-so-tc", "window": 60.0, "limit": 3}, now=2000.0
    )
    assert asked == [("sw-so-tc", 1940.0, 2000.0, 4)]
    assert outcome.output["truncated"] is True and outcome.output["count"] == 3
    assert [e["message"] for e in outcome.output["events"]] == ["line 1", "line 2", "line 3"]
    assert outcome.text.splitlines() == [
        "3 events of sw-so-tc in the last 60 s (the newest)",
        "1970-01-01 00:16:41Z syslog syslog: line 1",
        "1970-01-01 00:16:42Z syslog syslog: line 2",
        "1970-01-01 00:16:43Z syslog syslog: line 3",
    ]
