"""``GET /api/v1/events``: the events agents received, searched or followed (long poll).

``since``/``until`` are Unix seconds or ISO 8601 times (agent receive time); ``after`` is the
``last_seq`` of a previous answer, and ``wait`` (≤ 60 s) makes the call wait for an event
stored after it: that is how ``netwarden events tail`` follows.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from netwarden.collector.api.auth import user_caller
from netwarden.collector.api.errors import ApiError
from netwarden.collector.api.longpoll import wait_for
from netwarden.collector.api.params import int_param, number_param
from netwarden.collector.api.state import app_state
from netwarden.collector.store.events import MAX_LIMIT, EventQuery

EVENTS_SIGNAL = "\x00events"  # the JobSignals key new events are announced on
MAX_WAIT = 60.0


def time_param(request: Request, name: str) -> float | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            400, f"query parameter {name} must be Unix seconds or an ISO 8601 time"
        ) from None
    if parsed.tzinfo is None:
        raise ApiError(400, f"query parameter {name} needs a time zone (e.g. Z or +07:00)")
    return parsed.timestamp()


def _text_param(request: Request, name: str, limit: int = 255) -> str | None:
    text = request.query_params.get(name)
    if text is not None and len(text) > limit:
        raise ApiError(400, f"query parameter {name} is longer than {limit} characters")
    return text or None


def _query(request: Request) -> EventQuery:
    after = request.query_params.get("after")
    return EventQuery(
        since=time_param(request, "since"),
        until=time_param(request, "until"),
        site=_text_param(request, "site"),
        device=_text_param(request, "device"),
        grep=_text_param(request, "grep"),
        after=None if after is None else int_param(request, "after", default=0, low=0, high=2**62),
        limit=int_param(request, "limit", default=1000, low=1, high=MAX_LIMIT),
        newest=after is None,  # a search shows the latest matches; a follower reads in order
    )


async def list_events(request: Request) -> Response:
    await user_caller(request, "viewer")
    state = app_state(request)
    query = _query(request)
    wait = number_param(request, "wait", default=0.0, low=0.0, high=MAX_WAIT)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    found: list[dict[str, object]] = []
    last = 0
    # Bounded: each round returns, or waits for a wake-up or the deadline.
    for _ in range(1000):
        signal = state.signals.event(EVENTS_SIGNAL)  # before the query: see longpoll.py
        found, last = await state.call(state.store.events, query)
        if found or state.signals.closing or (query.after is None and wait == 0):
            break
        if not await wait_for(signal, deadline - loop.time()):
            break
    if query.after is not None and not found:
        last = max(last, query.after)
    return JSONResponse({"events": found, "last_seq": last})


ROUTES = [Route("/api/v1/events", list_events, methods=["GET"])]
