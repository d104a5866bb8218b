"""TCP-connect probe against real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Iterator

import pytest

from netwarden.agent.probes.common import connect_reason
from netwarden.agent.probes.result import ProbeReason
from netwarden.agent.probes.tcp import CONNECT_SECONDS, TcpTarget
from netwarden.agent.probes.tcp import probe as tcp_probe
from tests.ports import refused_port


@contextlib.contextmanager
def _listener(backlog: int = 16) -> Iterator[socket.socket]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(backlog)
        yield sock


def test_open_port_is_success_with_connect_time() -> None:
    with _listener() as server:
        port = server.getsockname()[1]
        result = asyncio.run(tcp_probe(TcpTarget("127.0.0.1", port), deadline=2.0))
    assert result.success, result.message
    assert result.reason is ProbeReason.ok
    assert 0 < result.values[CONNECT_SECONDS] <= result.duration < 2.0


def test_host_name_is_resolved() -> None:
    with _listener() as server:
        port = server.getsockname()[1]
        result = asyncio.run(tcp_probe(TcpTarget("localhost", port), deadline=2.0))
    # localhost may resolve to ::1 first, where nothing listens: either way it resolved.
    assert result.reason in (ProbeReason.ok, ProbeReason.refused)


def test_closed_port_is_refused() -> None:
    with refused_port() as port:
        result = asyncio.run(tcp_probe(TcpTarget("127.0.0.1", port), deadline=2.0))
    assert not result.success
    assert result.reason is ProbeReason.refused
    assert CONNECT_SECONDS not in result.values


def test_unknown_name_is_dns() -> None:
    result = asyncio.run(tcp_probe(TcpTarget("no-such-host.invalid", 80), deadline=5.0))
    assert result.reason is ProbeReason.dns


def test_full_backlog_times_out_at_the_deadline() -> None:
    # Linux drops SYNs while the accept queue is full, so the probe's connect never completes.
    with _listener(backlog=0) as server, contextlib.ExitStack() as stack:
        address = server.getsockname()
        for _ in range(4):
            filler = stack.enter_context(socket.socket())
            filler.setblocking(False)
            filler.connect_ex(address)
        result = asyncio.run(tcp_probe(TcpTarget(*address), deadline=0.5))
    assert result.reason is ProbeReason.timeout
    # The deadline, not the kernel's SYN retries (minutes); wide: a loaded machine fires the
    # deadline's timer late.
    assert 0.5 <= result.duration < 5.5


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), ProbeReason.refused),
        (TimeoutError(errno.ETIMEDOUT, "timed out"), ProbeReason.timeout),
        (OSError(errno.EHOSTUNREACH, "no route"), ProbeReason.unreachable),
        (OSError(errno.ENETUNREACH, "net unreachable"), ProbeReason.unreachable),
        (OSError(errno.EACCES, "denied"), ProbeReason.other),
    ],
)
def test_connect_errors_map_to_bounded_reasons(error: OSError, reason: ProbeReason) -> None:
    assert connect_reason(error) is reason


@pytest.mark.parametrize(
    ("host", "label"),
    [("::1", "[::1]:161"), ("2001:2:0:10::5", "[2001:2:0:10::5]:161"),
     ("198.18.1.2", "198.18.1.2:161"), ("cam.example.vn", "cam.example.vn:161")],
)  # fmt: skip
def test_the_target_label_writes_ipv6_in_brackets(host: str, label: str) -> None:
    assert TcpTarget(host, 161).label == label


def test_ipv6_loopback_connects() -> None:
    with socket.socket(socket.AF_INET6) as server:
        server.bind(("::1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        result = asyncio.run(tcp_probe(TcpTarget("::1", port), deadline=2.0))
    assert result.success, result.message
    refused = asyncio.run(tcp_probe(TcpTarget("::1", port), deadline=2.0))
    assert refused.reason is ProbeReason.refused
    assert f"connect to [::1]:{port}" in refused.message
