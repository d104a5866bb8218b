"""The webhook intake on SQLite and PostgreSQL: fire, repeat, resolve, re-fire, re-open, storms,
truncation, maintenance, and a request that fails half-way leaving nothing behind."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from netwarden.collector.incidents.maintenance import Window
from netwarden.collector.incidents.topology import Topology
from netwarden.collector.store import Store, StoreError
from netwarden.collector.store.incident_schema import INCIDENT_TABLES
from netwarden.collector.store.incident_store import IncidentStore
from tests.unit.incidents.province import province
from tests.unit.incidents.webhooks import BASE, alert, hook, resolved

NOW = BASE + 60
AM = "user:alertmanager"


@pytest.fixture(scope="module")
def topo() -> Topology:
    return Topology(province())


@pytest.fixture
def record(store: Store) -> IncidentStore:
    return IncidentStore(store.engine)


def _rows(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in INCIDENT_TABLES
        }


def test_fire_repeat_resolve_refire(record: IncidentStore, topo: Topology) -> None:
    down = alert(incident="link/tsl-so-tc", device="sw-so-tc", ifDescr="wan0")
    first = record.ingest(hook(down), topo, AM, NOW)
    assert (first.accepted, first.duplicates) == (1, 0)
    (inc_id,) = first.incidents
    assert inc_id == "INC-20261123-001"  # the Vietnam date of its discovery
    repeat = record.ingest(hook(down), topo, AM, NOW + 300)  # repeat_interval
    assert (repeat.accepted, repeat.duplicates, repeat.incidents) == (0, 1, [inc_id])
    shown = record.incident(inc_id)
    assert shown.incident.status == "open" and len(shown.alerts) == 1
    assert [t.kind for t in shown.timeline] == ["alert-fired", "opened"]

    up = record.ingest(hook(resolved(down, 600)), topo, AM, NOW + 600)
    assert (up.accepted, up.duplicates) == (1, 0)
    shown = record.incident(inc_id)
    assert shown.incident.status == "resolved"
    assert shown.incident.resolved_at == BASE + 600  # when the alert ended, not received
    assert shown.incident.resolved_by == "collector"
    assert shown.alerts[0].ends_ns == int((BASE + 600) * 1e9)
    again = record.ingest(hook(resolved(down, 600)), topo, AM, NOW + 700)
    assert (again.accepted, again.duplicates) == (0, 1)
    late = record.ingest(hook(down), topo, AM, NOW + 800)  # a late retry of the firing
    assert (late.accepted, late.duplicates) == (0, 1)
    assert record.incident(inc_id).incident.status == "resolved"

    # The same alert fires again 10 minutes later: a new firing, the same incident re-opened.
    refire = {**down, "startsAt": alert(starts=1200)["startsAt"]}
    back = record.ingest(hook(refire), topo, AM, NOW + 1200)
    assert (back.accepted, back.incidents) == (1, [inc_id])
    shown = record.incident(inc_id)
    assert shown.incident.status == "open" and shown.incident.reopened == 1
    assert len(shown.alerts) == 2 and shown.incident.resolved_at is None
    assert "reopened" in [t.kind for t in shown.timeline]


def test_alerts_about_the_pipeline_or_the_record_open_no_incident(
    record: IncidentStore, store: Store, topo: Topology
) -> None:
    # The Watchdog always fires; an escalation or a report deadline is about an incident.
    watchdog = alert("Watchdog", severity="none", incident="service/alerting-pipeline")
    escalation = alert("NetwardenIncidentUnacknowledged", incident="incident/INC-20261123-001")
    overdue = alert("NetwardenIncidentReportOverdue", incident="report/INC-20261123-001")
    got = record.ingest(hook(watchdog, escalation, overdue), topo, AM, NOW)
    assert (got.accepted, got.duplicates, got.incidents) == (3, 0, [])
    assert set(_rows(store).values()) == {0}
    down = alert(incident="link/tsl-so-tc")
    assert len(record.ingest(hook(down, watchdog), topo, AM, NOW).incidents) == 1


def test_after_thirty_minutes_the_key_opens_a_new_incident(
    record: IncidentStore, topo: Topology
) -> None:
    down = alert(incident="link/tsl-so-yt")
    first = record.ingest(
        hook(down, resolved(alert("Other", incident="link/tsl-so-yt"), 5)), topo, AM, NOW
    ).incidents
    record.ingest(hook(resolved(down, 100)), topo, AM, NOW + 100)
    assert record.incident(first[0]).incident.status == "resolved"
    later = {**down, "startsAt": alert(starts=100 + 1801)["startsAt"]}
    second = record.ingest(hook(later), topo, AM, NOW + 2000).incidents
    assert second != first and second == ["INC-20261123-002"]


def test_acknowledged_stays_acknowledged_when_reopened(
    record: IncidentStore, topo: Topology
) -> None:
    down = alert(incident="device/core-rtr")
    (inc_id,) = record.ingest(hook(down), topo, AM, NOW).incidents
    assert record.acknowledge(inc_id, "user:lan", NOW + 10, "on it")
    record.ingest(hook(resolved(down, 60)), topo, AM, NOW + 60)
    record.ingest(hook({**down, "startsAt": alert(starts=120)["startsAt"]}), topo, AM, NOW + 120)
    assert record.incident(inc_id).incident.status == "acknowledged"


def test_a_closed_incident_is_never_reopened(record: IncidentStore, topo: Topology) -> None:
    down = alert(incident="group/cg-so-tc")
    (inc_id,) = record.ingest(hook(down), topo, AM, NOW).incidents
    record.ingest(hook(resolved(down, 30)), topo, AM, NOW + 30)
    record.close(inc_id, "camera power restored", "user:boss", NOW + 40)
    again = record.ingest(
        hook({**down, "startsAt": alert(starts=60)["startsAt"]}), topo, AM, NOW + 60
    )
    assert again.incidents != [inc_id]
    assert record.incident(inc_id).incident.status == "closed"


def test_a_group_of_alerts_fills_one_incident_with_the_highest_severity(
    record: IncidentStore, topo: Topology
) -> None:
    alerts = [
        alert("InterfaceDown", severity="warning", incident="link/tsl-so-tc", ifIndex=str(i))
        for i in range(3)
    ]
    alerts.append(alert("LinkDown", severity="critical", starts=-30, incident="link/tsl-so-tc"))
    result = record.ingest(hook(*alerts), topo, AM, NOW)
    assert result.accepted == 4 and len(result.incidents) == 1
    inc = record.incident(result.incidents[0]).incident
    assert inc.severity == "critical" and inc.opened_at == BASE - 30  # the earliest startsAt
    assert inc.serious and inc.site == "so-tc" and inc.alert_count == 4
    assert [t.id for t in inc.affected.sites] == ["cg-so-tc", "so-tc"]


def test_a_storm_of_500_alerts_is_one_transaction(
    record: IncidentStore, topo: Topology, store: Store
) -> None:
    alerts = [alert("DeviceDown", incident=f"device/dev-{i % 50}", n=str(i)) for i in range(500)]
    result = record.ingest(hook(*alerts), topo, AM, NOW)
    assert (result.accepted, result.duplicates, len(result.incidents)) == (500, 0, 50)
    assert _rows(store)["incident_alerts"] == 500
    assert record.ingest(hook(*alerts), topo, AM, NOW + 60).duplicates == 500
    assert _rows(store)["incident_alerts"] == 500


def test_an_alert_seen_only_resolved_is_recorded_and_resolves_its_incident(
    record: IncidentStore, topo: Topology
) -> None:
    blip = resolved(alert("PortalSlow", incident="service/cong-dvc"), 20)
    (inc_id,) = record.ingest(hook(blip), topo, AM, NOW).incidents
    inc = record.incident(inc_id)
    assert inc.incident.status == "resolved" and inc.alerts[0].status == "resolved"
    assert [t.kind for t in inc.timeline] == [
        "alert-fired",
        "alert-resolved",
        "opened",
        "status-changed",
    ]


def test_truncated_alerts_are_noted_once_per_value(record: IncidentStore, topo: Topology) -> None:
    down = alert(incident="link/tsl-so-tc")
    (inc_id,) = record.ingest(hook(down, truncated=120), topo, AM, NOW).incidents
    record.ingest(hook(down, truncated=120), topo, AM, NOW + 60)
    record.ingest(hook(down, truncated=140), topo, AM, NOW + 120)
    inc = record.incident(inc_id)
    notes = [t.text for t in inc.timeline if t.kind == "truncated"]
    assert len(notes) == 2 and "left 140 alerts" in notes[1]
    assert inc.incident.truncated_alerts == 140


def test_alerts_inside_a_maintenance_window_mark_their_incident(
    record: IncidentStore, topo: Topology
) -> None:
    window = Window(
        0, "so-tc", None, None, BASE - 60, BASE + 3600, "thay switch", "user:lan", BASE - 100
    )
    record.add_window(window, "user:lan")
    inside = record.ingest(hook(alert(incident="link/tsl-so-tc")), topo, AM, NOW).incidents
    elsewhere = record.ingest(hook(alert(incident="link/tsl-so-yt")), topo, AM, NOW).incidents
    later = record.ingest(
        hook(alert("X", starts=4000, incident="device/srv-so-tc")), topo, AM, NOW + 4000
    ).incidents
    assert record.incident(inside[0]).incident.in_maintenance
    assert not record.incident(elsewhere[0]).incident.in_maintenance
    assert not record.incident(later[0]).incident.in_maintenance  # after the window
    texts = [t.text for t in record.incident(inside[0]).timeline if t.kind == "maintenance"]
    assert texts == ["alert started inside maintenance window 1 (site so-tc): thay switch"]


def test_a_failure_half_way_leaves_nothing(
    record: IncidentStore, topo: Topology, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netwarden.collector.store import incident_intake

    calls = {"n": 0}
    real = incident_intake.Intake._check_maintenance

    def failing(self: incident_intake.Intake, *args: object) -> None:
        calls["n"] += 1
        if calls["n"] == 40:
            raise StoreError("database error: disk full")  # as a dying database would
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(incident_intake.Intake, "_check_maintenance", failing)
    alerts = [alert("DeviceDown", incident=f"device/d{i}") for i in range(60)]
    before = _rows(store)
    with pytest.raises(StoreError):
        record.ingest(hook(*alerts), topo, AM, NOW)
    assert _rows(store) == before  # not one incident, alert or timeline line
    monkeypatch.setattr(incident_intake.Intake, "_check_maintenance", real)
    assert record.ingest(hook(*alerts), topo, AM, NOW).accepted == 60


def test_concurrent_deliveries_of_one_key_make_one_incident(
    record: IncidentStore, topo: Topology
) -> None:
    """Alertmanager may deliver two groups of one key at once (two routes, a retry)."""
    errors: list[BaseException] = []

    def deliver(n: int) -> None:
        try:
            record.ingest(
                hook(alert("LinkDown", incident="link/tsl-so-tc", n=str(n))), topo, AM, NOW
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    (only,) = record.incidents("all", None, 10)
    assert only.alert_count == 8


def test_incident_numbers_count_per_vietnam_day(record: IncidentStore, topo: Topology) -> None:
    ids = [
        record.ingest(hook(alert(incident=f"device/d{i}", starts=s)), topo, AM, NOW).incidents[0]
        for i, s in enumerate([0, 10, 4 * 3600])  # +4 h: 02:50 UTC = 09:50 on the 23rd still
    ]
    ids.append(
        record.ingest(hook(alert(incident="device/x", starts=19 * 3600)), topo, AM, NOW).incidents[
            0
        ]
    )
    assert ids == ["INC-20261123-001", "INC-20261123-002", "INC-20261123-003", "INC-20261124-001"]


@pytest.fixture
def many(record: IncidentStore, topo: Topology) -> list[str]:
    return [
        record.ingest(hook(alert(incident=f"link/{x}")), topo, AM, NOW).incidents[0]
        for x in ("tsl-so-tc", "tsl-so-yt")
    ]


def test_listing_filters_by_status_and_site(record: IncidentStore, many: list[str]) -> None:
    tc, yt = many
    assert [i.id for i in record.incidents("all", "cg-so-tc", 10)] == [tc]
    assert [i.id for i in record.incidents("all", "so-yt", 10)] == [yt]
    record.acknowledge(yt, "user:lan", NOW, "")
    assert [i.id for i in record.incidents("open", None, 10)] == [tc]
    assert {i.id for i in record.incidents("active", None, 10)} == {tc, yt}
    assert record.incidents("closed", None, 10) == []
    assert len(record.incidents("all", None, 1)) == 1
