"""Join tokens and their exchange for an agent credential (one-time, expiring)."""

import time

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from netwarden.collector.store import audit, checks, tokens
from netwarden.collector.store.errors import StoreInputError, TokenError
from netwarden.collector.store.rows import Enrolment
from netwarden.collector.store.schema import agents, join_tokens


def create_join_token(
    conn: Connection, agent_id: str, site: str, ttl: float, actor: str, *, now: float
) -> str:
    """Store a new join token's hash and return its secret part.

    An agent not yet known gets a row with ``enrolled_at`` None (enrolment pending), so the
    fleet shows it before it first connects. An existing agent's row is left as it is (a revoked
    agent stays revoked until the token is redeemed).
    """
    checks.text(agent_id, 63, "agent id")
    checks.text(site, 63, "site")
    if not ttl > 0:
        raise StoreInputError(f"a join token's lifetime must be positive, not {ttl:g} s")
    exists = conn.execute(sa.select(agents.c.id).where(agents.c.id == agent_id)).first()
    if exists is None:
        conn.execute(
            agents.insert().values(
                id=agent_id, site=site, revoked=False, jobs_version=0, results_seq=0
            )
        )
    secret = tokens.new_secret()
    conn.execute(
        join_tokens.insert().values(
            token_hash=tokens.digest(secret),
            agent_id=agent_id,
            site=site,
            created_at=now,
            created_by=actor,
            expires_at=now + ttl,
        )
    )
    audit.record(
        conn, actor, "join-token.create", agent_id, f"site {site}, expires in {ttl:g} s", now=now
    )
    return secret


def redeem_join_token(
    conn: Connection, secret: str, hostname: str, version: str, now: float
) -> Enrolment:
    """Exchange a join token's secret for a fresh agent credential; see ``Store``."""
    # Checked before the token is looked at: a bad body must not use the token up.
    checks.text(hostname, 255, "hostname")
    checks.text(version, 64, "version")
    token_hash = tokens.digest(secret)
    row = (
        conn.execute(sa.select(join_tokens).where(join_tokens.c.token_hash == token_hash))
        .mappings()
        .first()
    )
    if row is None:
        raise TokenError("join token is not known to this collector")
    if row["used_at"] is not None:
        raise TokenError(
            f"join token already used (agent {row['agent_id']}, at {_when(row['used_at'])})"
        )
    if row["expires_at"] <= now:
        raise TokenError(f"join token expired at {_when(row['expires_at'])}: create a new one")
    agent_id, site = row["agent_id"], row["site"]
    before = conn.execute(
        sa.select(agents.c.enrolled_at, agents.c.revoked, agents.c.revoked_at).where(
            agents.c.id == agent_id
        )
    ).first()
    # Revocation also kills the join tokens made before it: only a new token brings it back.
    if before is not None and before.revoked and row["created_at"] <= (before.revoked_at or 0):
        raise TokenError(
            f"join token was created before agent {agent_id} was revoked: create a new one"
        )
    # The guard on used_at makes the token one-time even when two enrolments race.
    claimed = conn.execute(
        join_tokens.update()
        .where(join_tokens.c.token_hash == token_hash, join_tokens.c.used_at.is_(None))
        .values(used_at=now, used_by=hostname)
    )
    if claimed.rowcount != 1:
        raise TokenError(f"join token already used (agent {agent_id})")
    credential = f"nwa.{agent_id}.{tokens.new_secret()}"
    conn.execute(
        agents.update()
        .where(agents.c.id == agent_id)
        .values(
            site=site,
            enrolled_at=now,
            revoked=False,
            revoked_at=None,
            credential_hash=tokens.digest(credential),
            hostname=hostname,
            version=version,
        )
    )
    action = "agent.enrol"
    if before is not None and before.revoked:
        action = "agent.re-enrol-revoked"
    elif before is not None and before.enrolled_at is not None:
        action = "agent.re-enrol"
    detail = f"hostname {hostname}, version {version}, token by {row['created_by']}"
    audit.record(conn, f"agent:{agent_id}", action, agent_id, detail, now=now)
    return Enrolment(agent_id=agent_id, site=site, credential=credential)


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))
