"""``IncidentStore``: the incident record behind one synchronous, thread-safe facade.

It shares the collector store's engine (``IncidentStore(store.engine)``); each method is one
transaction. Every change takes the incident lock first (see ``incident_work.lock``), so the
webhook intake and people's actions never interleave.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from netwarden.collector.incidents.maintenance import Window
from netwarden.collector.incidents.payload import Webhook
from netwarden.collector.incidents.records import (
    EvidenceRow,
    Incident,
    IncidentDetail,
    IntakeResult,
)
from netwarden.collector.incidents.topology import Topology
from netwarden.collector.store import engine as db
from netwarden.collector.store import incident_actions as actions
from netwarden.collector.store import incident_queries as queries
from netwarden.collector.store import maintenance
from netwarden.collector.store.incident_intake import Intake


class IncidentStore:
    """Incidents, their alerts, timeline and evidence rows, and maintenance windows."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        """The store's engine (the report drafts' store shares it)."""
        return self._engine

    # --- intake --------------------------------------------------------------------------
    def ingest(self, hook: Webhook, topology: Topology, actor: str, now: float) -> IntakeResult:
        """Apply one webhook whole, or nothing of it."""
        with db.write(self._engine) as conn:
            return Intake(conn, topology, actor, now).run(hook)

    # --- reading -------------------------------------------------------------------------
    def incidents(self, status: str, site: str | None, limit: int) -> list[Incident]:
        """Newest first; ``status`` one of the four, ``active`` or ``all``."""
        with db.read(self._engine) as conn:
            return queries.listing(conn, status, site, limit)

    def incident(self, incident_id: str) -> IncidentDetail:
        """One incident in full (``UnknownIncidentError`` if none)."""
        with db.read(self._engine) as conn:
            return queries.detail(conn, incident_id)

    def status(self, incident_id: str) -> str:
        """The incident's status (``UnknownIncidentError`` if none)."""
        with db.read(self._engine) as conn:
            return queries.status_of(conn, incident_id)

    def evidence(self, incident_id: str, evidence_id: int) -> tuple[EvidenceRow, bool]:
        """One evidence row, and whether its incident is confidential."""
        with db.read(self._engine) as conn:
            return queries.evidence(conn, incident_id, evidence_id)

    def counts(self) -> list[tuple[str, str, int]]:
        """(status, severity, incidents) for the metrics."""
        with db.read(self._engine) as conn:
            return queries.counts(conn)

    def unacknowledged(self) -> list[tuple[str, str, str | None, float]]:
        """(id, severity, site, opened_at) of open incidents nobody acknowledged."""
        with db.read(self._engine) as conn:
            return queries.unacknowledged(conn)

    def last_alert_received(self) -> float | None:
        """When an alert last changed the record (for the webhook gauge after a restart)."""
        with db.read(self._engine) as conn:
            return queries.last_alert_received(conn)

    # --- people's actions ----------------------------------------------------------------
    def acknowledge(self, incident_id: str, actor: str, now: float, note: str = "") -> bool:
        with db.write(self._engine) as conn:
            return actions.acknowledge(conn, incident_id, actor, now, note)

    def note(self, incident_id: str, text: str, actor: str, now: float) -> None:
        with db.write(self._engine) as conn:
            actions.note(conn, incident_id, text, actor, now)

    def resolve(self, incident_id: str, summary: str, actor: str, now: float) -> None:
        with db.write(self._engine) as conn:
            actions.resolve(conn, incident_id, summary, actor, now)

    def close(self, incident_id: str, summary: str, actor: str, now: float) -> None:
        with db.write(self._engine) as conn:
            actions.close(conn, incident_id, summary, actor, now)

    def set_flags(
        self, incident_id: str, flags: dict[str, bool], actor: str, now: float
    ) -> list[str]:
        with db.write(self._engine) as conn:
            return actions.set_flags(conn, incident_id, actor, now, flags)

    def add_evidence(
        self,
        incident_id: str,
        *,
        name: str,
        sha256: str,
        size: int,
        source: str,
        step: str | None,
        now: float,
    ) -> EvidenceRow:
        with db.write(self._engine) as conn:
            return actions.add_evidence(
                conn,
                incident_id,
                name=name,
                sha256=sha256,
                size=size,
                source=source,
                step=step,
                now=now,
            )

    # --- retention -----------------------------------------------------------------------
    def prune(self, cutoff: float, actor: str, now: float) -> tuple[list[str], set[str]]:
        """Prune a batch of incidents closed before ``cutoff``: (ids, orphaned SHA-256s)."""
        with db.write(self._engine) as conn:
            return actions.prune(conn, cutoff, actor, now)

    def evidence_shas(self) -> set[str]:
        """Every SHA-256 an evidence row refers to."""
        with db.read(self._engine) as conn:
            return actions.evidence_shas(conn)

    # --- maintenance windows -------------------------------------------------------------
    def add_window(self, window: Window, actor: str) -> Window:
        with db.write(self._engine) as conn:
            return maintenance.add(conn, window, actor)

    def windows(self, start: float | None, end: float | None) -> list[Window]:
        with db.read(self._engine) as conn:
            return maintenance.between(conn, start, end)

    def window(self, window_id: int) -> Window:
        with db.read(self._engine) as conn:
            return maintenance.get(conn, window_id)

    def remove_window(self, window_id: int, actor: str, now: float) -> tuple[Window, str]:
        with db.write(self._engine) as conn:
            return maintenance.remove(conn, window_id, actor, now)
