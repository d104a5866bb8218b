"""IcmpPinger's multiplexing of many pings on one socket, over a fake datagram socket."""

from __future__ import annotations

import asyncio
import errno
import socket
import time
from collections.abc import Callable

import pytest

from netwarden.agent.probes.icmp import JITTER, LOSS, RTT, SENT, IcmpPinger
from netwarden.agent.probes.icmp_packets import (
    ECHO_REPLY,
    ECHO_REPLY_V6,
    ECHO_REQUEST,
    ECHO_REQUEST_V6,
    parse,
    parse_v6,
)
from netwarden.agent.probes.icmp_socket import IcmpSocket
from netwarden.agent.probes.resolver import AddrRow, Key, Resolver
from netwarden.agent.probes.result import ProbeReason, ProbeResult

REPLY_AFTER = 0.002  # s: the fake network's round trip


class FakeSocket:
    """Answers echo requests like a datagram ICMP (or ICMPv6) socket, with a per-host
    behaviour. A reply is stamped with its arrival, REPLY_AFTER after the send, as the kernel
    stamps it (SO_TIMESTAMPNS), and not when the loop gets to it: a loaded machine that runs
    the loop late makes no reply late (the pinger drops an RTT beyond the timeout)."""

    def __init__(self, answer: Callable[[str, int], str], family: int = socket.AF_INET) -> None:
        self.answer = answer  # (host, n-th packet to it) -> "reply" | "drop" | "wrong" | errno
        self.family = family
        self.sent: dict[str, int] = {}

    def sendto(self, packet: bytes, address: tuple[str, int]) -> int:
        host = address[0]
        n = self.sent.get(host, 0)
        self.sent[host] = n + 1
        what = self.answer(host, n)
        arrival = time.time() + REPLY_AFTER  # after the pinger's own stamp, read before sendto
        if what.startswith("E"):
            raise OSError(getattr(errno, what), what)
        if what != "drop":
            v6 = self.family == socket.AF_INET6
            assert packet[0] == (ECHO_REQUEST_V6 if v6 else ECHO_REQUEST)
            reply = bytearray(packet)
            reply[0] = ECHO_REPLY_V6 if v6 else ECHO_REPLY
            if what == "wrong":
                reply[8] ^= 0xFF  # someone else's packet with the same (address, sequence)
            if v6:
                msg = parse_v6(bytes(reply), host, raw=False)
            else:
                msg = parse(bytes(reply), host, ip_header=False)
            assert msg is not None
            loop = asyncio.get_running_loop()
            loop.call_later(REPLY_AFTER, self.pinger._dispatch, msg, arrival)
        return len(packet)

    pinger: IcmpPinger


def _pinger(
    answer: Callable[[str, int], str], resolver: Resolver | None = None
) -> tuple[IcmpPinger, FakeSocket]:
    """A pinger on fake sockets of both families (one behaviour, one count of sends)."""
    pinger = IcmpPinger(kind="datagram", resolver=resolver or Resolver(lookup=_no_dns))
    fake = FakeSocket(answer)
    fake.pinger = pinger
    for family in (socket.AF_INET, socket.AF_INET6):
        each = FakeSocket(answer, family)
        each.sent = fake.sent
        each.pinger = pinger
        pinger._sockets[family] = IcmpSocket(each, family, raw=False)  # type: ignore[arg-type]
    return pinger, fake


def _no_dns(key: Key) -> list[AddrRow]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def _behaviour(host: str, n: int) -> str:
    if host == "198.18.1.2":
        return "reply"
    if host == "198.18.2.2":
        return "drop" if n % 4 == 0 else "reply"  # 25 % loss
    if host == "198.18.1.50":
        return "wrong"
    if host == "198.18.1.60":
        return "EHOSTUNREACH"
    return "drop"


def test_concurrent_pings_share_the_socket() -> None:
    hosts = ["198.18.1.2", "198.18.2.2", "198.18.1.50", "198.18.1.60", "198.18.99.99"]

    async def run() -> list[object]:
        pinger, _ = _pinger(_behaviour)
        pings = [pinger.ping(h, count=8, spacing=0.001, timeout=1.0) for h in hosts * 3]
        results = await asyncio.gather(*pings)
        assert pinger._pending == {}  # nothing left behind
        return list(results)

    results = asyncio.run(run())
    by_host = dict(zip(hosts * 3, results, strict=True))
    good = by_host["198.18.1.2"]
    assert good.success and good.values[LOSS] == 0.0 and good.values[SENT] == 8.0
    rtt = good.labelled[RTT]
    assert 0.0 < rtt["min"] <= rtt["p50"] <= rtt["p95"] <= rtt["max"] < 1.0
    assert good.values[JITTER] >= 0.0
    # Every 4th packet to the host is dropped; the three concurrent pings share those drops.
    lossy = [r for h, r in zip(hosts * 3, results, strict=True) if h == "198.18.2.2"]
    assert all(r.success for r in lossy)
    assert sum(r.values[LOSS] for r in lossy) / 3 == pytest.approx(0.25)
    wrong = by_host["198.18.1.50"]
    assert not wrong.success and wrong.reason == ProbeReason.loss  # tokens did not match
    unreachable = by_host["198.18.1.60"]
    assert unreachable.reason == ProbeReason.unreachable and unreachable.values[LOSS] == 1.0
    silent = by_host["198.18.99.99"]
    assert (silent.success, silent.reason, silent.labelled) == (False, ProbeReason.loss, {})


def test_packets_are_spread_and_timeout_bounds_the_wait() -> None:
    async def run() -> float:
        pinger, fake = _pinger(lambda host, n: "drop")
        started = time.monotonic()
        result = await pinger.ping("198.18.99.99", count=10, spacing=0.02, timeout=0.5)
        assert result.values[LOSS] == 1.0 and fake.sent == {"198.18.99.99": 10}
        return time.monotonic() - started

    elapsed = asyncio.run(run())
    # 9 gaps of 20 ms, then one timeout for the last packet; waiting a timeout per packet
    # would take 5 s or more, so the upper bound leaves a loaded machine over 3 s.
    assert 0.68 <= elapsed < 4.0


def test_bad_arguments_and_unresolvable_host() -> None:
    async def run() -> None:
        pinger, fake = _pinger(_behaviour)
        with pytest.raises(ValueError, match="count"):
            await pinger.ping("198.18.1.2", count=0, spacing=0.1, timeout=1.0)
        result = await pinger.ping("camera.example", count=1, spacing=0.1, timeout=1.0)
        assert result.reason == ProbeReason.dns
        assert result.message == "camera.example: Name or service not known"
        assert fake.sent == {}

    asyncio.run(run())


def test_ipv6_targets_get_icmpv6_echoes() -> None:
    hosts = ["2001:2:0:10::5", "2001:2:0:10::99", "::1"]

    def behaviour(host: str, n: int) -> str:
        return "drop" if host == "2001:2:0:10::99" else "reply"

    async def run() -> list[ProbeResult]:
        pinger, fake = _pinger(behaviour)
        results = await asyncio.gather(
            *(pinger.ping(h, count=4, spacing=0.001, timeout=0.2) for h in hosts)
        )
        assert fake.sent == dict.fromkeys(hosts, 4)
        assert pinger._pending == {}
        return list(results)

    good, silent, loopback = asyncio.run(run())
    assert good.success and good.values[LOSS] == 0.0 and set(good.labelled[RTT]) >= {"p50"}
    assert (silent.success, silent.reason, silent.values[LOSS]) == (False, ProbeReason.loss, 1.0)
    assert loopback.success


def test_an_ipv6_address_is_written_as_the_kernel_reports_peers() -> None:
    # An expanded address must match the replies' compressed source address.
    async def run() -> ProbeResult:
        pinger, fake = _pinger(lambda host, n: "reply")
        result = await pinger.ping("2001:0002:0000:0010:0000:0000:0000:0005", count=2,
                                   spacing=0.001, timeout=0.2)  # fmt: skip
        assert fake.sent == {"2001:2:0:10::5": 2}
        return result

    assert asyncio.run(run()).values[LOSS] == 0.0


def test_a_name_resolves_to_its_ipv6_address() -> None:
    def aaaa_only(key: Key) -> list[AddrRow]:
        assert key[0] == "portal-v6.example"
        return [(socket.AF_INET6, socket.SOCK_DGRAM, 17, "", ("2001:2:0:10::5", 0, 0, 0))]

    async def run() -> ProbeResult:
        pinger, fake = _pinger(lambda host, n: "reply", Resolver(lookup=aaaa_only))
        result = await pinger.ping("portal-v6.example", count=2, spacing=0.001, timeout=0.2)
        assert fake.sent == {"2001:2:0:10::5": 2}
        return result

    assert asyncio.run(run()).success
