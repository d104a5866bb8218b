"""Reading the incident record: listings, one incident in full, evidence rows, metric figures."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from netwarden.collector.incidents.affected import Affected
from netwarden.collector.incidents.errors import UnknownIncidentError
from netwarden.collector.incidents.lifecycle import ACTIVE
from netwarden.collector.incidents.records import (
    AlertRow,
    EvidenceRow,
    Incident,
    IncidentDetail,
    TimelineEntry,
)
from netwarden.collector.store.incident_schema import incident_alerts as ia
from netwarden.collector.store.incident_schema import incident_evidence as ie
from netwarden.collector.store.incident_schema import incident_sites as isites
from netwarden.collector.store.incident_schema import incident_timeline as it
from netwarden.collector.store.incident_schema import incidents

IN_CHUNK = 500


def to_incident(r: RowMapping, alert_count: int) -> Incident:
    """An ``incidents`` row as an ``Incident``."""
    return Incident(
        id=r["id"],
        key=r["key"],
        title=r["title"],
        status=r["status"],
        severity=r["severity"],
        site=r["site"],
        opened_at=r["opened_at"],
        created_at=r["created_at"],
        acknowledged_at=r["acknowledged_at"],
        acknowledged_by=r["acknowledged_by"],
        resolved_at=r["resolved_at"],
        resolved_by=r["resolved_by"],
        resolution=r["resolution"],
        closed_at=r["closed_at"],
        closed_by=r["closed_by"],
        closing_summary=r["closing_summary"],
        affected=Affected.from_json(r["affected"]),
        serious=bool(r["serious"]),
        serious_confirmed=r["serious_confirmed"],
        serious_confirmed_by=r["serious_confirmed_by"],
        confidential=bool(r["confidential"]),
        support_requested=bool(r["support_requested"]),
        in_maintenance=bool(r["in_maintenance"]),
        truncated_alerts=r["truncated_alerts"],
        reopened=r["reopened"],
        alert_count=alert_count,
    )


def _alert_counts(conn: Connection, ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in range(0, len(ids), IN_CHUNK):
        rows = conn.execute(
            sa.select(ia.c.incident_id, sa.func.count())
            .where(ia.c.incident_id.in_(ids[i : i + IN_CHUNK]))
            .group_by(ia.c.incident_id)
        )
        counts.update({incident_id: int(n) for incident_id, n in rows})
    return counts


def listing(conn: Connection, status: str, site: str | None, limit: int) -> list[Incident]:
    """Incidents newest first; ``status`` is one status, ``active`` (open or acknowledged) or
    ``all``; ``site`` keeps those affecting that site."""
    query = sa.select(incidents)
    if status == "active":
        query = query.where(incidents.c.status.in_(ACTIVE))
    elif status != "all":
        query = query.where(incidents.c.status == status)
    if site is not None:
        at_site = sa.select(isites.c.incident_id).where(isites.c.site == site)
        query = query.where(sa.or_(incidents.c.site == site, incidents.c.id.in_(at_site)))
    query = query.order_by(incidents.c.opened_at.desc(), incidents.c.id.desc()).limit(limit)
    rows = list(conn.execute(query).mappings())
    counts = _alert_counts(conn, [r["id"] for r in rows])
    return [to_incident(r, counts.get(r["id"], 0)) for r in rows]


def detail(conn: Connection, incident_id: str) -> IncidentDetail:
    """One incident with its alerts (by start), timeline (by time) and evidence."""
    r = conn.execute(sa.select(incidents).where(incidents.c.id == incident_id)).mappings().first()
    if r is None:
        raise UnknownIncidentError(f"no incident {incident_id}")
    alerts = tuple(
        AlertRow(
            fingerprint=a["fingerprint"],
            alertname=a["alertname"],
            status=a["status"],
            severity=a["severity"],
            starts_ns=a["starts_ns"],
            ends_ns=a["ends_ns"],
            labels=json.loads(a["labels"]),
            annotations=json.loads(a["annotations"]),
        )
        for a in conn.execute(
            sa.select(ia)
            .where(ia.c.incident_id == incident_id)
            .order_by(ia.c.starts_ns, ia.c.fingerprint)
        ).mappings()
    )
    timeline = tuple(
        TimelineEntry(at=t["at"], kind=t["kind"], actor=t["actor"], text=t["text"])
        for t in conn.execute(
            sa.select(it).where(it.c.incident_id == incident_id).order_by(it.c.at, it.c.seq)
        ).mappings()
    )
    evidence = tuple(
        to_evidence(e)
        for e in conn.execute(
            sa.select(ie).where(ie.c.incident_id == incident_id).order_by(ie.c.seq)
        ).mappings()
    )
    return IncidentDetail(to_incident(r, len(alerts)), alerts, timeline, evidence)


def to_evidence(r: RowMapping) -> EvidenceRow:
    """An ``incident_evidence`` row as an ``EvidenceRow``."""
    return EvidenceRow(
        incident_id=r["incident_id"],
        id=r["seq"],
        name=r["name"],
        sha256=r["sha256"],
        size=r["size"],
        at=r["at"],
        source=r["source"],
        step=r["step"],
    )


def evidence(conn: Connection, incident_id: str, evidence_id: int) -> tuple[EvidenceRow, bool]:
    """One piece of evidence, and whether its incident is confidential."""
    confidential = conn.execute(
        sa.select(incidents.c.confidential).where(incidents.c.id == incident_id)
    ).scalar()
    if confidential is None:
        raise UnknownIncidentError(f"no incident {incident_id}")
    r = (
        conn.execute(sa.select(ie).where(ie.c.incident_id == incident_id, ie.c.seq == evidence_id))
        .mappings()
        .first()
    )
    if r is None:
        raise UnknownIncidentError(f"incident {incident_id} has no evidence {evidence_id}")
    return to_evidence(r), bool(confidential)


def status_of(conn: Connection, incident_id: str) -> str:
    """The incident's status (``UnknownIncidentError`` if there is no such incident)."""
    status = conn.execute(
        sa.select(incidents.c.status).where(incidents.c.id == incident_id)
    ).scalar()
    if status is None:
        raise UnknownIncidentError(f"no incident {incident_id}")
    return str(status)


def counts(conn: Connection) -> list[tuple[str, str, int]]:
    """(status, severity, number of incidents) for ``netwarden_incidents``."""
    rows = conn.execute(
        sa.select(incidents.c.status, incidents.c.severity, sa.func.count()).group_by(
            incidents.c.status, incidents.c.severity
        )
    )
    return [(status, sev, int(n)) for status, sev, n in rows]


def unacknowledged(conn: Connection) -> list[tuple[str, str, str | None, float]]:
    """(id, severity, site, opened_at) of every open, unacknowledged incident."""
    rows = conn.execute(
        sa.select(incidents.c.id, incidents.c.severity, incidents.c.site, incidents.c.opened_at)
        .where(incidents.c.status == "open")
        .order_by(incidents.c.id)
    )
    return [(i, sev, site, float(t)) for i, sev, site, t in rows]


def last_alert_received(conn: Connection) -> float | None:
    """When the collector last stored an alert firing or resolving (None: never)."""
    fired = conn.execute(sa.select(sa.func.max(ia.c.received_at))).scalar()
    ended = conn.execute(sa.select(sa.func.max(ia.c.resolved_received_at))).scalar()
    known = [t for t in (fired, ended) if t is not None]
    return float(max(known)) if known else None
