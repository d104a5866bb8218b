"""The ICMP prober against the lab: loss and delay set on a WAN link show up in its figures,
silence is loss, and both socket kinds work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwarden.agent.probes.icmp import LOSS, RTT, SENT, IcmpPinger, SocketKind
from netwarden.agent.probes.result import ProbeReason, ProbeResult
from netwarden.lab import wan
from netwarden.lab.state import DEFAULT_DIR
from tests.lab.conftest import Lab
from tests.waiting import wait_for

LINK = "tsl-so-tc"  # the WAN link in front of agency 2 (198.18.2.0/24)
FAR_SWITCH = "198.18.2.2"
SILENT = "198.18.99.99"  # routed in the lab, answered by nobody
PING_GROUP_RANGE = Path("/proc/sys/net/ipv4/ping_group_range")

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def impaired(lab: Lab) -> Iterator[None]:
    """Undo whatever impairment a test set on LINK."""
    try:
        yield
    finally:
        wan.impair(DEFAULT_DIR, LINK, delay_ms=0, loss_pct=0, jitter_ms=0)


@contextlib.contextmanager
def _datagram_icmp_allowed() -> Iterator[None]:
    saved = PING_GROUP_RANGE.read_text()
    try:
        PING_GROUP_RANGE.write_text("0 0\n")
        yield
    finally:
        PING_GROUP_RANGE.write_text(saved)


def _ping(host: str, kind: SocketKind = "auto", **kw: float) -> tuple[ProbeResult, str | None]:
    async def run() -> tuple[ProbeResult, str | None]:
        pinger = IcmpPinger(kind=kind)
        try:
            result = await pinger.ping(host, **kw)  # type: ignore[arg-type]
            return result, pinger.socket_kind
        finally:
            await pinger.close()

    return asyncio.run(run())


def _settled() -> None:
    """The impairing bridge drops a few packets while it replaces the plain one, and ARP
    re-resolves across it: wait for a first reply before measuring."""

    def replied() -> bool:
        return _ping(FAR_SWITCH, count=1, spacing=0.05, timeout=1.0)[0].success

    wait_for("a first reply across the impairing bridge", replied, 20)


@pytest.mark.usefixtures("impaired")
def test_loss_on_the_wan_link_is_measured() -> None:
    wan.impair(DEFAULT_DIR, LINK, delay_ms=0, loss_pct=20, jitter_ms=0)
    _settled()
    # 1,000 pings (5 s): the bounds are 4.7 standard deviations of the loss measured over
    # them (0.0126); over 500 they were 3.35 (a failure in 1,250 runs; docs/testing.md asks
    # for 3.5 or more). The bridge draws its drops unseeded.
    result, _ = _ping(FAR_SWITCH, count=1000, spacing=0.005, timeout=1.0)
    print(f"20 % loss on {LINK}: measured {result.values[LOSS]:.3f} of 1000")
    assert result.success
    assert 0.14 <= result.values[LOSS] <= 0.26
    assert result.values[SENT] == 1000


@pytest.mark.usefixtures("impaired")
def test_delay_on_the_wan_link_is_measured() -> None:
    wan.impair(DEFAULT_DIR, LINK, delay_ms=60, loss_pct=0, jitter_ms=0)
    _settled()
    result, _ = _ping(FAR_SWITCH, count=20, spacing=0.02, timeout=1.0)
    rtt = result.labelled[RTT]
    print(f"60 ms on {LINK}: RTT {rtt}")
    assert result.success and result.values[LOSS] == 0.0
    # The bridge is a user-space process: on a loaded machine it adds its wait for a core.
    assert 0.055 <= rtt["avg"] <= 0.100
    assert rtt["min"] <= rtt["p50"] <= rtt["p95"] <= rtt["max"]


def test_silent_address_is_loss(lab: Lab) -> None:
    result, _ = _ping(SILENT, count=5, spacing=0.05, timeout=0.5)
    assert not result.success
    assert result.reason in {ProbeReason.loss, ProbeReason.timeout, ProbeReason.unreachable}
    assert result.values[LOSS] == 1.0 and RTT not in result.labelled


@pytest.mark.parametrize("host", ["198.18.100.1", "198.18.1.2", "198.18.1.50", "198.18.2.70"])
def test_raw_socket(lab: Lab, host: str) -> None:
    result, kind = _ping(host, "raw", count=5, spacing=0.01, timeout=1.0)
    assert kind == "raw"
    assert result.success and result.values[LOSS] == 0.0, result


def test_datagram_socket(lab: Lab) -> None:
    """The root namespace does not allow datagram ICMP: allow it only while the socket opens
    (the kernel checks the group at socket creation), then restore the setting."""

    async def run() -> tuple[ProbeResult, str | None]:
        pinger = IcmpPinger(kind="datagram")
        with _datagram_icmp_allowed():
            pinger.open()
        try:
            result = await pinger.ping("198.18.1.60", count=5, spacing=0.01, timeout=1.0)
            return result, pinger.socket_kind
        finally:
            await pinger.close()

    result, kind = asyncio.run(run())
    assert kind == "datagram"
    assert result.success and result.values[LOSS] == 0.0, result
