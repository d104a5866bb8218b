"""Who is calling: an agent (its credential) on its own routes, or a user with a role.

Tokens announce their kind by prefix (``nwa.`` agent credential, ``nwu.`` user token), so a
wrong kind of credential gets a precise answer: 401 when it is not valid at all, 403 when it is
valid but not for this route (an agent on another agent's route, a user without the role).
"""

from __future__ import annotations

import re

from starlette.requests import Request

from netwarden.collector.api.errors import ApiError
from netwarden.collector.api.state import AppState, app_state
from netwarden.collector.store.rows import AgentRow, Role, UserRow
from netwarden.inventory.ids import ID_PATTERN

RANK: dict[Role, int] = {"viewer": 0, "responder": 1, "admin": 2}
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_ID = re.compile(ID_PATTERN)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, _CHALLENGE)


def bearer(request: Request) -> str:
    """The token of ``Authorization: Bearer <token>`` (401 when absent or malformed)."""
    header = request.headers.get("authorization")
    if header is None:
        raise _unauthorized("missing 'Authorization: Bearer <token>' header")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("the Authorization header must be 'Bearer <token>'")
    return token


async def _agent_refusal(state: AppState, token: str) -> ApiError:
    """Why an agent credential did not authenticate: revoked, or simply not valid."""
    agent_id = token[4:].rpartition(".")[0]
    if _ID.match(agent_id):
        row = await state.call(state.store.agent, agent_id)
        if row is not None and row.revoked:
            return _unauthorized(f"agent {agent_id} is revoked")
    return _unauthorized("invalid agent credential")


async def agent_caller(request: Request, agent_id: str) -> AgentRow:
    """The agent calling its own route ``/agents/{agent_id}/...`` (401/403 otherwise)."""
    state = app_state(request)
    token = bearer(request)
    if token.startswith("nwa."):
        row = state.agent_auth.get(token)
        if row is None:
            generation = state.agent_auth.generation
            row = await state.call(state.store.authenticate_agent, token)
            if row is None:
                raise await _agent_refusal(state, token)
            state.agent_auth.put(token, row, generation)
        if row.id != agent_id:
            raise ApiError(403, f"this credential is agent {row.id}'s, not agent {agent_id}'s")
        return row
    if token.startswith("nwu."):
        if await state.call(state.store.authenticate_user, token) is None:
            raise _unauthorized("invalid or revoked user token")
        raise ApiError(403, "agent routes take the agent's own credential, not a user token")
    raise _unauthorized("not a netwarden token (expected an nwa. agent credential)")


async def user_caller(request: Request, role: Role) -> UserRow:
    """The user calling, who must hold ``role`` or a higher one (401/403 otherwise)."""
    state = app_state(request)
    token = bearer(request)
    if token.startswith("nwu."):
        user = await state.call(state.store.authenticate_user, token)
        if user is None:
            raise _unauthorized("invalid or revoked user token")
        if user.role not in RANK or RANK[user.role] < RANK[role]:
            raise ApiError(403, f"this needs the {role} role; {user.name} has {user.role}")
        return user
    if token.startswith("nwa."):
        if await state.call(state.store.authenticate_agent, token) is None:
            raise await _agent_refusal(state, token)
        raise ApiError(403, f"this needs a user token with the {role} role, not an agent's")
    raise _unauthorized("not a netwarden token (expected an nwu. user token)")


async def alert_caller(request: Request) -> UserRow:
    """A user who may post alerts: the webhook role (Alertmanager), responder or admin."""
    state = app_state(request)
    token = bearer(request)
    if not token.startswith("nwu."):
        raise _unauthorized("alerts take a user token with the webhook role (nwu.)")
    user = await state.call(state.store.authenticate_user, token)
    if user is None:
        raise _unauthorized("invalid or revoked user token")
    if user.role not in ("webhook", "responder", "admin"):
        raise ApiError(403, f"posting alerts needs the webhook role; {user.name} has {user.role}")
    return user


def actor(user: UserRow) -> str:
    """How the audit log names a user."""
    return f"user:{user.name}"
