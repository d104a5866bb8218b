"""Helpers shared by the incident, evidence, maintenance and alert routes."""

from __future__ import annotations

import logging
import re

from starlette.requests import Request
from starlette.responses import Response

from netwarden.collector.api.errors import ApiError, error_response
from netwarden.collector.api.incident_state import IncidentServices
from netwarden.collector.api.state import app_state
from netwarden.collector.incidents.errors import IncidentError
from netwarden.inventory.ids import ID_PATTERN

log = logging.getLogger("netwarden.collector.incidents")
INCIDENT_ID = r"^INC-\d{8}-\d{3,9}$"


def services(request: Request) -> IncidentServices:
    """The incident record of this collector (404 when it keeps none)."""
    found = app_state(request).incidents
    if found is None:
        raise ApiError(404, "this collector keeps no incident record")
    return found


def incident_id(request: Request) -> str:
    """The ``{incident_id}`` of the path (404 when it cannot be one)."""
    value = str(request.path_params["incident_id"])
    if not re.match(INCIDENT_ID, value):
        raise ApiError(404, f"no incident {value[:40]!r} (ids look like INC-20261123-001)")
    return value


def id_param(request: Request, name: str) -> str | None:
    """An optional query parameter holding an inventory id (400 when it is not one)."""
    value = request.query_params.get(name)
    if value is not None and not re.match(ID_PATTERN, value):
        raise ApiError(400, f"query parameter {name} must be an id, got {value[:40]!r}")
    return value


async def incident_error(request: Request, exc: Exception) -> Response:
    """An ``IncidentError`` as the contract's error body with its status."""
    assert isinstance(exc, IncidentError)
    if exc.status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc)
    return error_response(exc.status, str(exc)[:300])
