"""User tokens with roles (``nwu.<name>.<secret>``); several tokens per user."""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from netwarden.collector.store import audit, tokens
from netwarden.collector.store.errors import StoreError, StoreInputError
from netwarden.collector.store.rows import ROLES, Role, UserRow
from netwarden.collector.store.schema import user_tokens


def create_token(conn: Connection, name: str, role: Role, actor: str, now: float) -> str:
    """Store a new token's hash for ``name`` with ``role``; return the whole token (shown once)."""
    if role not in ROLES:
        raise StoreInputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if not name or any(c.isspace() for c in name) or len(name) > 63:
        raise StoreInputError(f"bad user name {name!r}: 1-63 characters, no spaces")
    token = f"nwu.{name}.{tokens.new_secret()}"
    conn.execute(
        user_tokens.insert().values(
            token_hash=tokens.digest(token), name=name, role=role, created_at=now, created_by=actor
        )
    )
    audit.record(conn, actor, "user-token.create", name, f"role {role}", now=now)
    return token


def authenticate(conn: Connection, token: str) -> UserRow | None:
    """The user and role of a valid, unrevoked token, else None."""
    name = tokens.owner(token, "nwu")
    if name is None:
        return None
    r = (
        conn.execute(sa.select(user_tokens).where(user_tokens.c.token_hash == tokens.digest(token)))
        .mappings()
        .first()
    )
    if r is None or r["revoked_at"] is not None or r["name"] != name:
        return None
    role = r["role"]
    assert role in ROLES
    return UserRow(name=name, role=role)


def revoke_tokens(conn: Connection, name: str, actor: str, now: float) -> int:
    """Revoke every live token of ``name``; return how many. Unknown user → StoreError."""
    known = conn.execute(sa.select(sa.func.count()).where(user_tokens.c.name == name)).scalar_one()
    if not known:
        raise StoreError(f"user {name} has no tokens")
    done = conn.execute(
        user_tokens.update()
        .where(user_tokens.c.name == name, user_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    audit.record(
        conn, actor, "user-token.revoke", name, f"{done.rowcount} token(s) revoked", now=now
    )
    return done.rowcount
