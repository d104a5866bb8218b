"""How many connections the collector holds, from whom, and how long a request may take to
arrive: the limits of ``collector serve`` and the counters behind its metrics.

A thousand agents keep two or three connections each (a heartbeat, a results post, the jobs
long-poll), so the defaults leave room for a few thousand agents while one address (a
scanner, a misbehaving script, a slow-loris attacker, which need no credential to connect)
cannot take them all. Everything here runs on the event loop: plain counters, no locks.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field

log = logging.getLogger("netwarden.collector.connections")

MAX_CONNECTIONS = 8192
MAX_PER_ADDRESS = 256
READ_TIMEOUT = 30.0  # s to receive a request's headers and body (longer for big bodies)
IDLE_TIMEOUT = 10.0  # s of silence while a request is due or being received
# A body may take READ_TIMEOUT plus one second per MIN_RATE bytes received: evidence files
# (up to 64 MiB) over an agency's slow WAN link are legitimate, a trickle is not.
MIN_RATE = 64 * 1024  # bytes/s
TLS_HANDSHAKE_TIMEOUT = 10.0  # s
MAX_URL = 8 * 1024  # bytes of request target (path and query), as nginx's default buffer
MAX_HEADERS = 64 * 1024  # bytes of header names and values together
LOG_EVERY = 10.0  # s: a refusal or timeout is logged at most this often per reason

REASONS = (
    "limit_total",  # --max-connections reached: closed at once
    "limit_per_address",  # --max-connections-per-address reached: closed at once
    "read_idle",  # a request (or the first) stayed silent longer than --read-idle-timeout
    "read_total",  # a request took longer than --read-timeout to arrive
    "url_too_long",  # 414
    "headers_too_large",  # 431
    "malformed",  # 400 from the HTTP parser
    "tls_handshake",  # the TLS handshake failed or took longer than TLS_HANDSHAKE_TIMEOUT
)


@dataclass(frozen=True)
class ConnectionLimits:
    """What ``collector serve`` allows (its options; the defaults above)."""

    max_connections: int = MAX_CONNECTIONS
    max_per_address: int = MAX_PER_ADDRESS
    read_timeout: float = READ_TIMEOUT
    idle_timeout: float = IDLE_TIMEOUT
    min_rate: float = MIN_RATE
    max_url: int = MAX_URL
    max_headers: int = MAX_HEADERS

    def __post_init__(self) -> None:
        if not 1 <= self.max_per_address <= self.max_connections:
            raise ValueError("the per-address limit must be from 1 to the total limit")
        if self.read_timeout <= 0 or self.idle_timeout <= 0:
            raise ValueError("read timeouts must be positive")


class Admission:
    """One admitted connection's place in the counts, given back exactly once: a connection
    can end on several paths (a failed TLS handshake, the HTTP protocol's ``connection_lost``)
    and only the first of them may release it."""

    __slots__ = ("address", "held", "stats")

    def __init__(self, stats: ConnectionStats, address: str) -> None:
        self.stats, self.address, self.held = stats, address, True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.stats.release(self.address)


@dataclass
class ConnectionStats:
    """Open connections (in total and per source address) and why connections were closed."""

    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    open_total: int = 0
    by_address: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)
    _logged: dict[str, float] = field(default_factory=dict)
    _unlogged: Counter[str] = field(default_factory=Counter)

    def admit(self, address: str) -> str | None:
        """Count a new connection from ``address``; the reason to refuse it (not counted then)."""
        if self.open_total >= self.limits.max_connections:
            detail = f"{self.open_total} connections open (--max-connections)"
            self.closed_for("limit_total", detail)
            return "limit_total"
        if self.by_address[address] >= self.limits.max_per_address:
            detail = f"{self.by_address[address]} connections open from {address} "
            self.closed_for("limit_per_address", detail + "(--max-connections-per-address)")
            return "limit_per_address"
        self.open_total += 1
        self.by_address[address] += 1
        return None

    def enter(self, address: str) -> Admission | str:
        """Admit a connection from ``address`` (its place, to release once it ends) or the
        reason it is refused (counted, and logged at most every LOG_EVERY s)."""
        refused = self.admit(address)
        return refused if refused is not None else Admission(self, address)

    def release(self, address: str) -> None:
        """An admitted connection from ``address`` ended."""
        self.open_total -= 1
        self.by_address[address] -= 1
        if self.by_address[address] <= 0:
            del self.by_address[address]  # the table holds current peers only

    def closed_for(self, reason: str, detail: str) -> None:
        """Count (and log, at most every LOG_EVERY s per reason) a connection closed early."""
        self.closed[reason] += 1
        now = time.monotonic()
        if now - self._logged.get(reason, -LOG_EVERY) < LOG_EVERY:
            self._unlogged[reason] += 1
            return
        more = self._unlogged.pop(reason, 0)
        also = f" (and {more} more since the last such line)" if more else ""
        log.warning("closed a connection: %s: %s%s", reason.replace("_", " "), detail, also)
        self._logged[reason] = now
