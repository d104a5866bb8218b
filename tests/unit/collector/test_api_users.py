"""User routes: the roles matrix, fleet states, revocation, jobs, results, audit, SD."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.collector.asgi_client import AsgiClient
from tests.unit.collector.conftest import Clock, Fleet, bearer, heartbeat_body
from tests.waiting import wait_for

AGENT = "agent-so-khcn"

# (method, path, json body, lowest role allowed)
USER_ROUTES: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", "/api/v1/fleet", None, "viewer"),
    ("GET", "/api/v1/sd", None, "viewer"),
    ("GET", f"/api/v1/agents/{AGENT}/results", None, "viewer"),
    ("GET", "/api/v1/configs", None, "viewer"),
    ("POST", f"/api/v1/agents/{AGENT}/jobs", {"kind": "echo", "params": {"a": 1}}, "responder"),
    ("GET", "/api/v1/audit", None, "admin"),
    ("POST", f"/api/v1/agents/{AGENT}/revoke", None, "admin"),
]
RANK = {"viewer": 0, "responder": 1, "admin": 2}


@pytest.mark.parametrize(("method", "path", "body", "needed"), USER_ROUTES)
def test_roles_matrix(
    fleet: Fleet, client: AsgiClient, method: str, path: str, body: Any, needed: str
) -> None:
    cred = fleet.enrol()
    # Revocation last: run the allowed roles from the lowest, so admin's revoke comes last.
    for role in ("viewer", "responder", "admin"):
        answer = client.request(method, path, headers=fleet.user(role), json=body)
        if RANK[role] >= RANK[needed]:
            assert answer.status_code == 200, (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.text)
            assert f"needs the {needed} role" in answer.json()["error"]
    # An agent credential is valid but is no user: 403. No token or a bad one: 401.
    assert client.request(method, path, headers=bearer(cred), json=body).status_code in (401, 403)
    assert client.request(method, path, json=body).status_code == 401
    bad = client.request(method, path, headers=bearer("nwu.u-admin.wrong"), json=body)
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"


def test_agent_credential_only_works_on_its_own_routes(fleet: Fleet, client: AsgiClient) -> None:
    mine = fleet.enrol()
    fleet.enrol("agent-dc", "dc")
    for method, path in [("POST", "heartbeat"), ("GET", "assignment"), ("GET", "jobs"),
                         ("POST", "results")]:  # fmt: skip
        answer = client.request(method, f"/api/v1/agents/agent-dc/{path}", headers=bearer(mine),
                                json=heartbeat_body(fleet.clock))  # fmt: skip
        assert answer.status_code == 403, path
        assert "agent-so-khcn" in answer.json()["error"]
    as_user = client.get(f"/api/v1/agents/{AGENT}/assignment", headers=fleet.user("admin"))
    assert as_user.status_code == 403


def test_fleet_states_follow_heartbeats(fleet: Fleet, client: AsgiClient, clock: Clock) -> None:
    cred = fleet.enrol()
    fleet.join("agent-dc", "dc")  # pending: never enrolled
    fleet.enrol("agent-core", "core")
    client.post(f"/api/v1/agents/{AGENT}/heartbeat", headers=bearer(cred),
                json=heartbeat_body(clock))  # fmt: skip
    client.post("/api/v1/agents/agent-core/revoke", headers=fleet.user("admin"))

    def states() -> dict[str, str]:
        agents = client.get("/api/v1/fleet", headers=fleet.user("viewer")).json()["agents"]
        return {a["id"]: a["state"] for a in agents}

    assert states() == {AGENT: "up", "agent-dc": "never", "agent-core": "revoked"}
    clock.now += 46  # default stale_after: 45 s
    assert states()[AGENT] == "stale"
    listed = client.get("/api/v1/fleet", headers=fleet.user("viewer")).json()["agents"]
    row = next(a for a in listed if a["id"] == AGENT)
    assert set(row) == {"id", "site", "state", "last_seen", "version", "devices_assigned",
                        "devices_healthy", "queue_depth", "spool_depth", "spool_oldest_age",
                        "clock_offset", "advertise"}  # fmt: skip
    assert row["queue_depth"] == 3
    assert row["clock_offset"] == 2.5


def test_revoked_agent_is_refused_with_its_name(fleet: Fleet, client: AsgiClient) -> None:
    cred = fleet.enrol()
    # Authenticated a moment ago (so remembered by the collector): the revoke still holds at once.
    accepted = client.post(f"/api/v1/agents/{AGENT}/heartbeat", headers=bearer(cred),
                           json=heartbeat_body(fleet.clock))  # fmt: skip
    assert accepted.status_code == 200
    answer = client.post(f"/api/v1/agents/{AGENT}/revoke", headers=fleet.user("admin"))
    assert answer.json() == {"agent": AGENT, "revoked": True}
    refused = client.post(f"/api/v1/agents/{AGENT}/heartbeat", headers=bearer(cred),
                          json=heartbeat_body(fleet.clock))  # fmt: skip
    assert refused.status_code == 401
    assert refused.json() == {"error": f"agent {AGENT} is revoked"}


def test_unknown_agent_is_404_on_user_routes(fleet: Fleet, client: AsgiClient) -> None:
    for method, path, body in [("POST", "revoke", None), ("POST", "jobs", {"kind": "echo"}),
                               ("GET", "results", None)]:  # fmt: skip
        answer = client.request(method, f"/api/v1/agents/agent-nobody/{path}",
                                headers=fleet.user("admin"), json=body)  # fmt: skip
        assert answer.status_code == 404, path
        assert "agent-nobody" in answer.json()["error"]


def test_jobs_are_delivered_once_and_audited(fleet: Fleet, client: AsgiClient) -> None:
    cred = fleet.enrol()
    created = client.post(f"/api/v1/agents/{AGENT}/jobs", headers=fleet.user("responder"),
                          json={"kind": "echo", "params": {"text": "xin chào"}})  # fmt: skip
    job_id = created.json()["id"]
    taken = client.get(f"/api/v1/agents/{AGENT}/jobs", headers=bearer(cred)).json()["jobs"]
    assert [(j["id"], j["kind"], j["params"]) for j in taken] == [
        (job_id, "echo", {"text": "xin chào"})]  # fmt: skip
    assert taken[0]["created_at"] == fleet.clock.now
    assert client.get(f"/api/v1/agents/{AGENT}/jobs", headers=bearer(cred)).json() == {"jobs": []}
    entries = client.get("/api/v1/audit", headers=fleet.user("admin")).json()["entries"]
    job_entries = [e for e in entries if e["target"] == AGENT and "job" in e["action"]]
    assert job_entries and job_entries[0]["actor"] == "user:u-responder"
    assert set(entries[0]) == {"at", "actor", "action", "target", "detail"}


def test_job_for_a_revoked_agent_is_refused(fleet: Fleet, client: AsgiClient) -> None:
    fleet.enrol()
    client.post(f"/api/v1/agents/{AGENT}/revoke", headers=fleet.user("admin"))
    answer = client.post(f"/api/v1/agents/{AGENT}/jobs", headers=fleet.user("admin"),
                         json={"kind": "echo"})  # fmt: skip
    assert answer.status_code == 409


def test_job_body_is_strict(fleet: Fleet, client: AsgiClient) -> None:
    fleet.enrol()
    url = f"/api/v1/agents/{AGENT}/jobs"
    for body, field in [({"kind": "echo", "parms": {}}, "parms"), ({"kind": 3}, "kind"),
                        ({"kind": "echo", "params": [1]}, "params"), ({}, "kind")]:  # fmt: skip
        answer = client.post(url, headers=fleet.user("admin"), json=body)
        assert answer.status_code == 400
        assert answer.json()["error"].startswith(field), answer.json()


def _wait_until_long_polling(client: AsgiClient) -> None:
    """Until the jobs route holds the agent's wake-up event (it takes it before it looks for
    jobs, then waits on it): from then on, a new job or a shutdown must wake it."""
    signals = client.app.state.nw.signals
    wait_for("the long-poll waiting", lambda: AGENT in signals._events, 10, every=0.01)


def test_long_poll_returns_at_once_when_a_job_is_created(fleet: Fleet, client: AsgiClient) -> None:
    cred = fleet.enrol()
    start = time.monotonic()
    waiting = client.submit("GET", f"/api/v1/agents/{AGENT}/jobs?wait=30", headers=bearer(cred))
    _wait_until_long_polling(client)
    assert not waiting.done()  # it is waiting, not answering at once
    client.post(f"/api/v1/agents/{AGENT}/jobs", headers=fleet.user("responder"),
                json={"kind": "echo"})  # fmt: skip
    jobs = waiting.result(10).json()["jobs"]
    assert [j["kind"] for j in jobs] == ["echo"]
    # Woken, not answered at the end of its 30 s; wide, for a loaded machine (the time includes
    # waiting for the long-poll to start, up to 10 s itself).
    assert time.monotonic() - start < 20


def test_long_poll_held_since_the_agent_went_silent_keeps_a_new_job(
    fleet: Fleet, client: AsgiClient
) -> None:
    """An agent cut off (its line down) while its long-poll is held open cannot receive the
    answer: a job created then stays pending, and its next request after the line is back
    gets it, instead of the job sitting leased to an agent that never saw it."""
    cred = fleet.enrol()
    beat = client.post(f"/api/v1/agents/{AGENT}/heartbeat", headers=bearer(cred),
                       json=heartbeat_body(fleet.clock))  # fmt: skip
    assert beat.status_code == 200, beat.text
    waiting = client.submit("GET", f"/api/v1/agents/{AGENT}/jobs?wait=1", headers=bearer(cred))
    _wait_until_long_polling(client)
    fleet.clock.now += 60  # no heartbeat since: past the collector's stale_after (45 s)
    created = client.post(f"/api/v1/agents/{AGENT}/jobs", headers=fleet.user("responder"),
                          json={"kind": "echo"})  # fmt: skip
    assert waiting.result(10).json() == {"jobs": []}
    taken = client.get(f"/api/v1/agents/{AGENT}/jobs", headers=bearer(cred)).json()["jobs"]
    assert [j["id"] for j in taken] == [created.json()["id"]]


def test_long_poll_whose_agent_hung_up_leaves_a_new_job_for_its_next_request(
    fleet: Fleet, client: AsgiClient
) -> None:
    """An agent that restarts drops its long poll and asks again at once from its new process.
    The dropped request, still waiting in the collector, must not take a job created then: its
    answer would go nowhere and the job would sit leased to it until the lease passed (a lab
    test waited two minutes for such a job). The agent's next request gets it."""
    cred = fleet.enrol()
    answered: list[Any] = []
    hung_up = threading.Event()

    async def receive() -> dict[str, Any]:
        # As uvicorn answers: once the connection is lost, every receive says so.
        if hung_up.is_set():
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        answered.append(message)

    headers = [(k.lower().encode(), v.encode()) for k, v in bearer(cred).items()]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": f"/api/v1/agents/{AGENT}/jobs",
             "raw_path": f"/api/v1/agents/{AGENT}/jobs".encode(), "query_string": b"wait=30",
             "root_path": "", "headers": [(b"host", b"collector"), *headers],
             "client": ("127.0.0.1", 40000), "server": ("collector", 80)}  # fmt: skip
    dropped = asyncio.run_coroutine_threadsafe(client.app(scope, receive, send), client._loop)
    _wait_until_long_polling(client)
    hung_up.set()  # the agent restarts
    created = client.post(f"/api/v1/agents/{AGENT}/jobs", headers=fleet.user("responder"),
                          json={"kind": "echo"})  # fmt: skip
    dropped.result(10)  # woken by the job, it ends without taking it
    body = b"".join(m.get("body", b"") for m in answered if m["type"] == "http.response.body")
    assert json.loads(body) == {"jobs": []}
    taken = client.get(f"/api/v1/agents/{AGENT}/jobs", headers=bearer(cred)).json()["jobs"]
    assert [j["id"] for j in taken] == [created.json()["id"]]


def test_long_poll_answers_empty_after_wait(fleet: Fleet, client: AsgiClient) -> None:
    cred = fleet.enrol()
    start = time.monotonic()
    answer = client.get(f"/api/v1/agents/{AGENT}/jobs?wait=0.5", headers=bearer(cred))
    elapsed = time.monotonic() - start
    assert answer.json() == {"jobs": []}
    assert 0.45 <= elapsed < 10  # its 0.5 s, not 0 nor the 60 s most; wide for a loaded machine
    for wait in ("61", "-1", "soon", "nan"):
        bad = client.get(f"/api/v1/agents/{AGENT}/jobs?wait={wait}", headers=bearer(cred))
        assert bad.status_code == 400, wait
        assert "wait" in bad.json()["error"]


def test_shutdown_ends_long_polls(
    fleet: Fleet, make_client: Callable[..., AsgiClient], store: Any
) -> None:
    cred = fleet.enrol()
    other = make_client()
    waiting = other.submit("GET", f"/api/v1/agents/{AGENT}/jobs?wait=60", headers=bearer(cred))
    _wait_until_long_polling(other)
    start = time.monotonic()
    other.run(_close(other.app.state.nw.signals))  # what serve does on SIGTERM, in the loop
    assert waiting.result(10).json() == {"jobs": []}
    assert time.monotonic() - start < 10  # ended by the shutdown, not by its 60 s


def test_service_discovery_lists_pull_agents_that_advertise(
    fleet: Fleet, client: AsgiClient, inventory_file: Path, make_client: Callable[..., AsgiClient]
) -> None:
    text = inventory_file.read_text(encoding="utf-8")
    inventory_file.write_text(text.replace("{id: agent-dc, site: dc}",
                                           "{id: agent-dc, site: dc, metrics: push}"))  # fmt: skip
    client = make_client()
    beats = {AGENT: "198.18.1.10:9430", "agent-dc": "198.18.10.10:9430", "agent-core": None}
    creds = {a: fleet.enrol(a, a.removeprefix("agent-")) for a in beats}
    for agent, addr in beats.items():
        client.post(f"/api/v1/agents/{agent}/heartbeat", headers=bearer(creds[agent]),
                    json=heartbeat_body(fleet.clock, advertise=addr))  # fmt: skip
    fleet.enrol("agent-not-in-inventory", "so-khcn")
    groups = client.get("/api/v1/sd", headers=fleet.user("viewer")).json()
    # agent-dc pushes, agent-core advertises nothing: only agent-so-khcn is a target.
    assert groups == [{"targets": ["198.18.1.10:9430"],
                       "labels": {"agent": AGENT, "site": "so-khcn"}}]  # fmt: skip
    client.post(f"/api/v1/agents/{AGENT}/revoke", headers=fleet.user("admin"))
    assert client.get("/api/v1/sd", headers=fleet.user("viewer")).json() == []


def test_results_since_and_limit(fleet: Fleet, client: AsgiClient, clock: Clock) -> None:
    cred = fleet.enrol()
    url = f"/api/v1/agents/{AGENT}/results"
    ids = []
    for step in range(4):
        clock.now += 10
        body = {"id": f"00000000-0000-4000-8000-00000000000{step}", "kind": "event",
                "at": clock.now, "job": None, "payload": {"n": step}}  # fmt: skip
        ids.append(body["id"])
        client.post(url, headers=bearer(cred), json={"results": [body]})
    since = clock.now - 15  # the last two arrived at or after this
    got = client.get(f"{url}?since={since}", headers=fleet.user("viewer")).json()["results"]
    assert [r["id"] for r in got] == ids[2:]
    one = client.get(f"{url}?limit=1", headers=fleet.user("viewer")).json()["results"]
    assert [r["id"] for r in one] == ids[:1]
    for query in ("limit=0", "limit=1001", "limit=x", "since=-1", "since=abc"):
        assert client.get(f"{url}?{query}", headers=fleet.user("viewer")).status_code == 400


async def _close(signals: Any) -> None:
    signals.close()
