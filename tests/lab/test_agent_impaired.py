"""Polling across a lossy WAN link: retries recover the answers; without them the loss shows as
timeouts that are counted, and the device's other tables still export."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from netwarden.agent.polling.poller import DevicePoller
from netwarden.agent.polling.snapshot import DeviceInfo, DeviceSnapshot
from netwarden.agent.snmp.client import UdpSnmpSession
from netwarden.agent.snmp.types import Target, V3Credentials
from netwarden.lab import wan
from tests.lab.conftest import Lab

INFO = DeviceInfo("sw-so-tc-core", "so-tc", "switch")


def _polls(target: Target, count: int) -> list[DeviceSnapshot]:
    async def run() -> list[DeviceSnapshot]:
        session = UdpSnmpSession(target)
        poller = DevicePoller(INFO, session)
        try:
            return [await poller.poll(timeout=20) for _ in range(count)]
        finally:
            await session.close()

    return asyncio.run(run())


def test_loss_is_recovered_by_retries_and_counted_without_them(lab: Lab) -> None:
    creds = V3Credentials("labv3", "sha", lab.secret("snmp-auth").encode(), "aes",
                          lab.secret("snmp-priv").encode())  # fmt: skip
    # 8 retries: a request is lost only if 9 tries in a row are (0.2**9, about 5e-7), so no
    # poll of a few dozen requests fails by chance. The timeout leaves the user-space bridge
    # room on a loaded machine (its 20 ms become more when it waits for a core).
    target = Target("198.18.2.2", timeout=0.6, retries=8, credentials=creds)
    wan.impair(lab.root, "tsl-so-tc", delay_ms=20, loss_pct=20, jitter_ms=0)
    try:
        # Swapping in the impairment bridge can leave ARP to re-resolve under the same loss,
        # which now and then outlasts the retries: one poll first, then the steady-state claim.
        _polls(target, 1)
        patient = _polls(target, 8)
        hasty = _polls(replace(target, timeout=0.3, retries=0), 8)
    finally:
        wan.impair(lab.root, "tsl-so-tc", delay_ms=0, loss_pct=0, jitter_ms=0)
    # With retries every poll answers.
    assert all(s.up and s.interfaces for s in patient)
    # Without retries ~1 in 5 requests is lost: timeouts appear, as counted data, not crashes.
    reasons = [r for s in hasty for r in s.errors]
    assert reasons
    assert set(reasons) == {"timeout"}
    assert any(s.up for s in hasty)
