"""Closing the syslog TCP listener closes every connection it accepted, including one whose
handler has not started yet."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import warnings

from netwarden.agent.events.listeners import SyslogTcpServer, TcpLimits, open_tcp
from netwarden.agent.events.metrics import EventCounters

CLOSED_WITHIN = 10.0  # s for the client to see its connection closed: a bound, not a delay


async def _closed_by_the_server(raw: socket.socket) -> str:
    """What the client sees of its connection: "eof" or "reset" once the server closed it,
    "open" if it is still open after CLOSED_WITHIN."""
    reader, writer = await asyncio.open_connection(sock=raw)
    try:
        seen = "eof" if not await asyncio.wait_for(reader.read(), CLOSED_WITHIN) else "data"
    except TimeoutError:
        seen = "open"
    except ConnectionResetError:
        seen = "reset"
    writer.close()
    with contextlib.suppress(ConnectionResetError):
        await writer.wait_closed()
    return seen


async def _close_after(turns: int) -> tuple[str, str]:
    """A client connects, the loop turns ``turns`` times, the listener closes: what the client
    sees, and how far the server had got (its handler started or not)."""
    counters = EventCounters()
    tcp = SyslogTcpServer(lambda message, sender, listener: None, counters, TcpLimits())
    server = await open_tcp(tcp, "127.0.0.1", 0, TcpLimits())
    try:
        port = server.sockets[0].getsockname()[1]
        # Connected before the loop runs again (loopback completes the handshake in connect):
        # the loop then accepts it over its next turns, and the handler starts a turn later.
        raw = socket.create_connection(("127.0.0.1", port))
        raw.setblocking(False)
        for _ in range(turns):
            await asyncio.sleep(0)
        started = "handler started" if counters.tcp_connections else "handler not started"
        await tcp.close()
        return await _closed_by_the_server(raw), started
    finally:
        server.close()


def test_a_connection_accepted_just_before_close_is_closed_too() -> None:
    """Every turn of the loop at which a close may come after a client connects: the accepted
    connection is closed whether or not its handler has started. Before, close() cancelled
    only the handlers that had started: a connection whose handler was still to start stayed
    open, served by a listener that was closed (its events lost, or its socket never closed
    if the loop ended first)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seen = {turns: asyncio.run(_close_after(turns)) for turns in range(10)}
        gc.collect()
    still_open = {turns: s for turns, s in seen.items() if s[0] not in ("eof", "reset")}
    assert still_open == {}, seen
    # The sweep did reach the window: some closes came before the handler had started.
    assert {started for _, started in seen.values()} == {"handler started", "handler not started"}
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
