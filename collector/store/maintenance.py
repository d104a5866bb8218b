"""Maintenance windows in the store: add, list by time, remove (end early, or cancel).

Removing a window that has begun ends it now instead of erasing it: the maintenance happened,
and the availability report must still see it. A window removed before it began is cancelled
and no longer listed. Either way the row stays, and the audit log says who did it.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from netwarden.collector.incidents.errors import IncidentStateError, UnknownIncidentError
from netwarden.collector.incidents.maintenance import Window
from netwarden.collector.store import audit
from netwarden.collector.store.incident_schema import maintenance_windows as mw
from netwarden.collector.store.incident_work import lock


def to_window(r: RowMapping) -> Window:
    """A ``maintenance_windows`` row as a ``Window``."""
    return Window(
        id=r["id"],
        site=r["site"],
        link=r["link"],
        device=r["device"],
        starts_at=r["starts_at"],
        ends_at=r["ends_at"],
        reason=r["reason"],
        created_by=r["created_by"],
        created_at=r["created_at"],
        silences=tuple(json.loads(r["silences"])),
    )


def add(conn: Connection, window: Window, actor: str) -> Window:
    """Store a new window (its id is given out here); returns it with that id."""
    lock(conn)
    last = conn.execute(sa.select(sa.func.max(mw.c.id))).scalar()
    stored = Window(
        id=int(last or 0) + 1,
        site=window.site,
        link=window.link,
        device=window.device,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        reason=window.reason,
        created_by=actor[:255],
        created_at=window.created_at,
        silences=window.silences,
    )
    conn.execute(
        mw.insert().values(
            id=stored.id,
            site=stored.site,
            link=stored.link,
            device=stored.device,
            starts_at=stored.starts_at,
            ends_at=stored.ends_at,
            reason=stored.reason,
            created_by=stored.created_by,
            created_at=stored.created_at,
            silences=json.dumps(list(stored.silences)),
            cancelled=False,
        )
    )
    shown = stored.as_json()
    detail = f"{stored.target} from {shown['from']} to {shown['to']}: {stored.reason}"
    target = f"window {stored.id}"
    audit.record(conn, actor, "maintenance.add", target, detail, now=stored.created_at)
    return stored


def between(conn: Connection, start: float | None, end: float | None) -> list[Window]:
    """Windows (not cancelled) overlapping [start, end); open ends are unbounded."""
    query = sa.select(mw).where(mw.c.cancelled.is_(False))
    if start is not None:
        query = query.where(mw.c.ends_at > start)
    if end is not None:
        query = query.where(mw.c.starts_at < end)
    rows = conn.execute(query.order_by(mw.c.starts_at, mw.c.id)).mappings()
    return [to_window(r) for r in rows]


def get(conn: Connection, window_id: int) -> Window:
    """One window that is not cancelled; ``UnknownIncidentError`` (404) otherwise."""
    r = (
        conn.execute(sa.select(mw).where(mw.c.id == window_id, mw.c.cancelled.is_(False)))
        .mappings()
        .first()
    )
    if r is None:
        raise UnknownIncidentError(f"no maintenance window {window_id}")
    return to_window(r)


def remove(conn: Connection, window_id: int, actor: str, now: float) -> tuple[Window, str]:
    """End a window now (begun) or cancel it (not begun); returns it and what was done."""
    lock(conn)
    window = get(conn, window_id)
    if window.ends_at <= now:
        over = f"maintenance window {window_id} is over already: it stays on record"
        raise IncidentStateError(over)
    if window.starts_at <= now:
        done = "ended"
        conn.execute(
            mw.update()
            .where(mw.c.id == window_id)
            .values(ends_at=now, removed_at=now, removed_by=actor[:255])
        )
    else:
        done = "cancelled"
        conn.execute(
            mw.update()
            .where(mw.c.id == window_id)
            .values(cancelled=True, removed_at=now, removed_by=actor[:255])
        )
    audit.record(conn, actor, "maintenance.remove", f"window {window_id}", done, now=now)
    return window, done
