"""The sockets: traps on UDP, syslog on UDP and TCP (octet-counted and newline framing).

Every listener hands complete messages to a handler and counts what it refuses by reason;
none keeps more than one frame per connection in memory, so a 1 MB line, a client that never
finishes a frame or a thousand idle connections cost a bounded amount.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

from netwarden.agent.events.metrics import EventCounters
from netwarden.agent.events.sockets import ANY, any_address_socket, sender_address
from netwarden.agent.events.tcp_framing import FrameError, Framer

log = logging.getLogger(__name__)

TRAP_MAX = 16 * 1024  # bytes of one notification; a bigger datagram is no trap we accept
SYSLOG_MAX = 16 * 1024  # bytes of one syslog message (RFC 5424 asks for at least 2,048)
READ_CHUNK = 65536  # octets read from a TCP connection at a time

TrapHandler = Callable[[bytes, str], bytes | None]  # datagram, sender -> reply (informs)
SyslogHandler = Callable[[bytes, str, str], None]  # message, sender, listener


class TrapProtocol(asyncio.DatagramProtocol):
    def __init__(self, handle: TrapHandler, counters: EventCounters) -> None:
        self._handle, self._counters = handle, counters
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport is not a DatagramTransport subclass.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if len(data) > TRAP_MAX:
            self._counters.drop("trap", "oversized")
            return
        reply = self._handle(data, sender_address(str(addr[0])))
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("trap socket: %s", exc)  # an ICMP error for an inform reply: nothing to do


class SyslogUdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, handle: SyslogHandler, counters: EventCounters) -> None:
        self._handle, self._counters = handle, counters

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if len(data) > SYSLOG_MAX:
            self._counters.drop("syslog-udp", "oversized")
            return
        self._handle(data, sender_address(str(addr[0])), "syslog-udp")

    def error_received(self, exc: Exception) -> None:
        log.debug("syslog socket: %s", exc)


@dataclass(frozen=True)
class TcpLimits:
    max_connections: int = 2000
    idle_timeout: float = 300.0  # seconds a connection may send nothing (or half a frame)
    max_frame: int = SYSLOG_MAX


class SyslogTcpServer:
    """Accepts syslog over TCP (RFC 6587): each connection's framing is read per frame."""

    def __init__(
        self,
        handle: SyslogHandler,
        counters: EventCounters,
        limits: TcpLimits,
        room: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._handle, self._counters, self._limits = handle, counters, limits
        self._room = room  # returns when there is room for more events: TCP backpressure
        # Every accepted connection's handler and writer, from the moment it is accepted.
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._closing = False

    def accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """asyncio's callback for an accepted connection, called as the connection is made.
        Not a coroutine: asyncio would start its task a turn of the loop later, and a close()
        in between neither cancelled it nor closed its connection (left open and served by a
        closed listener, or never closed if the loop ended first)."""
        if self._closing:
            writer.close()
            return
        task = asyncio.get_running_loop().create_task(self.serve(reader, writer))
        self._connections[task] = writer
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._connections.pop(task, None)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counters = self._counters
        if counters.tcp_connections >= self._limits.max_connections:
            counters.drop("syslog-tcp", "too-many-connections")
            writer.close()
            return
        counters.tcp_connections += 1
        peer = writer.get_extra_info("peername")
        sender = sender_address(str(peer[0])) if peer else "?"
        try:
            await self._frames(reader, sender)
        except TimeoutError:
            counters.drop("syslog-tcp", "idle-timeout")
        except FrameError as exc:
            counters.drop("syslog-tcp", exc.reason)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away; a partial last frame is not a message
        finally:
            counters.tcp_connections -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _frames(self, reader: asyncio.StreamReader, sender: str) -> None:
        framer, handle, counters = Framer(self._limits.max_frame), self._handle, self._counters
        timeout = self._limits.idle_timeout
        room = self._room
        for _ in range(1 << 62):  # a connection lives as long as the client sends
            if room is not None:
                await room()  # the sender waits in its socket buffer, nothing is lost
            async with asyncio.timeout(timeout):
                chunk = await reader.read(READ_CHUNK)
            if not chunk:
                return  # a partial last frame is not a message
            frames, oversized = framer.feed(chunk)
            for _ in range(oversized):
                counters.drop("syslog-tcp", "oversized")
            for frame in frames:
                if frame.strip():
                    handle(frame, sender, "syslog-tcp")

    async def close(self) -> None:
        """Close every connection (and refuse any accepted from now on)."""
        self._closing = True
        connections = dict(self._connections)
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)
        # A handler cancelled before its first step never ran its finally: closed here (a
        # second close of the others is nothing).
        for writer in connections.values():
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def open_tcp(
    server: SyslogTcpServer, host: str, port: int, limits: TcpLimits
) -> asyncio.Server:
    # The reader holds at most a chunk or two: the framer bounds frames, not the reader.
    if host == ANY:
        sock = any_address_socket(socket.SOCK_STREAM, port)
        return await asyncio.start_server(server.accept, sock=sock, limit=READ_CHUNK, backlog=1024)
    return await asyncio.start_server(server.accept, host, port, limit=READ_CHUNK, backlog=1024)
