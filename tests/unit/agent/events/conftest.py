"""An agent with the events service on loopback ports, and a sink that keeps what it gets."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from netwarden.agent.events.listeners import TcpLimits
from netwarden.agent.events.service import EventsOptions, EventsService
from netwarden.agent.lifecycle import AgentLifecycle
from netwarden.agent.metrics import iter_render
from netwarden.agent.parts import AgentContext
from netwarden.agent.standalone import InventoryFiles
from netwarden.agent.sync.disk_queue import Item, QueueStats
from netwarden.hostport import HostPort
from tests.unit.agent.sync.conftest import AGENT, COMMUNITY_ENV, FakeDevices, assignment, wait_for

V3_AUTH_ENV, V3_PRIV_ENV = "NW_EVENTS_TEST_AUTH", "NW_EVENTS_TEST_PRIV"
V3_AUTH, V3_PRIV, V3_USER = "trap-auth-pass", "trap-priv-pass", "trapper"


class KeepingSink:
    """Results and events kept in memory, in order."""

    def __init__(self) -> None:
        self.results: list[Item] = []
        self.events: list[Item] = []

    async def put_many(self, items: Sequence[Item]) -> None:
        self.results.extend(items)

    async def put_events(self, items: Sequence[Item]) -> None:
        self.events.extend(items)

    def events_stats(self) -> QueueStats | None:
        return QueueStats(0, 0, 0.0, {})

    async def start(self, agent: AgentContext) -> None:
        pass

    async def close(self) -> None:
        pass

    def payloads(self, **match: Any) -> list[dict[str, Any]]:
        return [
            e.payload for e in self.events if all(e.payload.get(k) == v for k, v in match.items())
        ]


def inventory(path: Path, addresses: tuple[str, str] = ("127.0.0.1", "127.0.0.2")) -> Path:
    """sw-1 at 127.0.0.1 (v2c), sw-3 at 127.0.0.2 (v3 authPriv): loopback senders."""
    doc = assignment(("sw-1", "sw-3"))
    doc["devices"][0]["address"] = addresses[0]
    doc["devices"][1]["address"] = addresses[1]
    doc["devices"][1]["snmp"]["credential"] = "snmp-v3"
    doc["credentials"]["snmp-v3"] = {
        "snmp": {
            "version": "3",
            "user": V3_USER,
            "auth": {"protocol": "sha", "secret": f"env:{V3_AUTH_ENV}"},
            "priv": {"protocol": "aes", "secret": f"env:{V3_PRIV_ENV}"},
        }
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COMMUNITY_ENV, "public")
    monkeypatch.setenv(V3_AUTH_ENV, V3_AUTH)
    monkeypatch.setenv(V3_PRIV_ENV, V3_PRIV)


class Running:
    def __init__(self, agent: AgentLifecycle, service: EventsService, sink: KeepingSink) -> None:
        self.agent, self.service, self.sink = agent, service, sink

    def port(self, listener: str) -> int:
        return int(self.service.bound[listener][1])

    def metrics(self) -> str:
        return b"".join(iter_render(self.agent.context.registry)).decode()

    def dropped(self, listener: str, reason: str) -> int:
        return self.service.counters.dropped[(listener, reason)]


@asynccontextmanager
async def running_agent(
    tmp_path: Path,
    limits: TcpLimits | None = None,
    *,
    host: str = "127.0.0.1",
    addresses: tuple[str, str] = ("127.0.0.1", "127.0.0.2"),
    sink: KeepingSink | None = None,
) -> AsyncIterator[Running]:
    loopback = HostPort(host, 0)
    service = EventsService(
        EventsOptions(
            loopback, loopback, limits or TcpLimits(), engine_file=tmp_path / "snmp-engine.json"
        )
    )
    sink = sink or KeepingSink()
    path = inventory(tmp_path / "inventory.json", addresses)
    agent = AgentLifecycle(
        InventoryFiles([path], AGENT), sink, FakeDevices().settings(), services=[service]
    )
    await agent.start("127.0.0.1", 0)
    try:
        # The label cache (ifIndex -> ifName) is filled by the first poll.
        await wait_for(
            lambda: all(d.latest for d in agent.runtime.devices.values()), what="the first polls"
        )
        yield Running(agent, service, sink)
    finally:
        await agent.close()


async def run_tool(*argv: str, limit: float = 20.0) -> tuple[int, str]:
    """Run a command-line tool (net-snmp, logger); its exit code and output.

    A net-snmp tool keeps its persistent state (its own engine ID and boots, snmpapp.conf) in
    a folder of this call's own. In the machine's /var/lib/snmp, every test process running
    one at once (xdist workers, the lab tier beside) rewrote the same file while others read
    it: snmpinform then said 'buffer too small to read octet string (17 < 17)' and timed out,
    in about one run in two of these tests on a loaded machine."""
    with tempfile.TemporaryDirectory(prefix="nw-snmp-") as persist:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "SNMP_PERSISTENT_DIR": persist},
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), limit)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
    return proc.returncode or 0, out.decode(errors="replace")
