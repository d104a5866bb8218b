"""User routes of the configuration history: every device's revisions as agents sent them, one
revision with its configuration, and the unified diff between two (viewer).

Revisions are named by their commit in the agent's store (``commit``), as ``netwarden config
history`` names them, or by a unique prefix of it (at least 4 hex digits). The diff is the
same text ``netwarden config diff`` prints from a store (netwarden/config_diff.py).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from netwarden.collector.api.auth import user_caller
from netwarden.collector.api.errors import ApiError
from netwarden.collector.api.params import int_param
from netwarden.collector.api.state import AppState, app_state
from netwarden.collector.store.errors import StoreInputError
from netwarden.collector.store.rows import ConfigRevisionRow
from netwarden.config_diff import Revision, render_diff
from netwarden.inventory.ids import ID_PATTERN

MAX_LIMIT = 1000
_ID = re.compile(ID_PATTERN)


def _device(request: Request) -> str:
    device = str(request.path_params["device"])
    if not _ID.match(device):
        raise ApiError(400, f"{device[:80]!r} is not a device id")
    return device


def _listed(row: ConfigRevisionRow) -> dict[str, Any]:
    return {
        "commit": row.revision,
        "time": row.time,
        "fetched_at": row.fetched_at,
        "previous_commit": row.previous_revision,
        "agent": row.agent_id,
        "site": row.site,
        "role": row.role,
        "received_at": row.received_at,
        "sha256": row.sha256,
        "size": row.size,
    }


async def devices(request: Request) -> Response:
    """Every device the collector holds configurations of, with its newest revision."""
    await user_caller(request, "viewer")
    state = app_state(request)
    rows = await state.call(state.store.config_devices)
    listed = [
        {
            "device": r.device,
            "site": r.site,
            "revisions": r.revisions,
            "last_commit": r.last_revision,
            "last_time": r.last_time,
            "agent": r.agent_id,
        }
        for r in rows
    ]
    return JSONResponse({"devices": listed})


async def history(request: Request) -> Response:
    """A device's revisions, newest first (404 when the collector holds none)."""
    await user_caller(request, "viewer")
    state = app_state(request)
    device = _device(request)
    limit = int_param(request, "limit", default=100, low=1, high=MAX_LIMIT)
    rows = await state.call(state.store.config_history, device, limit)
    if not rows:
        raise ApiError(404, f"the collector holds no configuration of {device}")
    return JSONResponse({"device": device, "revisions": [_listed(r) for r in rows]})


async def _revision(
    state: AppState, device: str, ref: str | None
) -> tuple[ConfigRevisionRow, ConfigRevisionRow | None]:
    try:
        found, before = await state.call(state.store.config_revision, device, ref)
    except StoreInputError as exc:
        raise ApiError(400, str(exc)) from None
    if found is None:
        which = f"revision {ref}" if ref else "any configuration"
        raise ApiError(404, f"the collector holds no {which} of {device}")
    return found, before


async def revision(request: Request) -> Response:
    """One revision with its configuration (``config``)."""
    await user_caller(request, "viewer")
    state = app_state(request)
    device = _device(request)
    found, _ = await _revision(state, device, str(request.path_params["commit"]))
    return JSONResponse({"device": device, **_listed(found), "config": found.config})


def _as_revision(row: ConfigRevisionRow) -> Revision:
    return Revision(row.revision, datetime.fromisoformat(row.time))


async def diff(request: Request) -> Response:
    """The change to revision ``to`` (default: the newest) from ``from`` (default: the one
    before it; a first revision is compared with nothing), as ``config diff`` shows it."""
    await user_caller(request, "viewer")
    state = app_state(request)
    device = _device(request)
    to, before = await _revision(state, device, request.query_params.get("to"))
    from_ref = request.query_params.get("from")
    if from_ref is not None:
        before, _ = await _revision(state, device, from_ref)
    after = _as_revision(to)
    old = _as_revision(before) if before is not None else None
    old_text = (before.config or "") if before is not None else ""
    text = render_diff(f"{device}.cfg", old_text, to.config or "", old, after)
    return JSONResponse(
        {
            "device": device,
            "from": old.as_dict() if old is not None else None,
            "to": after.as_dict(),
            "diff": text,
        }
    )


ROUTES = [
    Route("/api/v1/configs", devices, methods=["GET"]),
    Route("/api/v1/configs/{device}/revisions", history, methods=["GET"]),
    Route("/api/v1/configs/{device}/revisions/{commit}", revision, methods=["GET"]),
    Route("/api/v1/configs/{device}/diff", diff, methods=["GET"]),
]
