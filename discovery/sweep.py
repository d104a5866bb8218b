"""The ICMP sweep: every host address of a network pinged with a few packets, bounded in flight.

It reuses the agent's :class:`~netwarden.agent.probes.icmp.IcmpPinger` (one socket for all
targets), so a /24 costs one round of ``timeout`` plus the packet spacing, not 254 of them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable
from typing import Protocol

from netwarden.agent.probes.icmp import IcmpPinger
from netwarden.agent.probes.result import ProbeResult
from netwarden.errors import NetwardenError, UsageError

MAX_PREFIX = 16  # a /16 is 65,534 hosts, minutes of sweeping: anything larger is a typo
MAX_PACKETS = 3
SPACING = 0.2  # seconds between the packets to one host: a lost first packet gets a second chance
# Hosts pinged at once. On a directly connected segment every silent address holds a
# neighbour entry (and its queued packets) for ~3 s of ARP resolution: 256 at once keeps that
# near 650 entries, under the kernel's default table limit (gc_thresh3 = 1024). A /24 is one
# round (~1.2 s); a /16 takes ~5 minutes.
CONCURRENCY = 256
SEND_BUFFER = 4 * 1024 * 1024
_SO_SNDBUFFORCE = getattr(socket, "SO_SNDBUFFORCE", 32)  # Linux; Python does not export it

Progress = Callable[[int, int], None]  # (done, total)


class SweepError(NetwardenError):
    """The sweep could not run at all (e.g. no ICMP socket may be opened): exit code 1."""


class Pinger(Protocol):
    """The part of IcmpPinger the sweep uses (a fake in unit tests)."""

    def open(self) -> None: ...

    async def ping(
        self,
        host: str,
        *,
        count: int,
        spacing: float,
        timeout: float,  # noqa: ASYNC109 -- IcmpPinger's per-packet wait, not a call deadline
    ) -> ProbeResult: ...


class SweepPinger(IcmpPinger):
    """The agent's pinger with a send buffer sized for a sweep.

    Echo requests to an address the kernel is still resolving (ARP) stay charged to the
    socket's send buffer until resolution fails, ~3 s later; with the default buffer
    (~200 KB) a sweep of a connected /22 measured sends failing with EAGAIN, i.e. live hosts
    reported silent. Root may exceed ``net.core.wmem_max`` (SO_SNDBUFFORCE); others get
    what the limit allows."""

    def open(self, family: int = socket.AF_INET) -> None:
        opening = self.socket_of(family) is None
        super().open(family)
        sock = self.socket_of(family)
        if not opening or sock is None:
            return
        for option in (_SO_SNDBUFFORCE, socket.SO_SNDBUF):
            try:
                sock.setsockopt(socket.SOL_SOCKET, option, SEND_BUFFER)
                return
            except OSError:
                continue


def parse_cidr(text: str) -> ipaddress.IPv4Network:
    """``text`` as an IPv4 network no larger than a /16; :class:`UsageError` saying why not."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        message = f"--cidr must be an IPv4 network like 198.18.1.0/24, got {text!r}"
        raise UsageError(message) from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise UsageError(f"--cidr must be an IPv4 network (IPv6 cannot be swept), got {text!r}")
    if network.prefixlen < MAX_PREFIX:
        raise UsageError(
            f"--cidr {network} is {network.num_addresses:,} addresses: discovery sweeps at most "
            f"a /{MAX_PREFIX} (65,534 hosts) at a time; split it into smaller networks"
        )
    return network


def host_addresses(network: ipaddress.IPv4Network) -> list[str]:
    """The addresses to sweep: every host address (a /31 or /32 has no network/broadcast)."""
    return [str(address) for address in network.hosts()]


async def sweep(
    pinger: Pinger,
    network: ipaddress.IPv4Network,
    *,
    packets: int = 2,
    timeout: float = 1.0,  # noqa: ASYNC109 -- per packet, passed on to the pinger
    concurrency: int = CONCURRENCY,
    progress: Progress | None = None,
) -> list[str]:
    """The addresses of ``network`` that answered at least one of ``packets`` echo requests,
    in address order. Raises :class:`SweepError` when the ICMP socket cannot be opened."""
    if not 1 <= packets <= MAX_PACKETS:
        raise UsageError(f"the sweep sends 1 to {MAX_PACKETS} packets per host, not {packets}")
    try:
        pinger.open()
    except OSError as exc:
        message = f"cannot open an ICMP socket for the sweep: {exc.strerror or exc}"
        raise SweepError(message) from exc
    hosts = host_addresses(network)
    gate = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def one(host: str) -> bool:
        nonlocal done
        async with gate:
            result = await pinger.ping(host, count=packets, spacing=SPACING, timeout=timeout)
        done += 1
        if progress is not None:
            progress(done, len(hosts))
        return result.success

    if progress is not None:
        progress(0, len(hosts))
    answered = await asyncio.gather(*(one(host) for host in hosts))
    return [host for host, ok in zip(hosts, answered, strict=True) if ok]
