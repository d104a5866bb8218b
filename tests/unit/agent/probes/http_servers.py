"""Real HTTP(S) servers on loopback for the HTTP probe's tests: routes by path, TLS optional."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable

from netwarden.hostport import format_hostport

HANG = b""  # a route answered with nothing, ever
Routes = Callable[[str], dict[str, bytes]]


def response(status: int, body: bytes = b"", *headers: str, length: bool = True) -> bytes:
    lines = [f"HTTP/1.1 {status} X", *headers, "Connection: close"]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def ok_routes(base: str) -> dict[str, bytes]:
    return {"/ok": response(200, "xin chào netwarden".encode())}


@contextlib.asynccontextmanager
async def serve(
    routes: Routes = ok_routes, context: ssl.SSLContext | None = None, host: str = "127.0.0.1"
) -> AsyncIterator[str]:
    """An HTTP(S) server on ``host`` answering ``routes`` by path; yields its base URL (an IPv6
    address in brackets, as in any URL)."""
    stop = asyncio.Event()
    answers: dict[str, bytes] = {}
    handlers: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            answer = answers.get(head.split(b" ")[1].decode(), response(404))
            if answer is HANG:
                await stop.wait()
            writer.write(answer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, host, 0, ssl=context)
    scheme = "https" if context else "http"
    base = f"{scheme}://{format_hostport(host, server.sockets[0].getsockname()[1])}"
    answers.update(routes(base))
    try:
        yield base
    finally:
        stop.set()
        server.close()
        await server.wait_closed()
        # Every handler has closed its connection (an open one would warn when collected).
        await asyncio.wait_for(asyncio.gather(*handlers, return_exceptions=True), 30)
