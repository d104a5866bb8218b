"""The ICMP sockets of the pinger: one per address family (ICMPv4, ICMPv6), datagram or raw.

A datagram ("ping") socket needs the process's group in ``net.ipv4.ping_group_range`` (which
governs ICMPv6 ping sockets too); a raw one needs CAP_NET_RAW. A raw socket sees every ICMP
message of the host, so the kernel is told to drop all but the types the pinger reads.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass
from typing import Final, Literal

from netwarden.agent.probes.icmp_packets import (
    DEST_UNREACHABLE,
    DEST_UNREACHABLE_V6,
    ECHO_REPLY,
    ECHO_REPLY_V6,
    TIME_EXCEEDED,
    TIME_EXCEEDED_V6,
    Icmp,
    parse,
    parse_v6,
)

SocketKind = Literal["auto", "datagram", "raw"]
FAMILY_NAMES: Final[dict[int, str]] = {socket.AF_INET: "ICMP", socket.AF_INET6: "ICMPv6"}

SO_TIMESTAMPNS: Final = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python lacks it
_SOL_RAW, _ICMP_FILTER = 255, 1  # linux/icmp.h: a raw socket's mask of ICMP types to drop
_ICMP6_FILTER = 1  # linux/icmpv6.h: the same for ICMPv6, 256 bits, a set bit drops the type
_TIMESPEC = struct.Struct("@qq")
ANCILLARY: Final = socket.CMSG_SPACE(_TIMESPEC.size)


@dataclass(frozen=True)
class IcmpSocket:
    """An open, non-blocking ICMP socket of ``family``; ``raw`` when it is a raw socket."""

    sock: socket.socket
    family: int
    raw: bool

    @property
    def kind(self) -> str:
        return "raw" if self.raw else "datagram"

    def parse(self, data: bytes, peer: str) -> Icmp | None:
        """What one received datagram says about an echo request, if anything."""
        if self.family == socket.AF_INET6:
            return parse_v6(data, peer, raw=self.raw)
        # Raw ICMPv4 sockets deliver the IP header too; ICMPv6 ones never do.
        return parse(data, peer, ip_header=self.raw)


def open_icmp(family: int, kind: SocketKind) -> IcmpSocket:
    """An ICMP socket of ``family`` (datagram when allowed and ``kind`` is not raw, else raw);
    OSError when neither may be opened."""
    v6 = family == socket.AF_INET6
    proto = socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP
    if kind != "raw":
        try:
            return _setup(socket.socket(family, socket.SOCK_DGRAM, proto), family, raw=False)
        except OSError:
            if kind == "datagram":
                raise
    sock = socket.socket(family, socket.SOCK_RAW, proto)
    # Drop every ICMP type but ours in the kernel: the host's other ICMP costs us nothing.
    if v6:
        blocked = [0xFFFFFFFF] * 8
        for kept in (ECHO_REPLY_V6, DEST_UNREACHABLE_V6, TIME_EXCEEDED_V6):
            blocked[kept >> 5] &= ~(1 << (kept & 31))
        sock.setsockopt(socket.IPPROTO_ICMPV6, _ICMP6_FILTER, struct.pack("8I", *blocked))
    else:
        keep = (1 << ECHO_REPLY) | (1 << DEST_UNREACHABLE) | (1 << TIME_EXCEEDED)
        sock.setsockopt(_SOL_RAW, _ICMP_FILTER, struct.pack("I", ~keep & 0xFFFFFFFF))
    return _setup(sock, family, raw=True)


def _setup(sock: socket.socket, family: int, *, raw: bool) -> IcmpSocket:
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        sock.close()
        raise
    return IcmpSocket(sock, family, raw)


def stamp(ancillary: list[tuple[int, int, bytes]]) -> float:
    """The kernel's receive time of a datagram (wall clock), or now if it gave none."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            sec, nsec = _TIMESPEC.unpack_from(data)
            return float(sec + nsec * 1e-9)
    return time.time()
