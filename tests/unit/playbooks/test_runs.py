"""Runs end to end inside one collector (real SQLite store, the API, the engine's loop), with
fake agents answering their jobs: the built-in link-down playbook started by a webhook, the
agency-side step queued until its agent returns, evidence, timeline, auto-resolve after."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.unit.collector.conftest import Clock
from tests.unit.incidents.webhooks import BASE, alert, body, resolved
from tests.unit.playbooks.collector_rig import Rig
from tests.waiting import wait_for

LINK_DOWN = {"link": "tsl-so-tc", "device": "core-rtr", "ifIndex": "2", "ifName": "wan1"}


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    clock = Clock(BASE + 60)
    found = Rig(tmp_path, clock)
    try:
        yield found
    finally:
        found.close()


def _incident(rig: Rig, incident: str) -> Any:
    return rig.call("GET", f"/api/v1/incidents/{incident}", "viewer")


def test_link_down_runs_from_the_core_then_the_agency_step_when_its_agent_returns(
    rig: Rig,
) -> None:
    fired = alert("NetwardenLinkDown", **LINK_DOWN)
    answer = rig.call("POST", "/api/v1/alerts/alertmanager", "webhook", json=body(fired))
    incident = answer["incidents"][0]
    runs = wait_for(
        "a run", lambda: rig.call("GET", "/api/v1/playbook-runs", "viewer")["runs"], timeout=10
    )
    run_id = runs[0]["id"]
    assert runs[0]["playbook"] == "link-down" and runs[0]["incident"] == incident

    # The core side answers; the agency step waits for the cut-off agent.
    def agency_queued() -> Any:
        rig.serve_jobs("agent-core")
        run = rig.call("GET", f"/api/v1/playbook-runs/{run_id}", "viewer")
        last = run["steps"][-1] if run["steps"] else None
        return run if last and last["step"] == "agency_side" else None

    run = wait_for("the agency step queued", agency_queued, timeout=30)
    steps = {s["step"]: s for s in run["steps"]}
    assert [s["status"] for s in run["steps"][:3]] == ["ok", "ok", "ok"]
    assert steps["ping_far"]["agent"] == "agent-core"
    assert steps["ping_far"]["args"]["host"] == "198.18.1.2"  # the agency end's address
    assert steps["core_interface"]["args"]["oids"][1] == "1.3.6.1.2.1.2.2.1.8.2"
    assert steps["agency_side"]["status"] == "dispatched"
    assert steps["agency_side"]["agent"] == "agent-so-tc"

    # The line comes back: the alert resolves, but the incident waits for the run.
    rig.call("POST", "/api/v1/alerts/alertmanager", "webhook", json=body(resolved(fired, 120)))
    assert _incident(rig, incident)["status"] == "open"

    run = rig.run_until(run_id, "succeeded", agents=("agent-so-tc",))
    assert [s["status"] for s in run["steps"]] == ["ok"] * 4
    assert run["conclusions"] == [
        "The agency end sw-so-tc did not answer from the core: the line or the agency's router "
        "is down."
    ]
    found = wait_for(
        "resolved", lambda: (i := _incident(rig, incident))["status"] == "resolved" and i, 10
    )
    assert found["resolved_by"] == "collector"
    assert len(found["evidence"]) == 4
    first = found["evidence"][0]
    data = rig.record.evidence.path(first["sha256"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == first["sha256"]
    assert first["step"] == f"{run_id}/ping_far" and first["source"] == "agent:agent-core"
    lines = [t["text"] for t in found["timeline"] if t["kind"] == "playbook"]
    assert lines[0].startswith(f"playbook link-down started as {run_id}")
    assert f"{run_id} step agency_side (ping) queued for agent-so-tc" in lines
    assert any(line.startswith(f"{run_id} (link-down) succeeded") for line in lines)


def test_the_same_alert_again_starts_no_second_run(rig: Rig) -> None:
    fired = alert("NetwardenLinkDown", **LINK_DOWN)
    rig.call("POST", "/api/v1/alerts/alertmanager", "webhook", json=body(fired))
    rig.call("POST", "/api/v1/alerts/alertmanager", "webhook", json=body(fired))
    runs = rig.call("GET", "/api/v1/playbook-runs", "viewer")["runs"]
    assert len(runs) == 1


def test_dry_run_renders_every_step_and_its_agent_and_stores_nothing(rig: Rig) -> None:
    alert_body = {"labels": {"alertname": "NetwardenLinkDown", **LINK_DOWN}}
    found = rig.call(
        "POST",
        "/api/v1/playbook-runs",
        json={"playbook": "link-down", "alert": alert_body, "dry_run": True},
    )
    agents = {s["step"]: s.get("agent") for s in found["steps"]}
    assert agents == {
        "ping_far": "agent-core",
        "core_interface": "agent-core",
        "traceroute_far": "agent-core",
        "agency_side": "agent-so-tc",
    }
    assert rig.call("GET", "/api/v1/playbook-runs", "viewer")["runs"] == []
    assert rig.store.take_jobs("agent-core", rig.clock.now) == []


@pytest.mark.parametrize(
    ("playbook", "labels", "agents", "arg"),
    [
        (
            "device-unreachable",
            {"alertname": "NetwardenDeviceDown", "device": "sw-so-tc", "site": "so-tc"},
            {
                "ping_core": "agent-core",
                "route_core": "agent-core",
                "ping_next_hop": None,  # its host comes from route_core's answer
                "ping_local": "agent-so-tc",
                "arp_site": "agent-core",  # the far end of sw-so-tc's line: core-rtr
            },
            ("route_core", "command", "show ip route 198.18.1.2"),
        ),
        (
            "config-change",
            {"alertname": "NetwardenConfigChanged", "device": "core-rtr"},
            {"diff": "agent-core"},
            ("diff", "device", "core-rtr"),
        ),
        (
            "shut-flapping-port",
            {"device": "sw-so-tc", "ifName": "Gi0/3"},
            {"status": "agent-so-tc", "ok_to_shut": "collector", "shut": "agent-so-tc"},
            ("shut", "interface", "Gi0/3"),
        ),
    ],
)
def test_builtins_render_and_place_their_steps(
    rig: Rig, playbook: str, labels: dict[str, str], agents: dict[str, str], arg: Any
) -> None:
    found = rig.call(
        "POST",
        "/api/v1/playbook-runs",
        json={"playbook": playbook, "alert": {"labels": labels}, "dry_run": True},
    )
    assert {s["step"]: s.get("agent") for s in found["steps"]} == agents
    step, key, value = arg
    assert next(s for s in found["steps"] if s["step"] == step)["args"][key] == value


def test_a_started_guarded_run_waits_for_an_admin_before_the_change(rig: Rig) -> None:
    alert_body = {"labels": {"device": "sw-so-tc", "ifName": "Gi0/3"}}
    run = rig.call(
        "POST",
        "/api/v1/playbook-runs",
        json={"playbook": "shut-flapping-port", "alert": alert_body},
    )
    run_id = run["id"]
    rig.run_until(run_id, "waiting", agents=("agent-so-tc",))
    path = f"/api/v1/playbook-runs/{run_id}/steps/ok_to_shut/approve"
    refused = rig.client.post(path, json={}, headers=rig.user("responder"))
    assert refused.status_code == 403
    assert rig.store.take_jobs("agent-so-tc", rig.clock.now) == []  # nothing changed yet
    rig.call("POST", path, "admin", json={"note": "flapping since 9:00"})
    run = rig.run_until(run_id, "succeeded", agents=("agent-so-tc",))
    assert [(s["step"], s["status"]) for s in run["steps"]] == [
        ("status", "ok"),
        ("ok_to_shut", "ok"),
        ("shut", "ok"),
    ]
    assert run["steps"][1]["output"]["by"] == "user:u-admin"
    audit = rig.store.audit_entries(50)
    assert any(e.action == "playbook.approve" and e.target == f"{run_id}/ok_to_shut" for e in audit)


def test_an_agent_long_polling_gets_a_steps_job_at_once(rig: Rig) -> None:
    headers = {"Authorization": f"Bearer {rig.credentials['agent-core']}"}
    polling = rig.client.submit("GET", "/api/v1/agents/agent-core/jobs?wait=50", headers=headers)
    # Until the long-poll holds the agent's wake-up event (it takes it before it looks for
    # jobs): a fixed pause may end before it does, and the job would then be found, not woken.
    signals = rig.client.app.state.nw.signals
    wait_for("the long-poll waiting", lambda: "agent-core" in signals._events, 10, every=0.01)
    assert not polling.done()
    began = time.monotonic()
    body = {"playbook": "config-change", "alert": {"labels": {"device": "core-rtr"}}}
    rig.call("POST", "/api/v1/playbook-runs", json=body)
    jobs = polling.result(timeout=40).json()["jobs"]
    assert [j["kind"] for j in jobs] == ["config_diff"]
    assert time.monotonic() - began < 10  # woken, not answered at the end of its wait
