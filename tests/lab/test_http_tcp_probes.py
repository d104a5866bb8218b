"""The HTTP(S) and TCP probes against the lab's portal and camera, over the routed lab."""

from __future__ import annotations

import asyncio

from netwarden.agent.probes.http import SSL, STATUS_CODE, TLS_DAYS_LEFT, HttpTarget
from netwarden.agent.probes.http import probe as http_probe
from netwarden.agent.probes.result import ProbeReason
from netwarden.agent.probes.tcp import CONNECT_SECONDS, TcpTarget
from netwarden.agent.probes.tcp import probe as tcp_probe
from tests.lab.conftest import Lab

PORTAL = "https://198.18.10.5/"
CAMERA = "198.18.1.50"


def test_portal_answers_with_its_self_signed_certificate(lab: Lab) -> None:
    result = asyncio.run(
        http_probe(HttpTarget(PORTAL, expect_status=200, tls_verify=False), deadline=5.0)
    )
    assert result.success, result.message
    assert result.values[STATUS_CODE] == 200
    assert result.values[SSL] == 1
    assert 89 <= result.values[TLS_DAYS_LEFT] <= 91


def test_portal_body_is_the_portal(lab: Lab) -> None:
    result = asyncio.run(
        http_probe(
            HttpTarget(PORTAL, expect_status=200, tls_verify=False, body_regex="Cổng dịch vụ"),
            deadline=5.0,
        )
    )
    assert result.success, result.message


def test_portal_fails_verification(lab: Lab) -> None:
    result = asyncio.run(
        http_probe(HttpTarget(PORTAL, expect_status=200, tls_verify=True), deadline=5.0)
    )
    assert result.reason is ProbeReason.tls


def test_camera_rtsp_port_accepts(lab: Lab) -> None:
    result = asyncio.run(tcp_probe(TcpTarget(CAMERA, 554), deadline=3.0))
    assert result.success, result.message
    assert 0 < result.values[CONNECT_SECONDS] < 3.0


def test_camera_closed_port_is_refused(lab: Lab) -> None:
    assert (
        asyncio.run(tcp_probe(TcpTarget(CAMERA, 555), deadline=3.0)).reason is ProbeReason.refused
    )


def test_address_nobody_has_fails_within_the_deadline(lab: Lab) -> None:
    result = asyncio.run(tcp_probe(TcpTarget("198.18.99.99", 554), deadline=1.0))
    assert result.reason in (ProbeReason.timeout, ProbeReason.unreachable)
    # Bounded by its deadline, not by the kernel's SYN retries (over a minute); the margin is
    # for a loaded machine, where the timer fires late by whatever a core takes to free up.
    assert result.duration < 2.0
