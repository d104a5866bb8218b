"""Jobs for agents: created by users and playbook steps, leased to the agent, closed by its
``job-result``.

A taken job is leased for its own ``lease`` (a playbook step's: at least the step's timeout) or
the store's default (5 min): if no ``job-result`` closes it by then (the agent crashed, the
answer was lost with the link), the next ``take`` hands it out again, so an agent must treat a
job id it has seen before as a repeat (at-least-once delivery; its result id makes the answer
idempotent). A job with ``expires_at`` is not handed out after it; ``expire`` marks such a job
``expired`` for good, so that a late agent never gets it.
"""

import json
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from netwarden.collector.store import audit
from netwarden.collector.store.errors import StoreInputError, UnknownAgentError
from netwarden.collector.store.rows import Job
from netwarden.collector.store.schema import agents, jobs

JOB_LEASE = 300.0


def create(
    conn: Connection,
    agent_id: str,
    kind: str,
    params: dict[str, Any],
    actor: str,
    *,
    now: float,
    expires_at: float | None = None,
    lease: float | None = None,
) -> str:
    """Queue a job for an agent and bump its ``jobs_version``; return the job id."""
    if not kind or len(kind) > 63:
        raise StoreInputError(f"bad job kind {kind!r}: 1-63 characters")
    if lease is not None and not 0 < lease <= 7 * 86400:
        raise StoreInputError(f"bad job lease {lease!r}: over 0 s and at most 7 days")
    bumped = conn.execute(
        agents.update()
        .where(agents.c.id == agent_id)
        .values(jobs_version=agents.c.jobs_version + 1)
    )
    if bumped.rowcount != 1:
        raise UnknownAgentError(f"agent {agent_id} is not known to this collector")
    job_id = str(uuid.uuid4())
    conn.execute(
        jobs.insert().values(
            id=job_id,
            agent_id=agent_id,
            kind=kind,
            params=json.dumps(params, sort_keys=True),
            created_at=now,
            created_by=actor,
            state="pending",
            deliveries=0,
            expires_at=expires_at,
            lease=lease,
        )
    )
    audit.record(conn, actor, "job.create", agent_id, f"job {job_id} kind {kind}", now=now)
    return job_id


def _due(agent_id: str, now: float, lease: float) -> sa.ColumnElement[bool]:
    # A delivered job past its expiry is still handed out again when its lease ends: the
    # agent answers it from its record (it ran, or it answers it expired), which is the
    # result the collector is missing.
    leased_until = jobs.c.delivered_at + sa.func.coalesce(jobs.c.lease, lease)
    return sa.and_(
        jobs.c.agent_id == agent_id,
        sa.or_(
            sa.and_(
                jobs.c.state == "pending",
                sa.or_(jobs.c.expires_at.is_(None), jobs.c.expires_at > now),
            ),
            sa.and_(jobs.c.state == "delivered", leased_until <= now),
        ),
    )


def take(conn: Connection, agent_id: str, now: float, limit: int, lease: float) -> list[Job]:
    """Hand out up to ``limit`` due jobs, oldest first, and lease them."""
    due = _due(agent_id, now, lease)
    ids = (
        conn.execute(
            sa.select(jobs.c.id)
            .where(due)
            .order_by(jobs.c.created_at, jobs.c.id)
            .limit(max(0, limit))
        )
        .scalars()
        .all()
    )
    taken: list[str] = []
    for job_id in ids:
        # Re-check the condition in the UPDATE: a concurrent take of the same job loses here.
        done = conn.execute(
            jobs.update()
            .where(jobs.c.id == job_id, due)
            .values(state="delivered", delivered_at=now, deliveries=jobs.c.deliveries + 1)
        )
        if done.rowcount == 1:
            taken.append(job_id)
    if not taken:
        return []
    rows = conn.execute(
        sa.select(jobs).where(jobs.c.id.in_(taken)).order_by(jobs.c.created_at, jobs.c.id)
    ).mappings()
    return [to_job(r) for r in rows]


def has_due(conn: Connection, agent_id: str, now: float, lease: float) -> bool:
    """Whether ``take`` would hand out anything now (cheap: one indexed EXISTS)."""
    return bool(conn.execute(sa.select(sa.exists().where(_due(agent_id, now, lease)))).scalar())


def version(conn: Connection, agent_id: str) -> int:
    """The agent's job counter: it changes whenever a job is created for the agent."""
    v = conn.execute(sa.select(agents.c.jobs_version).where(agents.c.id == agent_id)).scalar()
    if v is None:
        raise UnknownAgentError(f"agent {agent_id} is not known to this collector")
    return int(v)


def get(conn: Connection, job_id: str) -> Job | None:
    """One job, or None."""
    r = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).mappings().first()
    return to_job(r) if r else None


def close(conn: Connection, agent_id: str, job_id: str, result_id: str, now: float) -> None:
    """Mark the agent's job done by a result (a result for another agent's job closes nothing).

    An expired job closed by a result (the agent took it just before its expiry and answered
    later) is done: the result says what happened."""
    conn.execute(
        jobs.update()
        .where(jobs.c.id == job_id, jobs.c.agent_id == agent_id, jobs.c.state != "done")
        .values(state="done", done_at=now, result_id=result_id)
    )


def expire(conn: Connection, job_id: str, now: float) -> bool:
    """Mark a pending job past its ``expires_at`` as ``expired`` (never handed out again);
    False when it is not pending any more (the agent took it meanwhile)."""
    done = conn.execute(
        jobs.update()
        .where(jobs.c.id == job_id, jobs.c.state == "pending")
        .values(state="expired", done_at=now)
    )
    return done.rowcount == 1


def many(conn: Connection, job_ids: list[str]) -> dict[str, Job]:
    """The jobs with these ids (those that exist)."""
    if not job_ids:
        return {}
    rows = conn.execute(sa.select(jobs).where(jobs.c.id.in_(job_ids))).mappings()
    return {r["id"]: to_job(r) for r in rows}


def to_job(r: RowMapping) -> Job:
    """A ``jobs`` table row as a ``Job``."""
    return Job(
        id=r["id"],
        agent_id=r["agent_id"],
        kind=r["kind"],
        params=json.loads(r["params"]),
        created_at=r["created_at"],
        created_by=r["created_by"],
        state=r["state"],
        deliveries=r["deliveries"],
        done_at=r["done_at"],
        delivered_at=r["delivered_at"],
        expires_at=r["expires_at"],
        lease=r["lease"],
        result_id=r["result_id"],
    )
