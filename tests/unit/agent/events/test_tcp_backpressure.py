"""A TCP syslog flood while the events queue cannot keep up: the listener stops reading (the
sender waits in its socket) instead of overflowing the in-memory buffer; nothing is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from netwarden.agent.events import service as service_module
from netwarden.agent.sync.disk_queue import Item
from tests.unit.agent.events.conftest import KeepingSink, running_agent
from tests.unit.agent.sync.conftest import run_async, wait_for

LINES = 20_000
LINE = b"<13>Dec  7 04:00:00 sw-1 app: " + b"x" * 60 + b"\n"


class GatedSink(KeepingSink):
    """A queue whose writes wait for ``gate``: a disk slower than the flood."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def put_events(self, items: Sequence[Item]) -> None:
        await self.gate.wait()
        await super().put_events(items)


@run_async
async def test_a_tcp_flood_is_slowed_down_not_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the pause, 20,000 lines against a 3,000-event buffer would drop most of them.
    monkeypatch.setattr(service_module, "BUFFER_MAX", 3000)
    monkeypatch.setattr(service_module, "PAUSE_TCP_AT", 100)
    monkeypatch.setattr(service_module, "RESUME_TCP_AT", 50)
    sink = GatedSink()
    async with running_agent(tmp_path, sink=sink) as agent:
        _, writer = await asyncio.open_connection("127.0.0.1", agent.port("syslog-tcp"))
        try:
            writer.write(LINE * LINES)
            await wait_for(lambda: not agent.service._room.is_set(), what="the listener paused")
            await wait_for(lambda: len(agent.service.buffer) >= 100, what="a buffer to pause at")
            assert agent.service.counters.dropped[("queue", "buffer-full")] == 0
        finally:
            sink.gate.set()  # the disk catches up: reading resumes (and the agent can stop)
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        await wait_for(lambda: len(sink.events) == LINES, 60, what="every line queued")
        assert agent.service.counters.dropped[("queue", "buffer-full")] == 0
