"""The report drafts in the store: a person's report fields, the drafts made (each a timeline
line ``report-made`` with the file's hash and an audit entry), the summary's incidents and the
reports still due. ``ReportStore`` shares the collector store's engine; one transaction each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from netwarden.collector.incidents import lifecycle
from netwarden.collector.store import audit
from netwarden.collector.store import engine as db
from netwarden.collector.store import incident_queries as queries
from netwarden.collector.store.incident_schema import incidents
from netwarden.collector.store.incident_work import TEXT_MAX, load
from netwarden.collector.store.report_schema import incident_report_fields as rf
from netwarden.collector.store.report_schema import incident_reports as rp
from netwarden.reports.national.record import (
    IncidentReportInput,
    MadeReport,
    PersonFields,
    SummaryEntry,
)

FIELDS = ("incident_type", "description", "handled_with")
FLAGS = ("confidential", "support_requested")


@dataclass(frozen=True, slots=True)
class DueSource:
    """What the deadlines of one incident are computed from."""

    id: str
    site: str | None
    opened_at: float
    resolved_at: float | None
    serious: bool
    made: frozenset[str]


def _person(conn: Connection, incident_id: str) -> PersonFields:
    row = conn.execute(sa.select(rf).where(rf.c.incident_id == incident_id)).mappings().first()
    if row is None:
        return PersonFields()
    return PersonFields(row["incident_type"], row["description"], row["handled_with"])


def _made(conn: Connection, incident_id: str) -> tuple[MadeReport, ...]:
    rows = conn.execute(
        sa.select(rp).where(rp.c.incident_id == incident_id).order_by(rp.c.seq)
    ).mappings()
    return tuple(
        MadeReport(
            r["seq"],
            r["form"],
            r["format"],
            r["template"],
            r["sha256"],
            r["size"],
            r["made_at"],
            r["made_by"],
        )
        for r in rows
    )


def _describe(name: str, value: Any) -> str:
    shown = "(none)" if value is None else str(value).replace("\n", " ")[:200]
    return f"{name.replace('_', ' ')}: {shown}"


def set_fields(
    conn: Connection, incident_id: str, changes: dict[str, Any], actor: str, now: float
) -> list[str]:
    """Apply ``changes`` (report fields and/or the confidential and support flags); one
    timeline line and one audit entry per change; returns the lines (empty: nothing changed).

    Report fields may be set on a closed incident (reports are written after the response);
    the flags follow the record's rule (not on a closed incident).
    """
    work = load(conn, incident_id)
    if any(name in changes for name in FLAGS):
        lifecycle.check("flags", incident_id, work.status)
    lines = []
    for name in FLAGS:
        if name in changes and getattr(work, name) != changes[name]:
            setattr(work, name, changes[name])
            line = f"{name.replace('_', ' ')}: {'yes' if changes[name] else 'no'}"
            work.log(now, "flag-changed", actor, line)
            lines.append(line)
    person = _person(conn, incident_id)
    values = {n: getattr(person, n) for n in FIELDS}
    for name in FIELDS:
        if name in changes and values[name] != changes[name]:
            value = changes[name]
            values[name] = value[:TEXT_MAX] if isinstance(value, str) else value
            line = _describe(name, values[name])
            work.log(now, "report-fields", actor, line)
            lines.append(line)
    if not lines:
        return []
    row = {**values, "updated_at": now, "updated_by": actor[:255]}
    exists = conn.execute(sa.select(rf.c.incident_id).where(rf.c.incident_id == incident_id))
    if exists.first() is None:
        conn.execute(rf.insert().values(incident_id=incident_id, **row))
    else:
        conn.execute(rf.update().where(rf.c.incident_id == incident_id).values(**row))
    work.flush(conn, now)
    audit.record(conn, actor, "incident.report-fields", incident_id, "; ".join(lines), now=now)
    return lines


def record_made(
    conn: Connection,
    incident_id: str,
    *,
    form: str,
    fmt: str,
    template: str,
    sha256: str,
    size: int,
    actor: str,
    now: float,
) -> MadeReport:
    """Record that a draft was made: a row, a ``report-made`` timeline line with its SHA-256,
    an audit entry."""
    work = load(conn, incident_id)
    seq = (
        int(
            conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(rp.c.seq), 0)).where(
                    rp.c.incident_id == incident_id
                )
            ).scalar_one()
        )
        + 1
    )
    made = MadeReport(seq, form, fmt, template, sha256, size, now, actor[:255])
    conn.execute(
        rp.insert().values(
            incident_id=incident_id,
            seq=seq,
            form=form,
            format=fmt,
            template=template,
            sha256=sha256,
            size=size,
            made_at=now,
            made_by=made.by,
        )
    )
    text = f"report {seq} made: {form} ({template}, {fmt}, {size} bytes, sha256 {sha256})"
    work.log(now, "report-made", actor, text)
    work.flush(conn, now)
    audit.record(conn, actor, "incident.report", incident_id, text, now=now)
    return made


class ReportStore:
    """The report side of the incident record, over the collector store's engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def report_input(self, incident_id: str) -> IncidentReportInput:
        """The incident in full with its report fields and the drafts made (one read)."""
        with db.read(self._engine) as conn:
            detail = queries.detail(conn, incident_id)
            return IncidentReportInput(detail, _person(conn, incident_id), _made(conn, incident_id))

    def set_fields(
        self, incident_id: str, changes: dict[str, Any], actor: str, now: float
    ) -> list[str]:
        with db.write(self._engine) as conn:
            return set_fields(conn, incident_id, changes, actor, now)

    def record_made(self, incident_id: str, **made: Any) -> MadeReport:
        with db.write(self._engine) as conn:
            return record_made(conn, incident_id, **made)

    def exported(self, incident_id: str, sha256: str, files: int, actor: str, now: float) -> None:
        """A timeline line and an audit entry for an evidence bundle handed out."""
        with db.write(self._engine) as conn:
            work = load(conn, incident_id)
            text = f"evidence bundle exported: {files} files, manifest sha256 {sha256}"
            work.log(now, "exported", actor, text)
            work.flush(conn, now)
            audit.record(conn, actor, "incident.export", incident_id, text, now=now)

    def audit(self, actor: str, action: str, detail: str, now: float) -> None:
        """An audit entry for a report that belongs to no incident (the summary)."""
        with db.write(self._engine) as conn:
            audit.record(conn, actor, action, "reports", detail, now=now)

    def summary_entries(self, start: float, end: float) -> list[SummaryEntry]:
        """Incidents discovered in [start, end), maintenance left out, oldest first."""
        query = (
            sa.select(incidents.c.id, incidents.c.title, rf.c.incident_type, rf.c.handled_with)
            .select_from(incidents.outerjoin(rf, rf.c.incident_id == incidents.c.id))
            .where(incidents.c.opened_at >= start, incidents.c.opened_at < end)
            .where(incidents.c.in_maintenance == sa.false())
            .order_by(incidents.c.opened_at, incidents.c.id)
        )
        with db.read(self._engine) as conn:
            return [SummaryEntry(*row) for row in conn.execute(query)]

    def due_sources(self) -> list[DueSource]:
        """Every incident outside maintenance with the forms already made for it."""
        with db.read(self._engine) as conn:
            made: dict[str, set[str]] = {}
            for incident_id, form in conn.execute(
                sa.select(rp.c.incident_id, rp.c.form).distinct()
            ):
                made.setdefault(incident_id, set()).add(form)
            rows = conn.execute(
                sa.select(
                    incidents.c.id,
                    incidents.c.site,
                    incidents.c.opened_at,
                    incidents.c.resolved_at,
                    incidents.c.serious,
                )
                .where(incidents.c.in_maintenance == sa.false())
                .order_by(incidents.c.id)
            )
            return [
                DueSource(
                    i, site, float(opened), resolved, bool(serious), frozenset(made.get(i, set()))
                )
                for i, site, opened, resolved, serious in rows
            ]
