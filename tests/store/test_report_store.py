"""The report drafts' rows on SQLite and PostgreSQL: report fields and drafts made, each a
timeline line and an audit entry; pruned with their incident; carried by a dump; the summary's
incidents and the deadlines' sources."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from netwarden.collector.incidents.errors import IncidentStateError, UnknownIncidentError
from netwarden.collector.incidents.topology import Topology
from netwarden.collector.store import Store, open_store
from netwarden.collector.store.incident_store import IncidentStore
from netwarden.collector.store.report_store import ReportStore
from netwarden.reports.national.record import PersonFields
from tests.unit.incidents.province import province
from tests.unit.incidents.webhooks import BASE, alert, hook, resolved

NOW = BASE + 60
DAY = 86400.0


@pytest.fixture
def record(store: Store) -> IncidentStore:
    return IncidentStore(store.engine)


@pytest.fixture
def reports(store: Store) -> ReportStore:
    return ReportStore(store.engine)


def _open(record: IncidentStore, key: str = "link/tsl-so-tc") -> str:
    return record.ingest(hook(alert(incident=key)), Topology(province()), "am", NOW).incidents[0]


def _made(reports: ReportStore, incident: str, form: str, now: float) -> None:
    reports.record_made(
        incident,
        form=form,
        fmt="pdf",
        template="tt20-2017",
        sha256="a" * 64,
        size=10,
        actor="user:lan",
        now=now,
    )


def test_fields_and_drafts_are_recorded(
    record: IncidentStore, reports: ReportStore, store: Store
) -> None:
    inc = _open(record)
    changes = {"incident_type": "dos", "description": "mô tả", "support_requested": True}
    assert reports.set_fields(inc, changes, "user:lan", NOW + 1) == [
        "support requested: yes",
        "incident type: dos",
        "description: mô tả",
    ]
    assert reports.set_fields(inc, {"incident_type": "dos"}, "user:lan", NOW + 2) == []
    assert reports.set_fields(
        inc, {"handled_with": "alone", "description": None}, "u", NOW + 3
    ) == ["description: (none)", "handled with: alone"]
    _made(reports, inc, "notice", NOW + 4)
    _made(reports, inc, "notice", NOW + 5)
    given = reports.report_input(inc)
    assert given.person == PersonFields("dos", None, "alone")
    assert [(m.seq, m.form) for m in given.made] == [(1, "notice"), (2, "notice")]
    assert given.detail.incident.support_requested is True
    kinds = [t.kind for t in given.detail.timeline]
    assert kinds.count("report-fields") == 4 and kinds.count("report-made") == 2
    made = [t.text for t in given.detail.timeline if t.kind == "report-made"]
    assert made[0] == f"report 1 made: notice (tt20-2017, pdf, 10 bytes, sha256 {'a' * 64})"
    actions = [e.action for e in store.audit_entries(20)]
    assert actions.count("incident.report") == 2 and actions.count("incident.report-fields") == 2
    with pytest.raises(UnknownIncidentError):
        reports.report_input("INC-20261123-999")


def test_a_closed_incident_takes_report_fields_and_drafts_not_flags(
    record: IncidentStore, reports: ReportStore
) -> None:
    inc = _open(record)
    record.resolve(inc, "xong", "u", NOW + 1)
    record.close(inc, "đóng", "u", NOW + 2)
    assert reports.set_fields(inc, {"incident_type": "other"}, "u", NOW + 3)
    _made(reports, inc, "final", NOW + 4)
    with pytest.raises(IncidentStateError, match="final"):
        reports.set_fields(inc, {"confidential": True}, "u", NOW + 5)


def test_pruning_takes_the_report_rows_along(record: IncidentStore, reports: ReportStore) -> None:
    inc = _open(record)
    reports.set_fields(inc, {"incident_type": "dos"}, "u", NOW)
    _made(reports, inc, "notice", NOW)
    record.resolve(inc, "xong", "u", NOW + 1)
    record.close(inc, "đóng", "u", NOW + 2)
    pruned, _ = record.prune(NOW + 10, "collector", NOW + 400 * DAY)
    assert pruned == [inc] and reports.due_sources() == []
    assert reports.summary_entries(0, NOW + DAY) == []


def test_summary_entries_and_due_sources(record: IncidentStore, reports: ReportStore) -> None:
    topo = Topology(province())
    a = _open(record)
    down = alert(incident="link/tsl-so-yt", starts=DAY)
    b = record.ingest(hook(down), topo, "am", NOW + DAY).incidents[0]
    record.ingest(hook(resolved(down, DAY + 600)), topo, "am", NOW + DAY + 600)
    reports.set_fields(b, {"incident_type": "malware", "handled_with": "national"}, "u", NOW)
    _made(reports, a, "notice", NOW)
    entries = reports.summary_entries(BASE - 1, BASE + 2 * DAY)
    assert [(e.id, e.incident_type, e.handled_with) for e in entries] == [
        (a, None, None),
        (b, "malware", "national"),
    ]
    assert [e.id for e in reports.summary_entries(BASE + 1, BASE + 2 * DAY)] == [b]
    due = {s.id: s for s in reports.due_sources()}
    assert due[a].made == frozenset({"notice"}) and due[a].resolved_at is None
    assert due[b].resolved_at == BASE + DAY + 600 and due[b].opened_at == BASE + DAY


def test_a_dump_carries_the_report_rows(
    record: IncidentStore, reports: ReportStore, store: Store, tmp_path: Path
) -> None:
    inc = _open(record)
    reports.set_fields(inc, {"incident_type": "dos", "description": "x"}, "u", NOW)
    _made(reports, inc, "initial", NOW)
    dump = io.BytesIO()
    store.dump(dump)
    dump.seek(0)
    other = open_store(f"sqlite:///{tmp_path}/other.db")
    try:
        other.restore(dump, replace=False)
        assert ReportStore(other.engine).report_input(inc) == reports.report_input(inc)
    finally:
        other.close()
