"""``POST /api/v1/alerts/alertmanager``: who may post, a corpus of bad bodies with their exact
status and error, the 8 MiB limit, the metrics, and a property test: random mutations of a
valid body never get a 5xx and never leave part of a request stored."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from netwarden.collector.incidents.times import parse_ns
from netwarden.collector.store.incident_schema import (
    INCIDENT_TABLES,
    incident_alerts,
    incident_timeline,
    incidents,
)
from tests.unit.collector.conftest import IncidentApp, bearer
from tests.unit.incidents.webhooks import alert, body

PATH = "/api/v1/alerts/alertmanager"


def _valid() -> dict[str, Any]:
    return body(
        alert("LinkDown", incident="link/tsl-so-tc", device="sw-so-tc"),
        alert("InterfaceDown", severity="warning", incident="link/tsl-so-tc", ifIndex="3"),
        alert("PortalDown", incident="service/cong-dvc", starts=-20),
    )


def _metric(app: IncidentApp, name: str, **labels: str) -> float:
    text = app.client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    raise AssertionError(f"no sample {name}{labels}")


def _rows(app: IncidentApp) -> dict[str, int]:
    with app.store.engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in INCIDENT_TABLES
        }


def test_roles_that_may_post_alerts(incident_app: IncidentApp) -> None:
    for role in ("webhook", "responder", "admin"):
        answer = incident_app.post_hook(_valid(), role)
        assert answer.status_code == 200, (role, answer.text)
    denied = incident_app.post_hook(_valid(), "viewer")
    assert denied.status_code == 403
    assert denied.json() == {"error": "posting alerts needs the webhook role; u-viewer has viewer"}
    for headers, status in (({}, 401), (bearer("nwu.nobody.x"), 401), (bearer("nwa.a.b"), 401)):
        assert incident_app.client.post(PATH, json=_valid(), headers=headers).status_code == status
    # The webhook role may post alerts and nothing else.
    for path in ("/api/v1/incidents", "/api/v1/fleet", "/api/v1/maintenance", "/api/v1/sd"):
        answer = incident_app.client.get(path, headers=incident_app.user("webhook"))
        assert answer.status_code == 403, path
        assert "has webhook" in answer.json()["error"]
    assert _metric(incident_app, "netwarden_alert_webhook_rejected_total", reason="forbidden") == 1
    assert (
        _metric(incident_app, "netwarden_alert_webhook_rejected_total", reason="unauthorized") == 3
    )


def test_the_answer_counts_accepted_and_duplicates(incident_app: IncidentApp) -> None:
    first = incident_app.post_hook(_valid())
    assert first.json() == {
        "accepted": 3,
        "duplicates": 0,
        "incidents": ["INC-20261123-001", "INC-20261123-002"],
    }
    again = incident_app.post_hook(_valid())
    assert again.json() == {
        "accepted": 0,
        "duplicates": 3,
        "incidents": ["INC-20261123-001", "INC-20261123-002"],
    }
    assert _metric(incident_app, "netwarden_alerts_received_total", status="firing") == 6
    assert _metric(incident_app, "netwarden_alerts_duplicates_total") == 3
    assert (
        _metric(incident_app, "netwarden_alert_webhook_last_received_timestamp_seconds")
        == incident_app.clock.now
    )


def _bad(change: Any) -> bytes:
    data = _valid()
    change(data)
    return json.dumps(data).encode()


def _set(path: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        key: Any = int(last) if last.isdigit() else last
        if value is KeyError:
            del target[key]
        else:
            target[key] = value

    return change


CORPUS: list[tuple[str, bytes, int, str, str]] = [
    ("empty", b"", 400, "request body is empty: a JSON object is required", "not_json"),
    (
        "not json",
        b"{alerts:",
        400,
        "request body is not valid JSON: Expecting property name enclosed in double quotes at 1",
        "not_json",
    ),
    ("not utf-8", b"\xff\xfe{}", 400, "request body is not UTF-8", "not_json"),
    (
        "NaN",
        b'{"version": NaN}',
        400,
        "request body is not acceptable JSON: NaN is not a JSON number",
        "not_json",
    ),
    ("a list", b"[]", 400, "the webhook body must be a JSON object", "not_object"),
    ("a string", b'"alerts"', 400, "the webhook body must be a JSON object", "not_object"),
    (
        "no version",
        _bad(_set("version", KeyError)),
        400,
        "no version: an Alertmanager webhook body says version 4",
        "bad_version",
    ),
    (
        "version 3",
        _bad(_set("version", "3")),
        400,
        "payload version '3' is not supported (need '4')",
        "bad_version",
    ),
    (
        "no alerts",
        _bad(_set("alerts", KeyError)),
        400,
        "the webhook body has no alerts list",
        "no_alerts",
    ),
    (
        "alerts null",
        _bad(_set("alerts", None)),
        400,
        "the webhook body has no alerts list",
        "no_alerts",
    ),
    (
        "no fingerprint",
        _bad(_set("alerts.2.fingerprint", KeyError)),
        400,
        "alerts[2]: no fingerprint",
        "bad_alert",
    ),
    (
        "no status",
        _bad(_set("alerts.0.status", KeyError)),
        400,
        "alerts[0]: no status",
        "bad_alert",
    ),
    (
        "bad status",
        _bad(_set("alerts.0.status", "inactive")),
        400,
        "alerts[0].status must be firing or resolved",
        "bad_alert",
    ),
    (
        "no startsAt",
        _bad(_set("alerts.1.startsAt", KeyError)),
        400,
        "alerts[1]: no startsAt",
        "bad_alert",
    ),
    (
        "bad startsAt",
        _bad(_set("alerts.1.startsAt", "2026-11-22 22:50")),
        400,
        "alerts[1].startsAt '2026-11-22 22:50': not an RFC 3339 time with a zone, like"
        " 2026-11-22T22:50:33.805Z",
        "bad_time",
    ),
    (
        "bad endsAt",
        _bad(_set("alerts.0.endsAt", "2026-02-30T00:00:00Z")),
        400,
        "alerts[0].endsAt '2026-02-30T00:00:00Z': not a calendar date: day is out of range"
        " for month",
        "bad_time",
    ),
    (
        "labels list",
        _bad(_set("alerts.0.labels", [])),
        400,
        "alerts[0].labels must be an object of strings",
        "bad_alert",
    ),
    (
        "truncated text",
        _bad(_set("truncatedAlerts", "many")),
        400,
        "truncatedAlerts must be a whole number >= 0",
        "bad_shape",
    ),
]


@pytest.mark.parametrize(
    ("name", "raw", "status", "error", "reason"), CORPUS, ids=[c[0] for c in CORPUS]
)
def test_bad_bodies_get_their_status_and_error_and_store_nothing(
    incident_app: IncidentApp, name: str, raw: bytes, status: int, error: str, reason: str
) -> None:
    before = _rows(incident_app)
    answer = incident_app.client.post(PATH, content=raw, headers=incident_app.user("webhook"))
    assert (answer.status_code, answer.json()) == (status, {"error": error})
    assert _rows(incident_app) == before
    assert _metric(incident_app, "netwarden_alert_webhook_rejected_total", reason=reason) == 1


def test_the_route_takes_8_mib_but_not_more(incident_app: IncidentApp) -> None:
    # A storm's group: 3,000 alerts with long annotations, ~3 MiB, above the usual 1 MiB.
    alerts = [
        alert("DeviceDown", incident=f"device/d{i % 40}", n=str(i), summary="x" * 900)
        for i in range(3000)
    ]
    big = json.dumps(body(*alerts)).encode()
    assert 2 * 1024 * 1024 < len(big) < 8 * 1024 * 1024
    answer = incident_app.client.post(PATH, content=big, headers=incident_app.user("webhook"))
    assert answer.status_code == 200 and answer.json()["accepted"] == 3000
    huge = b'{"version": "4", "alerts": [], "pad": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    refused = incident_app.client.post(PATH, content=huge, headers=incident_app.user("webhook"))
    assert refused.status_code == 413
    assert refused.json() == {"error": "request body is larger than 8192 KiB"}
    assert _metric(incident_app, "netwarden_alert_webhook_rejected_total", reason="too_large") == 1


def test_truncated_alerts_are_counted(incident_app: IncidentApp) -> None:
    data = _valid()
    data["truncatedAlerts"] = 250
    assert incident_app.post_hook(data).status_code == 200
    assert _metric(incident_app, "netwarden_alerts_truncated_total") == 250
    shown = incident_app.client.get(
        "/api/v1/incidents/INC-20261123-001", headers=incident_app.user("viewer")
    ).json()
    assert shown["truncated_alerts"] == 250
    assert any(t["kind"] == "truncated" for t in shown["timeline"])


# --- property test -------------------------------------------------------------------------
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
FIELDS = [
    "version",
    "alerts",
    "truncatedAlerts",
    "status",
    "fingerprint",
    "startsAt",
    "endsAt",
    "labels",
    "annotations",
    "generatorURL",
    "incident",
    "severity",
    "alertname",
]
TIMES = st.sampled_from(
    [
        "2026-11-22T22:50:33Z",
        "2026-11-22T22:50:33.123456789+07:00",
        "",
        "0001-01-01T00:00:00Z",
        "2026-11-31T00:00:00Z",
        "9999-01-01T00:00:00Z",
    ]
)


def _mutate(data: dict[str, Any], where: int, field: str, value: Any, drop: bool) -> None:
    alerts = data.get("alerts")
    target: Any = data
    if (
        isinstance(alerts, list)
        and alerts
        and field not in ("version", "alerts", "truncatedAlerts")
    ):
        target = alerts[where % len(alerts)]
        if field in ("incident", "severity", "alertname") and isinstance(target, dict):
            target = target.get("labels")
    if not isinstance(target, dict):
        return
    if drop:
        target.pop(field, None)
    else:
        target[field] = value


def _stored(app: IncidentApp, data: dict[str, Any]) -> set[tuple[str, int]]:
    keys = set()
    for a in data["alerts"]:
        keys.add((a["fingerprint"], parse_ns(a["startsAt"])))
    with app.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(incident_alerts.c.fingerprint, incident_alerts.c.starts_ns).where(
                incident_alerts.c.fingerprint.in_([k[0] for k in keys])
            )
        ).all()
    return {(fp, ns) for fp, ns in rows} & keys


MUTATIONS = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from(FIELDS), JSON | TIMES, st.booleans()),
    min_size=1,
    max_size=4,
)


# 100 examples, as its PostgreSQL twin runs (tests/incidents/test_webhook_property.py): each
# posts one request and reads the tables twice, and 100 already mutate every field of FIELDS
# at several positions; the two runs together try 200 bodies.
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutations=MUTATIONS, fresh=st.integers(0, 10**9))
def test_mutations_never_get_5xx_nor_leave_a_partial_request(
    incident_app: IncidentApp, mutations: list[tuple[int, str, Any, bool]], fresh: int
) -> None:
    check_mutations(incident_app, mutations, fresh)


def check_mutations(
    incident_app: IncidentApp, mutations: list[tuple[int, str, Any, bool]], fresh: int
) -> None:
    """Post a valid body changed by ``mutations``: never a 5xx, never a partial request
    (also run on PostgreSQL, tests/incidents/test_webhook_property.py)."""
    data = _valid()
    for a in data["alerts"]:
        a["fingerprint"] = f"{a['fingerprint'][:8]}{fresh:08x}"[:16]  # new alerts each example
    for where, field, value, drop in mutations:
        _mutate(data, where, field, copy.deepcopy(value), drop)
    before = _rows(incident_app)
    answer = incident_app.client.post(PATH, json=data, headers=incident_app.user("webhook"))
    assert answer.status_code < 500, (data, answer.text)
    assert isinstance(answer.json(), dict)
    if answer.status_code != 200:
        assert isinstance(answer.json()["error"], str)
        assert _rows(incident_app) == before  # nothing half-stored
        return
    # Accepted: every alert of the request is stored, whatever it joined, and no incident is
    # without an alert or a timeline.
    wanted = {(a["fingerprint"], parse_ns(a["startsAt"])) for a in data["alerts"]}
    assert _stored(incident_app, data) == wanted
    with incident_app.store.engine.connect() as conn:
        for child in (incident_alerts, incident_timeline):
            orphans = sa.select(incidents.c.id).where(
                ~incidents.c.id.in_(sa.select(child.c.incident_id))
            )
            assert conn.execute(orphans).all() == []
