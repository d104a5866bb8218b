"""The agent's HTTP endpoint: /metrics, /-/healthy and /-/ready (as Prometheus exporters do).

A deliberately small HTTP/1.1 server on asyncio: the agent already runs an event loop, and it
serves a scraper or two. /metrics is streamed: chunks (about one metric family each) are
rendered in a worker thread and written as they come, so a large fleet's page (tens of MB)
neither stalls the polls' timers nor sits in memory whole. The render threads are the server's
own (not the loop's default executor, which other work can fill): a scrape is never queued
behind anything but another scrape.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final, TypeVar

log = logging.getLogger(__name__)

CONTENT_TYPE_METRICS = "text/plain; version=0.0.4; charset=utf-8"
MAX_REQUEST_HEAD = 16 * 1024
RENDER_THREADS: Final = 2  # scrapes rendered at once (Prometheus and a person with curl)

T = TypeVar("T")


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    stream: Iterator[bytes] | None = None  # more body after ``body``, length not known


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip


class MetricsServer:
    """Serves ``render()`` (an iterator of chunks) on /metrics and ``ready()`` (None when
    ready, else why not) on /-/ready."""

    def __init__(
        self, render: Callable[[], Iterator[bytes]], ready: Callable[[], str | None]
    ) -> None:
        self._render = render
        self._ready = ready
        self._server: asyncio.Server | None = None
        self._threads = ThreadPoolExecutor(RENDER_THREADS, thread_name_prefix="metrics")

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._handle, host, port)
        sockname = self._server.sockets[0].getsockname()
        return str(sockname[0]), int(sockname[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        # A render in progress ends on its own (chunks are small); nothing new starts.
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _in_thread(self, func: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, functools.partial(func, *args))

    async def respond(self, method: str, path: str) -> Response:
        """Route one request (public so tests can call it without a socket)."""
        if method not in ("GET", "HEAD"):
            return Response(405, b"only GET and HEAD\n")
        route = path.split("?", 1)[0]
        if route == "/metrics":
            chunks = self._render()
            # The first chunk is rendered before the status line, so a render that fails at
            # once is still an honest 500 rather than a truncated 200.
            first = await self._in_thread(next, chunks, b"")
            return Response(200, first, CONTENT_TYPE_METRICS, stream=chunks)
        if route == "/-/healthy":
            return Response(200, b"OK\n")
        if route == "/-/ready":
            why = self._ready()
            return Response(200, b"OK\n") if why is None else Response(503, why.encode() + b"\n")
        if route == "/":
            return Response(200, b"netwarden agent: see /metrics\n")
        return Response(404, b"not found\n")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve_one(reader, writer)
        finally:
            # Also when cancelled (the agent stops with a scraper connected): the socket would
            # otherwise stay open until the garbage collector finds it.
            writer.close()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
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
        await self._send(writer, response, head_only=method == "HEAD")

    async def _send(
        self, writer: asyncio.StreamWriter, response: Response, *, head_only: bool
    ) -> None:
        status = f"HTTP/1.1 {response.status} {_REASONS.get(response.status, '')}\r\n"
        # A streamed body has no Content-Length: it ends when the connection closes.
        length = "" if response.stream else f"Content-Length: {len(response.body)}\r\n"
        headers = f"Content-Type: {response.content_type}\r\n{length}Connection: close\r\n\r\n"
        try:
            writer.write((status + headers).encode())
            if not head_only:
                writer.write(response.body)
                await writer.drain()
                while response.stream is not None:
                    chunk = await self._in_thread(next, response.stream, None)
                    if chunk is None:
                        break
                    writer.write(chunk)
                    await writer.drain()
            await writer.drain()
        except ConnectionError:
            pass
        except Exception:  # mid-stream: the scraper sees a truncated page, the agent goes on
            log.exception("rendering /metrics failed while streaming")
        finally:
            writer.close()
