"""Pure parts of the ICMP prober: packets, checksum, statistics."""

from __future__ import annotations

import ipaddress
import struct

import pytest

from netwarden.agent.probes.icmp_packets import (
    DEST_UNREACHABLE_V6,
    ECHO_REPLY,
    ECHO_REPLY_V6,
    ECHO_REQUEST_V6,
    build_echo,
    checksum,
    jitter,
    parse,
    parse_v6,
    quantile,
    rtt_summary,
)

TOKEN = bytes(range(16))


def _ip(payload: bytes, src: str, dst: str) -> bytes:
    addr = lambda a: bytes(int(x) for x in a.split("."))  # noqa: E731
    header = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(payload), 0, 0, 64, 1, 0)
    return header + addr(src) + addr(dst) + payload


def _reply(request: bytes) -> bytes:
    unsummed = bytes([ECHO_REPLY, 0, 0, 0]) + request[4:]
    return unsummed[:2] + checksum(unsummed).to_bytes(2, "big") + unsummed[4:]


def test_checksum_known_value() -> None:
    # RFC 1071's example words 0x0001 0xf203 0xf4f5 0xf6f7 sum (folded) to 0xddf2.
    assert checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0xFFFF - 0xDDF2
    assert checksum(b"\x01") == 0xFFFF - 0x0100  # odd length is padded with a zero byte


def test_echo_request_layout_and_checksum() -> None:
    packet = build_echo(0x1234, 0xBEEF, TOKEN, 56)
    assert len(packet) == 64
    assert packet[:2] == b"\x08\x00"
    assert struct.unpack("!HH", packet[4:8]) == (0x1234, 0xBEEF)
    assert packet[8:24] == TOKEN
    assert checksum(packet) == 0  # a correct checksum sums the packet to zero


def test_parse_reply_with_and_without_ip_header() -> None:
    reply = _reply(build_echo(7, 9, TOKEN))
    dgram = parse(reply, "198.18.1.2", ip_header=False)
    assert dgram is not None
    assert (dgram.unreachable, dgram.peer, dgram.ident, dgram.seq, dgram.token) == (
        False,
        "198.18.1.2",
        7,
        9,
        TOKEN,
    )
    raw = parse(_ip(reply, "198.18.1.2", "198.18.0.1"), "198.18.1.2", ip_header=True)
    assert raw == dgram


def test_parse_unreachable_names_the_target_not_the_router() -> None:
    request = build_echo(7, 9, TOKEN)
    quoted = _ip(request, "198.18.0.1", "198.18.99.99")
    error = bytes([3, 1, 0, 0, 0, 0, 0, 0]) + quoted
    msg = parse(_ip(error, "198.18.100.1", "198.18.0.1"), "198.18.100.1", ip_header=True)
    assert msg is not None
    assert (msg.unreachable, msg.peer, msg.seq, msg.token) == (True, "198.18.99.99", 9, TOKEN)
    short = bytes([3, 1, 0, 0, 0, 0, 0, 0]) + _ip(request[:8], "198.18.0.1", "198.18.99.99")
    msg = parse(_ip(short, "198.18.100.1", "198.18.0.1"), "198.18.100.1", ip_header=True)
    assert msg is not None and msg.token == b""  # RFC 792's minimum quote: 8 bytes


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00" * 7, build_echo(1, 2, TOKEN), _ip(b"\x00" * 4, "1.1.1.1", "2.2.2.2")[:19]],
)
def test_parse_rejects_garbage_and_requests(data: bytes) -> None:
    assert parse(data, "198.18.1.2", ip_header=False) is None
    assert parse(data, "198.18.1.2", ip_header=True) is None


def _ip6(payload: bytes, src: str, dst: str, next_header: int = 58) -> bytes:
    header = struct.pack("!IHBB", 6 << 28, len(payload), next_header, 64)
    return header + ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed + payload


def test_icmpv6_echo_request_leaves_the_checksum_to_the_kernel() -> None:
    packet = build_echo(0x1234, 0xBEEF, TOKEN, 56, v6=True)
    assert len(packet) == 64
    assert packet[:4] == bytes([ECHO_REQUEST_V6, 0, 0, 0])  # type 128, code 0, checksum 0
    assert struct.unpack("!HH", packet[4:8]) == (0x1234, 0xBEEF)
    assert packet[8:24] == TOKEN


def test_parse_icmpv6_reply_on_both_socket_kinds() -> None:
    reply = bytes([ECHO_REPLY_V6]) + build_echo(7, 9, TOKEN, v6=True)[1:]
    for raw in (False, True):
        msg = parse_v6(reply, "2001:2:0:10::5", raw=raw)
        assert msg is not None
        assert (msg.unreachable, msg.peer, msg.ident, msg.seq, msg.token) == (
            False, "2001:2:0:10::5", 7, 9, TOKEN,
        )  # fmt: skip
    # An ICMPv4 type number means nothing in ICMPv6, and a request is not an answer.
    assert parse_v6(bytes([ECHO_REPLY]) + reply[1:], "::1", raw=True) is None
    assert parse_v6(build_echo(7, 9, TOKEN, v6=True), "::1", raw=True) is None


def test_parse_icmpv6_unreachable_names_the_target() -> None:
    request = build_echo(7, 9, TOKEN, v6=True)
    quoted = _ip6(request, "2001:2:0:10::1", "2001:2:0:10::99")
    error = bytes([DEST_UNREACHABLE_V6, 3, 0, 0, 0, 0, 0, 0]) + quoted
    msg = parse_v6(error, "2001:2:0:10::1", raw=True)
    assert msg is not None
    assert (msg.unreachable, msg.peer, msg.seq, msg.token) == (True, "2001:2:0:10::99", 9, TOKEN)
    # Only raw sockets deliver errors; a quote of something else is not ours.
    assert parse_v6(error, "2001:2:0:10::1", raw=False) is None
    udp = _ip6(request, "2001:2:0:10::1", "2001:2:0:10::99", next_header=17)
    assert parse_v6(error[:8] + udp, "2001:2:0:10::1", raw=True) is None
    assert parse_v6(error[: 8 + 40], "2001:2:0:10::1", raw=True) is None


def test_quantile_interpolates_like_numpy() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert quantile(values, 0.5) == 2.5
    assert quantile(values, 0.95) == pytest.approx(3.85)
    assert quantile(values, 0.0) == 1.0
    assert quantile(values, 1.0) == 4.0
    assert quantile([5.0], 0.95) == 5.0
    with pytest.raises(ValueError, match="no values"):
        quantile([], 0.5)


def test_jitter_is_mean_absolute_consecutive_difference() -> None:
    assert jitter([]) == 0.0
    assert jitter([0.010]) == 0.0
    assert jitter([0.010, 0.012, 0.009, 0.009]) == pytest.approx((0.002 + 0.003 + 0.0) / 3)


def test_rtt_summary() -> None:
    assert rtt_summary([]) == {}
    summary = rtt_summary([0.03, 0.01, 0.02])
    assert summary == pytest.approx(
        {"min": 0.01, "avg": 0.02, "max": 0.03, "p50": 0.02, "p95": 0.029}
    )
