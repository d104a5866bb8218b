"""The events of an incident's devices attached as evidence: when it resolves, and on demand
(``POST /api/v1/incidents/{id}/evidence/events``, responder). See incidents/event_evidence.py."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from netwarden.collector.api.auth import user_caller
from netwarden.collector.api.incident_routes import incident_id, services
from netwarden.collector.api.incident_state import IncidentServices
from netwarden.collector.api.state import AppState, app_state
from netwarden.collector.incidents.event_evidence import attach_events
from netwarden.errors import NetwardenError

log = logging.getLogger("netwarden.collector.incidents")


async def attach_if_resolved(state: AppState, record: IncidentServices, ids: list[str]) -> None:
    """After a resolve (by hand or by its alerts): attach the events of each resolved one.
    A failure is logged, never the resolve's: the events stay searchable and can be attached
    on demand."""
    for which in ids:
        try:
            if await state.call(record.store.status, which) != "resolved":
                continue
            row, count = await state.call(attach_events, state.store, record, which, state.clock())
            if row is not None:
                log.info("%s: %d events attached as evidence %d", which, count, row.id)
        except NetwardenError as exc:
            log.error("%s: attaching its events failed: %s", which, exc)


async def attach(request: Request) -> Response:
    """Attach the events now (an open incident: until now); ``{"incident", "events",
    "evidence"}`` with the new evidence row, or null when there was nothing new."""
    record = services(request)
    await user_caller(request, "responder")
    which = incident_id(request)
    state = app_state(request)
    await state.call(record.store.status, which)  # 404 for an unknown incident
    row, count = await state.call(attach_events, state.store, record, which, state.clock())
    evidence = row.as_json() if row is not None else None
    return JSONResponse({"incident": which, "events": count, "evidence": evidence})


ROUTES = [Route("/api/v1/incidents/{incident_id}/evidence/events", attach, methods=["POST"])]
