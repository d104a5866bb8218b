"""The push service in the real agent runtime (standalone source, fake SNMP devices, the
in-repo fake receiver): every poll becomes samples at the receiver, as /metrics showed them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from netwarden.agent.lifecycle import AgentLifecycle
from netwarden.agent.metrics import render
from netwarden.agent.polling.ifmib import HC_COUNTERS, SYS_UPTIME
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceSnapshot
from netwarden.agent.probes.plan import ProbeJob
from netwarden.agent.push.fake import FakeReceiver, Got
from netwarden.agent.push.lanes import LaneSettings
from netwarden.agent.push.service import PushService
from netwarden.agent.snmp.types import Tag
from netwarden.agent.standalone import InventoryFiles, NoSink
from netwarden.inventory.model import PushTarget
from tests.unit.agent.sync.conftest import (
    AGENT,
    COMMUNITY_ENV,
    SITE,
    FakeDevices,
    assignment,
    run_async,
    wait_for,
)

URL = "http://127.0.0.1:9/api/v1/write"  # never dialled: the fake receiver answers
SW1_ADDRESS = assignment(("sw-1", "sw-2"))["devices"][0]["address"]


@pytest.fixture(autouse=True)
def _community(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COMMUNITY_ENV, "public")


def _inventory(path: Path, *, push: dict[str, Any] | None, metrics: str = "push") -> Path:
    document = assignment(("sw-1", "sw-2"))
    document["agents"][0]["metrics"] = metrics
    if push is not None:
        document["agents"][0]["push"] = push
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


class Receivers:
    """Builds fake receivers for the service, keeping the last one; each refuses what
    ``refuse`` says from its first request on."""

    def __init__(self, refuse: Callable[[Got], bool] | None = None) -> None:
        self.refuse = refuse
        self.last = FakeReceiver(refuse=refuse)
        self.targets: list[PushTarget] = []

    def __call__(self, target: PushTarget) -> FakeReceiver:
        self.targets.append(target)
        self.last = FakeReceiver(refuse=self.refuse)
        return self.last


def _agent(
    tmp_path: Path,
    receivers: Receivers,
    push: dict[str, Any] | None,
    devices: FakeDevices | None = None,
) -> AgentLifecycle:
    path = _inventory(tmp_path / "inventory.json", push=push)
    fast = LaneSettings(backoff_base=0.05, backoff_cap=0.2)
    service = PushService(tmp_path / "spool", receiver=receivers, lane_settings=fast)
    settings = (devices or FakeDevices()).settings()
    return AgentLifecycle(InventoryFiles([path], AGENT), NoSink(), settings, services=[service])


def _started(agent: AgentLifecycle, device: str) -> float:
    """When ``device``'s latest poll started (0 before its first)."""
    latest = agent.runtime.devices[device].latest
    return 0.0 if latest is None else latest.started


class Polls:
    """Every completed poll the runtime reports, as the push service is told of them: its
    start in ms (the stamp of its samples), by device."""

    def __init__(self) -> None:
        self.stamps: dict[str, list[int]] = {}
        self.with_uptime: dict[str, list[int]] = {}  # the polls that read a sysUpTime

    def on_poll(self, snapshot: DeviceSnapshot, counters: DeviceCounters) -> None:
        stamp = int(snapshot.started * 1000)
        self.stamps.setdefault(snapshot.info.device, []).append(stamp)
        if snapshot.sys_uptime is not None:
            self.with_uptime.setdefault(snapshot.info.device, []).append(stamp)

    def on_probe(self, job: ProbeJob, at: float) -> None:
        """The unit agent runs no probes."""


def _shown(text: str, name: str, *labels: str) -> float:
    """The value of sw-1's one series ``name`` (with ``labels``) in a /metrics page."""
    found = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name + '{device="sw-1",') and all(lab in line for lab in labels)
    ]
    assert len(found) == 1, f"{name} of sw-1 {labels}: {len(found)} series on the page"
    return found[0]


def _polls(agent: AgentLifecycle) -> list[float]:
    return [d.latest.started for d in agent.runtime.devices.values() if d.latest is not None]


@run_async
async def test_every_poll_reaches_the_receiver_as_metrics_showed_it(tmp_path: Path) -> None:
    receivers = Receivers()
    devices = FakeDevices()
    agent = _agent(tmp_path, receivers, {"url": URL, "interval": "1s"}, devices)
    seen: dict[float, str] = {}  # poll time of sw-1 -> its /metrics text right after
    await agent.start("127.0.0.1", 0)
    try:

        def note() -> bool:
            latest = agent.runtime.devices["sw-1"].latest
            if latest is not None and latest.started not in seen:
                seen[latest.started] = render(agent.context.registry).decode()
                # New values for the next poll, so each sample must be its own poll's.
                sw1 = devices.sessions[SW1_ADDRESS]
                sw1.set(SYS_UPTIME, Tag.TIMETICKS, 100_000 + 100 * len(seen))
                sw1.set((*HC_COUNTERS["ifHCInOctets"], 1), Tag.COUNTER64, 7_000 + len(seen))
            return len(seen) >= 4

        await wait_for(note, 15, "four polls of sw-1")
        await wait_for(lambda: len(receivers.last.series("sysUpTime", device="sw-1")) >= 4, 10,
                       "their samples at the receiver")  # fmt: skip
    finally:
        await agent.close()
    got = receivers.last.series("sysUpTime", device="sw-1")
    stamps = [g.timestamp_ms for g in got]
    assert len(stamps) == len(set(stamps)), "a poll pushed twice"
    # Each poll is one sample per series, stamped with the poll's start, with the value
    # /metrics showed right after that poll.
    octets = receivers.last.series("ifHCInOctets", device="sw-1", ifIndex="1")
    assert [g.timestamp_ms for g in octets] == stamps
    pushed = {g.timestamp_ms: g.value for g in got}
    pushed_octets = {g.timestamp_ms: g.value for g in octets}
    for poll_time, text in seen.items():
        stamp = int(poll_time * 1000)
        assert pushed[stamp] == _shown(text, "sysUpTime")
        assert pushed_octets[stamp] == _shown(text, "ifHCInOctets", 'ifIndex="1"')
    labels = dict(octets[0].labels)
    assert labels["agent"] == AGENT and labels["site"] == SITE  # site: the device's own
    assert labels["ifName"] and labels["role"] == "switch"
    # The agent's own series come on the interval, with the agent's site added.
    build = receivers.last.series("netwarden_agent_build_info")
    assert build and dict(build[0].labels)["site"] == SITE
    assert receivers.last.series("netwarden_push_spool_samples")


@run_async
async def test_a_pull_agent_pushes_nothing_and_opens_no_spool(tmp_path: Path) -> None:
    receivers = Receivers()
    path = _inventory(tmp_path / "inventory.json", push=None, metrics="pull")
    service = PushService(tmp_path / "spool", receiver=receivers)
    agent = AgentLifecycle(InventoryFiles([path], AGENT), NoSink(), FakeDevices().settings(),
                           services=[service])  # fmt: skip
    await agent.start("127.0.0.1", 0)
    try:
        await wait_for(lambda: len(_polls(agent)) == 2, 10, "the first polls")
        await asyncio.sleep(0.3)
    finally:
        await agent.close()
    assert not receivers.targets
    assert not (tmp_path / "spool").exists()
    assert "netwarden_push_" not in render(agent.context.registry).decode()
    assert service.heartbeat_fields() == {"spool_depth": None, "spool_oldest_age": None}


@run_async
async def test_outage_spools_then_delivers_everything_once(tmp_path: Path) -> None:
    receivers = Receivers()
    agent = _agent(tmp_path, receivers, {"url": URL, "interval": "1s"})
    polls = Polls()
    agent.runtime.listeners.append(polls)
    await agent.start("127.0.0.1", 0)
    try:
        # The outage starts once a poll of sw-2 arrived, not merely any sample: the first
        # delivery may hold only the agent's own series, and a first poll of sw-2 not done
        # yet left ``began`` at 0, so the outage ended at that first poll and one sample (or
        # none) of sw-2 was there for the hole check (a flake under load).
        await wait_for(lambda: receivers.last.series("sysUpTime", device="sw-2"), 10,
                       "a first poll of sw-2 delivered")  # fmt: skip
        receivers.last.down = True
        service = next(p for p in agent.parts if isinstance(p, PushService))
        await wait_for(lambda: (service.heartbeat_fields()["spool_depth"] or 0) > 0, 10,
                       "samples spooled during the outage")  # fmt: skip
        began = _started(agent, "sw-2")

        def retried_over_two_more_polls() -> bool:
            text = render(agent.context.registry).decode()
            return "netwarden_push_samples_retried_total" in text and (
                _started(agent, "sw-2") >= began + 2.0
            )

        # An outage over two more polls (the hole check below needs them), retries counted.
        await wait_for(retried_over_two_more_polls, 10, "retries over two more polls")
        taken = {device: list(stamps) for device, stamps in polls.stamps.items()}
        uptime_taken = list(polls.with_uptime.get("sw-2", []))
        receivers.last.down = False

        def drained() -> bool:
            # An empty spool alone does not say the outage's polls arrived: the last one may
            # still be on its way into the spool (taken, not yet appended) while it is empty.
            # Blocks go in the order taken (all within the live horizon), so once each
            # device's newest poll is there, the earlier ones arrived or were lost.
            arrived = all(
                any(g.timestamp_ms == stamps[-1] for g in _up(receivers.last, device))
                for device, stamps in taken.items()
            )
            return arrived and service.heartbeat_fields()["spool_depth"] == 0

        await wait_for(drained, 10, "the spool drained, the outage's last polls delivered")
    finally:
        await agent.close()
    # Every poll of either device taken before the outage ended arrived, once (a poll
    # failed under load would still have its netwarden_device_up sample).
    assert set(taken) == {"sw-1", "sw-2"}
    for device, polled in taken.items():
        up = [g.timestamp_ms for g in _up(receivers.last, device)]
        assert len(up) == len(set(up)), f"a poll of {device} pushed twice"
        assert set(polled) <= set(up), f"polls of {device} lost: {sorted(set(polled) - set(up))}"
    got = receivers.last.series("sysUpTime", device="sw-2")
    stamps = [g.timestamp_ms for g in got]
    assert len(stamps) == len(set(stamps))
    # No hole in what arrived: every poll of sw-2 that read a sysUpTime before the outage
    # ended has its sample (held to under 1.6 s between samples, a poll that a loaded
    # machine started 0.6 s late made a hole where none was).
    assert uptime_taken and set(uptime_taken) <= set(stamps)


def _up(receiver: FakeReceiver, device: str) -> list[Got]:
    """The device's netwarden_device_up samples at ``receiver``: one a poll, failed or not."""
    return receiver.series("netwarden_device_up", device=device)


@run_async
async def test_refused_samples_are_dropped_and_counted_alone(tmp_path: Path) -> None:
    # Given to the receivers as they are made: set on ``receivers.last`` after the start, it
    # reached the service's receiver only because the start happens to yield to the
    # service's first step (which makes it) before returning; else it went to the one the
    # service never uses and nothing was refused.
    receivers = Receivers(
        refuse=lambda got: got.name == "ifHighSpeed" and ("ifIndex", "2") in got.labels
    )
    agent = _agent(tmp_path, receivers, {"url": URL, "interval": "1s"})
    await agent.start("127.0.0.1", 0)
    try:
        await wait_for(lambda: len(receivers.last.series("sysUpTime", device="sw-1")) >= 2, 10,
                       "two polls delivered")  # fmt: skip
    finally:
        await agent.close()
    assert not receivers.last.series("ifHighSpeed", ifIndex="2")
    assert receivers.last.series("ifHighSpeed", ifIndex="1")
    service = next(p for p in agent.parts if isinstance(p, PushService))
    assert service.spool is not None
    assert service.spool.stats().dropped["rejected"] >= 2
    assert 400 in receivers.last.statuses


@run_async
async def test_a_failing_disk_keeps_the_samples_in_memory_until_it_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from netwarden.agent.push.spool import Spool

    receivers = Receivers()
    agent = _agent(tmp_path, receivers, {"url": URL, "interval": "1s"})
    real_append = Spool.append
    broken = {"on": True}

    def append(self: Spool, blocks: Any) -> None:
        if broken["on"]:
            raise sqlite3.OperationalError("database or disk is full")
        real_append(self, blocks)

    monkeypatch.setattr(Spool, "append", append)
    await agent.start("127.0.0.1", 0)
    try:
        service = next(p for p in agent.parts if isinstance(p, PushService))
        # Two rounds of both devices' polls taken while nothing can be stored.
        await wait_for(lambda: len(service._pending) >= 4, 10, "polls held in memory")
        assert not receivers.last.samples
        broken["on"] = False
        await wait_for(lambda: len(receivers.last.series("sysUpTime", device="sw-1")) >= 3, 10,
                       "the polls of the failing time delivered")  # fmt: skip
    finally:
        await agent.close()


@run_async
async def test_beyond_the_memory_bound_the_oldest_are_dropped_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from netwarden.agent.push import service as service_module
    from netwarden.agent.push.spool import Spool

    monkeypatch.setattr(service_module, "MAX_PENDING", 3)
    receivers = Receivers()
    agent = _agent(tmp_path, receivers, {"url": URL, "interval": "1s"})
    real_append = Spool.append
    broken = {"on": True}

    def append(self: Spool, blocks: Any) -> None:
        if broken["on"]:
            raise sqlite3.OperationalError("disk I/O error")
        real_append(self, blocks)

    monkeypatch.setattr(Spool, "append", append)
    await agent.start("127.0.0.1", 0)
    try:
        service = next(p for p in agent.parts if isinstance(p, PushService))
        # Two devices polled every second: more than 3 blocks while nothing can be stored.
        await wait_for(lambda: service._overflow > 0, 10, "more blocks than the memory bound")
        broken["on"] = False

        def counted() -> bool:
            return service.spool is not None and service.spool.stats().dropped["overflow"] > 0

        await wait_for(counted, 10, "the overflow counted")
    finally:
        await agent.close()
