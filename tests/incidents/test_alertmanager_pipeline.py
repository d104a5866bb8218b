"""Alerts through a real Alertmanager 0.25 into a real collector: fire, repeat, resolve,
re-fire, a group of 500, truncation, and a collector killed with SIGKILL between two
deliveries (Alertmanager retries; nothing is lost, nothing doubled). SQLite and PostgreSQL."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

from tests.incidents.alertmanager_process import am_alert
from tests.incidents.conftest import Pipeline, wait_for

LINK = {"alertname": "LinkDown", "severity": "critical", "incident": "link/tsl-so-tc"}


def _until(
    pipeline: Pipeline, inc_id: str, what: str, holds: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The incident once ``holds`` is true of it (bounded polling)."""

    def check() -> dict[str, Any] | None:
        shown = pipeline.incident(inc_id)
        return shown if holds(shown) else None

    found: dict[str, Any] = wait_for(what, check)
    return found


def _only(pipeline: Pipeline, key: str) -> dict[str, object] | None:
    found = [i for i in pipeline.incidents() if i["key"] == key]
    assert len(found) <= 1, found
    return found[0] if found else None


def test_fire_repeat_resolve_refire(pipeline: Pipeline) -> None:
    now = time.time()
    down = [
        am_alert({**LINK, "scenario": "repeat", "device": "sw-so-tc"}, now - 30),
        am_alert(
            {
                **LINK,
                "scenario": "repeat",
                "alertname": "InterfaceDown",
                "severity": "warning",
                "ifIndex": "3",
            },
            now - 20,
        ),
    ]
    pipeline.alertmanager.post_alerts(down)
    incident = wait_for("the incident", lambda: _only(pipeline, "link/tsl-so-tc"))
    inc_id = str(incident["id"])
    _until(pipeline, inc_id, "both alerts", lambda i: len(i["alerts"]) == 2)
    # repeat_interval 2 s: the same group again, counted as duplicates, nothing new stored.
    wait_for("repeats", lambda: pipeline.metric("netwarden_alerts_duplicates_total") >= 4)
    shown = pipeline.incident(inc_id)
    assert shown["status"] == "open" and shown["severity"] == "critical"
    assert len(shown["alerts"]) == 2
    assert [t["kind"] for t in shown["timeline"]].count("alert-fired") == 2
    assert shown["sites"] == ["cg-so-tc", "so-tc"] and shown["serious"] is True

    ended = time.time()
    pipeline.alertmanager.post_alerts(
        [{**a, "endsAt": am_alert({}, ended, ended)["endsAt"]} for a in down]
    )
    resolved = _until(pipeline, inc_id, "the resolution", lambda i: i["status"] == "resolved")
    assert all(a["status"] == "resolved" for a in resolved["alerts"])
    assert resolved["resolved_at"] is not None

    # The link drops again a minute later: a new firing re-opens the same incident.
    pipeline.alertmanager.post_alerts([am_alert(down[0]["labels"], time.time())])
    reopened = _until(pipeline, inc_id, "the re-opening", lambda i: i["status"] == "open")
    assert reopened["reopened"] == 1 and len(reopened["alerts"]) == 3
    assert len(pipeline.incidents()) == 1


def test_a_group_of_500_alerts(shared_pipeline: Pipeline) -> None:
    pipeline = shared_pipeline
    now = time.time()
    storm = [
        am_alert(
            {
                "alertname": "DeviceDown",
                "severity": "critical",
                "incident": "device/core-rtr",
                "port": f"ge-{n}",
            },
            now - 5,
        )
        for n in range(500)
    ]
    pipeline.alertmanager.post_alerts(storm)
    incident = wait_for("the incident", lambda: _only(pipeline, "device/core-rtr"))
    shown = _until(pipeline, str(incident["id"]), "500 alerts", lambda i: len(i["alerts"]) == 500)
    assert pipeline.metric('netwarden_alerts_received_total{status="firing"}') >= 500
    # The core router cut off both agencies and the camera group behind one of them.
    assert shown["sites"] == ["cg-so-tc", "core", "so-tc", "so-yt"]


def test_truncated_groups_are_noted(shared_pipeline: Pipeline) -> None:
    pipeline = shared_pipeline
    now = time.time()
    many = [
        am_alert(
            {
                "alertname": "CameraDown",
                "severity": "warning",
                "scenario": "truncate",
                "incident": "group/cg-so-tc",
                "camera": f"cam-{n}",
            },
            now - 5,
        )
        for n in range(150)
    ]
    pipeline.alertmanager.post_alerts(many)
    incident = wait_for("the incident", lambda: _only(pipeline, "group/cg-so-tc"))
    # Alertmanager may flush the group before all 150 are in (group_wait): the last
    # notification carries 100 of the 150 and says 50 were left out.
    shown = _until(pipeline, str(incident["id"]), "the note", lambda i: i["truncated_alerts"] == 50)
    assert 100 <= len(shown["alerts"]) < 150
    assert any(t["kind"] == "truncated" for t in shown["timeline"])
    assert pipeline.metric("netwarden_alerts_truncated_total") >= 50


def test_nothing_is_lost_when_the_collector_is_killed_between_deliveries(
    pipeline: Pipeline,
) -> None:
    now = time.time()
    first = am_alert({**LINK, "device": "sw-so-tc"}, now - 10)
    pipeline.alertmanager.post_alerts([first])
    incident = wait_for("the first delivery", lambda: _only(pipeline, "link/tsl-so-tc"))
    inc_id = str(incident["id"])
    assert pipeline.collector.stop(signal.SIGKILL) == -signal.SIGKILL

    # While the collector is dead, a second alert of the group fires.
    second = am_alert({**LINK, "alertname": "InterfaceDown", "ifIndex": "7"}, time.time())
    pipeline.alertmanager.post_alerts([second])
    wait_for("a failed delivery", lambda: pipeline.alertmanager.failed_notifications() > 0)

    pipeline.collector.start()  # the same port: Alertmanager's retries land here
    shown = _until(pipeline, inc_id, "the second alert", lambda i: len(i["alerts"]) == 2)
    assert [a["alertname"] for a in shown["alerts"]] == ["LinkDown", "InterfaceDown"]
    assert [t["kind"] for t in shown["timeline"]].count("alert-fired") == 2
    assert len(pipeline.incidents()) == 1
