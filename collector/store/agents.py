"""Agents: credential checks, heartbeats, revocation, listing."""

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from netwarden.collector.store import audit, checks, tokens
from netwarden.collector.store.errors import UnknownAgentError
from netwarden.collector.store.rows import AgentRow, Heartbeat
from netwarden.collector.store.schema import agents

_FIELDS = tuple(f for f in AgentRow.__dataclass_fields__)


def to_row(r: RowMapping) -> AgentRow:
    """An ``agents`` table row as an ``AgentRow``."""
    values = {f: r[f] for f in _FIELDS}
    values["revoked"] = bool(values["revoked"])
    return AgentRow(**values)


def authenticate(conn: Connection, credential: str) -> AgentRow | None:
    """The agent whose credential this is, or None (malformed, unknown, wrong or revoked)."""
    agent_id = tokens.owner(credential, "nwa")
    if agent_id is None:
        return None
    r = conn.execute(sa.select(agents).where(agents.c.id == agent_id)).mappings().first()
    # Compare even for an unknown agent so the answer's timing tells nothing.
    ok = tokens.matches(credential, r["credential_hash"] if r else tokens.digest(""))
    if r is None or not ok or r["revoked"]:
        return None
    return to_row(r)


def get(conn: Connection, agent_id: str) -> AgentRow | None:
    """One agent, or None."""
    r = conn.execute(sa.select(agents).where(agents.c.id == agent_id)).mappings().first()
    return to_row(r) if r else None


def all_agents(conn: Connection) -> list[AgentRow]:
    """Every agent the store knows, by id."""
    return [to_row(r) for r in conn.execute(sa.select(agents).order_by(agents.c.id)).mappings()]


def revoke(conn: Connection, agent_id: str, actor: str, now: float) -> None:
    """Revoke an agent's credential; it needs a new join token to come back."""
    done = conn.execute(
        agents.update().where(agents.c.id == agent_id).values(revoked=True, revoked_at=now)
    )
    if done.rowcount != 1:
        raise UnknownAgentError(f"agent {agent_id} is not known to this collector")
    audit.record(conn, actor, "agent.revoke", agent_id, "credential revoked", now=now)


def heartbeat(conn: Connection, agent_id: str, hb: Heartbeat, received_at: float) -> None:
    """Record a heartbeat: the agent's figures, ``last_seen`` and its clock offset."""
    checks.heartbeat(hb)
    done = conn.execute(
        agents.update()
        .where(agents.c.id == agent_id)
        .values(
            version=hb.version,
            started_at=hb.started_at,
            last_seen=received_at,
            clock_offset=hb.sent_at - received_at,
            devices_assigned=hb.devices_assigned,
            devices_healthy=hb.devices_healthy,
            polls_ok=hb.polls_ok,
            polls_failed=hb.polls_failed,
            queue_depth=hb.queue_depth,
            queue_dropped=hb.queue_dropped,
            assignment_etag=hb.assignment_etag,
            advertise=hb.advertise,
            spool_depth=hb.spool_depth,
            spool_oldest_age=hb.spool_oldest_age,
        )
    )
    if done.rowcount != 1:
        raise UnknownAgentError(f"agent {agent_id} is not known to this collector")
