"""Which of a few well-known TCP ports answer on a host without SNMP (for the role guess)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from netwarden.agent.probes.common import Prober
from netwarden.agent.probes.tcp import TcpTarget

TcpProbe = Prober[TcpTarget]  # the agent's TCP prober (a fake in tests)

PORTS = (554, 5060, 1720, 80, 443)
"""RTSP (cameras), SIP and H.323 (video conferencing), HTTP and HTTPS (web management)."""


async def open_ports(
    probe: TcpProbe, address: str, *, deadline: float, ports: Sequence[int] = PORTS
) -> tuple[int, ...]:
    """The ``ports`` of ``address`` that accept a TCP connection within ``deadline`` seconds,
    in ascending order; all are tried at once."""
    targets = [TcpTarget(address, port) for port in ports]
    results = await asyncio.gather(*(probe(target, deadline=deadline) for target in targets))
    return tuple(sorted(port for port, res in zip(ports, results, strict=True) if res.success))
