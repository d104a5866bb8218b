"""What every prober shares: the one call shape, ProbeFailure, name resolution and TCP connect.

A prober is ``async def probe(target, *, deadline) -> ProbeResult``: a small frozen dataclass of
its kind in (what to probe, and how), a result out, never an exception for a target's failure.
``deadline`` is the caller's bound in seconds (the scheduler's share of the interval, or a
job's); a target's own ``timeout``, when it has one, can only shorten it.

Every step is non-blocking on the event loop: an IP literal is not looked up at all, a name
waits for the resolver's own threads (``resolver.py``, never the loop's default executor, which
/metrics and shutdown need), and sockets connect through ``loop.sock_connect``.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any, Final, Protocol, TypeVar

from netwarden.agent.probes.resolver import Resolver, default_resolver
from netwarden.agent.probes.result import ProbeReason, ProbeResult
from netwarden.hostport import format_hostport

# Errors a router or the local stack reports when there is no path to the target; anything
# else from connect() is a local problem, not a property of the target.
_UNREACHABLE: Final = frozenset(
    {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}
)

# family, type, proto, socket address (host and port first, whatever the family)
AddrInfo = tuple[int, int, int, tuple[Any, ...]]

T_contra = TypeVar("T_contra", contravariant=True)


class ProbeTarget(Protocol):
    """What a prober takes: a frozen dataclass; ``label`` is its ``target`` metric label."""

    @property
    def label(self) -> str: ...


class Prober(Protocol[T_contra]):
    """The one call shape of every probe kind."""

    async def __call__(self, target: T_contra, *, deadline: float) -> ProbeResult: ...


class ProbeFailure(Exception):
    """A probed target failed in a known way; turned into a failed result, never escapes."""

    def __init__(self, reason: ProbeReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def capped(deadline: float, timeout: float | None) -> float:
    """The deadline a probe runs with: the caller's, shortened by the target's own timeout."""
    return deadline if timeout is None else min(deadline, timeout)


async def resolve(host: str, port: int, resolver: Resolver | None = None) -> AddrInfo:
    """The first stream address of ``host``:``port``; :class:`ProbeFailure` (dns) otherwise.

    Bounded by the caller's deadline (cancellation); see :func:`lookup_timed_out`."""
    resolver = resolver or default_resolver()
    try:
        infos = await resolver.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ProbeFailure(ProbeReason.dns, f"{host}: {exc.strerror or exc}") from exc
    if not infos:
        raise ProbeFailure(ProbeReason.dns, f"{host}: no address")
    family, kind, proto, _, address = infos[0]
    return family, kind, proto, address


async def connect(info: AddrInfo) -> socket.socket:
    """A socket connected to ``info`` that the caller owns, or :class:`ProbeFailure`."""
    family, kind, proto, address = info
    sock = socket.socket(family, kind, proto)
    try:
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, address)
    except OSError as exc:
        sock.close()
        where = format_hostport(str(address[0]), int(address[1]))
        raise ProbeFailure(connect_reason(exc), f"connect to {where}: {exc}") from exc
    except BaseException:  # the deadline's cancellation must not leak the socket
        sock.close()
        raise
    return sock


def lookup_timed_out(host: str, deadline: float) -> ProbeFailure:
    """The failure of a probe whose deadline passed while ``host`` was being looked up: the
    name service did not answer, which says nothing about the target itself."""
    return ProbeFailure(
        ProbeReason.dns, f"{host}: no answer from the resolver within {deadline:g} s"
    )


def connect_reason(exc: OSError) -> ProbeReason:
    """The bounded reason for an error of connect()."""
    if isinstance(exc, ConnectionRefusedError):
        return ProbeReason.refused
    if isinstance(exc, TimeoutError):
        return ProbeReason.timeout
    if exc.errno in _UNREACHABLE:
        return ProbeReason.unreachable
    return ProbeReason.other


def failed(reason: ProbeReason, message: str, began: float, **extra: float) -> ProbeResult:
    """A failed result whose duration runs from ``began`` (loop time) to now."""
    duration = asyncio.get_running_loop().time() - began
    return ProbeResult(False, duration, reason, message, values=dict(extra))
