"""TLS handshakes started a few at a time, so that a burst of them cannot stall the event loop.

A server-side handshake is the dearest thing the collector does per connection (a signature
and a key exchange, ~0.5 ms of OpenSSL on this 2-core machine, more with the protocol objects
around it), and it runs on the event loop. Slow clients and floods reconnect in bursts: in the
slow-client benchmark some 350 connections were closed by their idle timeout at the same instant
and came back together, and their handshakes, read in one poll of the loop, ran back to back
while every agent's request waited (the loop's 10 s windows with them reached 600 ms p99; a
profile put the handshakes first among the loop's work). Admission at accept (tls_gate.py)
already spares the handshakes of refused connections; this spreads those of admitted ones:
at most ``per_tick`` start per ``tick`` seconds, the others wait their turn in order (cheap: a
queued connection costs a callback, and its ClientHello waits in the socket), and between two
ticks the loop serves everything else. HAProxy bounds the same thing (``maxsslrate``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

PER_TICK = 4  # handshakes started at once at most
TICK = 0.005  # s: so at most 800 a second, far above what 1,000 agents' reconnects need


class HandshakePacer:
    """Runs the submitted handshake starts in order, at most ``per_tick`` per ``tick`` s."""

    def __init__(self, per_tick: int = PER_TICK, tick: float = TICK) -> None:
        if per_tick < 1 or tick <= 0:
            raise ValueError("handshake pacing needs at least one start per positive tick")
        self.per_tick, self.tick = per_tick, tick
        self.waiting: deque[Callable[[], None]] = deque()
        self.window = float("-inf")  # loop time the current tick began
        self.started = 0  # starts in the current tick
        self.timer: asyncio.TimerHandle | None = None

    def submit(self, start: Callable[[], None]) -> None:
        """Call ``start`` now if this tick has room, else when its turn comes."""
        self.waiting.append(start)
        self._drain()

    def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now - self.window >= self.tick:
            self.window, self.started = now, 0
        while self.waiting and self.started < self.per_tick:
            self.started += 1
            self.waiting.popleft()()
        if self.waiting and self.timer is None:
            self.timer = loop.call_at(self.window + self.tick, self._next_tick)

    def _next_tick(self) -> None:
        self.timer = None
        # A new tick, even if the timer fired a little early (libuv's clock is in ms).
        self.window, self.started = asyncio.get_running_loop().time(), 0
        self._drain()
