"""Events ride their own queue (events.db) with their own bound: a syslog storm during an
outage drops its own oldest events and never a poll result; the rest arrive when the link is
back, as device-event results."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from netwarden.agent.events.service import EventsOptions, EventsService
from netwarden.agent.lifecycle import AgentLifecycle
from netwarden.agent.sync.collector_link import CollectorLink, EnrolledOptions
from netwarden.hostport import HostPort
from tests.unit.agent.sync.conftest import (
    AGENT,
    FAST,
    FakeDevices,
    assignment,
    run_async,
    wait_for,
)
from tests.unit.agent.sync.fake_collector import FakeCollector
from tests.unit.agent.sync.server import ServerThread

STORM = 400
LINE = b"<190>Dec  7 04:00:00 sw-1 app: " + b"x" * 200


@run_async
async def test_a_syslog_storm_in_an_outage_never_pushes_out_results(
    state_dir: Path, fake: FakeCollector, server: ServerThread
) -> None:
    fake.set_assignment(AGENT, assignment(("sw-1",)))
    link = CollectorLink(EnrolledOptions(state_dir, settings=FAST, events_max_bytes=30_000))
    events = EventsService(EventsOptions(None, HostPort("127.0.0.1", 0)))
    agent = AgentLifecycle(link, link, FakeDevices().settings(), services=[events])
    await agent.start("127.0.0.1", 0)
    try:
        await wait_for(lambda: link.status.collector_up, what="the collector link")
        await asyncio.to_thread(server.stop)  # the WAN is down
        await wait_for(lambda: not link.status.collector_up, what="the outage noticed")
        assert link.queue is not None and link.events is not None
        results_before = link.queue.stats()
        port = events.bound["syslog-udp"][1]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for n in range(STORM):
                sock.sendto(LINE + str(n).encode(), ("127.0.0.1", port))
                if n % 50 == 49:  # paced by what arrived: a loaded machine loses nothing
                    await wait_for(
                        lambda n=n: sum(events.counters.syslog.values()) > n,
                        what="the agent reading",
                    )
        await wait_for(lambda: events.counters.queued == STORM, what="the storm queued")
        stats = link.events.stats()
        assert stats.dropped["size"] > 0  # the events' own bound did the dropping
        assert stats.bytes <= 30_000
        results = link.queue.stats()
        assert results.dropped["size"] == 0 and results.depth >= results_before.depth
        kept = stats.depth
        await asyncio.to_thread(server.start)  # the link is back
        await wait_for(lambda: len(fake.results_of("device-event")) == kept, what="the delivery")
        delivered = fake.results_of("device-event")
        assert delivered[-1]["payload"]["message"].endswith(str(STORM - 1))  # newest kept
        assert (
            delivered[0]["payload"]["device"] == "sw-1" or delivered[0]["payload"]["device"] is None
        )
    finally:
        await agent.close()
