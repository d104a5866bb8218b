"""`:PORT` listens on IPv6 and IPv4 alike (one dual-stack socket): senders on ::1 and on
127.0.0.1 reach the trap and syslog (UDP and TCP) listeners, and an IPv4 sender seen as
``::ffff:127.0.0.1`` still matches its inventory device."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from netwarden.agent.events.sockets import ANY, any_address_socket, sender_address
from tests.unit.agent.events.conftest import run_tool, running_agent
from tests.unit.agent.sync.conftest import run_async, wait_for

COLD_START = "1.3.6.1.6.3.1.1.5.1"


def test_the_any_address_socket_is_dual_stack_and_mapped_senders_are_ipv4() -> None:
    with any_address_socket(socket.SOCK_DGRAM, 0) as sock:
        assert sock.family == socket.AF_INET6
        assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
    assert sender_address("::ffff:198.18.1.2") == "198.18.1.2"
    assert sender_address("::1") == "::1"
    assert sender_address("198.18.1.2") == "198.18.1.2"


async def _logger(port: int, server: str, transport: str, text: str) -> None:
    code, out = await run_tool(
        "logger", "--server", server, "--port", str(port), transport, "-t", "nwtest", text
    )
    assert code == 0, out


@run_async
async def test_every_address_means_ipv6_and_ipv4(tmp_path: Path) -> None:
    # sw-1 is known by its IPv6 address, sw-3 by its IPv4 one.
    async with running_agent(tmp_path, host=ANY, addresses=("::1", "127.0.0.1")) as agent:
        trap = agent.port("trap")
        for target in (f"udp6:[::1]:{trap}", f"127.0.0.1:{trap}"):
            code, out = await run_tool("snmptrap", "-v2c", "-c", "public", target, "", COLD_START)
            assert code == 0, out
        syslog = agent.port("syslog-udp")
        assert agent.port("syslog-tcp") == syslog
        for server in ("::1", "127.0.0.1"):
            await _logger(syslog, server, "--udp", f"udp from {server}")
            await _logger(syslog, server, "--tcp", f"tcp from {server}")
        await wait_for(lambda: len(agent.sink.events) == 6, what="six events")
        seen = {(e["source"], e["address"], e["device"]) for e in agent.sink.payloads()}
        assert seen == {
            ("trap", "::1", "sw-1"),
            ("trap", "127.0.0.1", "sw-3"),
            ("syslog", "::1", "sw-1"),
            ("syslog", "127.0.0.1", "sw-3"),
        }


@run_async
async def test_an_explicit_ipv6_address_is_bound_as_given(tmp_path: Path) -> None:
    async with running_agent(tmp_path, host="::1", addresses=("::1", "127.0.0.2")) as agent:
        assert agent.service.bound["trap"][0] == "::1"
        code, out = await run_tool(
            "snmptrap", "-v2c", "-c", "public", f"udp6:[::1]:{agent.port('trap')}", "",
            COLD_START,
        )  # fmt: skip
        assert code == 0, out
        await _logger(agent.port("syslog-tcp"), "::1", "--tcp", "over tcp6")
        await wait_for(lambda: len(agent.sink.events) == 2, what="two events")
        assert {e["device"] for e in agent.sink.payloads()} == {"sw-1"}
        # The IPv6 socket alone: an IPv4 client at that port is refused.
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", agent.port("syslog-tcp"))


def test_listen_options_port_alone_is_every_address_of_both_families() -> None:
    from netwarden.agent.agent_run import _listen_option
    from netwarden.hostport import HostPort

    assert _listen_option("--trap-listen", ":162") == HostPort(ANY, 162)
    assert _listen_option("--trap-listen", "[::1]:162") == HostPort("::1", 162)
    assert _listen_option("--trap-listen", "198.18.1.2:162") == HostPort("198.18.1.2", 162)
    assert _listen_option("--syslog-listen", "off") is None
