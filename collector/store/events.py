"""Events (traps, syslog) as agents post them: stored once per (agent, id), searched, pruned.

They arrive as results of kind ``device-event`` (the agents' events queue posts them to the
results route); :func:`add` is called by ``results.add`` for those.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from netwarden.collector.store.event_schema import device_events
from netwarden.collector.store.rows import ResultIn

MAX_LIMIT = 10_000


@dataclass(frozen=True)
class EventQuery:
    since: float | None = None
    until: float | None = None
    site: str | None = None
    device: str | None = None
    grep: str | None = None  # a substring of the message, case-insensitive
    after: int | None = None  # only events stored after this seq (the long poll's cursor)
    limit: int = 1000
    newest: bool = False  # the latest ``limit`` (oldest first in the answer), for a search


def _text(value: Any, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]


def add(conn: Connection, agent_id: str, batch: list[ResultIn], received_at: float) -> int:
    """Store the events not stored yet; returns how many were new."""
    ids = [r.id for r in batch]
    seen = set(
        conn.execute(
            sa.select(device_events.c.id).where(
                device_events.c.agent_id == agent_id, device_events.c.id.in_(ids)
            )
        ).scalars()
    )
    rows = []
    for r in batch:
        if r.id in seen:
            continue
        seen.add(r.id)
        p = r.payload
        rows.append(
            {
                "agent_id": agent_id,
                "id": r.id,
                "at": r.at,
                "received_at": received_at,
                "source": _text(p.get("source"), 8) or "?",
                "kind": _text(p.get("kind"), 32) or "other",
                "device": _text(p.get("device"), 255),
                "site": _text(p.get("site"), 255),
                "address": _text(p.get("address"), 64) or "",
                "severity": _text(p.get("severity"), 16),
                "message": _text(p.get("message"), 8192) or "",
                "payload": json.dumps(p, sort_keys=True),
            }
        )
    if rows:
        conn.execute(device_events.insert(), rows)
    return len(rows)


def search(conn: Connection, q: EventQuery) -> list[dict[str, Any]]:
    t = device_events.c
    where = []
    if q.since is not None:
        where.append(t.at >= q.since)
    if q.until is not None:
        where.append(t.at < q.until)
    if q.site is not None:
        where.append(t.site == q.site)
    if q.device is not None:
        where.append(t.device == q.device)
    if q.after is not None:
        where.append(t.seq > q.after)
    if q.grep:
        escaped = q.grep.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(t.message.ilike(f"%{escaped}%", escape="\\"))
    order = t.seq.desc() if q.newest else t.seq
    stmt = sa.select(device_events).where(*where).order_by(order).limit(min(q.limit, MAX_LIMIT))
    rows = [_event(r) for r in conn.execute(stmt).mappings()]
    return rows[::-1] if q.newest else rows


def _event(r: Any) -> dict[str, Any]:
    payload = json.loads(r["payload"])
    return {
        **payload,
        "seq": r["seq"],
        "id": r["id"],
        "agent": r["agent_id"],
        "at": r["at"],
        "received_at": r["received_at"],
        "source": r["source"],
        "kind": r["kind"],
        "device": r["device"],
        "site": r["site"],
        "address": r["address"],
        "severity": r["severity"],
        "message": r["message"],
    }


def last_seq(conn: Connection) -> int:
    return int(
        conn.execute(sa.select(sa.func.coalesce(sa.func.max(device_events.c.seq), 0))).scalar() or 0
    )


def prune(conn: Connection, before: float) -> int:
    """Delete events received by agents before ``before``; returns how many."""
    result = conn.execute(device_events.delete().where(device_events.c.at < before))
    return int(result.rowcount or 0)
