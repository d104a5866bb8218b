"""Events on state changes and poll summaries, read from a real AgentRuntime's results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netwarden.agent.probes.fake import FakeProbers
from netwarden.agent.probes.result import ProbeReason, ProbeResult
from netwarden.agent.runtime import AgentRuntime
from netwarden.agent.snmp.types import Reason
from netwarden.agent.sync import events
from netwarden.agent.sync.events import EventTracker, device_health
from tests.unit.agent.sync.conftest import (
    AGENT,
    COMMUNITY_ENV,
    FakeDevices,
    assignment,
    run_async,
    wait_for,
)


def _runtime(tmp_path: Path, devices: FakeDevices, ping: FakeProbers | None) -> AgentRuntime:
    doc = assignment(("sw-1", "sw-2"))
    if ping is not None:
        doc["devices"][0]["icmp"] = {"interval": "1s", "count": 1, "timeout": "100ms"}
    path = tmp_path / "assignment.json"
    path.write_text(json.dumps(doc))
    runtime = AgentRuntime([path], AGENT, devices.factory,
                           probers=None if ping is None else ping.probers())  # fmt: skip
    runtime.apply(runtime.load())
    return runtime


def _polled(runtime: AgentRuntime) -> int:
    return sum(1 for d in runtime.devices.values() if d.latest is not None)


@pytest.fixture(autouse=True)
def _community(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COMMUNITY_ENV, "public")


@run_async
async def test_device_events_follow_up_and_down_with_the_reason(tmp_path: Path) -> None:
    devices = FakeDevices()
    runtime = _runtime(tmp_path, devices, None)
    tracker = EventTracker(runtime)
    try:
        await wait_for(lambda: _polled(runtime) == 2, what="first polls")
        assert tracker.observe(1.0) == []  # up from the start: no news
        assert tracker.polls_ok == 2
        sw1 = runtime.devices["sw-1"]
        devices.sessions["198.18.1.2"].fail((), Reason.timeout)
        first = sw1.latest
        await wait_for(lambda: sw1.latest is not first, what="the next poll")
        down = tracker.observe(2.0)
        assert [(i.kind, i.at) for i in down] == [("event", 2.0)]
        assert down[0].payload == {
            "target": "device", "device": "sw-1", "site": "so-khcn", "role": "switch",
            "state": "down", "previous": "up", "reason": "timeout",
            "message": down[0].payload["message"],
        }  # fmt: skip
        assert "198.18.1.2" in down[0].payload["message"]
        assert tracker.polls_failed >= 1
        assert device_health(runtime) == (2, 1)
        assert tracker.observe(2.5) == []  # still down, same reason: no repeat
        devices.sessions["198.18.1.2"].failures.clear()
        failed = sw1.latest
        await wait_for(lambda: sw1.latest is not failed and sw1.latest.up, what="recovery")
        (up,) = tracker.observe(3.0)
        assert (up.payload["state"], up.payload["previous"], up.payload["reason"]) == (
            "up",
            "down",
            "",
        )
        assert device_health(runtime) == (2, 2)
    finally:
        await runtime.close()


@run_async
async def test_probe_events_and_a_device_that_fails_from_the_start(tmp_path: Path) -> None:
    devices, ping = FakeDevices(), FakeProbers()
    ping.results["icmp"] = ProbeResult(False, 0.1, ProbeReason.loss, "20 of 20 lost")
    runtime = _runtime(tmp_path, devices, ping)
    tracker = EventTracker(runtime)
    try:
        job = runtime.probes["device:sw-1"]
        await wait_for(lambda: job.latest is not None and _polled(runtime) == 2, what="probes")
        (event,) = tracker.observe(1.0)  # failing since the start is news
        assert event.payload["target"] == "probe"
        assert (event.payload["probe"], event.payload["kind"], event.payload["device"]) == (
            "device:sw-1",
            "icmp",
            "sw-1",
        )
        assert (event.payload["state"], event.payload["previous"]) == ("failure", None)
        assert (event.payload["reason"], event.payload["message"]) == ("loss", "20 of 20 lost")
        assert device_health(runtime) == (2, 1)  # SNMP answers, ICMP does not: not healthy
        ping.results["icmp"] = ProbeResult(True, 0.01)
        await wait_for(lambda: job.latest is not None and job.latest.success, what="recovery")
        (back,) = tracker.observe(2.0)
        assert (back.payload["state"], back.payload["previous"]) == ("success", "failure")
    finally:
        await runtime.close()


@run_async
async def test_summaries_list_every_target_in_bounded_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    devices, ping = FakeDevices(), FakeProbers()
    runtime = _runtime(tmp_path, devices, ping)
    try:
        await wait_for(lambda: _polled(runtime) == 2, what="first polls")
        (whole,) = EventTracker(runtime).summary(5.0)
        assert (whole.kind, whole.at) == ("poll-summary", 5.0)
        targets = whole.payload["targets"]
        assert [t.get("device", t.get("probe")) for t in targets] == ["sw-1", "sw-2", "device:sw-1"]
        assert targets[0]["up"] is True and targets[0]["duration"] >= 0
        monkeypatch.setattr(events, "SUMMARY_CHUNK", 2)
        parts = EventTracker(runtime).summary(5.0)
        assert [(p.payload["part"], p.payload["parts"], len(p.payload["targets"]))
                for p in parts] == [(1, 2, 2), (2, 2, 1)]  # fmt: skip
    finally:
        await runtime.close()
