"""A TLS server that never answers a handshake, and the ResourceWarnings a scenario leaves.

For the agent's HTTPS clients cancelled in their TLS handshake (the agent stopping or
reloading while a loaded or distant server is slow to answer): httpcore does not close such a
connection itself, and a leaked socket surfaces as an unclosed-socket ResourceWarning in
whichever test the garbage collector happens to run in."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any

HELLO_TIMEOUT = 30.0  # s for the client's ClientHello to arrive: a bound, not a delay


@asynccontextmanager
async def silent_tls_server() -> AsyncIterator[tuple[int, asyncio.Event]]:
    """A loopback port that accepts TCP, reads the ClientHello and never answers, and an event
    set once a ClientHello has arrived (the client is then in its handshake). Every accepted
    connection is closed on the way out."""
    hello = asyncio.Event()
    accepted: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)
        if await reader.read(1):
            hello.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], hello
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


async def cancel_in_handshake(request: Coroutine[Any, Any, object], hello: asyncio.Event) -> None:
    """Run ``request`` until its ClientHello has arrived, then cancel it (and check that it
    was still under way: a request that ended first would test no cancellation)."""
    task = asyncio.create_task(request)
    try:
        await asyncio.wait_for(hello.wait(), HELLO_TIMEOUT)
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
    assert task.cancelled(), f"the request ended before it was cancelled: {task.result()!r}"


def resource_warnings(scenario: Callable[[], Coroutine[Any, Any, None]]) -> list[str]:
    """The ResourceWarnings of running ``scenario`` in its own loop and collecting garbage."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(scenario())
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
