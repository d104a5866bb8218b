"""Maintenance routes: windows on a site, link or device, and their Alertmanager silences.

``GET /api/v1/maintenance?from=&to=`` answers exactly ``{"windows": [{"id", "site", "link",
"device", "from", "to", "reason", "created_by", "created_at"}]}`` (the availability report reads
it). With ``collector serve --alertmanager URL`` a new window's silences are created first and
the window stored after (a failed store expires them again); removing a window expires its
silences first, so a window never outlives its silences' record or the other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from netwarden.collector.api.auth import actor, user_caller
from netwarden.collector.api.body import read_model
from netwarden.collector.api.errors import ApiError
from netwarden.collector.api.incident_models import WindowIn
from netwarden.collector.api.incident_routes import services
from netwarden.collector.api.incident_state import IncidentServices
from netwarden.collector.api.state import AppState, app_state
from netwarden.collector.incidents.maintenance import Window, silence_matchers
from netwarden.collector.incidents.silences import SilenceApi
from netwarden.collector.incidents.times import TimeFormatError, parse_s

log = logging.getLogger("netwarden.collector.maintenance")
MAX_LENGTH = 366 * 86400.0  # a window longer than a year is a mistake, not maintenance


def _time(name: str, text: str | None) -> float | None:
    return None if text is None else _required_time(name, text)


def _required_time(name: str, text: str) -> float:
    try:
        return parse_s(text)
    except TimeFormatError as exc:
        raise ApiError(400, f"{name} {text[:40]!r}: {exc}") from None


async def list_windows(request: Request) -> Response:
    """Windows overlapping [from, to) (viewer); without either: those not over yet."""
    record = services(request)
    await user_caller(request, "viewer")
    state = app_state(request)
    start = _time("from", request.query_params.get("from"))
    end = _time("to", request.query_params.get("to"))
    if start is not None and end is not None and end < start:
        raise ApiError(400, "to is before from")
    if start is None and end is None:
        start = state.clock()
    windows = await state.call(record.store.windows, start, end)
    return JSONResponse({"windows": [w.as_json() for w in windows]})


def _check_target(state: AppState, body: WindowIn) -> None:
    inventory = state.inventory.inventory
    known = {
        "site": {s.id for s in inventory.sites},
        "link": {x.id for x in inventory.links},
        "device": {d.id for d in inventory.devices},
    }
    for kind, ids in known.items():
        value = getattr(body, kind)
        if value is not None and value not in ids:
            raise ApiError(400, f"{kind} {value} is not in the collector's inventory")


def _silence(silences: SilenceApi, window: Window, who: str) -> list[str]:
    """Create the window's silences; on a failure expire those already made."""
    made: list[str] = []
    comment = f"netwarden maintenance: {window.reason}"[:1000]
    try:
        for matchers in silence_matchers(window.site, window.link, window.device):
            made.append(silences.create(matchers, window.starts_at, window.ends_at, who, comment))
    except BaseException:
        _expire(silences, made)
        raise
    return made


def _expire(silences: SilenceApi, ids: Sequence[str]) -> None:
    for silence_id in ids:
        try:
            silences.expire(silence_id)
        except Exception as exc:  # best effort while undoing: the caller reports the first error
            log.error("could not expire silence %s again: %s", silence_id, exc)


def _add(record: IncidentServices, window: Window, who: str, now: float) -> Window:
    made: list[str] = []
    if record.silences is not None and window.ends_at > now:
        made = _silence(record.silences, window, who)
    try:
        return record.store.add_window(replace(window, silences=tuple(made)), who)
    except BaseException:
        if record.silences is not None:
            _expire(record.silences, made)
        raise


async def add(request: Request) -> Response:
    """``{"site"|"link"|"device", "from", "to", "reason"}`` → the window (responder)."""
    record = services(request)
    user = await user_caller(request, "responder")
    body = await read_model(request, WindowIn)
    state = app_state(request)
    start, end = _required_time("from", body.starts), _required_time("to", body.ends)
    if end <= start:
        raise ApiError(400, "to must be after from")
    if end - start > MAX_LENGTH:
        raise ApiError(400, "a maintenance window is at most 366 days long")
    _check_target(state, body)
    now = state.clock()
    window = Window(0, body.site, body.link, body.device, start, end, body.reason, actor(user), now)
    stored = await state.call(_add, record, window, actor(user), now)
    return JSONResponse({**stored.as_json(), "silences": list(stored.silences)})


def _remove(record: IncidentServices, window_id: int, who: str, now: float) -> tuple[Window, str]:
    window = record.store.window(window_id)
    if window.silences and record.silences is None:
        raise ApiError(
            409,
            f"window {window_id} has Alertmanager silences but this collector runs without "
            "--alertmanager: start it with --alertmanager URL to remove the window",
        )
    if record.silences is not None:
        for silence_id in window.silences:
            record.silences.expire(silence_id)
    return record.store.remove_window(window_id, who, now)


async def remove(request: Request) -> Response:
    """End a window now, or cancel one not begun; its silences are expired (responder)."""
    record = services(request)
    user = await user_caller(request, "responder")
    state = app_state(request)
    window_id = int(request.path_params["window_id"])
    window, done = await state.call(_remove, record, window_id, actor(user), state.clock())
    return JSONResponse({"id": window.id, "done": done, "silences_expired": list(window.silences)})


ROUTES = [
    Route("/api/v1/maintenance", list_windows, methods=["GET"]),
    Route("/api/v1/maintenance", add, methods=["POST"]),
    Route("/api/v1/maintenance/{window_id:int}", remove, methods=["DELETE"]),
]
