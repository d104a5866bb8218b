"""TCP-connect probe: connect to HOST:PORT within the deadline, then close at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from netwarden.agent.probes.common import ProbeFailure, capped, connect, failed, resolve
from netwarden.agent.probes.result import ProbeReason, ProbeResult

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
        return f"{self.host}:{self.port}"


def from_check(check: TcpCheck, interval: float) -> TcpTarget:
    """The target of an inventory service's ``tcp`` check."""
    return TcpTarget(str(check.host), check.port, check.timeout)


async def probe(target: TcpTarget, *, deadline: float) -> ProbeResult:
    """Connect to the target within the deadline, then close at once.

    Success on an established connection, with ``netwarden_probe_tcp_connect_seconds`` (the
    connect alone, without name resolution). Failures: dns, refused, unreachable, timeout."""
    deadline = capped(deadline, target.timeout)
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        async with asyncio.timeout(deadline):
            info = await resolve(target.host, target.port)
            connecting = loop.time()
            sock = await connect(info)
    except ProbeFailure as exc:
        return failed(exc.reason, exc.message, began)
    except TimeoutError:
        return failed(ProbeReason.timeout, f"no connection within {deadline:g} s", began)
    connected = loop.time()
    sock.close()
    return ProbeResult(True, connected - began, values={CONNECT_SECONDS: connected - connecting})
