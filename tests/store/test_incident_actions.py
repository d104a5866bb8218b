"""People's actions on an incident, retention, maintenance windows and backups of the record,
on SQLite and PostgreSQL. Every change leaves a timeline line and an audit entry."""

from __future__ import annotations

import io

import pytest

from netwarden.collector.incidents.errors import IncidentStateError, UnknownIncidentError
from netwarden.collector.incidents.maintenance import Window
from netwarden.collector.incidents.topology import Topology
from netwarden.collector.store import Store, open_store
from netwarden.collector.store.incident_store import IncidentStore
from tests.unit.incidents.province import province
from tests.unit.incidents.webhooks import BASE, alert, hook, resolved

NOW = BASE + 60
DAY = 86400.0


@pytest.fixture
def record(store: Store) -> IncidentStore:
    return IncidentStore(store.engine)


@pytest.fixture
def incident(record: IncidentStore) -> str:
    result = record.ingest(hook(alert(incident="link/tsl-so-tc")), Topology(province()), "am", NOW)
    return result.incidents[0]


def _actions(store: Store) -> list[str]:
    return [e.action for e in reversed(store.audit_entries(100))]


def test_the_lifecycle_by_hand(record: IncidentStore, incident: str, store: Store) -> None:
    assert record.acknowledge(incident, "user:lan", NOW + 1, "đang kiểm tra")
    assert not record.acknowledge(incident, "user:mai", NOW + 2, "")  # nothing changes
    record.note(incident, "VNPT báo đứt cáp quang\nđang khắc phục", "user:lan", NOW + 3)
    with pytest.raises(IncidentStateError, match="resolve it first"):
        record.close(incident, "too early", "user:boss", NOW + 4)
    record.resolve(incident, "VNPT hàn lại cáp", "user:lan", NOW + 5)
    with pytest.raises(IncidentStateError, match="cannot resolve"):
        record.resolve(incident, "again", "user:lan", NOW + 6)
    record.close(incident, "Sự cố do nhà mạng", "user:boss", NOW + 7)
    for refused in (
        lambda: record.note(incident, "late", "user:lan", NOW + 8),
        lambda: record.set_flags(incident, {"confidential": True}, "user:lan", NOW + 8),
        lambda: record.acknowledge(incident, "user:lan", NOW + 8, ""),
    ):
        with pytest.raises(IncidentStateError):
            refused()
    inc = record.incident(incident)
    assert inc.incident.status == "closed"
    assert (inc.incident.acknowledged_by, inc.incident.resolved_by, inc.incident.closed_by) == (
        "user:lan",
        "user:lan",
        "user:boss",
    )
    assert inc.incident.resolution == "VNPT hàn lại cáp"
    assert inc.incident.closing_summary == "Sự cố do nhà mạng"
    kinds = [t.kind for t in inc.timeline]
    assert kinds[-4:] == ["acknowledged", "note", "status-changed", "status-changed"]
    assert inc.timeline[-3].text == "VNPT báo đứt cáp quang\nđang khắc phục"
    assert _actions(store)[-4:] == [
        "incident.ack",
        "incident.note",
        "incident.resolve",
        "incident.close",
    ]


def test_unknown_incidents_are_404(record: IncidentStore) -> None:
    with pytest.raises(UnknownIncidentError, match="no incident INC-20991231-001") as info:
        record.note("INC-20991231-001", "x", "user:lan", NOW)
    assert info.value.status == 404
    with pytest.raises(UnknownIncidentError):
        record.incident("INC-20991231-001")


def test_flags_change_only_what_differs(record: IncidentStore, incident: str) -> None:
    assert record.incident(incident).incident.serious  # level-4 agency cut off
    changed = record.set_flags(
        incident, {"confidential": True, "serious_confirmed": True}, "user:lan", NOW
    )
    assert changed == ["confidential: yes", "serious (QĐ 05/2017) confirmed; computed: yes"]
    assert record.set_flags(incident, {"confidential": True}, "user:lan", NOW) == []
    assert record.set_flags(incident, {"support_requested": True}, "user:mai", NOW) == [
        "support requested: yes"
    ]
    inc = record.incident(incident).incident
    assert inc.confidential and inc.support_requested
    assert inc.serious_confirmed is True and inc.serious_confirmed_by == "user:lan"


def test_evidence_rows_number_per_incident(record: IncidentStore, incident: str) -> None:
    first = record.add_evidence(
        incident,
        name="show-int.txt",
        sha256="a" * 64,
        size=10,
        source="user:lan",
        step=None,
        now=NOW,
    )
    second = record.add_evidence(
        incident,
        name="ping.txt",
        sha256="b" * 64,
        size=20,
        source="agent:agent-so-tc",
        step="ping-core",
        now=NOW + 1,
    )
    assert (first.id, second.id) == (1, 2)
    row, confidential = record.evidence(incident, 2)
    assert row == second and not confidential
    inc = record.incident(incident)
    assert [e.name for e in inc.evidence] == ["show-int.txt", "ping.txt"]
    added = [t for t in inc.timeline if t.kind == "evidence-added"]
    assert added[1].actor == "agent:agent-so-tc" and "step ping-core" in added[1].text
    with pytest.raises(UnknownIncidentError, match="has no evidence 3"):
        record.evidence(incident, 3)


def test_retention_prunes_closed_incidents_and_says_so(record: IncidentStore, store: Store) -> None:
    topo = Topology(province())
    ids = []
    for key in ("link/tsl-so-tc", "link/tsl-so-yt", "device/core-rtr"):
        down = alert(incident=key)
        ids.append(record.ingest(hook(down), topo, "am", NOW).incidents[0])
        record.ingest(hook(resolved(down, 10)), topo, "am", NOW + 10)
    shared = "c" * 64  # the same file attached to a pruned and a kept incident stays
    for incident in (ids[0], ids[2]):
        record.add_evidence(
            incident, name="x", sha256=shared, size=1, source="u", step=None, now=NOW
        )
    record.add_evidence(ids[1], name="y", sha256="d" * 64, size=1, source="u", step=None, now=NOW)
    for n in range(2):
        record.close(ids[n], "done", "user:boss", NOW + 100 + n * DAY)
    pruned, orphans = record.prune(NOW + 100 + 0.5 * DAY, "collector", NOW + 400 * DAY)
    assert pruned == [ids[0]]  # the other was closed later; the third is not closed
    assert orphans == set()
    pruned, orphans = record.prune(NOW + 100 + 2 * DAY, "collector", NOW + 401 * DAY)
    assert pruned == [ids[1]] and orphans == {"d" * 64}
    assert [i.id for i in record.incidents("all", None, 10)] == [ids[2]]
    entries = [e for e in store.audit_entries(100) if e.action == "incident.prune"]
    assert {e.target for e in entries} == {ids[0], ids[1]}
    assert "before the retention bound" in entries[0].detail


def test_windows_list_end_and_cancel(record: IncidentStore, store: Store) -> None:
    def window(site: str, start: float, end: float) -> Window:
        return Window(0, site, None, None, start, end, "bảo trì", "user:lan", NOW)

    first = record.add_window(window("so-tc", NOW + 100, NOW + 200), "user:lan")
    second = record.add_window(window("so-yt", NOW + 300, NOW + 400), "user:lan")
    assert (first.id, second.id) == (1, 2)
    assert [w.id for w in record.windows(NOW, None)] == [1, 2]
    assert [w.id for w in record.windows(NOW + 250, NOW + 350)] == [2]
    assert [w.id for w in record.windows(None, NOW + 150)] == [1]
    # Removing a window in progress ends it now; one not begun is cancelled and gone.
    _, done = record.remove_window(1, "user:mai", NOW + 150)
    assert done == "ended"
    assert record.window(1).ends_at == NOW + 150
    _, done = record.remove_window(2, "user:mai", NOW + 150)
    assert done == "cancelled"
    assert [w.id for w in record.windows(None, None)] == [1]
    with pytest.raises(UnknownIncidentError):
        record.remove_window(2, "user:mai", NOW + 160)
    with pytest.raises(IncidentStateError, match="over already"):
        record.remove_window(1, "user:mai", NOW + 160)
    assert _actions(store)[-4:] == [
        "maintenance.add",
        "maintenance.add",
        "maintenance.remove",
        "maintenance.remove",
    ]


def test_a_dump_carries_the_record_to_another_database(
    record: IncidentStore, incident: str, store: Store, tmp_path: object
) -> None:
    record.note(incident, "ghi chú", "user:lan", NOW)
    record.add_window(Window(0, "so-tc", None, None, NOW, NOW + 60, "r", "u", NOW), "user:lan")
    dump = io.BytesIO()
    store.dump(dump)
    dump.seek(0)
    other = open_store(f"sqlite:///{tmp_path}/other.db")
    try:
        other.restore(dump, replace=False)
        copy = IncidentStore(other.engine)
        assert copy.incident(incident) == record.incident(incident)
        assert copy.windows(None, None) == record.windows(None, None)
        # Numbering goes on after the restored rows.
        assert (
            copy.add_window(Window(0, "so-yt", None, None, NOW, NOW + 1, "r", "u", NOW), "u").id
            == 2
        )
    finally:
        other.close()
