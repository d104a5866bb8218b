"""The events part of the agent: listeners, sender matching, normalising, queueing.

Received messages become :class:`DeviceEvent` s on the event loop (decoding is microseconds),
wait in a bounded in-memory buffer, and are written to the events queue in batches (one
transaction per batch) by one task. Without an events queue (a standalone agent) events are
counted in /metrics and logged at debug level only.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from netwarden.agent.events.inform_dedupe import RecentInforms
from netwarden.agent.events.listeners import (
    SyslogTcpServer,
    SyslogUdpProtocol,
    TcpLimits,
    TrapProtocol,
    open_tcp,
)
from netwarden.agent.events.local_engine import LocalEngine
from netwarden.agent.events.metrics import EventCounters, EventsCollector
from netwarden.agent.events.normalise import DeviceEvent, syslog_event, trap_event
from netwarden.agent.events.senders import SenderDirectory
from netwarden.agent.events.sockets import ANY, any_address_socket
from netwarden.agent.events.syslog_parse import parse_syslog
from netwarden.agent.events.trap_decode import Report, TrapError, decode_notification
from netwarden.agent.events.udp_reader import UdpReader
from netwarden.agent.parts import AgentContext
from netwarden.agent.snmp.ber import PduType
from netwarden.agent.sync.queue_items import Item, QueueStats
from netwarden.hostport import HostPort, format_hostport

log = logging.getLogger(__name__)

EVENT_KIND = "device-event"  # the result kind the collector stores as an event
BUFFER_MAX = 100_000  # events waiting for the queue's writer; more are counted as buffer-full
# TCP senders can wait (UDP ones cannot): past PAUSE_TCP_AT the TCP listener stops reading
# until the writer has brought the buffer under RESUME_TCP_AT, so a TCP flood slows its
# senders instead of filling the buffer that UDP senders need.
PAUSE_TCP_AT = BUFFER_MAX // 2
RESUME_TCP_AT = BUFFER_MAX // 4
BATCH = 2000
FLUSH_EVERY = 0.1  # seconds: an event reaches the disk queue this soon
LINK_KINDS = ("linkDown", "linkUp")
RECEIVE_BUFFER = 8 * 1024 * 1024  # bytes of datagrams the kernel holds for a busy loop


@runtime_checkable
class EventSink(Protocol):
    """A sink that keeps events apart from results (the collector link's events queue)."""

    async def put_events(self, items: Sequence[Item]) -> None: ...

    def events_stats(self) -> QueueStats | None: ...


@dataclass(frozen=True)
class EventsOptions:
    trap: HostPort | None  # None: no trap listener
    syslog: HostPort | None  # None: no syslog listeners
    tcp: TcpLimits = field(default_factory=TcpLimits)
    engine_file: Path | None = None  # where our SNMP engine ID and boots are kept


class EventsService:
    """Starts the listeners with the agent and stops them with it."""

    def __init__(self, options: EventsOptions) -> None:
        self.options = options
        self.counters = EventCounters()
        self.buffer: deque[DeviceEvent] = deque()
        self.bound: dict[str, tuple[str, int]] = {}  # listener -> the address it bound
        self._sink: EventSink | None = None
        self._senders: SenderDirectory | None = None
        self._transports: list[asyncio.BaseTransport] = []
        self._servers: list[asyncio.Server] = []
        self._tcp: SyslogTcpServer | None = None
        self._added = asyncio.Event()
        self._room = asyncio.Event()  # set: TCP listeners may read
        self._room.set()
        self._writer: asyncio.Task[None] | None = None
        self.engine: LocalEngine | None = None  # ours: the authoritative engine of v3 informs
        self._informs = RecentInforms()

    async def start(self, agent: AgentContext) -> None:
        if self.options.trap is not None:
            # A file read and an fsync: off the event loop, once.
            self.engine = await asyncio.to_thread(LocalEngine.load, self.options.engine_file)
        self._sink = agent.sink if isinstance(agent.sink, EventSink) else None
        self._senders = SenderDirectory(agent.runtime)
        sink = self._sink
        agent.registry.register(
            EventsCollector(self.counters, lambda: sink.events_stats() if sink else None)
        )
        opts = self.options
        if opts.trap is not None:
            await self._listen("trap", opts.trap, self._open_trap)
        if opts.syslog is not None and opts.syslog.port == 0:
            await self._listen_any_port(opts.syslog.host)
        elif opts.syslog is not None:
            await self._listen("syslog-udp", opts.syslog, self._open_syslog_udp)
            await self._listen("syslog-tcp", opts.syslog, self._open_syslog_tcp)
        self._writer = asyncio.create_task(self._write(agent.stop), name="events writer")

    async def _listen(
        self, name: str, address: HostPort, opener: Callable[[HostPort], Awaitable[None]]
    ) -> None:
        """Bind one listener; a port that cannot be bound (taken, or 162/514 without
        CAP_NET_BIND_SERVICE) is logged and shown as listener_up 0, and the agent keeps
        polling: losing events must not cost the polls too."""
        try:
            await opener(address)
            self.counters.listeners[name] = 1
        except OSError as exc:
            self.counters.listeners[name] = 0
            where = format_hostport(*address)
            log.error("%s listener not started: cannot bind %s: %s", name, where, exc.strerror)

    async def _listen_any_port(self, host: str) -> None:
        """Port 0 (tests, the bench): UDP and TCP on one port the kernel chose for UDP, tried
        again when that port is taken for TCP."""
        for _ in range(20):
            await self._listen("syslog-udp", HostPort(host, 0), self._open_syslog_udp)
            if "syslog-udp" not in self.bound:
                return
            port = self.bound["syslog-udp"][1]
            await self._listen("syslog-tcp", HostPort(host, port), self._open_syslog_tcp)
            if "syslog-tcp" in self.bound:
                return
            self._transports.pop().close()
            del self.bound["syslog-udp"]

    async def _open_trap(self, address: HostPort) -> None:
        protocol = TrapProtocol(self.on_trap, self.counters)
        self._bind("trap", await _datagram_endpoint(address, protocol))

    async def _open_syslog_udp(self, address: HostPort) -> None:
        protocol = SyslogUdpProtocol(self.on_syslog, self.counters)
        self._bind("syslog-udp", await _datagram_endpoint(address, protocol))

    async def _open_syslog_tcp(self, address: HostPort) -> None:
        self._tcp = SyslogTcpServer(
            self.on_syslog, self.counters, self.options.tcp, room=self._room.wait
        )
        server = await open_tcp(self._tcp, address.host, address.port, self.options.tcp)
        self._servers.append(server)
        self.bound["syslog-tcp"] = server.sockets[0].getsockname()[:2]

    def _bind(self, name: str, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            _grow_receive_buffer(sock)
        self._transports.append(transport)
        self.bound[name] = transport.get_extra_info("sockname")[:2]

    # --- handlers (on the event loop, synchronous) -----------------------------------
    def on_trap(self, data: bytes, address: str) -> bytes | None:
        senders, engine = self._senders, self.engine
        assert senders is not None
        sender, polled = senders.find(address)
        ours = engine.engine_id if engine is not None else None
        try:
            note = decode_notification(
                data, lambda user, eid: senders.keys(polled, user, eid, ours=eid == ours), engine
            )
        except TrapError as exc:
            self.counters.drop("trap", exc.reason)
            log.debug("trap from %s refused: %s", address, exc)
            return exc.reply
        if isinstance(note, Report):
            return note.reply  # engine discovery: a step of the protocol, not an event
        if note.pdu.type is PduType.INFORM and not self._informs.first_time(
            (address, note.community or (note.user or "").encode(), note.pdu.request_id)
        ):
            self.counters.drop("trap", "duplicate")  # answered again, kept once
            return note.reply
        names = polled.poller.if_names() if polled is not None and polled.poller else {}
        event = trap_event(note, sender, time.time(), names)
        self.counters.traps[(*sender.labels, event.kind if event.kind != "other" else "other")] += 1
        self._keep(event)
        return note.reply

    def on_syslog(self, raw: bytes, address: str, listener: str) -> None:
        assert self._senders is not None
        sender, _ = self._senders.find(address)
        msg = parse_syslog(raw)
        for flag in msg.flags:
            self.counters.drop(listener, flag)  # counted, and the message is still kept
        event = syslog_event(msg, sender, time.time())
        self.counters.syslog[(*sender.labels, msg.severity_name)] += 1
        self._keep(event)

    def _keep(self, event: DeviceEvent) -> None:
        if event.kind in LINK_KINDS and event.sender.device is not None:
            key = (*event.sender.labels, str(event.if_index or ""), event.if_name or "",
                   event.kind)  # fmt: skip
            self.counters.if_events[key] = event.at
        if self._sink is None:
            log.debug("event %s from %s: %s", event.kind, event.sender.address, event.message)
            return
        if len(self.buffer) >= BUFFER_MAX:
            self.counters.drop("queue", "buffer-full")
            return
        self.buffer.append(event)
        self._added.set()
        if len(self.buffer) >= PAUSE_TCP_AT:
            self._room.clear()

    async def _write(self, stop: asyncio.Event) -> None:
        while not stop.is_set() or self.buffer:
            if not self.buffer:
                self._added.clear()
                try:
                    await asyncio.wait_for(self._added.wait(), 1.0)
                except TimeoutError:
                    continue
                await asyncio.sleep(FLUSH_EVERY)  # gather a batch: one fsync for many events
            await self.flush()

    async def flush(self) -> None:
        """Write what is buffered to the events queue (bounded batches)."""
        while self.buffer and self._sink is not None:
            batch = [self.buffer.popleft() for _ in range(min(BATCH, len(self.buffer)))]
            if len(self.buffer) < RESUME_TCP_AT:
                self._room.set()
            items = [Item(EVENT_KIND, e.payload(), e.at) for e in batch]
            await self._sink.put_events(items)
            self.counters.queued += len(items)

    async def close(self) -> None:
        for transport in self._transports:
            transport.close()
        for server in self._servers:
            server.close()
        if self._tcp is not None:
            await self._tcp.close()
        for server in self._servers:
            await server.wait_closed()
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        await self.flush()  # what was received before the stop is kept


async def _datagram_endpoint(
    address: HostPort, protocol: asyncio.DatagramProtocol
) -> asyncio.BaseTransport:
    if address.host == ANY:
        sock = any_address_socket(socket.SOCK_DGRAM, address.port)
    else:
        sock = await _bound_udp(address)
    try:
        return UdpReader(sock, protocol)
    except BaseException:
        sock.close()
        raise


async def _bound_udp(address: HostPort) -> socket.socket:
    """A UDP socket bound to ``address`` (an address literal, or a name resolved off the loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        address.host, address.port, type=socket.SOCK_DGRAM
    )
    if not infos:
        raise OSError(errno.EADDRNOTAVAIL, f"{address.host} has no address")
    family, kind, proto, _, where = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setblocking(False)
        sock.bind(where)
    except BaseException:
        sock.close()
        raise
    return sock


def _grow_receive_buffer(sock: socket.socket) -> None:
    """A storm (a flapping core port, a syslog burst) must wait in the kernel, not be lost
    there: ask for RECEIVE_BUFFER (root may exceed net.core.rmem_max; others get what it
    allows). Losses the kernel still makes show in /proc/net/udp's drops column."""
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    for option in (force, socket.SO_RCVBUF):
        if option is None:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, RECEIVE_BUFFER)
            return
        except OSError:
            continue
