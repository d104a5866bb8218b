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
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from netwarden.agent.events.metrics import EventCounters
from netwarden.agent.events.sockets import ANY, any_address_socket, sender_address

log = logging.getLogger(__name__)

TRAP_MAX = 16 * 1024  # bytes of one notification; a bigger datagram is no trap we accept
SYSLOG_MAX = 16 * 1024  # bytes of one syslog message (RFC 5424 asks for at least 2,048)
_COUNT_DIGITS = 8  # an octet count longer than this is not a frame header

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


class _FrameError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SyslogTcpServer:
    """Accepts syslog over TCP (RFC 6587): each connection's framing is read per frame."""

    def __init__(self, handle: SyslogHandler, counters: EventCounters, limits: TcpLimits) -> None:
        self._handle, self._counters, self._limits = handle, counters, limits
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counters = self._counters
        if counters.tcp_connections >= self._limits.max_connections:
            counters.drop("syslog-tcp", "too-many-connections")
            writer.close()
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        counters.tcp_connections += 1
        peer = writer.get_extra_info("peername")
        sender = sender_address(str(peer[0])) if peer else "?"
        try:
            await self._frames(reader, sender)
        except TimeoutError:
            counters.drop("syslog-tcp", "idle-timeout")
        except _FrameError as exc:
            counters.drop("syslog-tcp", exc.reason)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away; a partial last frame is not a message
        finally:
            counters.tcp_connections -= 1
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _frames(self, reader: asyncio.StreamReader, sender: str) -> None:
        timeout = self._limits.idle_timeout
        for _ in range(1 << 62):  # a connection lives as long as the client sends
            first = await asyncio.wait_for(reader.read(1), timeout)
            if not first:
                return
            if first.isdigit():
                frame = await self._counted(reader, first)
            else:
                frame = await self._line(reader, first)
            if frame is not None and frame.strip():
                self._handle(frame, sender, "syslog-tcp")

    async def _counted(self, reader: asyncio.StreamReader, first: bytes) -> bytes | None:
        head = first + await asyncio.wait_for(reader.readuntil(b" "), self._limits.idle_timeout)
        digits = head[:-1]
        if not digits.isdigit() or len(digits) > _COUNT_DIGITS:
            raise _FrameError("bad-frame")
        length = int(digits)
        if length <= self._limits.max_frame:
            return await asyncio.wait_for(reader.readexactly(length), self._limits.idle_timeout)
        self._counters.drop("syslog-tcp", "oversized")
        while length > 0:  # skip the frame without holding it
            chunk = await asyncio.wait_for(
                reader.read(min(length, 65536)), self._limits.idle_timeout
            )
            if not chunk:
                return None
            length -= len(chunk)
        return None

    async def _line(self, reader: asyncio.StreamReader, first: bytes) -> bytes | None:
        timeout = self._limits.idle_timeout
        try:
            return first + await asyncio.wait_for(reader.readuntil(b"\n"), timeout)
        except asyncio.LimitOverrunError as exc:
            overrun = exc
        self._counters.drop("syslog-tcp", "oversized")
        for _ in range(1 << 40):  # skip to the end of the over-long line, a buffer at a time
            await asyncio.wait_for(reader.readexactly(overrun.consumed), timeout)
            try:
                await asyncio.wait_for(reader.readuntil(b"\n"), timeout)
                return None
            except asyncio.LimitOverrunError as exc:
                overrun = exc
        return None

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def open_tcp(
    server: SyslogTcpServer, host: str, port: int, limits: TcpLimits
) -> asyncio.Server:
    # The reader's limit is the frame bound: a longer line raises instead of growing the buffer.
    if host == ANY:
        sock = any_address_socket(socket.SOCK_STREAM, port)
        return await asyncio.start_server(
            server.serve, sock=sock, limit=limits.max_frame + 2, backlog=1024
        )
    return await asyncio.start_server(
        server.serve, host, port, limit=limits.max_frame + 2, backlog=1024
    )
