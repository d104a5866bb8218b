"""The ICMP sweep (CIDR limits, bounded concurrency) and the local-segment checks."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import struct

import pytest
from discover_fakes import FakePinger

from netwarden.discovery.local import connected_interface, local_addresses
from netwarden.discovery.sweep import (
    SEND_BUFFER,
    SweepError,
    SweepPinger,
    host_addresses,
    parse_cidr,
    sweep,
)
from netwarden.errors import UsageError


def test_cidr_up_to_a_slash_16() -> None:
    assert parse_cidr("198.18.1.0/24") == ipaddress.IPv4Network("198.18.1.0/24")
    assert parse_cidr("198.18.1.7/24") == ipaddress.IPv4Network("198.18.1.0/24")  # host bits
    assert parse_cidr("198.18.0.0/16").num_addresses == 65536
    assert parse_cidr("198.18.1.9").prefixlen == 32


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("198.18.0.0/15", "--cidr 198.18.0.0/15 is 131,072 addresses: discovery sweeps at most a "
                          "/16 (65,534 hosts) at a time; split it into smaller networks"),
        ("0.0.0.0/0", "--cidr 0.0.0.0/0 is 4,294,967,296 addresses"),
        ("2001:db8::/64", "IPv6 cannot be swept"),
        ("198.18.1.0/33", "must be an IPv4 network like 198.18.1.0/24, got '198.18.1.0/33'"),
        ("lan", "must be an IPv4 network like"),
    ],
)  # fmt: skip
def test_cidr_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_cidr(text)
    assert message in str(caught.value)


def test_host_addresses() -> None:
    assert host_addresses(ipaddress.IPv4Network("198.18.1.0/30")) == ["198.18.1.1", "198.18.1.2"]
    assert host_addresses(ipaddress.IPv4Network("198.18.1.0/31")) == ["198.18.1.0", "198.18.1.1"]
    assert host_addresses(ipaddress.IPv4Network("198.18.1.5/32")) == ["198.18.1.5"]
    assert len(host_addresses(ipaddress.IPv4Network("198.18.0.0/16"))) == 65534


def test_sweep_finds_exactly_the_answering_hosts_within_the_bound() -> None:
    pinger = FakePinger({"198.18.1.2", "198.18.1.50", "198.18.1.254"})
    seen: list[tuple[int, int]] = []
    found = asyncio.run(
        sweep(pinger, ipaddress.IPv4Network("198.18.1.0/24"), packets=3, concurrency=16,
              progress=lambda done, total: seen.append((done, total)))
    )  # fmt: skip
    assert found == ["198.18.1.2", "198.18.1.50", "198.18.1.254"]
    assert len(pinger.pinged) == 254 and {count for _, count in pinger.pinged} == {3}
    assert 1 < pinger.max_in_flight <= 16
    assert seen[0] == (0, 254) and seen[-1] == (254, 254)


def test_sweep_packets_are_one_to_three() -> None:
    net = ipaddress.IPv4Network("198.18.1.0/30")
    for packets in (0, 4):
        with pytest.raises(UsageError):
            asyncio.run(sweep(FakePinger(()), net, packets=packets))


def test_a_sweep_that_cannot_open_its_socket_fails_as_a_whole() -> None:
    with pytest.raises(SweepError, match="cannot open an ICMP socket for the sweep"):
        asyncio.run(sweep(FakePinger((), fail_open=True), ipaddress.IPv4Network("198.18.1.0/30")))


def _hex(address: str) -> str:
    return f"{struct.unpack('=I', socket.inet_aton(address))[0]:08X}"


def _routes(*rows: tuple[str, str, str, int, str]) -> str:
    head = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"
    lines = [head]
    for iface, dest, gateway, flags, mask in rows:
        lines.append(f"{iface}\t{_hex(dest)}\t{_hex(gateway)}\t{flags:04X}\t0\t0\t0\t"
                     f"{_hex(mask)}\t0\t0\t0")  # fmt: skip
    return "\n".join(lines) + "\n"


ROUTES = _routes(
    ("eth0", "0.0.0.0", "192.0.2.1", 0x3, "0.0.0.0"),  # default route via a gateway
    ("nwl-up", "198.18.0.0", "198.19.255.2", 0x3, "255.254.0.0"),  # routed, not connected
    ("lan0", "198.18.1.0", "0.0.0.0", 0x1, "255.255.255.0"),
    ("lan1", "198.18.0.0", "0.0.0.0", 0x1, "255.255.0.0"),
    ("down0", "198.18.5.0", "0.0.0.0", 0x0, "255.255.255.0"),  # not up
)


@pytest.mark.parametrize(
    ("cidr", "iface"),
    [
        ("198.18.1.0/24", "lan0"),  # the most specific connected route
        ("198.18.1.128/25", "lan0"),
        ("198.18.2.0/24", "lan1"),
        ("198.18.0.0/16", "lan1"),
        ("198.18.5.0/24", "lan1"),  # down0 is not up: lan1 still covers it
        ("198.19.0.0/24", None),  # only routed via a gateway
        ("198.18.0.0/15", None),  # wider than any connected network
    ],
)
def test_connected_interface(cidr: str, iface: str | None) -> None:
    assert connected_interface(ipaddress.IPv4Network(cidr), ROUTES) == iface


def test_connected_interface_of_the_real_table_does_not_fail() -> None:
    with open("/proc/net/route", encoding="ascii") as routes:
        text = routes.read()
    connected_interface(ipaddress.IPv4Network("198.18.77.0/24"), text)  # parses, any answer


FIB_TRIE = """\
Main:
  +-- 0.0.0.0/0 3 0 5
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 198.18.1.0/24 3 1 4
        |-- 198.18.1.0
           /24 link UNICAST
        |-- 198.18.1.2
           /32 host LOCAL
        |-- 198.18.1.50
           /32 host LOCAL
        |-- 198.18.1.255
           /32 link BROADCAST
"""


def test_local_addresses_from_the_fib_trie() -> None:
    assert local_addresses(FIB_TRIE) == {"127.0.0.1", "198.18.1.2", "198.18.1.50"}


def test_sweep_pinger_has_a_send_buffer_for_queued_requests() -> None:
    # Requests to addresses under ARP resolution stay charged to the socket for ~3 s; the
    # default buffer made a connected /22 sweep lose live hosts (EAGAIN on send).
    async def buffer() -> int:
        pinger = SweepPinger()
        try:
            pinger.open()
        except OSError:
            pytest.skip("no ICMP socket may be opened here (needs ping_group_range or root)")
        try:
            sock = pinger.socket_of(socket.AF_INET)
            assert sock is not None
            return sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        finally:
            await pinger.close()

    size = asyncio.run(buffer())
    if os.geteuid() == 0:  # root may exceed net.core.wmem_max; the kernel doubles the value
        assert size >= SEND_BUFFER
