"""Every error the API answers is ``{"error": "<one line>"}`` with a 4xx/5xx status.

``ApiError`` is raised by route code for the contract's 4xx answers. Starlette's own
``HTTPException`` (no such route, wrong method) is rendered the same way. Anything else is a
bug: :class:`LastResort` logs its traceback and answers 500 without details, so a client never
sees internals and the collector keeps serving.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netwarden.collector.store.errors import StoreInputError

log = logging.getLogger("netwarden.collector.api")

INTERNAL = "internal error, see collector log"


class ApiError(Exception):
    """An answer other than success: ``status`` and one line an admin understands."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The contract's error body."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no such route: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
    else:
        message = exc.detail
    return error_response(exc.status_code, message, dict(exc.headers or {}))


async def store_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, StoreInputError):  # a value the store cannot hold: the caller's input
        return error_response(400, str(exc)[:200])
    # Inputs are validated before they reach the store, so any other store error means the
    # database is unwell (down, full, locked too long): a server-side condition, not a bug.
    log.error("store error answering %s %s: %s", request.method, request.url.path, exc)
    return error_response(503, f"the collector's store failed: {str(exc)[:200]}")


class LastResort:
    """ASGI middleware: a bug in a route becomes a logged traceback and a 500 answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("bug answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # half an answer is out: only closing the connection is left
            response = error_response(500, INTERNAL)
            await response(scope, receive, send)
