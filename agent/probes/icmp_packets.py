"""ICMP echo packets (ICMPv4 and ICMPv6) and the statistics of one multi-packet probe: pure
functions, no I/O.

Every echo request carries a 16-byte token (8 bytes fixed per pinger, 8 bytes of a counter)
at the start of its payload. With an unprivileged datagram socket the kernel replaces the echo
identifier with the socket's own, so the identifier cannot tell our packets from a colleague's
`ping`; (address, sequence, token) can.
"""

from __future__ import annotations

import ipaddress
import itertools
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

ECHO_REPLY = 0
DEST_UNREACHABLE = 3
ECHO_REQUEST = 8
TIME_EXCEEDED = 11
# ICMPv6 (RFC 4443): other numbers, and a checksum over a pseudo-header with both addresses,
# which the kernel computes for ICMPv6 sockets (raw ones included), so we leave it 0.
ECHO_REPLY_V6 = 129
DEST_UNREACHABLE_V6 = 1
ECHO_REQUEST_V6 = 128
TIME_EXCEEDED_V6 = 3
_IPV6_HEADER = 40
_NEXT_ICMPV6 = 58
TOKEN_SIZE = 16
PAYLOAD_SIZE = 56  # as ping(8): 64-byte ICMP messages
_HEADER = struct.Struct("!BBHHH")
_IP_MIN_HEADER = 20


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:  # at most two folds for any size we send
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build_echo(
    ident: int, seq: int, token: bytes, size: int = PAYLOAD_SIZE, *, v6: bool = False
) -> bytes:
    """An echo request with ``token`` at the start of a ``size``-byte payload (ICMPv6 with
    ``v6``: its checksum is the kernel's)."""
    payload = token + bytes(max(0, size - len(token)))
    kind = ECHO_REQUEST_V6 if v6 else ECHO_REQUEST
    unsummed = _HEADER.pack(kind, 0, 0, ident & 0xFFFF, seq & 0xFFFF) + payload
    if v6:
        return unsummed
    total = checksum(unsummed)
    return unsummed[:2] + total.to_bytes(2, "big") + unsummed[4:]


@dataclass(frozen=True)
class Icmp:
    """What a received datagram says about one of our echo requests.

    ``unreachable`` is False for an echo reply (``peer`` is then the answering host) and True
    for a destination unreachable quoting our request (``peer`` is then the request's
    destination, the target, not the router that sent the error)."""

    unreachable: bool
    peer: str
    ident: int
    seq: int
    token: bytes


def _ip_payload(data: bytes) -> tuple[bytes, str] | None:
    """The IPv4 packet's payload and destination address, or None if it is not IPv4."""
    if len(data) < _IP_MIN_HEADER or data[0] >> 4 != 4:
        return None
    ihl = (data[0] & 0x0F) * 4
    if ihl < _IP_MIN_HEADER or len(data) < ihl:
        return None
    return data[ihl:], ".".join(str(b) for b in data[16:20])


def parse(data: bytes, peer: str, *, ip_header: bool) -> Icmp | None:
    """Decode an echo reply or a destination unreachable for an echo request, else None.

    ``ip_header``: the datagram starts with the IPv4 header (raw sockets), not with ICMP
    (datagram sockets, which only ever deliver echo replies)."""
    if ip_header:
        inner = _ip_payload(data)
        if inner is None:
            return None
        data = inner[0]
    if len(data) < 8:
        return None
    kind, _code, _sum, ident, seq = _HEADER.unpack_from(data)
    if kind == ECHO_REPLY:
        return Icmp(False, peer, ident, seq, data[8 : 8 + TOKEN_SIZE])
    if kind == DEST_UNREACHABLE and ip_header:
        return _unreachable(data[8:])
    return None


def _unreachable(quote: bytes) -> Icmp | None:
    """The echo request quoted by a destination unreachable (its IP header, then ICMP)."""
    quoted = _ip_payload(quote)
    if quoted is None or len(quoted[0]) < 8:
        return None
    req = quoted[0]
    kind, _code, _sum, ident, seq = _HEADER.unpack_from(req)
    if kind != ECHO_REQUEST:
        return None
    # RFC 792 only guarantees 8 quoted bytes; Linux and most routers quote more.
    return Icmp(True, quoted[1], ident, seq, req[8 : 8 + TOKEN_SIZE])


def parse_v6(data: bytes, peer: str, *, raw: bool) -> Icmp | None:
    """Decode an ICMPv6 echo reply or a destination unreachable for an echo request, else
    None. Both socket kinds deliver the message without the IPv6 header; only a ``raw`` one
    delivers errors."""
    if len(data) < 8:
        return None
    kind, _code, _sum, ident, seq = _HEADER.unpack_from(data)
    if kind == ECHO_REPLY_V6:
        return Icmp(False, peer, ident, seq, data[8 : 8 + TOKEN_SIZE])
    if kind == DEST_UNREACHABLE_V6 and raw:
        return _unreachable_v6(data[8:])
    return None


def _unreachable_v6(quote: bytes) -> Icmp | None:
    """The echo request quoted by an ICMPv6 destination unreachable: the invoking packet's
    IPv6 header, then (without extension headers, as for our requests) the ICMPv6 message."""
    if len(quote) < _IPV6_HEADER + 8 or quote[0] >> 4 != 6 or quote[6] != _NEXT_ICMPV6:
        return None
    req = quote[_IPV6_HEADER:]
    kind, _code, _sum, ident, seq = _HEADER.unpack_from(req)
    if kind != ECHO_REQUEST_V6:
        return None
    destination = str(ipaddress.IPv6Address(quote[24:40]))
    return Icmp(True, destination, ident, seq, req[8 : 8 + TOKEN_SIZE])


def quantile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted values, linear between closest ranks (numpy's default)."""
    if not ordered:
        raise ValueError("quantile of no values")
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def jitter(rtts: Sequence[float]) -> float:
    """Mean absolute difference of consecutive RTTs, in send order (the IPDV of RFC 3393 as
    smokeping and most SLA tools report it); lost packets are skipped, 0 with under two."""
    if len(rtts) < 2:
        return 0.0
    return sum(abs(b - a) for a, b in itertools.pairwise(rtts)) / (len(rtts) - 1)


def rtt_summary(rtts: Sequence[float]) -> dict[str, float]:
    """min/avg/max/p50/p95 of the RTTs (seconds); empty when no reply came back."""
    if not rtts:
        return {}
    ordered = sorted(rtts)
    return {
        "min": ordered[0],
        "avg": sum(ordered) / len(ordered),
        "max": ordered[-1],
        "p50": quantile(ordered, 0.5),
        "p95": quantile(ordered, 0.95),
    }
