"""GET /api/v1/events on the real SQLite store: events posted by an agent as device-event
results, stored once, searched with every filter, followed with the long poll, pruned."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netwarden.collector.store import open_store
from netwarden.collector.store.events import EventQuery
from tests.unit.collector.asgi_client import AsgiClient
from tests.unit.collector.conftest import Clock, Fleet, IncidentApp, bearer
from tests.unit.incidents.webhooks import BASE, alert, body, resolved

RESULTS = "/api/v1/agents/agent-so-khcn/results"
INC = "/api/v1/incidents/INC-20261123-001"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    real = open_store(f"sqlite:///{tmp_path / 'collector.db'}")
    try:
        yield real
    finally:
        real.close()


def _event(
    at: float, device: str | None, message: str, kind: str = "other", site: str = "so-khcn"
) -> dict[str, Any]:
    payload = {
        "source": "syslog",
        "kind": kind,
        "device": device,
        "site": site if device else None,
        "role": "switch",
        "address": "198.18.1.2",
        "severity": "notice",
        "message": message,
    }
    return {
        "id": str(uuid.uuid4()),
        "kind": "device-event",
        "at": at,
        "job": None,
        "payload": payload,
    }


def test_events_are_stored_once_and_searched(
    fleet: Fleet, client: AsgiClient, clock: Clock
) -> None:
    cred = fleet.enrol()
    t = clock.now
    batch = [
        _event(t - 30, "sw-1", "%SYS-5-CONFIG_I: Configured from console", "configChange"),
        _event(t - 20, "sw-2", "Interface Gi0/2 down", "linkDown"),
        _event(t - 10, None, "hello from a rogue box"),
    ]
    first = client.post(RESULTS, headers=bearer(cred), json={"results": batch})
    assert first.json() == {"accepted": 3, "duplicates": 0}
    again = client.post(RESULTS, headers=bearer(cred), json={"results": batch})
    assert again.json() == {"accepted": 0, "duplicates": 3}
    viewer = fleet.user("viewer")

    def messages(**params: str) -> list[str]:
        answer = client.get("/api/v1/events", headers=viewer, params=params)
        assert answer.status_code == 200, answer.text
        return [e["message"] for e in answer.json()["events"]]

    assert len(messages()) == 3
    assert messages(device="sw-2") == ["Interface Gi0/2 down"]
    assert messages(grep="config_i") == ["%SYS-5-CONFIG_I: Configured from console"]
    assert messages(since=str(t - 25), until=str(t - 10)) == ["Interface Gi0/2 down"]
    assert messages(site="so-khcn") == [batch[0]["payload"]["message"], "Interface Gi0/2 down"]
    assert messages(limit="1") == ["hello from a rogue box"]  # a search shows the latest
    iso = "2023-11-14T22:13:05+00:00"  # clock.now - 15 s
    assert messages(since=iso, until=str(t)) == ["hello from a rogue box"]
    first_event = client.get("/api/v1/events", headers=viewer).json()["events"][0]
    assert (first_event["agent"], first_event["kind"], first_event["role"]) == (
        "agent-so-khcn",
        "configChange",
        "switch",
    )


def test_bad_parameters_and_roles_are_refused(fleet: Fleet, client: AsgiClient) -> None:
    cred = fleet.enrol()
    viewer = fleet.user("viewer")
    bad = client.get("/api/v1/events", headers=viewer, params={"since": "yesterday"})
    assert (bad.status_code, "since" in bad.json()["error"]) == (400, True)
    naive = client.get("/api/v1/events", headers=viewer, params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 400
    assert client.get("/api/v1/events", headers=viewer, params={"limit": "0"}).status_code == 400
    assert client.get("/api/v1/events", headers=bearer(cred)).status_code == 403
    assert client.get("/api/v1/events").status_code == 401


def test_the_long_poll_returns_when_an_event_arrives(
    fleet: Fleet, client: AsgiClient, clock: Clock
) -> None:
    cred = fleet.enrol()
    viewer = fleet.user("viewer")
    client.post(RESULTS, headers=bearer(cred), json={"results": [_event(clock.now, "sw-1", "old")]})
    last = client.get("/api/v1/events", headers=viewer).json()["last_seq"]
    waiting = client.submit(
        "GET", "/api/v1/events", headers=viewer, params={"after": str(last), "wait": "30"}
    )
    # Nothing new yet: an empty follow-up without wait answers at once with the same cursor.
    empty = client.get("/api/v1/events", headers=viewer, params={"after": str(last)}).json()
    assert empty == {"events": [], "last_seq": last}
    assert not waiting.done()
    client.post(RESULTS, headers=bearer(cred), json={"results": [_event(clock.now, "sw-1", "new")]})
    answer = waiting.result(timeout=20).json()
    assert [e["message"] for e in answer["events"]] == ["new"]
    assert answer["last_seq"] > last


def test_retention_prunes_old_events(
    fleet: Fleet, client: AsgiClient, store: Any, clock: Clock
) -> None:
    cred = fleet.enrol()
    year = 365 * 86400.0
    batch = [_event(clock.now - 2 * year, "sw-1", "ancient"), _event(clock.now, "sw-1", "fresh")]
    client.post(RESULTS, headers=bearer(cred), json={"results": batch})
    assert store.prune_events(clock.now - year) == 1
    events, _ = store.events(EventQuery())
    assert [e["message"] for e in events] == ["fresh"]


def test_an_incident_gets_its_devices_events_as_evidence_when_it_resolves(
    incident_app: IncidentApp,
) -> None:
    app, now = incident_app, incident_app.clock.now  # BASE + 60
    secret = app.store.create_join_token("agent-so-tc", "so-tc", 3600.0, "test", now)
    enrolled = app.client.post(
        "/api/v1/enroll", json={"token": f"nwj.{secret}", "hostname": "h", "version": "0.1.0"}
    )
    cred = enrolled.json()["credential"]
    fired = alert("LinkDown", incident="link/tsl-so-tc", starts=0)
    assert app.post_hook(body(fired)).status_code == 200
    shown = app.client.get(INC, headers=app.user("viewer")).json()
    assert "sw-so-tc" in shown["devices"]
    opened = BASE
    batch = [
        _event(opened - 400, "sw-so-tc", "too early"),
        _event(
            opened - 60,
            "sw-so-tc",
            "%LINK-3-UPDOWN: Interface wan0, changed state to down",
            "linkDown",
            "so-tc",
        ),
        _event(opened + 30, "sw-so-tc", "linkDown wan0 (1.3.6.1.6.3.1.1.5.3)", "linkDown", "so-tc"),
        _event(opened + 40, "some-other-device", "not this incident's"),
    ]
    posted = app.client.post(
        "/api/v1/agents/agent-so-tc/results", headers=bearer(cred), json={"results": batch}
    )
    assert posted.json()["accepted"] == 4
    app.clock.now = BASE + 200
    assert app.post_hook(body(resolved(fired, ends=120))).status_code == 200
    shown = app.client.get(INC, headers=app.user("viewer")).json()
    assert shown["status"] == "resolved"
    attached = [e for e in shown["evidence"] if e["source"] == "collector:events"]
    assert len(attached) == 1, shown["evidence"]
    got = app.client.get(f"{INC}/evidence/{attached[0]['id']}", headers=app.user("viewer"))
    lines = [json.loads(line) for line in got.text.splitlines()]
    assert [e["message"][:9] for e in lines] == ["%LINK-3-U", "linkDown "]
    # On demand again: the same content is not attached twice.
    again = app.client.post(f"{INC}/evidence/events", headers=app.user("responder"))
    assert again.json() == {"incident": "INC-20261123-001", "events": 2, "evidence": None}
    assert app.client.post(f"{INC}/evidence/events", headers=app.user("viewer")).status_code == 403
