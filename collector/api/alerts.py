"""``POST /api/v1/alerts/alertmanager``: Alertmanager's webhook (payload version 4).

The body is read (8 MiB at most: a storm's group is large), decoded and checked whole before
anything is stored; then the store applies it in one transaction. Every refusal is a 4xx with
``{"error"}`` and counted in ``netwarden_alert_webhook_rejected_total{reason}``; Alertmanager
retries a refused or failed delivery, and repeats are answered as duplicates.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from netwarden.collector.api.auth import actor, alert_caller
from netwarden.collector.api.body import decode_json, read_body
from netwarden.collector.api.errors import ApiError
from netwarden.collector.api.event_evidence import attach_if_resolved
from netwarden.collector.api.incident_routes import services
from netwarden.collector.api.state import app_state
from netwarden.collector.incidents.errors import PayloadError
from netwarden.collector.incidents.payload import Webhook, parse_webhook
from netwarden.collector.store.errors import StoreError, StoreInputError

log = logging.getLogger("netwarden.collector.alerts")

MAX_WEBHOOK_BODY = 8 * 1024 * 1024
_REASON = {401: "unauthorized", 403: "forbidden", 413: "too_large"}


async def _webhook(request: Request) -> tuple[str, Webhook]:
    """The caller's name and the decoded body, or an ``ApiError`` with the refusal's reason."""
    user = await alert_caller(request)
    raw = await read_body(request, MAX_WEBHOOK_BODY)
    try:
        return actor(user), parse_webhook(decode_json(raw))
    except PayloadError as exc:
        raise ApiError(400, str(exc)) from exc


def _reason(exc: ApiError) -> str:
    cause = exc.__cause__
    if isinstance(cause, PayloadError):
        return cause.reason
    return _REASON.get(exc.status, "not_json")


async def alertmanager(request: Request) -> Response:
    """Store a webhook's alerts; answer ``{"accepted", "duplicates", "incidents"}``."""
    record = services(request)
    state = app_state(request)
    metrics = record.metrics
    try:
        who, hook = await _webhook(request)
    except ApiError as exc:
        if metrics is not None:
            metrics.refused(_reason(exc))
        raise
    now = state.clock()
    try:
        result = await state.call(record.ingest, hook, state.inventory.inventory, who, now)
    except StoreError as exc:
        if metrics is not None:
            metrics.refused("bad_shape" if isinstance(exc, StoreInputError) else "store")
        raise
    if metrics is not None:
        metrics.accepted(hook, result, now)
    if result.resolved:
        await attach_if_resolved(state, record, result.incidents)
    books = state.playbooks
    if books is not None and hook.alerts:
        started = await state.call(books.on_webhook, hook, state.inventory.inventory, now)
        if started:
            books.wake.set()
    if hook.truncated:
        log.warning(
            "Alertmanager left %d alerts out of group %s (max_alerts): noted on %s",
            hook.truncated,
            hook.group_key,
            ", ".join(result.incidents) or "no incident",
        )
    return JSONResponse(result.as_json())


ROUTES = [Route("/api/v1/alerts/alertmanager", alertmanager, methods=["POST"])]
