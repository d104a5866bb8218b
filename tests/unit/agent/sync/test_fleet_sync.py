"""The enrolled agent against the fake collector: heartbeats, the assignment (ETag, atomic
write, picked up by a real AgentRuntime), outages, restarts, revocation, jobs, poisoned results.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from netwarden import __version__
from netwarden.agent.lifecycle import AgentLifecycle
from netwarden.agent.sync.disk_queue import DiskQueue, Item
from netwarden.agent.sync.job_record import JobRecord
from netwarden.agent.sync.state_dir import StateDir
from tests.unit.agent.sync.conftest import (
    AGENT,
    FAST,
    FakeDevices,
    assignment,
    enrolled_agent,
    run_async,
    wait_for,
)
from tests.unit.agent.sync.fake_collector import FakeCollector
from tests.unit.agent.sync.server import ServerThread

HEARTBEAT_FIELDS = {"sent_at", "version", "started_at", "devices_assigned", "devices_healthy",
                    "polls_ok", "polls_failed", "queue_depth", "queue_dropped",
                    "assignment_etag", "advertise"}  # fmt: skip


async def _get(bound: tuple[str, int], path: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"http://{bound[0]}:{bound[1]}{path}")


def _metric(page: str, name: str) -> float:
    for line in page.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


def _polled(agent: AgentLifecycle) -> bool:
    devices = agent.runtime.devices.values()
    return bool(devices) and all(d.latest is not None for d in devices)


@run_async
async def test_heartbeats_carry_the_contracts_fields(state_dir: Path, fake: FakeCollector) -> None:
    etag = fake.set_assignment(AGENT, assignment(("sw-1", "sw-2")))
    agent = enrolled_agent(state_dir, FakeDevices(), advertise="10.1.2.3:9430")
    await agent.start("127.0.0.1", 0)
    try:
        # devices_healthy comes from the runtime, polls_ok from the event tracker's own pass
        # later: wait for a heartbeat that carries both.
        def both_counted() -> bool:
            beat = fake.heartbeats[-1] if fake.heartbeats else {}
            return beat.get("devices_healthy") == 2 and beat.get("polls_ok", 0) >= 2

        await wait_for(both_counted, what="a heartbeat with both devices polled and healthy")
        beat = fake.heartbeats[-1]
        assert set(beat) - {"received_at"} == HEARTBEAT_FIELDS
        assert beat["version"] == __version__
        assert beat["devices_assigned"] == 2
        assert beat["assignment_etag"] == etag
        assert beat["advertise"] == "10.1.2.3:9430"
        assert beat["polls_ok"] >= 2 and beat["polls_failed"] == 0
        assert beat["started_at"] <= beat["sent_at"] <= beat["received_at"]
        assert isinstance(beat["queue_depth"], int) and beat["queue_dropped"] == 0
    finally:
        await agent.close()


@run_async
async def test_a_refused_advertise_is_logged_once_and_heartbeats_go_on(
    state_dir: Path, fake: FakeCollector, caplog: pytest.LogCaptureFixture
) -> None:
    fake.set_assignment(AGENT, assignment(("sw-1",)))
    refused = "advertised address 10.1.2.3:9430 refused: agent agent-a connects from 10.9.9.9"
    fake.advertise_error = refused
    agent = enrolled_agent(state_dir, FakeDevices(), advertise="10.1.2.3:9430")
    with caplog.at_level(logging.INFO, logger="netwarden.agent.sync.loop"):
        await agent.start("127.0.0.1", 0)
        try:
            await wait_for(lambda: len(fake.heartbeats) >= 3, what="three heartbeats")
            fake.advertise_error = None
            seen = len(fake.heartbeats)
            await wait_for(lambda: len(fake.heartbeats) >= seen + 2, what="two more heartbeats")
        finally:
            await agent.close()
    said = [r.getMessage() for r in caplog.records if "advertise" in r.getMessage()]
    assert said == [
        f"the collector refused --advertise: {refused}",
        "the collector accepts --advertise 10.1.2.3:9430 again",
    ]


@run_async
async def test_an_unchanged_assignment_costs_a_304_and_no_write(
    state_dir: Path, fake: FakeCollector
) -> None:
    fake.set_assignment(AGENT, assignment())
    agent = enrolled_agent(state_dir, FakeDevices())
    await agent.start("127.0.0.1", 0)
    try:
        await wait_for(lambda: agent.loaded, what="the first assignment")
        stored = StateDir(state_dir).assignment_path.stat()
        await wait_for(lambda: len(fake.heartbeats) >= 2, what="heartbeats")
        # (A heartbeat racing the first fetch may cause one 304 at start; then nothing more.)
        answers = list(fake.assignment_answers)
        assert answers.count(200) == 1
        beats = len(fake.heartbeats)
        await wait_for(lambda: len(fake.heartbeats) >= beats + 3, what="more heartbeats")
        assert fake.assignment_answers == answers  # same ETag in the heartbeats: no fetch
        reply = await agent.source.assignment.fetch()  # the periodic refresh
        assert reply.status == 304
        after = StateDir(state_dir).assignment_path.stat()
        assert (after.st_ino, after.st_mtime_ns) == (stored.st_ino, stored.st_mtime_ns)
        assert agent.sink.status.assignment_updates == 1
    finally:
        await agent.close()


@run_async
async def test_a_new_assignment_is_stored_and_the_runtime_polls_it(
    state_dir: Path, fake: FakeCollector
) -> None:
    fake.set_assignment(AGENT, assignment(("sw-1",)))
    agent = enrolled_agent(state_dir, FakeDevices())
    await agent.start("127.0.0.1", 0)
    try:
        await wait_for(lambda: set(agent.runtime.devices) == {"sw-1"}, what="sw-1")
        etag = fake.set_assignment(AGENT, assignment(("sw-1", "sw-9")))
        await wait_for(lambda: set(agent.runtime.devices) == {"sw-1", "sw-9"}, what="sw-9")
        await wait_for(lambda: _polled(agent), what="sw-9 polled")
        state = StateDir(state_dir)
        assert state.read_etag() == etag
        stored = json.loads(state.assignment_path.read_text())
        assert [d["id"] for d in stored["devices"]] == ["sw-1", "sw-9"]
        assert agent.sink.status.assignment_updates == 2
        assert _leftovers(state_dir) == []  # no temp or candidate files
    finally:
        await agent.close()


@run_async
async def test_an_invalid_assignment_is_refused_and_the_old_one_kept(
    state_dir: Path, fake: FakeCollector, caplog: pytest.LogCaptureFixture
) -> None:
    fake.set_assignment(AGENT, assignment(("sw-1",)))
    agent = enrolled_agent(state_dir, FakeDevices())
    await agent.start("127.0.0.1", 0)
    try:
        await wait_for(lambda: agent.loaded, what="the first assignment")
        bad = assignment(("sw-1",))
        bad["devices"][0]["role"] = "toaster"
        caplog.set_level(logging.ERROR)
        bad_etag = fake.set_assignment(AGENT, bad)
        await wait_for(
            lambda: agent.source.assignment.rejected_etag == bad_etag, what="the rejection"
        )
        assert "rejected" in caplog.text and "devices[sw-1].role: must be" in caplog.text
        assert json.loads(StateDir(state_dir).assignment_path.read_text())["devices"][0][
            "role"] == "switch"  # fmt: skip
        assert set(agent.runtime.devices) == {"sw-1"}
        answers = len(fake.assignment_answers)
        await wait_for(lambda: len(fake.heartbeats) >= 3 + answers, what="heartbeats")
        assert len(fake.assignment_answers) == answers  # not fetched again on every heartbeat
    finally:
        await agent.close()


@run_async
async def test_results_wait_on_disk_through_an_outage_and_arrive_in_order_once(
    state_dir: Path, fake: FakeCollector, server: ServerThread
) -> None:
    fake.set_assignment(AGENT, assignment(("sw-1",)))
    devices = FakeDevices()
    agent = enrolled_agent(state_dir, devices)
    bound = await agent.start("127.0.0.1", 0)
    try:
        await wait_for(lambda: _polled(agent) and agent.sink.status.collector_up, what="polling")
        await asyncio.to_thread(server.stop)  # the WAN link is gone
        await wait_for(lambda: not agent.sink.status.collector_up, what="the outage noticed")
        devices.sessions["198.18.1.2"].fail(())  # the device goes down during the outage
        items = [Item("event", {"n": n}, time.time() - 30 + n) for n in range(30)]
        ids = await agent.sink.queue.put_many(items)

        def queued_kinds() -> set[str]:
            return {f"{r['kind']}:{r['payload'].get('device')}" for r in _queued(agent)}  # type: ignore[union-attr]

        await wait_for(lambda: {"poll-summary:None", "event:sw-1"} <= queued_kinds(),
                       what="the down event and a summary queued")  # fmt: skip
        page = (await _get(bound, "/metrics")).text
        assert _metric(page, "netwarden_agent_collector_up") == 0
        assert _metric(page, "netwarden_agent_queue_depth") >= 32
        assert _metric(page, "netwarden_agent_queue_oldest_age_seconds") > 0
        queued = [r["id"] for r in _queued(agent)]
        await asyncio.to_thread(server.start)  # the link is back
        await wait_for(lambda: agent.sink.status.results_sent >= len(queued), what="the delivery")
        assert [i for i in fake.order if i in set(queued)] == queued  # in order, each once
        assert fake.order.index(ids[0]) < fake.order.index(ids[-1])
        down = [r for r in fake.results_of("event") if r["payload"].get("device") == "sw-1"]
        assert down and down[-1]["payload"]["state"] == "down"
        assert agent.sink.status.collector_up
        page = (await _get(bound, "/metrics")).text
        assert _metric(page, "netwarden_agent_results_sent_total") >= len(queued)
        assert _metric(page, 'netwarden_agent_queue_dropped_total{reason="size"}') == 0
    finally:
        await agent.close()


def _leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.name.startswith("."))


def _queued(agent: AgentLifecycle) -> list[dict[str, object]]:
    return [json.loads(e.body) for e in agent.sink.queue.sync.peek(100_000)]


@run_async
async def test_a_restart_while_the_collector_is_down_polls_from_the_stored_assignment(
    state_dir: Path, fake: FakeCollector, server: ServerThread
) -> None:
    fake.set_assignment(AGENT, assignment(("sw-1", "sw-2")))
    first = enrolled_agent(state_dir, FakeDevices())
    await first.start("127.0.0.1", 0)
    await wait_for(lambda: first.loaded, what="the first assignment")
    await first.close()
    await asyncio.to_thread(server.stop)
    again = enrolled_agent(state_dir, FakeDevices())
    bound = await again.start("127.0.0.1", 0)
    try:
        assert again.loaded  # straight from the state dir, no collector needed
        await wait_for(lambda: _polled(again), what="polls from the stored assignment")
        assert set(again.runtime.devices) == {"sw-1", "sw-2"}
        assert all(d.latest is not None and d.latest.up for d in again.runtime.devices.values())
        assert (await _get(bound, "/-/ready")).status_code == 200
        await wait_for(lambda: again.sink.queue.stats().depth > 0, what="results queued")
        assert again.sink.status.last_contact is None and not again.sink.status.collector_up
    finally:
        await again.close()


@run_async
async def test_without_an_assignment_it_serves_metrics_and_waits_for_one(
    state_dir: Path, fake: FakeCollector, server: ServerThread
) -> None:
    await asyncio.to_thread(server.stop)  # the collector is unreachable at start
    agent = enrolled_agent(state_dir, FakeDevices())
    bound = await agent.start("127.0.0.1", 0)
    try:
        ready = await _get(bound, "/-/ready")
        assert (ready.status_code, ready.text) == (503, "waiting for the first assignment\n")
        assert (await _get(bound, "/-/healthy")).status_code == 200
        page = (await _get(bound, "/metrics")).text
        assert _metric(page, "netwarden_agent_collector_up") == 0
        asked = fake.requests["assignment"]
        await asyncio.to_thread(server.start)
        # Reachable, but no assignment for this agent yet (404): it asked, and has none.
        await wait_for(lambda: fake.requests["assignment"] > asked, what="an assignment asked")
        assert not agent.loaded
        fake.set_assignment(AGENT, assignment(("sw-1",)))
        await wait_for(lambda: agent.loaded and _polled(agent), what="the first assignment")
        assert (await _get(bound, "/-/ready")).status_code == 200
        page = (await _get(bound, "/metrics")).text
        assert _metric(page, "netwarden_agent_assignment_updates_total") == 1
        assert _metric(page, "netwarden_agent_collector_up") == 1
        assert _metric(page, "netwarden_agent_collector_last_contact_timestamp_seconds") > 0
        assert 'netwarden_device_up{device="sw-1"' in page
    finally:
        await agent.close()


@run_async
async def test_a_revoked_agent_stops_talking_and_keeps_polling(
    state_dir: Path, fake: FakeCollector, caplog: pytest.LogCaptureFixture
) -> None:
    fake.set_assignment(AGENT, assignment(("sw-1",)))
    agent = enrolled_agent(state_dir, FakeDevices())
    await agent.start("127.0.0.1", 0)
    try:
        await wait_for(lambda: _polled(agent) and len(fake.heartbeats) >= 2, what="running")
        caplog.set_level(logging.ERROR)
        fake.revoke(AGENT)
        await wait_for(lambda: agent.sink.status.revoked is not None, what="the revocation noticed")
        assert agent.sink.status.revoked == "HTTP 401: agent agent-a is revoked"
        assert "the agent was revoked" in caplog.text
        seen = sum(fake.requests.values())
        polled = agent.runtime.devices["sw-1"].latest
        (late,) = await agent.sink.queue.put_many([Item("event", {"n": 1}, time.time())])
        await wait_for(lambda: agent.runtime.devices["sw-1"].latest is not polled,
                       what="polling goes on")  # fmt: skip
        # Absence, watched on the clock: requests already on their way when the 401 came may
        # still land, one per sync task at most (six: heartbeat, assignment, uploads, jobs,
        # events, config revisions; "at most one more" held only while a single task had one
        # in flight); after that, nothing for several heartbeat intervals.
        await asyncio.sleep(0.5)
        settled = sum(fake.requests.values())
        assert settled <= seen + 6, fake.requests
        await asyncio.sleep(0.5)  # several heartbeat intervals
        assert sum(fake.requests.values()) == settled, fake.requests
        assert late not in fake.results  # not posted: it waits on disk for a re-enrolment
        assert late in {e.id for e in agent.sink.queue.sync.peek(100_000)}
        assert not agent.sink.status.collector_up
    finally:
        await agent.close()


@run_async
async def test_jobs_are_run_and_their_results_delivered(
    state_dir: Path, fake: FakeCollector
) -> None:
    fake.set_assignment(AGENT, assignment(("sw-1",)))
    agent = enrolled_agent(state_dir, FakeDevices())
    await agent.start("127.0.0.1", 0)
    try:
        echo = fake.add_job(AGENT, "echo", {"say": "xin chào"})
        unknown = fake.add_job(AGENT, "format-disk", {})
        await wait_for(lambda: len(fake.results_of("job-result")) == 2, what="two job results")
        by_job = {r["job"]: r["payload"] for r in fake.results_of("job-result")}
        text = '{\n  "say": "xin chào"\n}\n'
        expected = {"ok": True, "kind": "echo", "output": {"say": "xin chào"}, "text": text}
        assert by_job[echo] == expected
        assert by_job[unknown]["ok"] is False
        assert by_job[unknown]["error"].startswith("unknown job kind 'format-disk'")
    finally:
        await agent.close()


@run_async
async def test_a_job_delivered_again_after_a_restart_is_answered_from_the_state_dir(
    state_dir: Path, fake: FakeCollector
) -> None:
    """The job record survives the agent: a job it ran is answered with the same result, a
    job it had claimed when it stopped is answered as interrupted; neither runs again."""
    fake.set_assignment(AGENT, assignment(("sw-1",)))
    agent = enrolled_agent(state_dir, FakeDevices())
    await agent.start("127.0.0.1", 0)
    try:
        done = fake.add_job(AGENT, "echo", {"n": 1})
        await wait_for(lambda: len(fake.results_of("job-result")) == 1, what="the first result")
    finally:
        await agent.close()
    # Its last long-poll may still wait at the collector: the jobs below are for the next agent.
    await wait_for(lambda: fake.open_long_polls == 0, what="the stopped agent's long-poll")
    # As if the agent had died while a job ran: claimed in the record, never finished.
    record = JobRecord(StateDir(state_dir).jobs_path)
    assert record.claim("cut-short", "set_interface_admin") is None
    record.close()
    agent = enrolled_agent(state_dir, FakeDevices())
    await agent.start("127.0.0.1", 0)
    try:
        fake.add_job(AGENT, "echo", {"n": 2}, job_id=done)  # other params: not run again
        fake.add_job(AGENT, "set_interface_admin", {}, job_id="cut-short")
        await wait_for(lambda: len(fake.results_of("job-result")) == 3, what="two answers")
        # The two re-delivered jobs run side by side: their answers may come in either order.
        first, *again = fake.results_of("job-result")
        by_job = {r["job"]: r["payload"] for r in again}
        assert by_job[done] == first["payload"]
        assert first["payload"]["output"] == {"n": 1}
        cut = by_job["cut-short"]
        assert cut["ok"] is False and cut["interrupted"] is True
        assert cut["kind"] == "set_interface_admin"
        assert "outcome is unknown, and it is not run again" in cut["error"]
    finally:
        await agent.close()


@run_async
async def test_a_job_past_its_expiry_is_answered_as_expired_and_not_run(
    state_dir: Path, fake: FakeCollector
) -> None:
    fake.set_assignment(AGENT, assignment(("sw-1",)))
    agent = enrolled_agent(state_dir, FakeDevices())
    await agent.start("127.0.0.1", 0)
    try:
        late = fake.add_job(AGENT, "echo", {"n": 1}, expires_at=time.time() - 5)
        timely = fake.add_job(AGENT, "echo", {"n": 2}, expires_at=time.time() + 60)
        await wait_for(lambda: len(fake.results_of("job-result")) == 2, what="two answers")
        by_job = {r["job"]: r["payload"] for r in fake.results_of("job-result")}
        assert by_job[late]["ok"] is False and by_job[late]["expired"] is True
        assert "output" not in by_job[late]
        assert by_job[late]["error"].startswith("expired at ")
        assert by_job[timely]["output"] == {"n": 2}
    finally:
        await agent.close()


@run_async
async def test_a_poisoned_result_is_dropped_and_counted_and_the_rest_delivered(
    state_dir: Path, fake: FakeCollector
) -> None:
    fake.set_assignment(AGENT, assignment(("sw-1",)))
    left = DiskQueue(StateDir(state_dir).queue_path)  # what a previous run left queued
    ids = left.put_many([Item("event", {"n": n, "poison": n == 5}, time.time() + n)
                         for n in range(12)])  # fmt: skip
    left.close()
    agent = enrolled_agent(state_dir, FakeDevices())
    await agent.start("127.0.0.1", 0)
    try:
        await wait_for(lambda: all(i in fake.results for i in ids if i != ids[5]),
                       what="the good results")  # fmt: skip
        assert ids[5] not in fake.results
        assert [i for i in fake.order if i in ids] == ids[:5] + ids[6:]
        assert agent.sink.queue.stats().dropped["rejected"] == 1
        assert fake.refused_batches >= 2  # the batch, then halves of it, until the one result
    finally:
        await agent.close()


@run_async
async def test_long_polls_ask_a_jittered_wait(state_dir: Path, fake: FakeCollector) -> None:
    # jobs_wait 0.3 s +- 10 %: long-polls opened together do not come back together.
    fake.set_assignment(AGENT, assignment())
    agent = enrolled_agent(state_dir, FakeDevices(), settings=replace(FAST, jobs_wait=0.3))
    await agent.start("127.0.0.1", 0)
    try:
        await wait_for(lambda: len(fake.jobs_waits) >= 5, what="five long-polls")
    finally:
        await agent.close()
    assert all(0.27 <= w <= 0.33 for w in fake.jobs_waits)
    assert len(set(fake.jobs_waits)) > 1


@run_async
async def test_a_push_agents_heartbeat_carries_its_spool_depth(
    state_dir: Path, fake: FakeCollector
) -> None:
    from netwarden.agent.push.fake import FakeReceiver
    from netwarden.agent.push.service import PushService
    from netwarden.agent.sync.collector_link import CollectorLink, EnrolledOptions

    document = assignment(("sw-1",))
    document["agents"][0] |= {"metrics": "push", "push": {"url": "http://127.0.0.1:9/w"}}
    fake.set_assignment(AGENT, document)
    receiver = FakeReceiver(down=True)  # the receiver is away: samples wait in the spool
    push = PushService(state_dir / "spool", receiver=lambda target: receiver)
    link = CollectorLink(EnrolledOptions(state_dir, settings=FAST,
                                         heartbeat_extra=push.heartbeat_fields))  # fmt: skip
    agent = AgentLifecycle(link, link, FakeDevices().settings(), services=[push])
    await agent.start("127.0.0.1", 0)
    try:

        def spooled() -> bool:
            return bool(fake.heartbeats) and (fake.heartbeats[-1].get("spool_depth") or 0) > 0

        await wait_for(spooled, what="a heartbeat with samples in the spool")
        beat = fake.heartbeats[-1]
        assert set(beat) - {"received_at"} == HEARTBEAT_FIELDS | {"spool_depth", "spool_oldest_age"}
        assert beat["spool_oldest_age"] >= 0
        assert (state_dir / "spool" / "spool.db").exists()  # the state dir's spool
    finally:
        await agent.close()
