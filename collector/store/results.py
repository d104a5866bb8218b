"""Agents' results: stored once per (agent, result id), numbered in arrival order."""

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from netwarden.collector.store import checks, config_revisions, jobs
from netwarden.collector.store import events as event_ops
from netwarden.collector.store.errors import StoreInputError, UnknownAgentError
from netwarden.collector.store.rows import RESULT_KINDS, ResultIn, ResultRow
from netwarden.collector.store.schema import agents, results


def add(
    conn: Connection, agent_id: str, batch: list[ResultIn], received_at: float
) -> tuple[int, int]:
    """Store the new results of a batch; return (accepted, duplicates).

    The agent's row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite's write transaction
    already holds the database lock), so two posts of the same batch — an agent retrying while
    the first is still in flight — are serialised and the second one sees the first's rows.
    """
    for r in batch:
        checks.text(r.id, 64, "result id")
        checks.text(r.job, 36, f"result {r.id}: job id")
        if r.kind not in RESULT_KINDS:
            raise StoreInputError(f"result {r.id}: unknown kind {r.kind!r}")
    seq = conn.execute(
        sa.select(agents.c.results_seq).where(agents.c.id == agent_id).with_for_update()
    ).scalar()
    if seq is None:
        raise UnknownAgentError(f"agent {agent_id} is not known to this collector")
    # Traps and syslog (the agents' events queue) go to the events table, not the results.
    device_events = [r for r in batch if r.kind == "device-event"]
    batch = [r for r in batch if r.kind != "device-event"]
    new_events = event_ops.add(conn, agent_id, device_events, received_at) if device_events else 0
    ids = list({r.id for r in batch})
    seen = set(
        conn.execute(
            sa.select(results.c.id).where(results.c.agent_id == agent_id, results.c.id.in_(ids))
        ).scalars()
    )
    rows = []
    for r in batch:
        if r.id in seen:
            continue
        seen.add(r.id)  # a repeat inside one batch is a duplicate too
        seq += 1
        rows.append(
            {
                "agent_id": agent_id,
                "id": r.id,
                "seq": seq,
                "kind": r.kind,
                "at": r.at,
                "job_id": r.job,
                "payload": json.dumps(r.payload, sort_keys=True),
                "received_at": received_at,
            }
        )
    if rows:
        conn.execute(results.insert(), rows)
        conn.execute(agents.update().where(agents.c.id == agent_id).values(results_seq=seq))
    stored = {row["id"] for row in rows}
    _follow_up(conn, agent_id, [r for r in batch if r.id in stored], received_at)
    accepted = len(rows) + new_events
    return accepted, len(batch) + len(device_events) - accepted


def _follow_up(conn: Connection, agent_id: str, new: list[ResultIn], received_at: float) -> None:
    """What a new result changes besides its row: a job is done, a configuration is kept."""
    for r in new:
        if r.kind == "job-result" and r.job:
            jobs.close(conn, agent_id, r.job, r.id, received_at)
        if r.revision is not None:  # the configuration goes to its device's history
            config_revisions.add(conn, agent_id, r.revision, received_at)


def since(
    conn: Connection, agent_id: str, since_t: float, limit: int, after_seq: int = 0
) -> list[ResultRow]:
    """Results numbered after ``after_seq`` and received at or after ``since_t`` (collector
    clock), in arrival order. ``after_seq`` is the cursor: a batch shares one received time,
    so only the sequence number tells where one page ended."""
    rows = conn.execute(
        sa.select(results)
        .where(
            results.c.agent_id == agent_id,
            results.c.seq > after_seq,
            results.c.received_at >= since_t,
        )
        .order_by(results.c.seq)
        .limit(max(0, limit))
    ).mappings()
    return [
        ResultRow(
            agent_id=r["agent_id"],
            id=r["id"],
            kind=r["kind"],
            at=r["at"],
            job=r["job_id"],
            payload=json.loads(r["payload"]),
            received_at=r["received_at"],
            seq=r["seq"],
        )
        for r in rows
    ]


def payload(conn: Connection, agent_id: str, result_id: str) -> dict[str, Any] | None:
    """The decoded payload of one result, or None if there is none."""
    text = conn.execute(
        sa.select(results.c.payload).where(
            results.c.agent_id == agent_id, results.c.id == result_id
        )
    ).scalar()
    if text is None:
        return None
    found: dict[str, Any] = json.loads(text)
    return found
