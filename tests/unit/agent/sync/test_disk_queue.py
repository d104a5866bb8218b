"""The disk queue: order across restarts, bounds that drop the oldest and count it, re-sends
with the same ids after a crash between the post and the ack."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.disk_queue import DiskQueue, Item
from netwarden.agent.sync.state_dir import StateDir
from netwarden.agent.sync.status import SyncStatus
from netwarden.agent.sync.uploader import Uploader, batch_body
from tests.unit.agent.sync.conftest import AGENT, run_async, wait_for
from tests.unit.agent.sync.fake_collector import FakeCollector
from tests.unit.agent.sync.server import ServerThread

NOW = time.time()  # results carry the agent's time; far older ones would be past the age bound


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _numbers(queue: DiskQueue) -> list[int]:
    return [json.loads(e.body)["payload"]["n"] for e in queue.peek(10_000)]


def test_order_is_kept_across_restarts_and_acks(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    queue = DiskQueue(path)
    ids = [queue.put("event", {"n": n}, NOW + n) for n in range(5)]
    queue.close()
    queue = DiskQueue(path)  # a restart
    entries = queue.peek(3)
    assert [e.id for e in entries] == ids[:3]
    assert queue.ack(entries[-1].seq) == 3
    queue.put_many([Item("event", {"n": 5}, NOW), Item("job-result", {"n": 6}, NOW, job="j1")])
    queue.close()
    queue = DiskQueue(path)
    assert _numbers(queue) == [3, 4, 5, 6]
    body = json.loads(queue.peek(10)[-1].body)
    assert body == {"id": body["id"], "kind": "job-result", "at": NOW, "job": "j1",
                    "payload": {"n": 6}}  # fmt: skip
    stats = queue.stats()
    assert (stats.depth, stats.bytes) == (4, sum(e.size for e in queue.peek(10)))
    queue.close()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["put", "ack", "restart"]), st.integers(1, 4)),
                max_size=30))  # fmt: skip
def test_property_the_queue_is_a_fifo_that_survives_restarts(
    tmp_path_factory: object, steps: list[tuple[str, int]]
) -> None:
    path = Path(tmp_path_factory.mktemp("q")) / "queue.db"  # type: ignore[attr-defined]
    queue, model, counter = DiskQueue(path), list[int](), 0
    for op, k in steps:
        if op == "put":
            queue.put_many([Item("event", {"n": counter + i}, NOW) for i in range(k)])
            model += range(counter, counter + k)
            counter += k
        elif op == "ack":
            entries = queue.peek(k)
            if entries:
                queue.ack(entries[-1].seq)
            del model[: len(entries)]
        else:
            queue.close()
            queue = DiskQueue(path)
        assert queue.stats().depth == len(model)
    assert _numbers(queue) == model
    queue.close()


def test_the_size_bound_drops_the_oldest_and_counts_them_persistently(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    queue = DiskQueue(path, max_bytes=2000)
    for n in range(40):
        queue.put("event", {"n": n, "pad": "x" * 50}, NOW)
    stats = queue.stats()
    assert stats.bytes <= 2000
    kept = _numbers(queue)
    assert kept == list(range(40 - len(kept), 40))  # the newest survive, in order
    assert stats.dropped["size"] == 40 - len(kept) > 0
    queue.close()
    reopened = DiskQueue(path, max_bytes=2000)
    assert reopened.stats().dropped == {"size": 40 - len(kept), "age": 0, "rejected": 0}
    reopened.close()


def test_the_age_bound_drops_what_is_older_than_max_age(tmp_path: Path) -> None:
    clock = Clock()
    queue = DiskQueue(tmp_path / "queue.db", max_age=3600.0, clock=clock)
    for n in range(6):
        queue.put("event", {"n": n}, clock.now - 1000 * (6 - n))  # 6000 s ... 1000 s old
    assert _numbers(queue) == [3, 4, 5]  # enforcing runs on every put and peek
    assert queue.stats().oldest_age == 3000.0
    assert queue.stats().dropped["age"] == 3
    clock.now += 2500
    assert _numbers(queue) == [5]
    assert queue.stats().dropped["age"] == 5
    assert queue.stats().oldest_age == 3500.0
    queue.close()


def test_reject_drops_one_result_and_counts_it(tmp_path: Path) -> None:
    queue = DiskQueue(tmp_path / "queue.db")
    for n in range(3):
        queue.put("event", {"n": n}, NOW)
    queue.reject(queue.peek(3)[1].seq)
    assert _numbers(queue) == [0, 2]
    assert queue.stats().dropped["rejected"] == 1
    queue.close()


def test_a_result_with_its_own_id_is_queued_once_and_again_after_delivery(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    queue = DiskQueue(path)
    rev = "6d1b1a3e-3f0c-5a4e-9a51-0c2f1f3e2b7a"  # a producer's derived id (a revision's)
    first = queue.put_many(
        [Item("event", {"n": 0}, NOW), Item("config-revision", {"n": 1}, NOW, id=rev)]
    )
    queue.close()
    queue = DiskQueue(path)  # a restart that queues the revision again, and a newer result
    again = queue.put_many([Item("config-revision", {"n": 1}, NOW + 1, id=rev),
                            Item("config-revision", {"n": 2}, NOW + 1)])  # fmt: skip
    assert first[1] == again[0] == rev
    assert _numbers(queue) == [0, 1, 2]  # held once, in its first place
    stats = queue.stats()
    assert (stats.depth, stats.bytes) == (3, sum(e.size for e in queue.peek(10)))
    queue.ack(queue.peek(2)[-1].seq)  # delivered
    queue.put_many([Item("config-revision", {"n": 1}, NOW + 2, id=rev)])
    assert [(e.id, json.loads(e.body)["payload"]["n"]) for e in queue.peek(10)][1] == (rev, 1)
    assert queue.stats().depth == 2
    queue.close()


def test_peek_honours_the_byte_limit_but_returns_at_least_one(tmp_path: Path) -> None:
    queue = DiskQueue(tmp_path / "queue.db")
    for n in range(5):
        queue.put("event", {"n": n, "pad": "x" * 100}, NOW)
    size = queue.peek(1)[0].size
    assert len(queue.peek(5, max_bytes=size * 2 + 1)) == 2
    assert len(queue.peek(5, max_bytes=10)) == 1
    queue.close()


SLOW_PUT = 0.25  # s: a put whose fsync stalls this long (a busy SD card)


@run_async
async def test_a_put_on_the_event_loop_never_blocks_it(tmp_path: Path) -> None:
    disk = DiskQueue(tmp_path / "queue.db")
    real_put_many = disk.put_many

    def stalling_put_many(items: list[Item]) -> list[str]:
        time.sleep(SLOW_PUT)
        return real_put_many(items)

    disk.put_many = stalling_put_many  # type: ignore[method-assign]
    queue = AsyncDiskQueue(disk)
    lags: list[float] = []

    async def ticker() -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - start - 0.001)

    task = asyncio.create_task(ticker())
    for n in range(8):
        await queue.put_many([Item("event", {"n": n}, NOW)])
    task.cancel()
    stored = [json.loads(e.body)["payload"]["n"] for e in await queue.peek(100)]
    await queue.close()
    assert stored == list(range(8))
    # Had a put run on the loop, it would have ticked only between puts, each tick lagging a
    # whole stall. It kept ticking through them: the stalls ran on the queue's thread. The
    # bound is half a stall, far above a loaded machine's scheduling delays.
    assert len(lags) >= 8 * 20
    lags.sort()
    assert lags[int(len(lags) * 0.99)] < SLOW_PUT / 2


@run_async
async def test_a_crash_between_post_and_ack_resends_the_same_ids_once(
    tmp_path: Path, fake: FakeCollector, server: ServerThread, state_dir: Path
) -> None:
    state = StateDir(state_dir)
    queue = DiskQueue(state.queue_path)
    ids = [queue.put("event", {"n": n}, NOW) for n in range(3)]
    client = CollectorClient(server.url, credential=state.credential(), ca_pem=state.ca_pem())
    reply = await client.request("POST", f"/api/v1/agents/{AGENT}/results",
                                 body=batch_body(queue.peek(10)))  # fmt: skip
    assert reply.data == {"accepted": 3, "duplicates": 0}
    queue.close()  # the agent dies before the ack: the results are still queued
    aqueue = AsyncDiskQueue(DiskQueue(state.queue_path))
    assert aqueue.stats().depth == 3
    status = SyncStatus(AGENT)
    stop = asyncio.Event()
    task = asyncio.create_task(Uploader(client, aqueue, status).run(stop))
    await wait_for(lambda: aqueue.stats().depth == 0, what="the re-send")
    stop.set()
    await task
    assert fake.order == ids  # stored once each, in order
    assert fake.duplicates == 3  # the re-send carried the same ids
    assert status.results_sent == 3
    await client.aclose()
    await aqueue.close()
