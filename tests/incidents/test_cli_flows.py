"""The ``netwarden incident`` commands against a running collector fed by a real Alertmanager,
on SQLite and PostgreSQL: list, show, ack, note, flag, evidence add/get, resolve, close, and
maintenance windows whose silences land in (and leave) Alertmanager."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.incidents.alertmanager_process import am_alert
from tests.incidents.conftest import Pipeline, wait_for

LIST_KEYS = {
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
}
WINDOW_KEYS = ["id", "site", "link", "device", "from", "to", "reason", "created_by", "created_at"]


def _fire(pipeline: Pipeline, **labels: str) -> str:
    every = {"alertname": "LinkDown", "severity": "critical", **labels}
    pipeline.alertmanager.post_alerts([am_alert(every, time.time() - 5, summary="mất kết nối")])

    def found() -> str | None:
        hits = [i["id"] for i in pipeline.incidents() if i["key"] == labels.get("incident")]
        return str(hits[0]) if hits else None

    incident_id: str = wait_for("the incident", found)
    return incident_id


def test_the_record_through_the_cli(pipeline: Pipeline, tmp_path: Path) -> None:
    inc = _fire(pipeline, incident="link/tsl-so-tc", device="sw-so-tc")
    listed = pipeline.cli_json("list", role="viewer")["incidents"]
    assert [i["id"] for i in listed] == [inc] and set(listed[0]) >= LIST_KEYS
    assert pipeline.cli_json("list", "--status", "closed", role="viewer") == {"incidents": []}
    assert pipeline.cli_json("list", "--site", "so-yt", role="viewer") == {"incidents": []}
    assert len(pipeline.cli_json("list", "--site", "cg-so-tc", role="viewer")["incidents"]) == 1
    table = pipeline.cli("list", role="viewer")
    assert table.returncode == 0 and table.stdout.split()[:3] == ["ID", "STATUS", "SEVERITY"]

    refused = pipeline.cli("ack", inc, role="viewer")
    assert refused.returncode == 1 and "needs a token with the responder role" in refused.stderr
    assert pipeline.cli("ack", inc, "--note", "đã nhận", role="responder").returncode == 0
    assert pipeline.cli("note", inc, "VNPT xác nhận đứt cáp", role="responder").returncode == 0
    flags = ("--serious", "confirm", "--support-requested")
    flagged = pipeline.cli_json("flag", inc, *flags, role="responder")
    assert flagged["serious_confirmed"] is True and flagged["support_requested"] is True

    evidence = tmp_path / "show-interfaces.txt"
    evidence.write_bytes(b"GigabitEthernet0/1 is down, line protocol is down\n" * 200)
    added = pipeline.cli_json("evidence", "add", inc, str(evidence), role="responder")
    assert added["id"] == 1 and added["name"] == "show-interfaces.txt"
    back = tmp_path / "back.txt"
    got = pipeline.cli("evidence", "get", inc, "1", "--output", str(back), role="viewer")
    assert got.returncode == 0, got.stderr
    assert back.read_bytes() == evidence.read_bytes()
    to_stdout = pipeline.cli("evidence", "get", inc, "1", role="viewer")
    assert to_stdout.stdout == evidence.read_text()

    assert pipeline.cli("resolve", inc, "--summary", "hàn cáp", role="responder").returncode == 0
    not_admin = pipeline.cli("close", inc, "--summary", "x", role="responder")
    assert not_admin.returncode == 1 and "admin role" in not_admin.stderr
    assert pipeline.cli("close", inc, "--summary", "Sự cố nhà mạng", role="admin").returncode == 0

    shown = pipeline.cli("show", inc, role="viewer")
    assert shown.returncode == 0
    for text in (
        "[closed]",
        "Affected (from the topology):",
        "so-tc Sở Tài chính (agency, level 4)",
        "VNPT xác nhận đứt cáp",
        "show-interfaces.txt",
        "Closing summary: Sự cố nhà mạng",
    ):
        assert text in shown.stdout, text
    record = pipeline.cli_json("show", inc, role="viewer")
    kinds = [t["kind"] for t in record["timeline"]]
    for kind in ("alert-fired", "opened", "acknowledged", "note", "flag-changed"):
        assert kind in kinds, kind
    assert kinds.count("status-changed") == 2 and "evidence-added" in kinds
    late = pipeline.cli("note", inc, "too late", role="responder")
    assert late.returncode == 1 and "final" in late.stderr


def _silences(pipeline: Pipeline, state: str) -> list[dict[str, Any]]:
    return [s for s in pipeline.alertmanager.silences() if s["status"]["state"] == state]


def test_maintenance_windows_silence_alertmanager(shared_pipeline: Pipeline) -> None:
    # Shared with the usage errors only (they create nothing); the record test lists every
    # incident, so it has a pipeline of its own.
    pipeline = shared_pipeline
    window = ("--site", "so-yt", "--from", "-1m", "--to", "+2h", "--reason", "nâng cấp switch")
    before = time.time()  # the window's times are relative to a moment after this
    added = pipeline.cli_json("maintenance", "add", *window, role="responder")
    assert added["site"] == "so-yt" and len(added["silences"]) == 2
    active = _silences(pipeline, "active")
    matchers = sorted((m["name"], m["value"]) for s in active for m in s["matchers"])
    assert matchers == [("incident", "group/so-yt"), ("site", "so-yt")]
    assert all(s["comment"] == "netwarden maintenance: nâng cấp switch" for s in active)

    # Alertmanager now silences the site's alerts ...
    labels = {"alertname": "DeviceDown", "site": "so-yt", "device": "sw-so-yt"}
    pipeline.alertmanager.post_alerts([am_alert(labels, time.time())])

    def suppressed() -> bool:
        hits = pipeline.alertmanager.alerts(filter='alertname="DeviceDown"')
        return bool(hits) and hits[0]["status"]["state"] == "suppressed"

    wait_for("the silence to hold", suppressed)
    # ... and an alert that still arrives inside the window opens an incident "in maintenance".
    inc = _fire(pipeline, incident="link/tsl-so-yt")
    assert pipeline.incident(inc)["in_maintenance"] is True

    windows = pipeline.cli_json("maintenance", "list", role="viewer")["windows"]
    assert [list(w) for w in windows] == [WINDOW_KEYS]
    assert windows[0]["created_by"] == "user:u-responder"
    assert pipeline.cli("maintenance", "list", role="viewer").stdout.split()[:2] == ["ID", "TARGET"]
    _the_availability_report_reads_the_window(pipeline, windows[0], before)
    removed = pipeline.cli("maintenance", "remove", str(windows[0]["id"]), role="responder")
    assert removed.returncode == 0 and "ended" in removed.stdout
    assert _silences(pipeline, "active") == []
    assert len(_silences(pipeline, "expired")) == 2
    # The window stays on record (it happened), ended now.
    kept = pipeline.cli_json("maintenance", "list", "--from", "-1h", role="viewer")["windows"]
    assert [w["id"] for w in kept] == [windows[0]["id"]]


def _the_availability_report_reads_the_window(
    pipeline: Pipeline, shown: dict[str, Any], before: float
) -> None:
    """`report availability --collector` excludes the window this collector holds (issue 15);
    it was added after ``before``."""
    from netwarden.reports.run import AvailabilityRequest, maintenance
    from netwarden.reports.window import Window

    request = AvailabilityRequest(
        prometheus="http://127.0.0.1:9",  # not asked: only the collector is
        month=None,
        start=None,
        end=None,
        step="60s",
        inventory=[],
        exclude=[],
        collector=pipeline.collector.url,
        ca_file=None,
        insecure=True,
        now=time.time(),
    )
    now = int(time.time())
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NETWARDEN_TOKEN", pipeline.tokens["viewer"])
        (found,) = maintenance(request, Window(now - 3600, now + 3600, 60, "test"))
    assert (found.scope, found.target, found.reason) == ("site", "so-yt", "nâng cấp switch")
    assert found.source == f"collector #{shown['id']}"
    # Lower bounds from before the window was added, upper ones from now: the steps since
    # (Alertmanager's silence, an incident) can take over a minute on a loaded machine.
    assert before - 120 <= found.start <= now and before + 7000 <= found.end <= now + 7300, shown


def test_cli_usage_errors_are_one_line(shared_pipeline: Pipeline) -> None:
    pipeline = shared_pipeline
    cases = [
        (["maintenance", "add", "--site", "a", "--link", "b", "--from", "now", "--to", "+1h",
          "--reason", "r"], 2, "give exactly one of --site, --link, --device"),
        (["maintenance", "add", "--site", "so-tc", "--from", "soon", "--to", "+1h", "--reason",
          "r"], 2, "--from: 'soon' is not a time"),
        (["maintenance", "add", "--site", "nowhere", "--from", "now", "--to", "+1h", "--reason",
          "r"], 1, "site nowhere is not in the collector's inventory"),
        (["flag", "INC-20261123-001"], 2, "give --confidential"),
        (["show", "INC-20991231-001"], 1, "collector answered 404: no incident INC-20991231-001"),
    ]  # fmt: skip
    for args, code, message in cases:
        done = pipeline.cli(*args, role="responder")
        assert done.returncode == code, (args, done.stderr)
        assert message in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1
