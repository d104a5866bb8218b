"""The uploader's batches (at most 500 results and 512 KiB) and the backoff's schedule."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest

from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.disk_queue import DiskQueue, Item
from netwarden.agent.sync.pacing import Backoff
from netwarden.agent.sync.state_dir import StateDir
from netwarden.agent.sync.status import SyncStatus
from netwarden.agent.sync.uploader import BATCH_BYTES, BATCH_RESULTS, Uploader
from tests.unit.agent.sync.conftest import AGENT, run_async, wait_for
from tests.unit.agent.sync.fake_collector import FakeCollector
from tests.unit.agent.sync.server import ServerThread


async def _drain(state_dir: Path, url: str, items: list[Item]) -> list[str]:
    state = StateDir(state_dir)
    queue = AsyncDiskQueue(DiskQueue(state.queue_path))
    ids = await queue.put_many(items)
    client = CollectorClient(url, credential=state.credential(), ca_pem=state.ca_pem())
    stop = asyncio.Event()
    task = asyncio.create_task(Uploader(client, queue, SyncStatus(AGENT)).run(stop))
    await wait_for(lambda: queue.stats().depth == 0, seconds=30, what="the queue drained")
    stop.set()
    await task
    await client.aclose()
    await queue.close()
    return ids


@run_async
async def test_batches_hold_at_most_500_results(
    state_dir: Path, fake: FakeCollector, server: ServerThread
) -> None:
    now = time.time()
    items = [Item("event", {"n": n}, now) for n in range(1200)]
    ids = await _drain(state_dir, server.url, items)
    assert [n for n, _ in fake.batch_sizes] == [BATCH_RESULTS, BATCH_RESULTS, 200]
    assert fake.order == ids


@run_async
async def test_batches_hold_at_most_512_kib(
    state_dir: Path, fake: FakeCollector, server: ServerThread
) -> None:
    now = time.time()
    items = [Item("poll-summary", {"n": n, "pad": "x" * 20_000}, now) for n in range(60)]
    ids = await _drain(state_dir, server.url, items)
    assert all(size <= BATCH_BYTES for _, size in fake.batch_sizes)
    assert len(fake.batch_sizes) >= 3 and sum(n for n, _ in fake.batch_sizes) == 60
    assert fake.order == ids


def test_backoff_doubles_with_jitter_up_to_the_cap_and_resets() -> None:
    backoff = Backoff(1.0, 60.0, random.Random(7))
    delays = [backoff.next() for _ in range(10)]
    for attempt, delay in enumerate(delays):
        ceiling = min(60.0, 2.0**attempt)
        assert max(1.0, ceiling / 2) <= delay <= ceiling
    assert delays[-1] >= 30.0  # capped at 60, drawn from its upper half
    backoff.reset()
    assert backoff.next() == 1.0
    # Jitter: 200 agents retrying after the same outage do not knock at the same instant.
    sixth = set()
    for seed in range(20):
        spread = Backoff(1.0, 60.0, random.Random(seed))
        sixth.add(round([spread.next() for _ in range(7)][-1], 3))
    assert len(sixth) == 20 and min(sixth) >= 30.0 and max(sixth) <= 60.0


@run_async
async def test_a_request_that_gets_through_ends_the_backoff_after_an_outage(
    state_dir: Path, server: ServerThread, caplog: pytest.LogCaptureFixture
) -> None:
    """After a WAN outage the queue drains as soon as a heartbeat gets through again, not when
    a backoff of up to a minute runs out (the lab's WAN-fault test waited that minute)."""
    state = StateDir(state_dir)
    queue = AsyncDiskQueue(DiskQueue(state.queue_path))
    await queue.put_many([Item("event", {"n": n}, time.time()) for n in range(3)])
    await asyncio.to_thread(server.stop)  # the WAN link is gone
    status = SyncStatus(AGENT)
    client = CollectorClient(server.url, credential=state.credential(), ca_pem=state.ca_pem())
    backoff = Backoff(60.0, 60.0)  # the cap: far longer than this test may take
    stop = asyncio.Event()
    task = asyncio.create_task(Uploader(client, queue, status, backoff=backoff).run(stop))
    try:
        # The failure is logged when it is noted, in the same step as the backoff starts.
        await wait_for(lambda: "collector unavailable" in caplog.text, 30, "a failed upload")
        assert queue.stats().depth == 3
        await asyncio.to_thread(server.start)  # the link is back
        # Another loop's request (the assignment's, a heartbeat's) gets an answer.
        status.answered(await client.get(f"/api/v1/agents/{AGENT}/assignment"))
        assert status.collector_up
        started = time.monotonic()
        await wait_for(lambda: queue.stats().depth == 0, 20, "the queue drained")
        assert time.monotonic() - started < 30  # well inside the 60 s backoff
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)  # stop ends a backoff too
        await client.aclose()
        await queue.close()
