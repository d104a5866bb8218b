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
from netwarden.agent.probes.result import ProbeReason, ProbeResult
from netwarden.agent.probes.tcp import TcpTarget
from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.disk_queue import DiskQueue
from netwarden.agent.sync.job_record import AsyncJobRecord, JobRecord
from netwarden.agent.sync.jobs import JobRunner, bounded_payload, builtin_jobs
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
    await runner.record.close()
    body = json.loads(entry.body)
    assert (body["kind"], body["job"]) == ("job-result", job["id"])
    return dict(body["payload"])


@run_async
async def test_echo_returns_its_params(tmp_path: Path) -> None:
    params = {"text": "xin chào", "n": [1, 2]}
    payload = await _run(tmp_path, {"id": "j1", "kind": "echo", "params": params})
    text = json.dumps(params, indent=2, ensure_ascii=False) + "\n"
    assert payload == {"ok": True, "kind": "echo", "output": params, "text": text}


@run_async
async def test_an_unknown_kind_is_a_failed_result_naming_the_known_ones(tmp_path: Path) -> None:
    payload = await _run(tmp_path, {"id": "j2", "kind": "reboot-switch", "params": {}})
    error = "unknown job kind 'reboot-switch': this agent runs echo, probe"
    assert payload == {"ok": False, "kind": "reboot-switch", "error": error}


@run_async
async def test_params_that_are_not_an_object_are_a_clear_error(tmp_path: Path) -> None:
    payload = await _run(tmp_path, {"id": "j6", "kind": "echo", "params": [1]})
    assert payload == {"ok": False, "kind": "echo", "error": "job params must be an object"}


@run_async
async def test_a_job_that_hangs_times_out(tmp_path: Path) -> None:
    class Hanging(FakeProbers):
        async def answer(self, kind: str, target: Any, deadline: float) -> ProbeResult:
            await asyncio.sleep(60)
            raise AssertionError("not reached")

    job = {"id": "j7", "kind": "probe", "params": {"kind": "icmp", "target": {"host": "h"}}}
    payload = await _run(tmp_path, job, ping=Hanging(), job_timeout=0.1)
    assert payload == {"ok": False, "kind": "probe", "error": "timed out after 0.1 s"}


@run_async
async def test_a_job_that_raises_is_a_failed_result(tmp_path: Path) -> None:
    class Broken(FakeProbers):
        async def answer(self, kind: str, target: Any, deadline: float) -> ProbeResult:
            raise OSError("socket gone")

    job = {"id": "j8", "kind": "probe", "params": {"kind": "icmp", "target": {"host": "h"}}}
    payload = await _run(tmp_path, job, ping=Broken())
    assert payload == {"ok": False, "kind": "probe", "error": "OSError: socket gone"}


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
    assert fake.calls[1] == (
        "http",
        HttpTarget("https://dichvucong.example/", tls_verify=False),
        10.0,
    )


@run_async
async def test_a_probe_job_with_bad_params_says_what_is_wrong(tmp_path: Path) -> None:
    cases = [
        ({"kind": "snmp"}, "probe params.kind must be one of http, icmp, tcp, got 'snmp'"),
        ({"kind": "tcp", "target": {"host": "h"}}, "probe tcp: the target needs 'port'"),
        (
            {"kind": "tcp", "target": {"host": "h", "port": "80"}},
            "probe tcp: target 'port' must be a whole number, got '80'",
        ),
        (
            {"kind": "tcp", "target": {"host": "h", "port": 80, "tls": 1}},
            "probe tcp: unknown target key 'tls': it takes host, port, timeout",
        ),
        (
            {"kind": "icmp", "target": {"host": "h", "count": True}},
            "probe icmp: target 'count' must be a whole number, got True",
        ),
        ({"kind": "icmp", "target": "h"}, "probe icmp: the target must be an object"),
        (
            {"kind": "tcp", "target": {"host": "h", "port": 1}, "deadline": 0},
            "probe params.deadline must be over 0 and at most 120",
        ),
    ]
    fake = FakeProbers()
    for n, (params, error) in enumerate(cases):
        job = {"id": f"b{n}", "kind": "probe", "params": params}
        payload = await _run(tmp_path / str(n), job, ping=fake)
        assert payload == {"ok": False, "kind": "probe", "error": error}
    assert fake.calls == []


def test_a_result_too_big_for_the_collector_is_cut_or_refused() -> None:
    small = {"ok": True, "kind": "ssh_command", "output": {"n": 1}, "text": "x" * 100}
    assert bounded_payload(small, 1024) is small
    long_text = {"ok": True, "kind": "ssh_command", "output": {"n": 1}, "text": "é" * 2000}
    cut = bounded_payload(long_text, 1024)
    assert cut["truncated"] is True and cut["output"] == {"n": 1}
    assert cut["text"].endswith("[... cut: a job result carries at most 1 KiB]\n")
    assert len(json.dumps(cut, ensure_ascii=False).encode()) <= 1024
    huge = {"ok": True, "kind": "snmp_walk", "output": {"rows": ["r" * 50] * 100}, "text": ""}
    refused = bounded_payload(huge, 1024)
    assert refused["ok"] is False and refused["kind"] == "snmp_walk"
    assert refused["error"].startswith("the result is 5 KiB, over the 1 KiB a job result")


@run_async
async def test_a_job_cut_short_by_a_stopping_agent_is_recorded_and_answered(
    tmp_path: Path,
) -> None:
    """Stopping the agent cancels a running job: it is answered as interrupted at once (and
    recorded so), not left for the collector's lease to find."""
    started = asyncio.Event()

    class Slow(FakeProbers):
        async def answer(self, kind: str, target: Any, deadline: float) -> ProbeResult:
            started.set()
            await asyncio.sleep(60)
            raise AssertionError("not reached")

    queue = AsyncDiskQueue(DiskQueue(tmp_path / "queue.db"))
    client = CollectorClient("http://127.0.0.1:9")
    record = AsyncJobRecord(JobRecord(tmp_path / "jobs.db"))
    runner = JobRunner(
        client, queue, SyncStatus(AGENT), builtin_jobs(Slow().probers()), record=record
    )
    job = {
        "id": "slow",
        "kind": "probe",
        "params": {"kind": "tcp", "target": {"host": "h", "port": 1}},
    }
    task = asyncio.create_task(runner.run_job(job))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    (entry,) = await queue.peek(10)
    payload = json.loads(entry.body)["payload"]
    assert payload["interrupted"] is True and payload["kind"] == "probe"
    assert "the agent was stopped while this job ran" in payload["error"]
    known = await record.claim("slow", "probe")
    assert known is not None and known.payload == payload
    await queue.close()
    await record.close()
    await client.aclose()


def test_the_record_claims_once_and_keeps_results(tmp_path: Path) -> None:
    now = [1000.0]
    record = JobRecord(tmp_path / "jobs.db", max_age=100, max_rows=3, clock=lambda: now[0])
    assert record.claim("a", "ping") is None
    again = record.claim("a", "ping")
    assert again is not None and again.payload is None and again.started_at == 1000.0
    record.finish("a", {"ok": True, "kind": "ping"})
    record.close()
    reopened = JobRecord(tmp_path / "jobs.db", max_age=100, max_rows=3, clock=lambda: now[0])
    known = reopened.claim("a", "ping")
    assert known is not None and known.payload == {"ok": True, "kind": "ping"}
    for n in range(4):
        now[0] += 1
        assert reopened.claim(f"b{n}", "echo") is None
    assert reopened.prune() == 2  # at most 3 rows: the oldest two go ("a" and "b0")
    assert reopened.claim("a", "ping") is None  # forgotten: a new claim
    now[0] += 500
    reopened.finish("a", {"ok": True})
    assert reopened.prune() == 1  # finished and older than max_age; unfinished rows stay
    assert reopened.count() == 3  # b1, b2, b3: claimed, never finished
    reopened.close()


@run_async
async def test_a_job_is_not_run_when_it_cannot_be_recorded(tmp_path: Path) -> None:
    ran = FakeProbers()
    queue = AsyncDiskQueue(DiskQueue(tmp_path / "queue.db"))
    client = CollectorClient("http://127.0.0.1:9")
    broken = JobRecord(tmp_path / "jobs.db")
    broken.close()  # every claim now fails, as on a dead disk
    record = AsyncJobRecord(broken)
    runner = JobRunner(client, queue, SyncStatus(AGENT), builtin_jobs(ran.probers()), record=record)
    job = {
        "id": "r1",
        "kind": "probe",
        "params": {"kind": "tcp", "target": {"host": "h", "port": 1}},
    }
    await runner.run_job(job)
    (entry,) = await queue.peek(10)
    payload = json.loads(entry.body)["payload"]
    assert payload == {
        "ok": False,
        "kind": "probe",
        "error": "not run: the agent cannot "
        "record jobs in its state dir (Cannot operate on a closed database.)",
    }
    assert ran.calls == []
    await queue.close()
    await record.close()  # closing a closed database is harmless
    await client.aclose()


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
