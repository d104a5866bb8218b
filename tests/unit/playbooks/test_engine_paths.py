"""The engine's paths with a clock the test moves: retry then goto, a template error as a
failed step, `when` false, a job that expires in the queue, an approval that times out, a lock,
and a collector action found in flight after a restart (interrupted, never run again)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netwarden.collector.store.playbook_schema import playbook_steps
from tests.unit.collector.conftest import Clock
from tests.unit.incidents.webhooks import BASE
from tests.unit.playbooks.collector_rig import Rig
from tests.waiting import wait_for

ENGINE = Path(__file__).parents[2] / "data" / "playbooks" / "engine"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    found = Rig(tmp_path, Clock(BASE + 60), [ENGINE])
    found.books.engine.actions.post = lambda url, body: 204  # no webhook server needed here
    try:
        yield found
    finally:
        found.close()


def _start(rig: Rig, playbook: str, **body: Any) -> str:
    found = rig.call("POST", "/api/v1/playbook-runs", json={"playbook": playbook, **body})
    return str(found["id"])


def _show(rig: Rig, run_id: str) -> Any:
    return rig.call("GET", f"/api/v1/playbook-runs/{run_id}", "viewer")


def _until(rig: Rig, run_id: str, what: str, check: Any) -> Any:
    def done() -> Any:
        rig.client.run(_wake(rig))
        run = _show(rig, run_id)
        return run if check(run) else None

    return wait_for(what, done, timeout=20)


async def _wake(rig: Rig) -> None:
    rig.books.wake.set()


def _fail(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"ok": False, "kind": kind, "error": "no answer from the device"}


def test_retry_then_goto_then_a_template_error(rig: Rig) -> None:
    run_id = _start(rig, "flow-test", device="core-rtr")
    _until(rig, run_id, "the first job", lambda r: r["steps"])
    assert rig.serve_jobs("agent-core", _fail) == ["ping"]
    _until(rig, run_id, "the first attempt failed", lambda r: r["steps"][0]["status"] == "failed")
    rig.clock.now += 2  # past the retry's delay
    _until(rig, run_id, "the retry", lambda r: len(r["steps"]) == 2)
    assert rig.serve_jobs("agent-core", _fail) == ["ping"]
    run = _until(rig, run_id, "the end", lambda r: r["status"] == "failed")
    steps = [(s["step"], s["attempt"], s["status"]) for s in run["steps"]]
    assert steps == [
        ("first", 1, "failed"),
        ("first", 2, "failed"),
        ("after_goto", 1, "skipped"),  # when false, its bad template never rendered
        ("late", 1, "failed"),
    ]
    assert run["steps"][3]["error"] == "'dict object' has no attribute 'nope'"
    assert run["reason"] == "step late failed: 'dict object' has no attribute 'nope'"


def test_a_lock_refuses_a_second_run_on_the_same_device(rig: Rig) -> None:
    _start(rig, "flow-test", device="core-rtr")
    answer = rig.client.post(
        "/api/v1/playbook-runs",
        json={"playbook": "flow-test", "device": "core-rtr"},
        headers=rig.user("responder"),
    )
    assert answer.status_code == 409
    assert "device:core-rtr is locked by run RUN-" in answer.json()["error"]


def test_an_expired_job_and_a_timed_out_approval(rig: Rig) -> None:
    run_id = _start(rig, "waits-test", device="core-rtr")
    run = _until(rig, run_id, "the job queued", lambda r: r["steps"])
    job = run["steps"][0]["jobs"][0]["job"]
    rig.clock.now += 61
    run = _until(rig, run_id, "the expiry", lambda r: r["steps"][0]["status"] == "expired")
    assert run["steps"][0]["error"] == "agent agent-so-tc did not take the job before it expired"
    assert rig.store.job(job).state == "expired"  # type: ignore[union-attr]
    assert rig.serve_jobs("agent-so-tc") == []  # a late agent never gets it
    run = _until(rig, run_id, "the approval", lambda r: r["status"] == "waiting")
    rig.clock.now += 121
    run = _until(rig, run_id, "the end", lambda r: r["status"] == "succeeded")
    assert [s["status"] for s in run["steps"]] == ["expired", "timeout", "ok"]
    assert run["steps"][1]["error"] == "no decision within 120 s"


def test_a_collector_action_in_flight_at_a_restart_is_interrupted(rig: Rig) -> None:
    run_id = _start(rig, "waits-test", device="core-rtr")
    _until(rig, run_id, "the job queued", lambda r: r["steps"])
    # What a collector killed inside notify leaves behind: a step row marked running.
    with rig.store.engine.begin() as conn:
        conn.execute(
            playbook_steps.insert().values(
                run_id=run_id,
                seq=99,
                step_id="tell",
                attempt=1,
                action="notify",
                status="running",
                jobs="[]",
                created_at=rig.clock.now,
                late=False,
            )
        )
    assert rig.books.engine.recover(rig.clock.now) == 1
    run = _show(rig, run_id)
    tell = run["steps"][-1]
    assert tell["status"] == "interrupted"
    assert tell["error"].startswith("interrupted: the collector stopped while this step ran")


def test_report_makes_the_incidents_draft_as_evidence(rig: Rig) -> None:
    from tests.unit.incidents.webhooks import alert, body

    fired = alert("NetwardenLinkDown", link="tsl-so-yt", device="core-rtr", ifIndex="3")
    incident = rig.call("POST", "/api/v1/alerts/alertmanager", "webhook", json=body(fired))[
        "incidents"
    ][0]
    run_id = _start(rig, "report-test", incident=incident)
    run = _until(rig, run_id, "the end", lambda r: r["status"] != "running")
    assert run["status"] == "succeeded", run
    draft = run["steps"][0]
    assert draft["output"]["form"] == "notice" and draft["output"]["size"] > 100
    shown = rig.call("GET", f"/api/v1/incidents/{incident}", "viewer")
    evidence = next(e for e in shown["evidence"] if e["step"] == f"{run_id}/draft")
    assert evidence["name"] == f"{incident}-notice.md"
    assert evidence["sha256"] == draft["output"]["sha256"]
    assert "report-made" in [t["kind"] for t in shown["timeline"]]


def test_pruning_an_incident_prunes_its_runs(rig: Rig) -> None:
    from tests.unit.incidents.webhooks import alert, body

    fired = alert("NetwardenLinkDown", link="tsl-so-yt", device="core-rtr", ifIndex="3")
    incident = rig.call("POST", "/api/v1/alerts/alertmanager", "webhook", json=body(fired))[
        "incidents"
    ][0]
    assert len(rig.call("GET", "/api/v1/playbook-runs", "viewer")["runs"]) == 1
    rig.call("POST", f"/api/v1/incidents/{incident}/resolve", json={"summary": "fixed"})
    rig.call("POST", f"/api/v1/incidents/{incident}/close", "admin", json={"summary": "done"})
    ids, _ = rig.record.store.prune(rig.clock.now + 1, "test", rig.clock.now + 1)
    assert ids == [incident]
    assert rig.call("GET", "/api/v1/playbook-runs", "viewer")["runs"] == []
