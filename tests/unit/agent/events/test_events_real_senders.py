"""The events service against real senders on loopback: net-snmp's snmptrap and snmpinform
(v2c, v3 authPriv, a wrong v3 key) and util-linux logger (UDP, TCP octet-counted and newline).
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from tests.unit.agent.events.conftest import V3_AUTH, V3_PRIV, V3_USER, run_tool, running_agent
from tests.unit.agent.sync.conftest import run_async, wait_for

LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
IF_INDEX_2 = ("1.3.6.1.2.1.2.2.1.1.2", "i", "2", "1.3.6.1.2.1.2.2.1.8.2", "i", "2")
ENGINE = "0x80001f8804736e6d702d74657374"  # the sender's own engine id (authoritative for traps)


@run_async
async def test_v2c_trap_and_inform_become_events_with_the_interface_name(tmp_path: Path) -> None:
    async with running_agent(tmp_path) as agent:
        target = f"127.0.0.1:{agent.port('trap')}"
        code, out = await run_tool(
            "snmptrap", "-v2c", "-c", "public", target, "", LINK_DOWN, *IF_INDEX_2
        )
        assert code == 0, out
        await wait_for(lambda: agent.sink.payloads(kind="linkDown"), what="the linkDown event")
        event = agent.sink.payloads(kind="linkDown")[0]
        assert (event["device"], event["site"], event["ifIndex"], event["ifName"]) == (
            "sw-1",
            "so-khcn",
            2,
            "Gi0/2",
        )
        # snmpinform exits 0 only once it has our Response (waited for up to 5 s: at 2 s, a
        # loaded machine's late answer failed the sender).
        code, out = await run_tool(
            "snmpinform",
            "-v2c",
            "-c",
            "public",
            "-t",
            "5",
            "-r",
            "0",
            target,
            "",
            "1.3.6.1.6.3.1.1.5.4",
            *IF_INDEX_2,
        )
        assert code == 0, out
        await wait_for(lambda: agent.sink.payloads(kind="linkUp"), what="the linkUp event")
        assert agent.sink.payloads(kind="linkUp")[0]["pdu"] == "inform"
        text = agent.metrics()
        assert (
            'netwarden_traps_received_total{device="sw-1",site="so-khcn",role="switch",'
            'trap="linkDown"} 1'
        ) in text
        assert (
            'netwarden_if_last_event_timestamp_seconds{device="sw-1",site="so-khcn",'
            'role="switch",ifIndex="2",ifName="Gi0/2",event="linkDown"}'
        ) in text


def _v3(target: str, auth: str, trap: str = "1.3.6.1.6.3.1.1.5.1") -> tuple[str, ...]:
    return (
        "snmptrap",
        "-v3",
        "-u",
        V3_USER,
        "-l",
        "authPriv",
        "-a",
        "SHA",
        "-A",
        auth,
        "-x",
        "AES",
        "-X",
        V3_PRIV,
        "-e",
        ENGINE,
        "--clientaddr=127.0.0.2",
        target,
        "",
        trap,
    )


@run_async
async def test_v3_traps_are_authenticated_and_a_wrong_key_is_an_auth_error(tmp_path: Path) -> None:
    async with running_agent(tmp_path) as agent:
        target = f"127.0.0.1:{agent.port('trap')}"
        code, out = await run_tool(*_v3(target, V3_AUTH))
        assert code == 0, out
        await wait_for(lambda: agent.sink.payloads(kind="coldStart"), what="the v3 coldStart")
        event = agent.sink.payloads(kind="coldStart")[0]
        assert (event["device"], event["version"]) == ("sw-3", "v3")
        code, out = await run_tool(*_v3(target, "not-the-right-key", "1.3.6.1.6.3.1.1.5.2"))
        assert code == 0, out
        await wait_for(lambda: agent.dropped("trap", "auth") == 1, what="the auth error")
        assert not agent.sink.payloads(kind="warmStart")
        assert 'netwarden_events_dropped_total{listener="trap",reason="auth"} 1' in agent.metrics()


@run_async
async def test_logger_udp_and_tcp_arrive_with_the_device(tmp_path: Path) -> None:
    async with running_agent(tmp_path) as agent:
        port = str(agent.port("syslog-udp"))
        sends = [
            ("--udp", "--rfc3164", "udp hello"),
            ("--tcp", "--octet-count", "%SYS-5-CONFIG_I: Configured from console by admin"),
            ("--tcp", "--rfc5424", "tcp newline hello"),
        ]
        for transport, fmt, text in sends:
            code, out = await run_tool(
                "logger",
                "--server",
                "127.0.0.1",
                "--port",
                port,
                transport,
                fmt,
                "-p",
                "local7.warning",
                "-t",
                "nwtest",
                text,
            )
            assert code == 0, out
        await wait_for(lambda: len(agent.sink.events) == 3, what="three syslog events")
        by_text = {e["message"]: e for e in agent.sink.payloads(source="syslog")}
        assert set(by_text) == {t for _, _, t in sends}
        for event in by_text.values():
            assert (event["device"], event["severity"], event["app"]) == (
                "sw-1",
                "warning",
                "nwtest",
            )
        assert by_text[sends[1][2]]["kind"] == "configChange"
        assert (
            'netwarden_syslog_messages_total{device="sw-1",site="so-khcn",role="switch",'
            'severity="warning"} 3'
        ) in agent.metrics()


@run_async
async def test_an_unknown_sender_is_kept_and_counted(tmp_path: Path) -> None:
    async with running_agent(tmp_path) as agent:
        target = f"127.0.0.1:{agent.port('trap')}"
        code, out = await run_tool(
            "snmptrap",
            "-v2c",
            "-c",
            "x",
            "--clientaddr=127.0.0.9",
            target,
            "",
            LINK_DOWN,
            *IF_INDEX_2,
        )
        assert code == 0, out
        await wait_for(lambda: agent.sink.events, what="the unknown sender's event")
        event = agent.sink.events[0].payload
        assert (event["device"], event["address"]) == (None, "127.0.0.9")
        assert (
            'netwarden_traps_received_total{device="unknown",site="",role="",trap="linkDown"} 1'
            in agent.metrics()
        )


@run_async
async def test_a_v3_trap_from_another_engine_than_the_pollers_is_refused(tmp_path: Path) -> None:
    async with running_agent(tmp_path) as agent:
        target = f"127.0.0.1:{agent.port('trap')}"
        session = agent.agent.runtime.devices["sw-3"].session
        session.engine_id = b"\x80\x00\x1f\x88\x04other"  # type: ignore[union-attr]
        code, out = await run_tool(*_v3(target, V3_AUTH))
        assert code == 0, out
        await wait_for(lambda: agent.dropped("trap", "engine-id") == 1, what="the refusal")
        assert not agent.sink.events
        session.engine_id = bytes.fromhex(ENGINE[2:])  # type: ignore[union-attr]
        code, out = await run_tool(*_v3(target, V3_AUTH))
        assert code == 0, out
        await wait_for(lambda: agent.sink.payloads(kind="coldStart"), what="the accepted trap")


@run_async
async def test_a_device_known_by_host_name_is_matched_once_resolved(tmp_path: Path) -> None:
    async with running_agent(tmp_path) as agent:
        polled = agent.agent.runtime.devices["sw-1"]
        assert polled.target is not None
        polled.target = dataclasses.replace(polled.target, host="localhost")
        agent.agent.runtime.reload_time += 1  # as a reload with a host name would
        target = f"127.0.0.1:{agent.port('trap')}"

        async def matched() -> bool:
            code, out = await run_tool("snmptrap", "-v2c", "-c", "public", target, "", LINK_DOWN)
            assert code == 0, out
            await asyncio.sleep(0.1)
            return any(e["device"] == "sw-1" for e in agent.sink.payloads(kind="linkDown"))

        for _ in range(50):  # the first traps may come before the name is resolved
            if await matched():
                break
        else:
            pytest.fail("a sender known by host name was never matched")
