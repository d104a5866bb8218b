"""uvicorn's httptools protocol with the guards it lacks: connection limits, read timeouts,
size limits on the request line and headers, and JSON for every error it answers itself.

uvicorn bounds an idle kept-alive connection (``timeout_keep_alive``) but not the time a
request takes to arrive: a client that sends its headers, or part of a body, and then stalls
held a connection (and the ASGI task waiting for the body) for as long as it liked, and a
connection that never sent a byte was never closed. Its parser answered a request line over
64 KiB with a plain-text 400 and accepted headers of any size. The ASGI app cannot help: it
is called only once the headers are complete, and it cannot close a connection.

So this protocol, per connection:

* **admits** it or closes it at once with a 503 when the collector holds ``max_connections``,
  or ``max_per_address`` from the same source address (``ConnectionStats.enter``); over TLS
  the gate (``tls_gate.py``) has done that before the handshake and hands its admission over;
* gives a **request** ``idle_timeout`` of silence at most (from the connection's start, and
  between the bytes of a request) and ``read_timeout`` in all, plus a second per ``min_rate``
  bytes of body received, to arrive from its first byte to its last; a request over its time
  is answered 408 (if nothing was answered yet) and its connection closed. Only the time the
  client takes counts: while uvicorn has paused reading because the app has not taken the
  body yet, the clock stops. The answer's time is not limited (the jobs long-poll waits 60 s);
* answers 414 for a request target over ``max_url`` and 431 for headers over ``max_headers``,
  and 400 with the parser's reason for anything it cannot parse, each as the API's
  ``{"error": "..."}`` with ``Connection: close``.

One timer per request (armed at its first byte, cancelled at its last) does the timing; the
bytes in between only update a timestamp, so a fast request costs one timer.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.protocols.utils import get_remote_addr
from uvicorn.server import ServerState

from netwarden.collector.connections import Admission, ConnectionStats


class _Refused(Exception):
    """Raised in a parser callback to stop parsing and answer ``status``."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """One connection; ``stats`` is shared by all of them (its limits are the options)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        stats: ConnectionStats,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.stats = stats
        self.limits = stats.limits
        self.peer = "unknown"
        # Its place in the connection counts: given by the TLS gate (tls_gate.py), which
        # admits TLS connections before their handshake, or taken in connection_made.
        self.admission: Admission | None = None
        self.done = False  # answered by this protocol and closing: ignore what still comes
        self.reading = False  # a request is due (a new connection) or being received
        self.started = 0.0  # loop time its first byte came (or the connection was made)
        self.last = 0.0  # loop time of its last byte
        self.body_bytes = 0
        self.head_bytes = 0  # request target and headers so far
        self.read_timer: asyncio.TimerHandle | None = None

    # --- the connection -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if self.admission is None:  # plain HTTP: admitted here, at TCP accept
            peer = get_remote_addr(transport)
            self.peer = peer[0] if peer else "unknown"
            entered = self.stats.enter(self.peer)
            if isinstance(entered, str):
                self._turn_away(transport, entered)
                return
            self.admission = entered
        self.peer = self.admission.address
        super().connection_made(transport)
        self._begin()

    def _turn_away(self, transport: asyncio.Transport, reason: str) -> None:
        """Closed before uvicorn knows of it: it costs nothing more than this answer."""
        self.transport = transport
        self.done = True
        limit = "the collector's" if reason == "limit_total" else f"{self.peer}'s"
        transport.write(self._answer(503, f"too many connections: {limit} limit is reached"))
        transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        admission, self.admission = self.admission, None
        if admission is None:
            return  # turned away: uvicorn never saw it
        admission.release()
        self._stop_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.done:
            return
        if self.reading:
            self.last = self.loop.time()
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()  # no WebSocket here: the request goes on as is
        except httptools.HttpParserError as exc:
            cause = exc.__context__
            if isinstance(cause, _Refused):
                self._refuse(cause.status, cause.reason, cause.message)
            else:
                self._refuse(400, "malformed", f"malformed HTTP request ({exc})")

    # --- parser callbacks -----------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_bytes = 0
        self._begin()

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url), url=True)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4, url=False)
        super().on_header(name, value)

    def on_body(self, body: bytes) -> None:
        self.body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self.reading = False
        self._stop_timer()
        super().on_message_complete()

    # --- limits ---------------------------------------------------------------------------
    def _count_head(self, size: int, *, url: bool) -> None:
        self.head_bytes += size
        if url and self.head_bytes > self.limits.max_url:
            limit = self.limits.max_url // 1024
            raise _Refused(414, "url_too_long", f"request URL is longer than {limit} KiB")
        if self.head_bytes > self.limits.max_headers:
            limit = self.limits.max_headers // 1024
            raise _Refused(431, "headers_too_large", f"request headers exceed {limit} KiB")

    def _begin(self) -> None:
        """A request is due: the clock starts now."""
        self.reading = True
        self.started = self.last = self.loop.time()
        self.body_bytes = 0
        self._arm(self.limits.idle_timeout)

    def _arm(self, delay: float) -> None:
        self._stop_timer()
        self.read_timer = self.loop.call_later(max(delay, 0.01), self._check)

    def _stop_timer(self) -> None:
        if self.read_timer is not None:
            self.read_timer.cancel()
            self.read_timer = None

    def _check(self) -> None:
        self.read_timer = None
        if not self.reading or self.done:
            return
        now = self.loop.time()
        if self.flow is not None and self.flow.read_paused:
            # The app has not taken the body yet: the client is not the one waiting.
            self.started += now - self.last
            self.last = now
            self._arm(self.limits.idle_timeout)
            return
        deadline = self.started + self.limits.read_timeout + self.body_bytes / self.limits.min_rate
        if now - self.last >= self.limits.idle_timeout:
            waited = f"no data for {now - self.last:.0f} s"
            self._refuse(408, "read_idle", f"request not received in time: {waited}")
        elif now >= deadline:
            took = f"still incomplete after {now - self.started:.0f} s"
            self._refuse(408, "read_total", f"request not received in time: {took}")
        else:
            self._arm(min(self.last + self.limits.idle_timeout, deadline) - now)

    def _refuse(self, status: int, reason: str, message: str) -> None:
        """Answer ``status`` (unless the app has begun an answer) and close the connection."""
        self.done = True
        self.reading = False
        self._stop_timer()
        self.stats.closed_for(reason, f"{self.peer}: {message}")
        cycle = self.cycle
        answered = cycle is not None and cycle.response_started
        if cycle is not None:
            cycle.disconnected = True  # the app, if it runs, writes nothing more
            cycle.message_event.set()
        if not answered and not self.transport.is_closing():
            self.transport.write(self._answer(status, message))
        self.transport.close()

    def _answer(self, status: int, message: str) -> bytes:
        body = json.dumps({"error": message}).encode()
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"cache-control: no-store\r\n",
            b"connection: close\r\n\r\n",
        ]
        return b"".join(head) + body


def guarded_protocol(stats: ConnectionStats) -> type[GuardedHttpToolsProtocol]:
    """The protocol class for ``uvicorn.Config(http=...)``: uvicorn builds each connection's
    protocol from its class with its own arguments only, so the shared ``stats`` are bound
    in a subclass."""

    class Bound(GuardedHttpToolsProtocol):
        def __init__(
            self,
            config: Config,
            server_state: ServerState,
            app_state: dict[str, Any],
            _loop: asyncio.AbstractEventLoop | None = None,
        ) -> None:
            super().__init__(config, server_state, app_state, _loop, stats=stats)

    return Bound
