"""The engine's corners at runtime: ``for_each`` (one job per item, each rendered and placed
on its own, the outputs as a list), and a job result that comes after its step timed out
(kept on the step as late, with its evidence, the step not re-opened, the run not moved)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netwarden.collector.store.rows import ResultIn
from tests.unit.collector.conftest import Clock
from tests.unit.incidents.webhooks import BASE, alert, body
from tests.unit.playbooks.collector_rig import Rig
from tests.unit.playbooks.test_engine_paths import ENGINE, _show, _start, _until, _wake


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    found = Rig(tmp_path, Clock(BASE + 60), [ENGINE])
    found.books.engine.actions.post = lambda url, body: 204  # no webhook server needed here
    try:
        yield found
    finally:
        found.close()


def _incident(rig: Rig, name: str, **labels: str) -> str:
    hook = body(alert(name, **labels))
    return str(
        rig.call("POST", "/api/v1/alerts/alertmanager", "webhook", json=hook)["incidents"][0]
    )


def test_for_each_runs_one_job_per_item_on_its_own_agent(rig: Rig) -> None:
    run_id = _start(rig, "each-test", alert={"labels": {"alertname": "X", "site": "cg-so-tc"}})
    run = _until(rig, run_id, "the jobs queued", lambda r: r["steps"])
    every = run["steps"][0]
    assert [j["item"]["id"] for j in every["jobs"]] == ["cg-so-tc-sw", "cam-so-tc-01"]
    assert {j["agent"] for j in every["jobs"]} == {"agent-so-tc"}  # the devices name it
    assert [a["device"] for a in every["args"]] == ["cg-so-tc-sw", "cam-so-tc-01"]
    assert sorted(rig.serve_jobs("agent-so-tc")) == ["ping", "ping"]
    run = _until(rig, run_id, "the end", lambda r: r["status"] != "running")
    assert run["status"] == "succeeded", run
    steps = {s["step"]: s for s in run["steps"]}
    assert [o["params"]["device"] for o in steps["every"]["output"]] == [
        "cg-so-tc-sw",
        "cam-so-tc-01",
    ]
    assert (steps["none"]["status"], steps["none"]["output"]) == ("ok", [])  # no AP there
    assert steps["not_a_list"]["status"] == "failed"
    assert steps["not_a_list"]["error"] == "for_each must give a list, not str"
    assert run["conclusions"] == ["cg-so-tc-sw,cam-so-tc-01"]


def test_a_result_after_the_steps_timeout_is_kept_as_late(rig: Rig) -> None:
    incident = _incident(rig, "TestSlowAgent", device="core-rtr")
    run_id = _start(rig, "late-test", incident=incident)
    run = _until(rig, run_id, "the job queued", lambda r: r["steps"])
    job_id = run["steps"][0]["jobs"][0]["job"]
    (taken,) = rig.store.take_jobs("agent-core", rig.clock.now)  # the agent starts, is slow
    assert taken.id == job_id
    rig.clock.now += 5 + 60 + 1  # past the step's timeout and the result's trip back
    run = _until(rig, run_id, "the run's end", lambda r: r["status"] != "running")
    assert run["status"] == "succeeded"
    slow = run["steps"][0]
    assert (slow["status"], slow["late"], slow["output"]) == ("timeout", False, None)
    timeout_error = slow["error"]
    assert timeout_error == "agent agent-core took the job but gave no result within 5 s"

    payload = {"ok": True, "kind": "ping", "output": {"received": 3}, "text": "3 replies"}
    result = ResultIn(str(uuid.uuid4()), "job-result", rig.clock.now, job_id, payload)
    rig.store.add_results("agent-core", [result], rig.clock.now)
    rig.clock.now += 1
    run = _until(rig, run_id, "the late result kept", lambda r: r["steps"][0]["late"])
    slow = run["steps"][0]
    assert slow["status"] == "timeout"  # never re-opened
    assert (slow["output"], slow["text"]) == ({"received": 3}, "3 replies")
    assert slow["error"] == f"{timeout_error}; a late result came afterwards (ok)"
    assert [s["step"] for s in run["steps"]] == ["slow", "tell"]  # the run did not move
    assert run["status"] == "succeeded"

    shown = rig.call("GET", f"/api/v1/incidents/{incident}", "viewer")
    kept = [e for e in shown["evidence"] if e["step"] == f"{run_id}/slow"]
    assert [e["name"] for e in kept] == [f"{run_id}-slow.txt", f"{run_id}-slow-late.txt"]
    assert slow["evidence"] == kept[1]["id"]
    lines = [t["text"] for t in shown["timeline"]]
    assert any(f"{run_id} step slow (ping) late result on agent-core (ok)" in t for t in lines)
    # Kept once: later passes find nothing more to keep.
    assert rig.books.engine.late_results(rig.clock.now) == 0


def test_a_steps_job_is_not_handed_out_again_before_the_step_can_time_out(rig: Rig) -> None:
    run_id = _start(rig, "late-test", device="core-rtr")
    run = _until(rig, run_id, "the job queued", lambda r: r["steps"])
    job_id = run["steps"][0]["jobs"][0]["job"]
    (taken,) = rig.store.take_jobs("agent-core", rig.clock.now)  # the agent starts, is slow
    assert taken.id == job_id
    rig.clock.now += 5 + 60 + 1  # the step's timeout is due, the engine's pass not yet made
    # The agent's next long-poll, before that pass: handed out again, the job's delivered_at
    # would move and the step's timeout with it (a late result would then end it as ok).
    assert rig.store.take_jobs("agent-core", rig.clock.now) == []
    run = _until(rig, run_id, "the run's end", lambda r: r["status"] != "running")
    assert run["steps"][0]["status"] == "timeout"
    payload = {"ok": True, "kind": "ping", "output": {"received": 3}, "text": "3 replies"}
    result = ResultIn(str(uuid.uuid4()), "job-result", rig.clock.now, job_id, payload)
    rig.store.add_results("agent-core", [result], rig.clock.now)
    run = _until(rig, run_id, "the late result kept", lambda r: r["steps"][0]["late"])
    assert run["steps"][0]["status"] == "timeout"


def test_a_late_failure_is_kept_too(rig: Rig) -> None:
    run_id = _start(rig, "late-test", device="core-rtr")
    run = _until(rig, run_id, "the job queued", lambda r: r["steps"])
    job_id = run["steps"][0]["jobs"][0]["job"]
    rig.store.take_jobs("agent-core", rig.clock.now)
    rig.clock.now += 66
    _until(rig, run_id, "the run's end", lambda r: r["status"] != "running")
    payload: dict[str, Any] = {"ok": False, "kind": "ping", "error": "no ICMP socket"}
    rig.store.add_results(
        "agent-core",
        [ResultIn("r-late", "job-result", rig.clock.now, job_id, payload)],
        rig.clock.now,
    )
    run = _until(rig, run_id, "the late result kept", lambda r: r["steps"][0]["late"])
    assert run["steps"][0]["status"] == "timeout"
    assert run["steps"][0]["error"].endswith(
        "a late result came afterwards (failed: no ICMP socket)"
    )
    assert run["steps"][0]["evidence"] is None  # a run without incident keeps no evidence
    rig.client.run(_wake(rig))
    assert _show(rig, run_id)["steps"][0]["late"] is True
