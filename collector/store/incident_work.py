"""One incident being changed inside a transaction: its fields, new timeline lines, new sites.

Everything that changes an incident (the webhook intake, an acknowledgement, a note, ...)
loads it as an ``IncidentWork`` under the incident lock, changes it, and ``flush``es it: one
UPDATE (or INSERT), the new timeline lines, the new affected sites. Timeline lines are only
ever added, numbered per incident.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from netwarden.collector.incidents.affected import Affected
from netwarden.collector.incidents.errors import UnknownIncidentError
from netwarden.collector.incidents.keys import subject_of
from netwarden.collector.store.incident_schema import incident_sites, incident_timeline, incidents

LOCK_KEY = 0x6E77_1C1D  # PostgreSQL advisory lock of the incident record ("nw" + "icid")
TEXT_MAX = 20_000  # one timeline line, note or summary


def lock(conn: Connection) -> None:
    """Serialise incident changes: one writer at a time decides which incident an alert joins.

    SQLite's write transactions (BEGIN IMMEDIATE) are serial already; on PostgreSQL an advisory
    lock held until the transaction ends does the same for incident writers only.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def one_line(text: str, limit: int = 255) -> str:
    """Whitespace (newlines included) collapsed, cut to ``limit``."""
    return " ".join(text.split())[:limit]


@dataclass
class IncidentWork:
    """The mutable fields of one incident row (column names), plus what flush must write."""

    id: str
    day: str
    day_seq: int
    key: str
    title: str
    status: str
    severity: str
    site: str | None
    opened_at: float
    created_at: float
    updated_at: float
    affected: Affected
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    closed_at: float | None = None
    closed_by: str | None = None
    closing_summary: str | None = None
    serious_confirmed: bool | None = None
    serious_confirmed_by: str | None = None
    confidential: bool = False
    support_requested: bool = False
    in_maintenance: bool = False
    truncated_alerts: int = 0
    reopened: int = 0
    timeline_seq: int = 0
    evidence_seq: int = 0
    is_new: bool = False
    known_sites: set[str] = field(default_factory=set)
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The kind of the incident's subject (link, device, group, service, agent, site)."""
        return subject_of(self.key).kind

    @property
    def serious(self) -> bool:
        return self.affected.serious(self.kind, self.severity)

    def log(self, at: float, kind: str, actor: str, text: str) -> None:
        """Add a timeline line (written by ``flush``)."""
        self.timeline_seq += 1
        self.entries.append(
            {
                "incident_id": self.id,
                "seq": self.timeline_seq,
                "at": at,
                "kind": kind,
                "actor": actor[:255],
                "text": text[:TEXT_MAX],
            }
        )

    def _values(self) -> dict[str, Any]:
        skip = {"is_new", "known_sites", "entries", "affected"}
        values = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in skip
        }
        values["affected"] = self.affected.to_json()
        values["serious"] = self.serious
        return values

    def flush(self, conn: Connection, now: float) -> None:
        """Write the incident, its new timeline lines and its new sites.

        Every change adds a timeline line, so an incident without new lines is unchanged and
        nothing is written (a duplicate alert leaves its incident as it was).
        """
        if not self.is_new and not self.entries:
            return
        self.updated_at = now
        values = self._values()
        if self.is_new:
            conn.execute(incidents.insert().values(**values))
            self.is_new = False
        else:
            conn.execute(incidents.update().where(incidents.c.id == self.id).values(**values))
        if self.entries:
            conn.execute(incident_timeline.insert(), self.entries)
            self.entries = []
        sites = {t.id for t in self.affected.sites} - self.known_sites
        if sites:
            rows = [{"incident_id": self.id, "site": s} for s in sorted(sites)]
            conn.execute(incident_sites.insert(), rows)
            self.known_sites |= sites


_COLUMNS = {f.name for f in dataclasses.fields(IncidentWork)} - {
    "is_new",
    "known_sites",
    "entries",
    "affected",
}


def from_row(conn: Connection, row: RowMapping) -> IncidentWork:
    """An ``IncidentWork`` from an ``incidents`` row (its known sites read too)."""
    values = {name: row[name] for name in _COLUMNS}
    for flag in ("confidential", "support_requested", "in_maintenance"):
        values[flag] = bool(values[flag])
    sites = set(
        conn.execute(
            sa.select(incident_sites.c.site).where(incident_sites.c.incident_id == row["id"])
        ).scalars()
    )
    return IncidentWork(**values, affected=Affected.from_json(row["affected"]), known_sites=sites)


def load(conn: Connection, incident_id: str) -> IncidentWork:
    """Lock the record and load one incident; ``UnknownIncidentError`` if there is none."""
    lock(conn)
    row = conn.execute(sa.select(incidents).where(incidents.c.id == incident_id)).mappings().first()
    if row is None:
        raise UnknownIncidentError(f"no incident {incident_id}")
    return from_row(conn, row)
