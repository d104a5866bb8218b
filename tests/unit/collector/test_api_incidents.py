"""Incident, evidence and maintenance routes: roles, the lifecycle, evidence checked by hash,
windows with their silences (a fake Alertmanager here; the real one in tests/incidents)."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from netwarden.collector.api.retention_task import run_retention
from netwarden.collector.incidents.evidence import EvidenceFiles
from netwarden.collector.incidents.retention import parse_retention
from netwarden.collector.incidents.times import format_s
from netwarden.collector.store import open_store
from netwarden.collector.store.incident_store import IncidentStore
from tests.cli_in_process import run_in_process
from tests.unit.collector.collector_process import run_cli
from tests.unit.collector.conftest import IncidentApp, bearer
from tests.unit.incidents.province import PROVINCE
from tests.unit.incidents.webhooks import BASE, alert, body

INC = "/api/v1/incidents/INC-20261123-001"


def _open(app: IncidentApp) -> dict[str, Any]:
    answer = app.post_hook(body(alert("LinkDown", incident="link/tsl-so-tc")))
    assert answer.status_code == 200
    return app.client.get(INC, headers=app.user("viewer")).json()


def test_show_has_the_contract_keys(incident_app: IncidentApp) -> None:
    shown = _open(incident_app)
    for key in (
        "id",
        "key",
        "title",
        "status",
        "severity",
        "sites",
        "devices",
        "alerts",
        "opened_at",
        "resolved_at",
        "serious",
        "in_maintenance",
        "timeline",
        "evidence",
    ):
        assert key in shown, key
    assert set(shown["alerts"][0]) >= {
        "fingerprint",
        "alertname",
        "status",
        "starts_at",
        "ends_at",
        "labels",
    }
    assert set(shown["timeline"][0]) == {"at", "kind", "actor", "text"}
    assert shown["opened_at"] == "2026-11-22T22:50:33Z" and shown["resolved_at"] is None
    assert shown["sites"] == ["cg-so-tc", "so-tc"] and shown["serious"] is True
    listed = incident_app.client.get("/api/v1/incidents", headers=incident_app.user("viewer"))
    (entry,) = listed.json()["incidents"]
    assert entry["alerts"] == 1 and entry["id"] == "INC-20261123-001"
    assert {k: entry[k] for k in ("key", "status", "severity")} == {
        "key": "link/tsl-so-tc",
        "status": "open",
        "severity": "critical",
    }


def test_roles_on_incident_changes(incident_app: IncidentApp) -> None:
    _open(incident_app)
    app = incident_app
    steps = [
        ("/ack", {"note": "nhận"}, "responder", "viewer"),
        ("/notes", {"text": "đã gọi VNPT"}, "responder", "viewer"),
        ("/flags", {"confidential": True}, "responder", "viewer"),
        ("/resolve", {"summary": "cáp đã hàn"}, "responder", "viewer"),
        ("/close", {"summary": "đóng"}, "admin", "responder"),
    ]
    for tail, payload, allowed, refused in steps:
        denied = app.client.post(INC + tail, json=payload, headers=app.user(refused))
        assert denied.status_code == 403, tail
        assert f"this needs the {allowed} role" in denied.json()["error"]
        done = app.client.post(INC + tail, json=payload, headers=app.user(allowed))
        assert done.status_code == 200, (tail, done.text)
    final = done.json()
    assert final["status"] == "closed" and final["confidential"] is True
    assert final["closing_summary"] == "đóng" and final["resolution"] == "cáp đã hàn"
    audit = app.client.get("/api/v1/audit", headers=app.user("admin")).json()["entries"]
    assert [e["action"] for e in audit[:5]] == [
        "incident.close",
        "incident.resolve",
        "incident.flags",
        "incident.note",
        "incident.ack",
    ]


def test_refusals_are_4xx_with_one_line(incident_app: IncidentApp) -> None:
    _open(incident_app)
    app = incident_app
    cases = [
        ("POST", INC + "/close", {"summary": "x"}, "admin", 409, "resolve it first"),
        ("POST", INC + "/notes", {"text": "   "}, "responder", 400, "text"),
        ("POST", INC + "/notes", {"text": "x", "extra": 1}, "responder", 400, "extra"),
        ("POST", INC + "/flags", {}, "responder", 400, "give confidential"),
        ("POST", INC + "/flags", {"confidential": "yes"}, "responder", 400, "confidential"),
        ("GET", "/api/v1/incidents/INC-20991231-001", None, "viewer", 404, "no incident"),
        ("GET", "/api/v1/incidents/nonsense", None, "viewer", 404, "ids look like"),
        ("GET", "/api/v1/incidents?status=gone", None, "viewer", 400, "status must be"),
        ("GET", "/api/v1/incidents?site=a%20b", None, "viewer", 400, "site must be an id"),
    ]
    for method, path, payload, role, status, text in cases:
        answer = app.client.request(method, path, json=payload, headers=app.user(role))
        assert answer.status_code == status, (path, answer.text)
        assert text in answer.json()["error"]


def test_evidence_round_trip_and_checks(incident_app: IncidentApp) -> None:
    _open(incident_app)
    app = incident_app
    data = b"show ip interface brief\nGi0/1 down down\n" * 50
    added = app.client.post(
        f"{INC}/evidence?name=show-ip-int-brief.txt", content=data, headers=app.user("responder")
    )
    assert added.status_code == 200, added.text
    row = added.json()
    assert row["sha256"] == hashlib.sha256(data).hexdigest() and row["size"] == len(data)
    assert (row["id"], row["source"], row["incident"]) == (1, "user:u-responder", INC[-16:])
    got = app.client.get(f"{INC}/evidence/1", headers=app.user("viewer"))
    assert got.status_code == 200 and got.content == data
    assert got.headers["x-netwarden-sha256"] == row["sha256"]
    assert "show-ip-int-brief.txt" in got.headers["content-disposition"]
    # An agent attaches the output of a playbook step.
    agent = app.store.create_join_token("agent-so-tc", "so-tc", 60, "test", app.clock.now)
    cred = app.client.post(
        "/api/v1/enroll", json={"token": f"nwj.{agent}", "hostname": "h", "version": "1"}
    ).json()["credential"]
    step = app.client.post(
        "/api/v1/agents/agent-so-tc/evidence?incident=INC-20261123-001"
        "&name=ping.txt&step=ping-core",
        content=b"100% loss",
        headers=bearer(cred),
    )
    assert step.status_code == 200 and step.json()["source"] == "agent:agent-so-tc"
    assert step.json()["step"] == "ping-core"
    # A file changed on disk is refused, not served.
    app.record.evidence.path(row["sha256"]).write_bytes(b"tampered")
    corrupt = app.client.get(f"{INC}/evidence/1", headers=app.user("viewer"))
    assert corrupt.status_code == 500
    assert "no longer matches its SHA-256" in corrupt.json()["error"]
    for path, role, status in [
        (f"{INC}/evidence?name=a/b", "responder", 400),
        (f"{INC}/evidence", "responder", 400),
        (f"{INC}/evidence?name=x", "viewer", 403),
        ("/api/v1/incidents/INC-20991231-001/evidence?name=x", "responder", 404),
    ]:
        answer = app.client.post(path, content=b"x", headers=app.user(role))
        assert answer.status_code == status, (path, answer.text)
    assert app.client.get(f"{INC}/evidence/9", headers=app.user("viewer")).status_code == 404


def test_confidential_evidence_needs_a_responder(incident_app: IncidentApp) -> None:
    _open(incident_app)
    app = incident_app
    app.client.post(f"{INC}/evidence?name=a.txt", content=b"secret", headers=app.user("responder"))
    app.client.post(f"{INC}/flags", json={"confidential": True}, headers=app.user("responder"))
    assert app.client.get(f"{INC}/evidence/1", headers=app.user("viewer")).status_code == 403
    assert app.client.get(f"{INC}/evidence/1", headers=app.user("responder")).content == b"secret"


def test_evidence_on_a_closed_incident_and_too_large(incident_app: IncidentApp) -> None:
    _open(incident_app)
    app = incident_app
    app.record.evidence.limit = 1000
    big = app.client.post(
        f"{INC}/evidence?name=big", content=b"x" * 1001, headers=app.user("responder")
    )
    assert big.status_code == 413

    async def chunked() -> Any:  # no Content-Length: the limit holds while streaming
        for _ in range(3):
            yield b"x" * 600

    streamed = app.client.post(
        f"{INC}/evidence?name=big", content=chunked(), headers=app.user("responder")
    )
    assert streamed.status_code == 413, streamed.text
    assert "larger than" in streamed.json()["error"]
    app.client.post(f"{INC}/resolve", json={"summary": "s"}, headers=app.user("responder"))
    app.client.post(f"{INC}/close", json={"summary": "s"}, headers=app.user("admin"))
    late = app.client.post(f"{INC}/evidence?name=late", content=b"x", headers=app.user("responder"))
    assert late.status_code == 409 and "final" in late.json()["error"]
    tmp = app.record.evidence.root / "tmp"
    assert not tmp.exists() or not list(tmp.iterdir())


def _window(app: IncidentApp, role: str = "responder", **fields: Any) -> Any:
    payload = {
        "site": "so-tc",
        "from": format_s(BASE),
        "to": format_s(BASE + 7200),
        "reason": "thay switch lõi",
    }
    payload.update(fields)
    payload = {k: v for k, v in payload.items() if v is not None}
    return app.client.post("/api/v1/maintenance", json=payload, headers=app.user(role))


def test_maintenance_windows_and_their_silences(incident_app: IncidentApp) -> None:
    app = incident_app
    added = _window(app)
    assert added.status_code == 200, added.text
    window = added.json()
    assert window["silences"] == ["s1", "s2"]
    assert {m.name for s in app.silences.active.values() for m in s[0]} == {"site", "incident"}
    listed = app.client.get("/api/v1/maintenance", headers=app.user("viewer")).json()
    assert listed == {
        "windows": [
            {
                "id": 1,
                "site": "so-tc",
                "link": None,
                "device": None,
                "from": "2026-11-22T22:50:33Z",
                "to": "2026-11-23T00:50:33Z",
                "reason": "thay switch lõi",
                "created_by": "user:u-responder",
                "created_at": format_s(app.clock.now),
            }
        ]
    }
    query = "/api/v1/maintenance?from=2026-11-23T01:00:00Z&to=2026-11-24T00:00:00Z"
    assert app.client.get(query, headers=app.user("viewer")).json() == {"windows": []}
    # An alert inside the window opens an incident marked in maintenance.
    app.post_hook(body(alert("LinkDown", incident="link/tsl-so-tc", starts=100)))
    assert app.client.get(INC, headers=app.user("viewer")).json()["in_maintenance"] is True
    removed = app.client.request("DELETE", "/api/v1/maintenance/1", headers=app.user("responder"))
    assert removed.json() == {"id": 1, "done": "ended", "silences_expired": ["s1", "s2"]}
    assert app.silences.active == {} and app.silences.expired == ["s1", "s2"]


def test_maintenance_refusals(incident_app: IncidentApp) -> None:
    app = incident_app
    cases = [
        ({"site": None}, 400, "give exactly one of site, link, device"),
        ({"link": "tsl-so-tc"}, 400, "give exactly one of site, link, device"),
        ({"site": "nowhere"}, 400, "site nowhere is not in the collector's inventory"),
        ({"to": format_s(BASE - 1)}, 400, "to must be after from"),
        ({"from": "tomorrow"}, 400, "from 'tomorrow': not an RFC 3339 time"),
        ({"reason": ""}, 400, "reason"),
        ({"to": format_s(BASE + 400 * 86400)}, 400, "at most 366 days"),
    ]
    for fields, status, text in cases:
        answer = _window(app, **fields)
        assert answer.status_code == status, (fields, answer.text)
        assert text in answer.json()["error"]
    assert _window(app, role="viewer").status_code == 403
    app.silences.down = True
    down = _window(app)
    assert down.status_code == 502 and "did not answer" in down.json()["error"]
    app.silences.down, app.silences.fail_after = False, 1
    assert _window(app).status_code == 502
    assert app.silences.active == {}  # the first silence was expired again
    assert app.client.get("/api/v1/maintenance", headers=app.user("viewer")).json() == {
        "windows": []
    }
    gone = app.client.request("DELETE", "/api/v1/maintenance/7", headers=app.user("responder"))
    assert gone.status_code == 404


def _samples(app: IncidentApp) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(app.client.get("/metrics").text)
        for s in family.samples
    }


def test_incident_metrics(incident_app: IncidentApp) -> None:
    _open(incident_app)
    incident_app.clock.now = BASE + 600
    samples = _samples(incident_app)
    open_critical = frozenset({("status", "open"), ("severity", "critical")})
    assert samples[("netwarden_incidents", open_critical)] == 1
    assert (
        samples[("netwarden_incidents", frozenset({("status", "closed"), ("severity", "info")}))]
        == 0
    )
    who = frozenset(
        {("incident_id", "INC-20261123-001"), ("severity", "critical"), ("site", "so-tc")}
    )
    assert samples[("netwarden_incident_unacknowledged_seconds", who)] == 600
    incident_app.client.post(f"{INC}/ack", json={}, headers=incident_app.user("responder"))
    samples = _samples(incident_app)
    assert ("netwarden_incident_unacknowledged_seconds", who) not in samples
    acked = frozenset({("status", "acknowledged"), ("severity", "critical")})
    assert samples[("netwarden_incidents", acked)] == 1


def test_backup_and_restore_carry_the_evidence(incident_app: IncidentApp, tmp_path: Path) -> None:
    """The data dir of the app is tmp_path: collector.db and evidence/, as `serve` lays it out."""
    _open(incident_app)
    app = incident_app
    data = b"show logging\n%LINK-3-UPDOWN: Interface Gi0/1, changed state to down\n"
    app.client.post(f"{INC}/evidence?name=log.txt", content=data, headers=app.user("responder"))
    archive = tmp_path / "backup.tar"
    done = run_in_process("collector", "backup", str(archive), "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    target = tmp_path / "restored"
    restored = run_in_process("collector", "restore", str(archive), "--data-dir", str(target))
    assert restored.returncode == 0, restored.stderr
    store = open_store(f"sqlite:///{target / 'collector.db'}")
    try:
        row, _ = IncidentStore(store.engine).evidence("INC-20261123-001", 1)
        path = EvidenceFiles(target / "evidence").verified(row.sha256, row.size)
        assert path.read_bytes() == data
    finally:
        store.close()


def test_retention_prunes_on_its_schedule_and_sweeps_orphans(incident_app: IncidentApp) -> None:
    _open(incident_app)
    app = incident_app
    app.client.post(f"{INC}/evidence?name=a", content=b"only here", headers=app.user("responder"))
    app.client.post(f"{INC}/resolve", json={"summary": "s"}, headers=app.user("responder"))
    app.client.post(f"{INC}/close", json={"summary": "s"}, headers=app.user("admin"))
    sha = app.client.get(INC, headers=app.user("viewer")).json()["evidence"][0]["sha256"]
    orphan, _ = app.record.evidence.save_bytes(b"an upload whose row never committed")
    os.utime(app.record.evidence.path(orphan), (0, 0))  # older than the sweep's grace hour
    app.record.retention = parse_retention("1h")
    app.clock.now += 2 * 3600

    async def run_until_pruned() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(run_retention(app.record, app.clock, stop, every=0.05))
        for _ in range(200):  # bounded: 10 s
            if not app.record.store.incidents("all", None, 10):
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(run_until_pruned())
    assert app.record.store.incidents("all", None, 10) == []
    assert not app.record.evidence.path(sha).exists()
    assert not app.record.evidence.path(orphan).exists()
    entries = app.client.get("/api/v1/audit", headers=app.user("admin")).json()["entries"]
    assert entries[0]["action"] == "incident.prune"
    assert entries[0]["target"] == "INC-20261123-001"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--incident-retention", "0mo"], "--incident-retention must be like 12mo"),
        (["--alertmanager", "ftp://am"], "--alertmanager must be an http:// or https:// URL"),
    ],
)
def test_serve_refuses_bad_incident_options(tmp_path: Path, args: list[str], message: str) -> None:
    where = ["--data-dir", str(tmp_path), "--insecure", "--listen", "127.0.0.1:0"]
    done = run_cli("collector", "serve", "-i", str(PROVINCE), *where, *args)
    assert done.returncode == 2 and message in done.stderr
