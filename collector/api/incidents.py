"""Incident routes: list, show, and what responders and admins do to an incident.

Roles: viewer reads; responder acknowledges, notes, resolves, sets flags (and attaches
evidence, see evidence.py); admin also closes. Each change is one timeline line and one audit
entry, written by the store in the change's own transaction.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from netwarden.collector.api.auth import actor, user_caller
from netwarden.collector.api.body import read_model
from netwarden.collector.api.errors import ApiError
from netwarden.collector.api.event_evidence import attach_if_resolved
from netwarden.collector.api.incident_models import AckIn, FlagsIn, NoteIn, SummaryIn
from netwarden.collector.api.incident_routes import id_param, incident_id, services
from netwarden.collector.api.params import int_param
from netwarden.collector.api.state import app_state
from netwarden.collector.incidents.lifecycle import STATUSES

LIST_STATUSES = (*STATUSES, "active", "all")
MAX_LIST = 1000


async def list_incidents(request: Request) -> Response:
    """``{"incidents": [...]}`` newest first (viewer)."""
    record = services(request)
    await user_caller(request, "viewer")
    status = request.query_params.get("status", "all")
    if status not in LIST_STATUSES:
        raise ApiError(400, f"query parameter status must be one of {', '.join(LIST_STATUSES)}")
    site = id_param(request, "site")
    limit = int_param(request, "limit", default=200, low=1, high=MAX_LIST)
    rows = await app_state(request).call(record.store.incidents, status, site, limit)
    return JSONResponse({"incidents": [r.as_json() for r in rows]})


async def show(request: Request) -> Response:
    """One incident with its alerts, timeline, evidence and what it affects (viewer)."""
    record = services(request)
    await user_caller(request, "viewer")
    found = await app_state(request).call(record.store.incident, incident_id(request))
    return JSONResponse(found.as_json())


async def _answer(request: Request) -> Response:
    """The incident as it is now: every change answers with the whole record."""
    return await show(request)


async def acknowledge(request: Request) -> Response:
    """``{"note"?}``: the team owns it now (responder). Acknowledging twice changes nothing."""
    record = services(request)
    user = await user_caller(request, "responder")
    which = incident_id(request)
    body = await read_model(request, AckIn)
    state = app_state(request)
    await state.call(record.store.acknowledge, which, actor(user), state.clock(), body.note)
    return await _answer(request)


async def note(request: Request) -> Response:
    """``{"text"}``: a line in the timeline (responder)."""
    record = services(request)
    user = await user_caller(request, "responder")
    which = incident_id(request)
    body = await read_model(request, NoteIn)
    state = app_state(request)
    await state.call(record.store.note, which, body.text, actor(user), state.clock())
    return await _answer(request)


async def resolve(request: Request) -> Response:
    """``{"summary"}``: resolved by hand, with what was done (responder)."""
    record = services(request)
    user = await user_caller(request, "responder")
    which = incident_id(request)
    body = await read_model(request, SummaryIn)
    state = app_state(request)
    await state.call(record.store.resolve, which, body.summary, actor(user), state.clock())
    await attach_if_resolved(state, record, [which])
    return await _answer(request)


async def close(request: Request) -> Response:
    """``{"summary"}``: the closing summary of a resolved incident (admin)."""
    record = services(request)
    user = await user_caller(request, "admin")
    which = incident_id(request)
    body = await read_model(request, SummaryIn)
    state = app_state(request)
    await state.call(record.store.close, which, body.summary, actor(user), state.clock())
    return await _answer(request)


async def flags(request: Request) -> Response:
    """``{"confidential"?, "support_requested"?, "serious_confirmed"?}`` (responder)."""
    record = services(request)
    user = await user_caller(request, "responder")
    which = incident_id(request)
    body = await read_model(request, FlagsIn)
    state = app_state(request)
    await state.call(record.store.set_flags, which, body.chosen(), actor(user), state.clock())
    return await _answer(request)


_ONE = "/api/v1/incidents/{incident_id}"
ROUTES = [
    Route("/api/v1/incidents", list_incidents, methods=["GET"]),
    Route(_ONE, show, methods=["GET"]),
    Route(f"{_ONE}/ack", acknowledge, methods=["POST"]),
    Route(f"{_ONE}/notes", note, methods=["POST"]),
    Route(f"{_ONE}/resolve", resolve, methods=["POST"]),
    Route(f"{_ONE}/close", close, methods=["POST"]),
    Route(f"{_ONE}/flags", flags, methods=["POST"]),
]
