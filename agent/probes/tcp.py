"""TCP-connect probe: connect to HOST:PORT within the deadline, then close at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from netwarden.agent.probes.common import (
    ProbeFailure,
    capped,
    connect,
    failed,
    lookup_timed_out,
    resolve,
)
from netwarden.agent.probes.resolver import Resolver
from netwarden.agent.probes.result import ProbeReason, ProbeResult
from netwarden.hostport import format_hostport

if TYPE_CHECKING:
    from netwarden.inventory.model import TcpCheck

CONNECT_SECONDS: Final = "netwarden_probe_tcp_connect_seconds"


@dataclass(frozen=True)
class TcpTarget:
    host: str
    port: int
    timeout: float | None = None  # seconds; shortens the caller's deadline

    @property
    def label(self) -> str:
        return format_hostport(self.host, self.port)


def from_check(check: TcpCheck, interval: float) -> TcpTarget:
    """The target of an inventory service's ``tcp`` check."""
    return TcpTarget(str(check.host), check.port, check.timeout)


async def probe(
    target: TcpTarget, *, deadline: float, resolver: Resolver | None = None
) -> ProbeResult:
    """Connect to the target within the deadline, then close at once.

    Success on an established connection, with ``netwarden_probe_tcp_connect_seconds`` (the
    connect alone, without name resolution). Failures: dns (also a lookup still unanswered at
    the deadline), refused, unreachable, timeout. ``resolver``: the process's by default."""
    deadline = capped(deadline, target.timeout)
    loop = asyncio.get_running_loop()
    began = loop.time()
    connecting: float | None = None
    try:
        async with asyncio.timeout(deadline):
            info = await resolve(target.host, target.port, resolver)
            connecting = loop.time()
            sock = await connect(info)
    except ProbeFailure as exc:
        return failed(exc.reason, exc.message, began)
    except TimeoutError:
        if connecting is None:
            lookup = lookup_timed_out(target.host, deadline)
            return failed(lookup.reason, lookup.message, began)
        return failed(ProbeReason.timeout, f"no connection within {deadline:g} s", began)
    connected = loop.time()
    sock.close()
    return ProbeResult(True, connected - began, values={CONNECT_SECONDS: connected - connecting})
