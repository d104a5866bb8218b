"""Admission at TCP accept, before the TLS handshake: a refused connection costs no handshake.

With ``create_server(ssl=...)`` the event loop runs the whole TLS handshake before any
protocol of ours sees the connection, so the connection limits (``connections.py``) could only
be applied afterwards: each connection a flooding address opened over its limit still cost the
collector a full handshake (public-key operations, the dearest thing it does per connection)
before it was refused, about 40 a second in the slow-client benchmark. So the server listens
without ``ssl`` and each accepted connection meets this gate first, which:

* counts it (``ConnectionStats.enter``) and, when a limit is reached, aborts it at once: no TLS
  and no HTTP answer (there is nothing to speak TLS with yet); the refusal is counted by
  reason as in plain HTTP;
* otherwise upgrades it with ``loop.start_tls`` (bounded by ``TLS_HANDSHAKE_TIMEOUT``) and
  hands the TLS transport, with the connection's admission, to the HTTP protocol;
* releases the admission itself if the handshake fails, times out or the client leaves first:
  every connection is counted once and released once (``Admission.release``).

Bytes can reach the gate on either side of the handshake, and none may be lost: the ClientHello
when it was read before ``start_tls`` ran (uvloop starts reading as soon as ``connection_made``
returns, and a client sends it with its first packet) is passed to the TLS layer before that
layer starts its handshake; a request sent with the end of the handshake (asyncio's TLS layer
delivers it before ``start_tls`` returns) is passed to the HTTP protocol after it took over.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import cast

from netwarden.collector.connections import TLS_HANDSHAKE_TIMEOUT, Admission, ConnectionStats
from netwarden.collector.guarded_protocol import GuardedHttpToolsProtocol


class TlsGate(asyncio.Protocol):
    """One accepted TCP connection, until its TLS handshake is done."""

    def __init__(
        self,
        stats: ConnectionStats,
        context: ssl.SSLContext,
        make_protocol: Callable[[], GuardedHttpToolsProtocol],
        handshake_timeout: float = TLS_HANDSHAKE_TIMEOUT,
    ) -> None:
        self.stats, self.context, self.make_protocol = stats, context, make_protocol
        self.handshake_timeout = handshake_timeout
        self.admission: Admission | None = None
        self.protocol: GuardedHttpToolsProtocol | None = None  # once handed over
        self.raw = True  # start_tls has not taken the connection yet
        self.hello: list[bytes] = []  # TLS bytes read before that
        self.early: list[bytes] = []  # application data that came before the hand-over
        self.eof = False
        self.lost = False
        self.task: asyncio.Task[None] | None = None  # the handshake; held so it is not collected

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        stream = cast(asyncio.Transport, transport)  # a server's TCP connection
        peer = stream.get_extra_info("peername")
        entered = self.stats.enter(str(peer[0]) if peer else "unknown")
        if isinstance(entered, str):
            stream.abort()  # before any TLS byte: refusing costs no handshake
            return
        self.admission = entered
        loop = asyncio.get_running_loop()
        self.task = loop.create_task(self._upgrade(stream))
        # Runs right after the task's first step, which is start_tls up to its wait: the TLS
        # layer is then the transport's protocol and has not begun its handshake yet.
        loop.call_soon(self._pass_on_hello, stream)

    def data_received(self, data: bytes) -> None:
        # Before start_tls: the ClientHello (uvloop starts reading once connection_made
        # returns, so pausing here would not hold it in the socket). After the handshake:
        # requests sent with its end, before the HTTP protocol has taken over.
        (self.hello if self.raw else self.early).append(data)

    def _pass_on_hello(self, transport: asyncio.Transport) -> None:
        """Give the TLS layer what the gate read before it existed, through its (buffered)
        protocol interface: the bytes wait in its input until its handshake starts."""
        self.raw = False
        hello, self.hello = b"".join(self.hello), []
        layer = transport.get_protocol()
        if not hello or layer is self:
            return  # nothing read yet, or start_tls never ran (the connection is gone)
        if not hasattr(layer, "get_buffer"):
            cast(asyncio.Protocol, layer).data_received(hello)
            return
        buffered = cast(asyncio.BufferedProtocol, layer)
        view = memoryview(hello)
        for _ in range(len(hello)):  # bounded: each round takes at least one byte
            if not view:
                break
            buffer = memoryview(buffered.get_buffer(len(view)))
            size = min(len(buffer), len(view))
            buffer[:size] = view[:size]
            buffered.buffer_updated(size)
            view = view[size:]

    def eof_received(self) -> bool:
        self.eof = True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        # Called before the hand-over, or queued just before it (then passed on).
        if self.protocol is not None:
            self.protocol.connection_lost(exc)
            return
        self.lost = True
        if self.admission is not None:
            self.admission.release()

    async def _upgrade(self, transport: asyncio.Transport) -> None:
        assert self.admission is not None
        loop = asyncio.get_running_loop()
        if self.lost or transport.is_closing():
            self.admission.release()  # gone before its handshake could start
            return
        try:
            tls = await loop.start_tls(
                transport,
                self,
                self.context,
                server_side=True,
                ssl_handshake_timeout=self.handshake_timeout,
            )
        except OSError as exc:  # ssl.SSLError, a timeout (ConnectionAbortedError), a reset
            self._failed(transport, exc)
            return
        except BaseException:
            transport.abort()
            self.admission.release()
            raise
        if tls is None or self.lost or tls.is_closing():
            self.admission.release()  # the client left as the handshake ended
            return
        self._hand_over(tls)

    def _failed(self, transport: asyncio.Transport, exc: OSError) -> None:
        assert self.admission is not None
        address = self.admission.address
        transport.abort()
        self.admission.release()
        if not isinstance(exc, ConnectionResetError):  # the client leaving is not a failure
            reason = str(exc) or type(exc).__name__
            self.stats.closed_for("tls_handshake", f"{address}: TLS handshake failed: {reason}")

    def _hand_over(self, tls: asyncio.Transport) -> None:
        protocol = self.make_protocol()
        protocol.admission = self.admission
        tls.set_protocol(protocol)
        self.protocol = protocol
        protocol.connection_made(tls)
        early, self.early = b"".join(self.early), []
        if early:
            protocol.data_received(early)
        if self.eof:
            protocol.eof_received()


def gate_factory(
    stats: ConnectionStats,
    context: ssl.SSLContext,
    make_protocol: Callable[[], GuardedHttpToolsProtocol],
    handshake_timeout: float = TLS_HANDSHAKE_TIMEOUT,
) -> Callable[[], TlsGate]:
    """The protocol factory for a server created without ``ssl``: a gate per connection."""
    return lambda: TlsGate(stats, context, make_protocol, handshake_timeout)
