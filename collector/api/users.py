"""User routes: the fleet listing, revocation, jobs, results and the audit log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from netwarden.collector.api.auth import actor, user_caller
from netwarden.collector.api.body import read_model
from netwarden.collector.api.errors import ApiError
from netwarden.collector.api.models import JobIn
from netwarden.collector.api.params import int_param, number_param
from netwarden.collector.api.state import AppState, app_state
from netwarden.collector.store.errors import UnknownAgentError
from netwarden.collector.store.rows import AgentRow, ResultRow

MAX_LIMIT = 1000
MAX_SEQ = 2**63 - 1  # results are numbered in a BIGINT


async def _known_agent(state: AppState, agent_id: str) -> AgentRow:
    row = await state.call(state.store.agent, agent_id)
    if row is None:
        raise ApiError(404, f"no agent {agent_id} is enrolled or pending enrolment")
    return row


async def fleet(request: Request) -> Response:
    """Every agent the collector knows, with its state computed from its last heartbeat."""
    await user_caller(request, "viewer")
    state = app_state(request)
    rows = await state.call(state.store.agents)
    now = state.clock()
    agents = [
        {
            "id": a.id,
            "site": a.site,
            "state": state.state_of(a.last_seen, a.revoked, now),
            "last_seen": a.last_seen,
            "version": a.version,
            "devices_assigned": a.devices_assigned,
            "devices_healthy": a.devices_healthy,
            "queue_depth": a.queue_depth,
            "spool_depth": a.spool_depth,
            "spool_oldest_age": a.spool_oldest_age,
            "clock_offset": a.clock_offset,
            "advertise": a.advertise,
        }
        for a in rows
    ]
    return JSONResponse({"agents": agents})


async def revoke(request: Request) -> Response:
    """Revoke an agent: its credential stops working at once (admin)."""
    user = await user_caller(request, "admin")
    state = app_state(request)
    agent_id = request.path_params["agent_id"]
    await _known_agent(state, agent_id)
    try:
        await state.call(state.store.revoke_agent, agent_id, actor(user), state.clock())
        state.agent_auth.forget(agent_id)
    except UnknownAgentError:
        raise ApiError(404, f"no agent {agent_id} is enrolled or pending enrolment") from None
    return JSONResponse({"agent": agent_id, "revoked": True})


async def create_job(request: Request) -> Response:
    """Queue a job for an agent and wake its long-poll (responder)."""
    user = await user_caller(request, "responder")
    state = app_state(request)
    agent_id = request.path_params["agent_id"]
    body = await read_model(request, JobIn)
    row = await _known_agent(state, agent_id)
    if row.revoked:
        raise ApiError(409, f"agent {agent_id} is revoked: it takes no jobs")
    job_id = await state.call(
        lambda: state.store.create_job(
            agent_id,
            body.kind,
            body.params,
            actor(user),
            state.clock(),
            expires_at=body.expires_at,
            lease=body.lease,
        )
    )
    state.signals.notify(agent_id)
    return JSONResponse({"id": job_id})


def _result(row: ResultRow) -> dict[str, object]:
    return {
        "id": row.id,
        "kind": row.kind,
        "at": row.at,
        "job": row.job,
        "payload": row.payload,
        "received_at": row.received_at,
        "seq": row.seq,
    }


async def results(request: Request) -> Response:
    """An agent's results after the cursor ``after_seq`` and received since ``since`` (Unix
    seconds), oldest first, with the cursor of the next page (viewer)."""
    await user_caller(request, "viewer")
    state = app_state(request)
    agent_id = request.path_params["agent_id"]
    since = number_param(request, "since", default=0.0, low=0.0, high=1e11)
    after_seq = int_param(request, "after_seq", default=0, low=0, high=MAX_SEQ)
    limit = int_param(request, "limit", default=100, low=1, high=MAX_LIMIT)
    await _known_agent(state, agent_id)
    # One row more than asked says whether another page follows, without a second query.
    rows = await state.call(state.store.results, agent_id, since, limit + 1, after_seq)
    page = rows[:limit]
    return JSONResponse(
        {
            "results": [_result(r) for r in page],
            "next_after_seq": page[-1].seq if page else after_seq,
            "more": len(rows) > limit,
        }
    )


async def audit(request: Request) -> Response:
    """The newest audit entries (admin)."""
    await user_caller(request, "admin")
    state = app_state(request)
    limit = int_param(request, "limit", default=100, low=1, high=MAX_LIMIT)
    entries = await state.call(state.store.audit_entries, limit)
    return JSONResponse(
        {
            "entries": [
                {
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "detail": e.detail,
                }
                for e in entries
            ]
        }
    )


ROUTES = [
    Route("/api/v1/fleet", fleet, methods=["GET"]),
    Route("/api/v1/agents/{agent_id}/revoke", revoke, methods=["POST"]),
    Route("/api/v1/agents/{agent_id}/jobs", create_job, methods=["POST"]),
    Route("/api/v1/agents/{agent_id}/results", results, methods=["GET"]),
    Route("/api/v1/audit", audit, methods=["GET"]),
]
