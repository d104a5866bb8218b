"""``Cache-Control: no-store`` on every API answer.

Enrolment answers carry an agent's credential, and every other ``/api/`` answer is either
behind a token (fleet, results, incidents, evidence) or part of a conversation no cache should
replay. A proxy or a browser that kept one would hand it to the next person who asks, so the
whole API says ``no-store`` (as Vault's does), including its errors. ``/metrics`` and the
health checks are public and left alone.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/api/"
HEADER = (b"cache-control", b"no-store")


class NoStore:
    """ASGI middleware adding ``Cache-Control: no-store`` to answers under ``/api/``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return

        async def marking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != HEADER[0]]
                message = {**message, "headers": [*headers, HEADER]}
            await send(message)

        await self.app(scope, receive, marking_send)
