"""The agent's event loop: asyncio's, with every name lookup on the resolver's own threads.

Libraries the agent uses (httpx to the collector, asyncio's own ``create_connection``) look
names up with ``loop.getaddrinfo``, which runs in the loop's default executor. During a DNS
outage those lookups each hold a thread for the resolver's whole timeout; the interpreter then
waits for them at exit, so SIGTERM would take as long as the slowest lookup. Routed to
``resolver.Resolver`` instead, an IP literal never leaves the loop, a name waits on daemon
threads that never hold up the exit, and the default executor stays free.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Literal, cast

from netwarden.agent.probes.resolver import Resolver, default_resolver

# What typeshed says loop.getaddrinfo returns (socket.getaddrinfo's rows, by family).
_Rows = list[
    tuple[Literal[socket.AddressFamily.AF_INET], socket.SocketKind, int, str, tuple[str, int]]
    | tuple[
        Literal[socket.AddressFamily.AF_INET6],
        socket.SocketKind,
        int,
        str,
        tuple[str, int, int, int] | tuple[int, bytes],
    ]
]


class AgentEventLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``getaddrinfo`` is ``resolver``'s (the process's)."""

    def __init__(self, resolver: Resolver | None = None) -> None:
        super().__init__()
        self.resolver = resolver or default_resolver()

    async def getaddrinfo(
        self,
        host: bytes | str | None,
        port: bytes | str | int | None,
        *,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> _Rows:
        if isinstance(port, bytes):
            port = port.decode("ascii")
        rows = await self.resolver.getaddrinfo(
            host, port, family=family, type=type, proto=proto, flags=flags
        )
        return cast(_Rows, rows)
