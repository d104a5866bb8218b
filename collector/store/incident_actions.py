"""What people (and agents) do to an incident: acknowledge, note, resolve, close, flag, attach
evidence; and the retention bound that prunes closed incidents.

Each change is one line of the incident's timeline and one audit entry, in the same
transaction as the change itself.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from netwarden.collector.incidents import lifecycle
from netwarden.collector.incidents.records import EvidenceRow
from netwarden.collector.incidents.times import format_s
from netwarden.collector.store import audit
from netwarden.collector.store.incident_schema import INCIDENT_TABLES, incidents
from netwarden.collector.store.incident_schema import incident_evidence as ie
from netwarden.collector.store.incident_work import TEXT_MAX, load, lock
from netwarden.collector.store.playbook_store import prune_runs

PRUNE_BATCH = 500  # incidents per pruning transaction


def acknowledge(conn: Connection, incident_id: str, actor: str, now: float, note: str) -> bool:
    """Acknowledge an open incident; False (nothing changed) when it already is."""
    work = load(conn, incident_id)
    if work.status == "acknowledged":
        return False
    lifecycle.check("acknowledge", incident_id, work.status)
    work.status, work.acknowledged_at, work.acknowledged_by = "acknowledged", now, actor[:255]
    work.log(now, "acknowledged", actor, note or "acknowledged")
    work.flush(conn, now)
    audit.record(conn, actor, "incident.ack", incident_id, note, now=now)
    return True


def note(conn: Connection, incident_id: str, text: str, actor: str, now: float) -> None:
    """Add a note to the timeline."""
    work = load(conn, incident_id)
    lifecycle.check("note", incident_id, work.status)
    work.log(now, "note", actor, text)
    work.flush(conn, now)
    audit.record(conn, actor, "incident.note", incident_id, text, now=now)


def resolve(conn: Connection, incident_id: str, summary: str, actor: str, now: float) -> None:
    """Resolve by hand (a responder), with what was done."""
    work = load(conn, incident_id)
    lifecycle.check("resolve", incident_id, work.status)
    work.status, work.resolved_at, work.resolved_by = "resolved", now, actor[:255]
    work.resolution = summary[:TEXT_MAX]
    work.log(now, "status-changed", actor, f"resolved by hand: {summary}")
    work.flush(conn, now)
    audit.record(conn, actor, "incident.resolve", incident_id, summary, now=now)


def close(conn: Connection, incident_id: str, summary: str, actor: str, now: float) -> None:
    """Close a resolved incident (an admin), with the closing summary."""
    work = load(conn, incident_id)
    lifecycle.check("close", incident_id, work.status)
    work.status, work.closed_at, work.closed_by = "closed", now, actor[:255]
    work.closing_summary = summary[:TEXT_MAX]
    work.log(now, "status-changed", actor, f"closed: {summary}")
    work.flush(conn, now)
    audit.record(conn, actor, "incident.close", incident_id, summary, now=now)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def set_flags(
    conn: Connection,
    incident_id: str,
    actor: str,
    now: float,
    flags: dict[str, bool],
) -> list[str]:
    """Set ``confidential``, ``support_requested`` and/or ``serious_confirmed``; returns the
    lines describing what changed (empty: nothing did)."""
    work = load(conn, incident_id)
    lifecycle.check("flags", incident_id, work.status)
    changed = []
    for name in ("confidential", "support_requested", "serious_confirmed"):
        if name not in flags or getattr(work, name) == flags[name]:
            continue
        setattr(work, name, flags[name])
        if name == "serious_confirmed":
            work.serious_confirmed_by = actor[:255]
            line = f"serious (QĐ 05/2017) {'confirmed' if flags[name] else 'not confirmed'}"
            line += f"; computed: {_yes(work.serious)}"
        else:
            line = f"{name.replace('_', ' ')}: {_yes(flags[name])}"
        changed.append(line)
        work.log(now, "flag-changed", actor, line)
    if changed:
        work.flush(conn, now)
        audit.record(conn, actor, "incident.flags", incident_id, "; ".join(changed), now=now)
    return changed


def add_evidence(
    conn: Connection,
    incident_id: str,
    *,
    name: str,
    sha256: str,
    size: int,
    source: str,
    step: str | None,
    now: float,
) -> EvidenceRow:
    """Record a file already stored under ``sha256`` as evidence of the incident."""
    work = load(conn, incident_id)
    lifecycle.check("evidence", incident_id, work.status)
    work.evidence_seq += 1
    row = EvidenceRow(
        incident_id=incident_id,
        id=work.evidence_seq,
        name=name[:255],
        sha256=sha256,
        size=size,
        at=now,
        source=source[:255],
        step=step[:255] if step else None,
    )
    conn.execute(
        ie.insert().values(
            incident_id=incident_id,
            seq=row.id,
            name=row.name,
            sha256=sha256,
            size=size,
            at=now,
            source=row.source,
            step=row.step,
        )
    )
    origin = f"{source} step {step}" if step else source
    text = f"evidence {row.id} added: {row.name} ({size} bytes, sha256 {sha256}) from {origin}"
    work.log(now, "evidence-added", source, text)
    work.flush(conn, now)
    audit.record(conn, source, "incident.evidence", incident_id, text, now=now)
    return row


def prune(conn: Connection, cutoff: float, actor: str, now: float) -> tuple[list[str], set[str]]:
    """Remove up to ``PRUNE_BATCH`` incidents closed before ``cutoff`` with all their rows.

    Returns the pruned ids and the SHA-256 of evidence files no row refers to any more (the
    caller deletes those files after the commit).
    """
    lock(conn)
    closed = dict(
        conn.execute(
            sa.select(incidents.c.id, incidents.c.closed_at)
            .where(incidents.c.status == "closed", incidents.c.closed_at < cutoff)
            .order_by(incidents.c.closed_at, incidents.c.id)
            .limit(PRUNE_BATCH)
        ).all()
    )
    ids = list(closed)
    if not ids:
        return [], set()
    shas = set(conn.execute(sa.select(ie.c.sha256).where(ie.c.incident_id.in_(ids))).scalars())
    for table in reversed(INCIDENT_TABLES):
        if "incident_id" in table.c:
            conn.execute(table.delete().where(table.c.incident_id.in_(ids)))
    prune_runs(conn, ids)
    conn.execute(incidents.delete().where(incidents.c.id.in_(ids)))
    still = set(conn.execute(sa.select(ie.c.sha256).where(ie.c.sha256.in_(shas))).scalars())
    for incident_id, closed_at in closed.items():
        detail = (
            f"closed {format_s(closed_at)}, before the retention bound {format_s(cutoff)}: "
            "pruned with its alerts, timeline, evidence and playbook runs"
        )
        audit.record(conn, actor, "incident.prune", incident_id, detail, now=now)
    return ids, shas - still


def evidence_shas(conn: Connection) -> set[str]:
    """Every SHA-256 some evidence row refers to (orphaned files are the others)."""
    return set(conn.execute(sa.select(ie.c.sha256).distinct()).scalars())
