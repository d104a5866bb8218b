"""Draining: live samples go first while an outage's backlog drains at its bounded rate."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from netwarden.agent.push.fake import FakeReceiver
from netwarden.agent.push.lanes import Lanes, LaneSettings
from netwarden.agent.push.samples import BlockMaker, Taken
from netwarden.agent.push.spool import Spool
from netwarden.agent.push.spool_async import AsyncSpool
from netwarden.agent.push.status import PushStatus
from tests.unit.agent.metrics.synthetic import full_registry
from tests.unit.agent.sync.conftest import run_async, wait_for


def taken(at: float) -> Taken:
    return Taken(at, list(full_registry().collect()))


@run_async
async def test_live_first_backlog_at_its_rate_and_everything_once(tmp_path: Path) -> None:
    now = time.time()
    spool = AsyncSpool(Spool(tmp_path), BlockMaker("agent-a", "so-khcn"))
    per_block = await spool.append([taken(now - 600)])
    await spool.append([taken(now - 600 + i) for i in range(1, 40)])  # an outage's backlog
    receiver = FakeReceiver()
    rate = 20 * per_block  # samples/s: the 40 blocks take about 2 s
    lanes = Lanes(spool, receiver.post, PushStatus(),
                  LaneSettings(batch=4 * per_block, backlog_rate=rate))  # fmt: skip
    stop = asyncio.Event()
    started = time.monotonic()
    task = asyncio.create_task(lanes.run(stop))
    try:
        await asyncio.sleep(0.2)
        await spool.append([taken(time.time())])  # a live poll during the drain
        lanes.appended.set()
        live_ms = {int(1000 * (now - 600 + i)) for i in range(40)}

        def live_arrived() -> bool:
            return any(g.timestamp_ms not in live_ms for g in receiver.samples)

        await wait_for(live_arrived, 5, "the live block")
        backlog_then = sum(1 for g in receiver.samples if g.timestamp_ms in live_ms)
        await wait_for(lambda: spool.stats().blocks == 0, 10, "the backlog drained")
        drained = time.monotonic() - started
    finally:
        stop.set()
        await task
        await spool.close()
    # Live did not wait for the backlog (what had arrived, not how soon: a loaded machine is
    # slow, and the backlog's rate keeps it from arriving at once either way).
    assert backlog_then < 40 * per_block
    # 40 blocks at 20 blocks/s, the first batch from the bucket: about 1.8 s, not at once.
    assert 1.2 < drained < 6.0
    stamps = [g.timestamp_ms for g in receiver.samples]
    assert len(stamps) == 41 * per_block  # everything once
    backlog = [s for s in stamps if s in live_ms]
    assert backlog == sorted(backlog)  # oldest first


@run_async
async def test_a_live_lane_left_behind_by_an_outage_becomes_backlog(tmp_path: Path) -> None:
    now = time.time()
    spool = AsyncSpool(Spool(tmp_path), BlockMaker("agent-a", "so-khcn"))
    receiver = FakeReceiver(down=True)
    lanes = Lanes(spool, receiver.post, PushStatus(),
                  LaneSettings(live_horizon=30, backoff_base=0.01, backoff_cap=0.02))  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(lanes.run(stop))
    try:
        await asyncio.sleep(0.05)
        await spool.append([taken(now - 120 + i) for i in range(0, 120, 10)])  # 2 min down
        await asyncio.sleep(0.1)
        receiver.down = False
        await wait_for(lambda: spool.stats().blocks == 0, 10, "everything delivered")
    finally:
        stop.set()
        await task
        await spool.close()
    # The blocks of the last 30 s were the live lane; the older ones became backlog.
    assert lanes.live_from > 1
    assert len({g.timestamp_ms for g in receiver.samples}) == 12


@run_async
async def test_retry_after_is_honoured(tmp_path: Path) -> None:
    from netwarden.agent.push.sender import Answer

    spool = AsyncSpool(Spool(tmp_path), BlockMaker("agent-a", "so-khcn"))
    await spool.append([taken(time.time())])
    receiver = FakeReceiver(script=[Answer(429, "slow down", 0.8)])
    lanes = Lanes(spool, receiver.post, PushStatus(),
                  LaneSettings(backoff_base=0.01, backoff_cap=0.02))  # fmt: skip
    stop = asyncio.Event()
    started = time.monotonic()
    task = asyncio.create_task(lanes.run(stop))
    try:
        await wait_for(lambda: spool.stats().blocks == 0, 10, "delivered after the wait")
    finally:
        stop.set()
        await task
        await spool.close()
    assert time.monotonic() - started >= 0.8
    assert receiver.statuses == [429, 204]
