"""The audit log: written in the same transaction as the change it records."""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from netwarden.collector.store.rows import AuditEntry
from netwarden.collector.store.schema import audit_log

DETAIL_MAX = 2000  # one readable line, not a dump of a request


def record(
    conn: Connection, actor: str, action: str, target: str, detail: str, *, now: float
) -> None:
    """Append one entry (``detail`` is cut to one bounded line)."""
    line = " ".join(detail.split())[:DETAIL_MAX]
    conn.execute(
        audit_log.insert().values(
            at=now, actor=actor[:255], action=action[:63], target=target[:255], detail=line
        )
    )


def entries(conn: Connection, limit: int) -> list[AuditEntry]:
    """The newest ``limit`` entries, newest first."""
    rows = conn.execute(
        sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(max(0, limit))
    ).mappings()
    return [
        AuditEntry(
            at=r["at"], actor=r["actor"], action=r["action"], target=r["target"], detail=r["detail"]
        )
        for r in rows
    ]
