"""TCP-connect probe, and the resolve/connect steps and failure mapping the HTTP probe shares.

Every step is non-blocking on the event loop: names resolve through ``loop.getaddrinfo`` (the
loop's executor) and sockets connect through ``loop.sock_connect``.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any, Final

from netwarden.agent.probes.result import ProbeReason, ProbeResult

CONNECT_SECONDS: Final = "netwarden_probe_tcp_connect_seconds"

# Errors a router or the local stack reports when there is no path to the target; anything
# else from connect() is a local problem, not a property of the target.
_UNREACHABLE: Final = frozenset(
    {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}
)

# family, type, proto, socket address (host and port first, whatever the family)
AddrInfo = tuple[int, int, int, tuple[Any, ...]]


class ProbeFailure(Exception):
    """A probed target failed in a known way; turned into a failed result, never escapes."""

    def __init__(self, reason: ProbeReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


async def resolve(host: str, port: int) -> AddrInfo:
    """The first stream address of ``host``:``port``; :class:`ProbeFailure` (dns) otherwise."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ProbeFailure(ProbeReason.dns, f"{host}: {exc.strerror}") from exc
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
        raise ProbeFailure(
            connect_reason(exc), f"connect to {address[0]}:{address[1]}: {exc}"
        ) from exc
    except BaseException:  # the deadline's cancellation must not leak the socket
        sock.close()
        raise
    return sock


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


async def probe_tcp(host: str, port: int, *, deadline: float) -> ProbeResult:
    """Connect to ``host``:``port`` within ``deadline`` seconds, then close at once.

    Success on an established connection, with ``netwarden_probe_tcp_connect_seconds`` (the
    connect alone, without name resolution). Failures: dns, refused, unreachable, timeout."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        async with asyncio.timeout(deadline):
            info = await resolve(host, port)
            connecting = loop.time()
            sock = await connect(info)
    except ProbeFailure as exc:
        return failed(exc.reason, exc.message, began)
    except TimeoutError:
        return failed(ProbeReason.timeout, f"no connection within {deadline:g} s", began)
    connected = loop.time()
    sock.close()
    return ProbeResult(True, connected - began, values={CONNECT_SECONDS: connected - connecting})
