"""Jobs: a registry of kinds; unknown kinds, bad params, failures and timeouts are results."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from netwarden.agent.probes.fake import FakeProbers
from netwarden.agent.probes.http import HttpTarget
from netwarden.agent.probes.icmp import IcmpTarget
from netwarden.agent.probes.result import ProbeReason, ProbeResult
from netwarden.agent.probes.tcp import TcpTarget
from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.disk_queue import DiskQueue
from netwarden.agent.sync.jobs import JobRunner, builtin_jobs
from netwarden.agent.sync.pacing import Backoff
from netwarden.agent.sync.state_dir import StateDir
from netwarden.agent.sync.status import SyncStatus
from tests.unit.agent.sync.conftest import AGENT, run_async, wait_for
from tests.unit.agent.sync.fake_collector import FakeCollector
from tests.unit.agent.sync.server import ServerThread


async def _run(tmp_path: Path, job: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    os.makedirs(tmp_path, exist_ok=True)
    queue = AsyncDiskQueue(DiskQueue(tmp_path / "queue.db"))
    ping = kwargs.pop("ping", FakeProbers())
    client = CollectorClient("http://127.0.0.1:9")  # never called by run_job
    runner = JobRunner(client, queue, SyncStatus(AGENT), builtin_jobs(ping.probers()), **kwargs)
    await runner.run_job(job)
    (entry,) = await queue.peek(10)
    await queue.close()
    await client.aclose()
    body = json.loads(entry.body)
    assert (body["kind"], body["job"]) == ("job-result", job["id"])
    return dict(body["payload"])


@run_async
async def test_echo_returns_its_params(tmp_path: Path) -> None:
    params = {"text": "xin chào", "n": [1, 2]}
    payload = await _run(tmp_path, {"id": "j1", "kind": "echo", "params": params})
    assert payload == {"ok": True, "kind": "echo", "output": params}


@run_async
async def test_an_unknown_kind_is_a_failed_result_naming_the_known_ones(tmp_path: Path) -> None:
    payload = await _run(tmp_path, {"id": "j2", "kind": "reboot-switch", "params": {}})
    error = "unknown job kind 'reboot-switch': this agent runs echo, ping, probe"
    assert payload == {"ok": False, "kind": "reboot-switch", "error": error}


@run_async
async def test_ping_uses_the_agents_prober(tmp_path: Path) -> None:
    ping = FakeProbers()
    ping.results["icmp"] = ProbeResult(False, 1.5, ProbeReason.loss, "3 of 3 lost")
    job = {"id": "j3", "kind": "ping", "params": {"host": "198.18.1.99", "count": 3}}
    payload = await _run(tmp_path, job, ping=ping)
    assert payload["ok"] is True  # the job ran; the host did not answer
    assert payload["output"]["success"] is False
    assert payload["output"]["reason"] == "loss"
    assert payload["output"]["message"] == "3 of 3 lost"
    assert ping.calls == [("icmp", IcmpTarget("198.18.1.99", 3, 0.2, 2.0), 120.0)]


@run_async
async def test_bad_params_are_a_clear_error(tmp_path: Path) -> None:
    payload = await _run(tmp_path, {"id": "j4", "kind": "ping", "params": {"count": 3}})
    assert payload == {"ok": False, "kind": "ping",
                       "error": "ping needs params.host (an address or a name)"}  # fmt: skip
    payload = await _run(tmp_path / "b", {"id": "j5", "kind": "ping",
                                          "params": {"host": "h", "count": 0}})  # fmt: skip
    assert "from 1 to 100" in payload["error"]
    payload = await _run(tmp_path / "c", {"id": "j6", "kind": "echo", "params": [1]})
    assert payload["error"] == "job params must be an object"


@run_async
async def test_a_job_that_hangs_times_out(tmp_path: Path) -> None:
    class Hanging(FakeProbers):
        async def answer(self, kind: str, target: Any, deadline: float) -> ProbeResult:
            await asyncio.sleep(60)
            raise AssertionError("not reached")

    payload = await _run(tmp_path, {"id": "j7", "kind": "ping", "params": {"host": "h"}},
                         ping=Hanging(), job_timeout=0.1)  # fmt: skip
    assert payload == {"ok": False, "kind": "ping", "error": "timed out after 0.1 s"}


@run_async
async def test_a_job_that_raises_is_a_failed_result(tmp_path: Path) -> None:
    class Broken(FakeProbers):
        async def answer(self, kind: str, target: Any, deadline: float) -> ProbeResult:
            raise OSError("socket gone")

    payload = await _run(tmp_path, {"id": "j8", "kind": "ping", "params": {"host": "h"}},
                         ping=Broken())  # fmt: skip
    assert payload == {"ok": False, "kind": "ping", "error": "OSError: socket gone"}


@run_async
async def test_a_probe_job_runs_any_prober_by_kind(tmp_path: Path) -> None:
    fake = FakeProbers()
    fake.results["tcp"] = ProbeResult(False, 0.2, ProbeReason.refused, "connection refused")
    params = {"kind": "tcp", "target": {"host": "198.18.1.50", "port": 554}, "deadline": 3}
    payload = await _run(tmp_path, {"id": "p1", "kind": "probe", "params": params}, ping=fake)
    assert payload["ok"] is True
    assert payload["output"]["reason"] == "refused"
    (call,) = fake.calls
    assert call == ("tcp", TcpTarget("198.18.1.50", 554), 3.0)
    http = {"kind": "http", "target": {"url": "https://dichvucong.example/", "tls_verify": False}}
    await _run(tmp_path / "b", {"id": "p2", "kind": "probe", "params": http}, ping=fake)
    assert fake.calls[1] == ("http", HttpTarget("https://dichvucong.example/", tls_verify=False),
                             10.0)  # fmt: skip


@run_async
async def test_a_probe_job_with_bad_params_says_what_is_wrong(tmp_path: Path) -> None:
    cases = [
        ({"kind": "snmp"}, "probe params.kind must be one of http, icmp, tcp, got 'snmp'"),
        ({"kind": "tcp", "target": {"host": "h"}}, "probe tcp: the target needs 'port'"),
        ({"kind": "tcp", "target": {"host": "h", "port": "80"}},
         "probe tcp: target 'port' must be a whole number, got '80'"),
        ({"kind": "tcp", "target": {"host": "h", "port": 80, "tls": 1}},
         "probe tcp: unknown target key 'tls': it takes host, port, timeout"),
        ({"kind": "icmp", "target": {"host": "h", "count": True}},
         "probe icmp: target 'count' must be a whole number, got True"),
        ({"kind": "icmp", "target": "h"}, "probe icmp: the target must be an object"),
        ({"kind": "tcp", "target": {"host": "h", "port": 1}, "deadline": 0},
         "probe params.deadline must be over 0 and at most 120"),
    ]  # fmt: skip
    fake = FakeProbers()
    for n, (params, error) in enumerate(cases):
        job = {"id": f"b{n}", "kind": "probe", "params": params}
        payload = await _run(tmp_path / str(n), job, ping=fake)
        assert payload == {"ok": False, "kind": "probe", "error": error}
    assert fake.calls == []


@run_async
async def test_a_request_that_gets_through_ends_the_long_polls_backoff(
    state_dir: Path, fake: FakeCollector, server: ServerThread, caplog: pytest.LogCaptureFixture
) -> None:
    """A job sent right after a WAN outage runs once any request gets through again, not when
    a backoff of up to a minute runs out."""
    state = StateDir(state_dir)
    queue = AsyncDiskQueue(DiskQueue(state.queue_path))
    await asyncio.to_thread(server.stop)  # the WAN link is gone
    status = SyncStatus(AGENT)
    client = CollectorClient(server.url, credential=state.credential(), ca_pem=state.ca_pem())
    runner = JobRunner(client, queue, status, builtin_jobs(FakeProbers().probers()), wait=1.0,
                       backoff=Backoff(60.0, 60.0))  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await wait_for(lambda: "collector unavailable" in caplog.text, 30, "a failed long-poll")
        await asyncio.to_thread(server.start)  # the link is back
        job = fake.add_job(AGENT, "echo", {"n": 1})
        status.answered(await client.get(f"/api/v1/agents/{AGENT}/assignment"))
        await wait_for(lambda: queue.stats().depth == 1, 20, "the job's result queued")
        (entry,) = await queue.peek(10)
        assert json.loads(entry.body)["job"] == job
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await client.aclose()
        await queue.close()
