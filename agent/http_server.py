"""The agent's HTTP endpoint: /metrics, /-/healthy and /-/ready (as Prometheus exporters do).

A deliberately small HTTP/1.1 server on asyncio: the agent already runs an event loop, it
serves one scraper at a time, and the exposition is rendered in a worker thread so a large
fleet's render never stalls the polls' timers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

CONTENT_TYPE_METRICS = "text/plain; version=0.0.4; charset=utf-8"
MAX_REQUEST_HEAD = 16 * 1024


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip


class MetricsServer:
    """Serves ``render()`` on /metrics and ``ready()`` (None when ready, else why not)."""

    def __init__(self, render: Callable[[], bytes], ready: Callable[[], str | None]) -> None:
        self._render = render
        self._ready = ready
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._handle, host, port)
        sockname = self._server.sockets[0].getsockname()
        return str(sockname[0]), int(sockname[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def respond(self, method: str, path: str) -> Response:
        """Route one request (public so tests can call it without a socket)."""
        if method not in ("GET", "HEAD"):
            return Response(405, b"only GET and HEAD\n")
        route = path.split("?", 1)[0]
        if route == "/metrics":
            body = await asyncio.to_thread(self._render)
            return Response(200, body, CONTENT_TYPE_METRICS)
        if route == "/-/healthy":
            return Response(200, b"OK\n")
        if route == "/-/ready":
            why = self._ready()
            return Response(200, b"OK\n") if why is None else Response(503, why.encode() + b"\n")
        if route == "/":
            return Response(200, b"netwarden agent: see /metrics\n")
        return Response(404, b"not found\n")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        method = "GET"
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            if len(head) > MAX_REQUEST_HEAD:
                raise ValueError("request head too large")
            method, path, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            response = await self.respond(method, path)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.close()
            return
        except ValueError:
            response = Response(400, b"bad request\n")
        except Exception:  # the scrape fails, the agent does not
            log.exception("rendering /metrics failed")
            response = Response(500, b"internal error, see the agent's log\n")
        status = f"HTTP/1.1 {response.status} {_REASONS.get(response.status, '')}\r\n"
        headers = (
            f"Content-Type: {response.content_type}\r\n"
            f"Content-Length: {len(response.body)}\r\nConnection: close\r\n\r\n"
        )
        writer.write((status + headers).encode() + (b"" if method == "HEAD" else response.body))
        try:
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
