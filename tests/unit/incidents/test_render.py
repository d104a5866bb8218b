"""What people read: `incident list`, `incident show` and `maintenance list` as text."""

from __future__ import annotations

from netwarden.collector.incident_render import incident_table, incident_text, window_table
from netwarden.collector.incidents.affected import Affected, Thing
from netwarden.collector.incidents.maintenance import Window
from netwarden.collector.incidents.records import (
    AlertRow,
    EvidenceRow,
    Incident,
    IncidentDetail,
    TimelineEntry,
)
from tests.unit.incidents.webhooks import BASE

AFFECTED = Affected(
    sites=(
        Thing("so-tc", "Sở Tài chính", "agency", ("so-tc",), 4),
        Thing("cg-so-tc", "Camera", "camera-group", ("cg-so-tc",), None),
    ),
    devices=(Thing("sw-so-tc", None, "switch", ("so-tc",), 4),),
    links=(Thing("tsl-so-tc", None, "dedicated-data-network", ("core", "so-tc"), 4),),
    services=(Thing("ke-toan", "Kế toán", "", ("so-tc",), 4),),
    interrupting=True,
    primary_site="so-tc",
)


def _incident(**changes: object) -> Incident:
    fields: dict[str, object] = dict(
        id="INC-20261123-001",
        key="link/tsl-so-tc",
        title="Tuyến tsl-so-tc mất kết nối",
        status="resolved",
        severity="critical",
        site="so-tc",
        opened_at=BASE,
        created_at=BASE + 5,
        acknowledged_at=BASE + 60,
        acknowledged_by="user:lan",
        resolved_at=BASE + 600,
        resolved_by="collector",
        resolution=None,
        closed_at=None,
        closed_by=None,
        closing_summary=None,
        affected=AFFECTED,
        serious=True,
        serious_confirmed=None,
        serious_confirmed_by=None,
        confidential=False,
        support_requested=True,
        in_maintenance=True,
        truncated_alerts=0,
        reopened=0,
        alert_count=1,
    )
    fields.update(changes)
    return Incident(**fields)  # type: ignore[arg-type]


def _detail(incident: Incident) -> dict[str, object]:
    alert = AlertRow(
        "fp1",
        "LinkDown",
        "resolved",
        "critical",
        int(BASE * 1e9),
        int((BASE + 600) * 1e9),
        {"alertname": "LinkDown", "device": "core-rtr"},
        {},
    )
    timeline = (
        TimelineEntry(BASE, "alert-fired", "user:am", "LinkDown firing"),
        TimelineEntry(BASE + 60, "acknowledged", "user:lan", "đang xử lý"),
    )
    evidence = (EvidenceRow(incident.id, 1, "log.txt", "a" * 64, 12, BASE + 90, "agent:ag", "s1"),)
    return IncidentDetail(incident, (alert,), timeline, evidence).as_json()


def test_show_reads_as_a_record() -> None:
    text = incident_text(_detail(_incident()))  # type: ignore[arg-type]
    lines = text.splitlines()
    assert lines[0] == "INC-20261123-001  [resolved]  severity critical"
    assert "Discovered:     2026-11-23 05:50:33 +07" in lines
    assert "Acknowledged:   2026-11-23 05:51:33 +07 by user:lan" in lines
    assert "Closed:         -" in lines
    assert "Serious (QĐ 05/2017/QĐ-TTg): yes (computed; not yet confirmed by a person)" in lines
    assert "In maintenance: yes   confidential: no   support requested: yes" in lines
    assert (
        "  sites     cg-so-tc Camera (camera-group, no level set); "
        "so-tc Sở Tài chính (agency, level 4)"
    ) in lines
    assert "  links     tsl-so-tc (dedicated-data-network, level 4)" in lines
    assert any(
        x.startswith("  resolved  LinkDown  2026-11-23 05:50:33 +07 -> 2026-11-23 06:00:33")
        and x.endswith("device=core-rtr")
        for x in lines
    )
    assert any("acknowledged" in x and "user:lan" in x and "đang xử lý" in x for x in lines)
    assert any(
        x.strip().startswith("1  log.txt  12 bytes") and x.endswith("agent:ag step s1")
        for x in lines
    )


def test_show_says_who_confirmed_serious_and_the_summaries() -> None:
    inc = _incident(
        serious_confirmed=False,
        serious_confirmed_by="user:boss",
        status="closed",
        resolution="hàn cáp",
        closing_summary="nhà mạng",
        truncated_alerts=40,
    )
    text = incident_text(_detail(inc))  # type: ignore[arg-type]
    assert "Serious (QĐ 05/2017/QĐ-TTg): not confirmed by user:boss (computed: yes)" in text
    assert "Resolution:     hàn cáp" in text and "Closing summary: nhà mạng" in text
    assert "Alertmanager left 40 alerts out of a notification" in text


def test_list_table_flags_and_sites() -> None:
    rows = [
        _incident().as_json(),
        _incident(
            id="INC-20261123-002",
            serious_confirmed=True,
            in_maintenance=False,
            support_requested=False,
            confidential=True,
        ).as_json(),
    ]
    table = incident_table(rows).splitlines()
    assert table[0].split() == [
        "ID",
        "STATUS",
        "SEVERITY",
        "DISCOVERED",
        "(+07)",
        "SITES",
        "ALERTS",
        "FLAGS",
        "TITLE",
    ]
    assert table[2].split()[:8] == [
        "INC-20261123-001",
        "resolved",
        "critical",
        "2026-11-23",
        "05:50:33",
        "cg-so-tc,so-tc",
        "1",
        "serious?,maintenance,support",
    ]
    assert "SERIOUS,confidential" in table[3]


def test_window_table() -> None:
    w = Window(3, None, "tsl-so-tc", None, BASE, BASE + 3600, "VNPT bảo trì", "user:lan", BASE)
    lines = window_table([w.as_json()]).splitlines()
    assert lines[2].split()[:7] == [
        "3",
        "link",
        "tsl-so-tc",
        "2026-11-23",
        "05:50:33",
        "2026-11-23",
        "06:50:33",
    ]
    assert lines[2].endswith("user:lan  VNPT bảo trì")
