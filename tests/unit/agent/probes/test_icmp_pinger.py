"""IcmpPinger's multiplexing of many pings on one socket, over a fake datagram socket."""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import Callable

import pytest

from netwarden.agent.probes import icmp
from netwarden.agent.probes.icmp import JITTER, LOSS, RTT, SENT, IcmpPinger
from netwarden.agent.probes.icmp_packets import ECHO_REPLY, Icmp, parse
from netwarden.agent.probes.result import ProbeReason


class FakeSocket:
    """Answers echo requests like a datagram ICMP socket, with a per-host behaviour."""

    def __init__(self, answer: Callable[[str, int], str]) -> None:
        self.answer = answer  # (host, n-th packet to it) -> "reply" | "drop" | "wrong" | errno
        self.sent: dict[str, int] = {}

    def sendto(self, packet: bytes, address: tuple[str, int]) -> int:
        host = address[0]
        n = self.sent.get(host, 0)
        self.sent[host] = n + 1
        what = self.answer(host, n)
        if what.startswith("E"):
            raise OSError(getattr(errno, what), what)
        if what != "drop":
            reply = bytearray(packet)
            reply[0] = ECHO_REPLY
            if what == "wrong":
                reply[8] ^= 0xFF  # someone else's packet with the same (address, sequence)
            msg = parse(bytes(reply), host, ip_header=False)
            assert msg is not None
            asyncio.get_running_loop().call_later(0.002, _deliver, self.pinger, msg)
        return len(packet)

    pinger: IcmpPinger


def _deliver(pinger: IcmpPinger, msg: Icmp) -> None:
    pinger._dispatch(msg, time.time())


def _pinger(answer: Callable[[str, int], str]) -> tuple[IcmpPinger, FakeSocket]:
    pinger = IcmpPinger(kind="datagram")
    fake = FakeSocket(answer)
    fake.pinger = pinger
    pinger._sock = fake  # type: ignore[assignment]
    return pinger, fake


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
        result = await pinger.ping("198.18.99.99", count=5, spacing=0.02, timeout=0.5)
        assert result.values[LOSS] == 1.0 and fake.sent == {"198.18.99.99": 5}
        return time.monotonic() - started

    elapsed = asyncio.run(run())
    # 4 gaps of 20 ms, then one timeout for the last packet; waiting a timeout per packet
    # would take 2.5 s or more, so the upper bound leaves a loaded machine a second.
    assert 0.58 <= elapsed < 1.6


def test_bad_arguments_and_unresolvable_host(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_dns(host: str) -> None:
        return None  # no real resolver: unit tests send nothing

    monkeypatch.setattr(icmp, "_resolve", no_dns)

    async def run() -> None:
        pinger, _ = _pinger(_behaviour)
        with pytest.raises(ValueError, match="count"):
            await pinger.ping("198.18.1.2", count=0, spacing=0.1, timeout=1.0)
        result = await pinger.ping("camera.example", count=1, spacing=0.1, timeout=1.0)
        assert result.reason == ProbeReason.dns

    asyncio.run(run())
