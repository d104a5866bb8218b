"""Evidence routes: attach a file to an incident (a responder, or an agent's playbook step) and
read it back, re-checked against its SHA-256.

The body is the file itself (any media type), streamed to disk while it is hashed, never held
in memory whole; ``?name=`` names it. The incident is checked before the body is read (no
upload to a closed or unknown incident) and again when the row is stored.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from netwarden.collector.api.auth import actor, agent_caller, user_caller
from netwarden.collector.api.errors import ApiError
from netwarden.collector.api.incident_routes import INCIDENT_ID, incident_id, services
from netwarden.collector.api.incident_state import IncidentServices
from netwarden.collector.api.state import AppState, app_state
from netwarden.collector.incidents import lifecycle
from netwarden.collector.incidents.evidence import EvidenceTooLarge

_NAME = re.compile(r"^[^\x00-\x1f\x7f/\\]{1,255}$")
_STEP = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")


def _text_param(
    request: Request, name: str, pattern: re.Pattern[str], *, required: bool
) -> str | None:
    value = request.query_params.get(name)
    if value is None and not required:
        return None
    if value is None or not pattern.match(value) or value in (".", ".."):
        raise ApiError(
            400, f"query parameter {name} must be 1-255 characters, no '/' or control characters"
        )
    return value


async def _receive(request: Request, state: AppState, record: IncidentServices) -> tuple[str, int]:
    """Stream the body into the evidence directory; (sha256, size)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > record.evidence.limit:
        raise ApiError(413, f"evidence is larger than {record.evidence.limit // (1024 * 1024)} MiB")
    writer = await state.call(record.evidence.writer)
    try:
        async for chunk in request.stream():
            if chunk:
                await state.call(writer.write, chunk)
        return await state.call(writer.finish)
    except EvidenceTooLarge as exc:
        raise ApiError(413, str(exc)) from None
    except ClientDisconnect:
        raise ApiError(
            400, "the client closed the connection before sending the whole file"
        ) from None
    finally:
        await state.call(writer.abort)  # after finish(): the temporary file is gone already


async def _attach(request: Request, which: str, source: str, step: str | None) -> Response:
    state = app_state(request)
    record = services(request)
    name = _text_param(request, "name", _NAME, required=True)
    assert name is not None
    lifecycle.check("evidence", which, await state.call(record.store.status, which))
    sha256, size = await _receive(request, state, record)
    row = await state.call(
        lambda: record.store.add_evidence(
            which, name=name, sha256=sha256, size=size, source=source, step=step, now=state.clock()
        )
    )
    return JSONResponse({"incident": which, **row.as_json()})


async def add(request: Request) -> Response:
    """A responder attaches a file: ``POST ...?name=NAME`` with the file as the body."""
    services(request)
    user = await user_caller(request, "responder")
    which = incident_id(request)
    return await _attach(request, which, actor(user), None)


async def add_from_agent(request: Request) -> Response:
    """An agent attaches command output from a playbook step:
    ``POST /api/v1/agents/{id}/evidence?incident=ID&name=NAME&step=STEP``."""
    agent_id = request.path_params["agent_id"]
    await agent_caller(request, agent_id)
    services(request)
    which = request.query_params.get("incident", "")
    if not re.match(INCIDENT_ID, which):
        raise ApiError(400, "query parameter incident must be an incident id like INC-20261123-001")
    step = _text_param(request, "step", _STEP, required=False)
    return await _attach(request, which, f"agent:{agent_id}", step)


async def get(request: Request) -> Response:
    """The file, after checking its SHA-256 again (viewer; responder if the incident is
    confidential). ``X-Netwarden-SHA256`` carries the hash for the client to check too."""
    record = services(request)
    user = await user_caller(request, "viewer")
    which = incident_id(request)
    state = app_state(request)
    row, confidential = await state.call(
        record.store.evidence, which, int(request.path_params["evidence_id"])
    )
    if confidential and user.role == "viewer":
        raise ApiError(403, f"{which} is confidential: its evidence needs the responder role")
    path = await state.call(record.evidence.verified, row.sha256, row.size)
    disposition = f"attachment; filename*=UTF-8''{quote(row.name, safe='')}"
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={"X-Netwarden-SHA256": row.sha256, "Content-Disposition": disposition},
    )


_EVIDENCE = "/api/v1/incidents/{incident_id}/evidence"
ROUTES = [
    Route(_EVIDENCE, add, methods=["POST"]),
    Route(_EVIDENCE + "/{evidence_id:int}", get, methods=["GET"]),
    Route("/api/v1/agents/{agent_id}/evidence", add_from_agent, methods=["POST"]),
]
