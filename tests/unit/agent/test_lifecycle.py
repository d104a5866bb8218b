"""The one agent runtime with the standalone source and sink: start-up, SIGHUP reload, SIGTERM
stop, and extra services started after the first load and closed in reverse order."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path

import pytest

from netwarden.agent import runtime as runtime_module
from netwarden.agent.lifecycle import AgentLifecycle
from netwarden.agent.parts import AgentContext
from netwarden.agent.standalone import InventoryFiles, NoSink
from netwarden.errors import InventoryError
from tests.unit.agent.sync.conftest import (
    AGENT,
    COMMUNITY_ENV,
    FakeDevices,
    assignment,
    run_async,
    wait_for,
)


class Recorder:
    """An extra service that notes what it saw."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log
        self.context: AgentContext | None = None

    async def start(self, agent: AgentContext) -> None:
        self.context = agent
        self.log.append(f"start {self.name}: {sorted(agent.runtime.devices)}")

    async def close(self) -> None:
        self.log.append(f"close {self.name}")


@pytest.fixture(autouse=True)
def _community(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COMMUNITY_ENV, "public")


def _write(path: Path, devices: tuple[str, ...]) -> Path:
    path.write_text(json.dumps(assignment(devices)), encoding="utf-8")
    return path


@run_async
async def test_sighup_reloads_and_sigterm_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The inventory watch checks every minute here: a stop that waited for its next check
    # would take about that long, far beyond the bound below whatever the load (with the
    # real 2 s, a 1 s bound told the two apart by luck and failed a slow stop).
    monkeypatch.setattr(runtime_module, "WATCH_EVERY", 60.0)
    path = _write(tmp_path / "inventory.json", ("sw-1",))
    agent = AgentLifecycle(InventoryFiles([path], AGENT), NoSink(), FakeDevices().settings())
    lines: list[str] = []
    running = asyncio.create_task(agent.run("127.0.0.1", 0, lines.append))
    await wait_for(lambda: lines or running.done(), what="the start-up line")
    assert lines[0].startswith(f"agent {AGENT}: 1 devices polled, 0 probes, metrics on http://")
    # A new inventory with the old modification time: only SIGHUP can make it count.
    stamp = path.stat().st_mtime_ns
    _write(path, ("sw-1", "sw-2"))
    os.utime(path, ns=(stamp, stamp))
    await asyncio.sleep(0.1)
    assert set(agent.runtime.devices) == {"sw-1"}
    os.kill(os.getpid(), signal.SIGHUP)
    await wait_for(lambda: set(agent.runtime.devices) == {"sw-1", "sw-2"}, what="the reload")
    host, port = lines[0].rsplit("http://", 1)[1].split("/")[0].rsplit(":", 1)
    assert (await _get(host, int(port))).startswith(b"HTTP/1.1 200")
    await asyncio.sleep(0.1)  # the inventory watch is waiting for its next check (a minute)
    os.kill(os.getpid(), signal.SIGTERM)
    stopping = asyncio.get_running_loop().time()
    await asyncio.wait_for(running, 30)  # run() returns: stopped cleanly, no exception
    # Nothing waits for its next tick: SIGTERM is an exit well before the watch's next check.
    assert asyncio.get_running_loop().time() - stopping < 20
    with pytest.raises(ConnectionRefusedError):
        await _get(host, int(port))


async def _get(host: str, port: int) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        return await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


@run_async
async def test_services_start_after_the_first_load_and_close_in_reverse(tmp_path: Path) -> None:
    path = _write(tmp_path / "inventory.json", ("sw-1", "sw-2"))
    log: list[str] = []
    first, second = Recorder("first", log), Recorder("second", log)
    sink = NoSink()
    agent = AgentLifecycle(InventoryFiles([path], AGENT), sink, FakeDevices().settings(),
                           services=[first, second])  # fmt: skip
    await agent.start("127.0.0.1", 0)
    assert agent.loaded
    await agent.close()
    assert log == ["start first: ['sw-1', 'sw-2']", "start second: ['sw-1', 'sw-2']",
                   "close second", "close first"]  # fmt: skip
    assert first.context is not None
    assert first.context.sink is sink and first.context.runtime is agent.runtime
    assert first.context.stop.is_set()


@run_async
async def test_a_bad_inventory_file_stops_the_start_and_nothing_is_left(tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    path.write_text('{"province": "thai-nguyen", "sites": 3}', encoding="utf-8")
    log: list[str] = []
    agent = AgentLifecycle(InventoryFiles([path], AGENT), NoSink(), FakeDevices().settings(),
                           services=[Recorder("never", log)])  # fmt: skip
    with pytest.raises(InventoryError):
        await agent.start("127.0.0.1", 0)
    await agent.close()
    assert log == []
    assert not agent.loaded
