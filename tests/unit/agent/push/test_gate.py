"""A pull-mode agent never loads the push service (protobuf, cramjam, httpx: ~10 MiB of every
agent's RSS); an agent switched to push by a reload loads it and pushes (issue 11, section 4).

The first two tests run the real ``netwarden agent run`` and read the modules the process
ended up with after polling, as tests/unit/cli/test_start_up.py does for the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from netwarden.agent.lifecycle import AgentLifecycle
from netwarden.agent.push.fake import FakeReceiver
from netwarden.agent.push.gate import PushGate, PushPart
from netwarden.agent.push.lanes import LaneSettings
from netwarden.agent.push.service import PushService
from netwarden.agent.standalone import InventoryFiles, NoSink
from netwarden.inventory.model import PushTarget
from tests.unit.agent.sync.conftest import (
    AGENT,
    COMMUNITY_ENV,
    FakeDevices,
    assignment,
    run_async,
    wait_for,
)

# What only pushing needs: none of it may be imported by a pull-mode agent.
PUSH_ONLY = ("netwarden.agent.push.service", "netwarden.agent.push.encode",
             "netwarden.agent.push.spool", "netwarden.agent.push.prompb", "google.protobuf",
             "cramjam", "httpx")  # fmt: skip
# SQLite is only for the queues of an enrolled agent and of pushing (~1 MiB of RSS): a
# standalone pull-mode agent opens neither, so it must not import it.
QUEUE_ONLY = ("sqlite3", "_sqlite3", "netwarden.agent.sqlite_tx", "netwarden.agent.sync.disk_queue")
URL = "http://127.0.0.1:9/api/v1/write"  # never answered: a push agent only has to load

# Runs `agent run` in this process; a thread waits until /metrics shows a completed poll of
# sw-1 (urllib, not httpx: the probe must not load what it checks), prints the modules, and
# stops the agent as an admin would (SIGTERM). The agent listens on a port of its own choice
# (0), which the probe learns from the metrics server as it starts: a free port picked first
# and closed could be taken by another test process before the agent bound it.
_PROBE = """
import json, os, signal, sys, threading, time, urllib.request
from netwarden.agent.http_server import MetricsServer
from netwarden.cli import main
bound = []
_start = MetricsServer.start
async def start(self, host, port):
    address = await _start(self, host, port)
    bound.append(address)
    return address
MetricsServer.start = start
def watch():
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            url = f"http://127.0.0.1:{bound[0][1]}/metrics" if bound else None
            page = urllib.request.urlopen(url, timeout=2).read().decode() if url else ""
        except OSError:
            page = ""
        if 'netwarden_snmp_poll_duration_seconds{device="sw-1"' in page:
            time.sleep(1.5)  # a push agent's gate looks at its inventory every second
            print("MODULES " + json.dumps(sorted(sys.modules)), file=sys.stderr, flush=True)
            break
        time.sleep(0.1)
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=watch, daemon=True).start()
sys.argv = ["netwarden", "agent", "run", *sys.argv[1:]]
main()
"""


def _inventory(path: Path, metrics: str) -> Path:
    document = assignment(("sw-1",))
    # A real SNMP session to a closed port on loopback: a failed device is data, and polled.
    snmp = {"credential": "snmp-v2", "port": 9, "interval": "1s", "timeout": "100ms"}
    document["devices"][0].update(address="127.0.0.1", snmp=snmp)
    document["agents"][0]["metrics"] = metrics
    if metrics == "push":
        document["agents"][0]["push"] = {"url": URL}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _modules_of_agent_run(tmp_path: Path, metrics: str) -> list[str]:
    inventory = _inventory(tmp_path / "inventory.json", metrics)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "-i", str(inventory), "--agent", AGENT,
         "--listen", "127.0.0.1:0", "--spool-dir", str(tmp_path / "spool")],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, COMMUNITY_ENV: "public",
             "NETWARDEN_SNMP_ENGINE_FILE": str(tmp_path / "snmp-engine.json")},
    )  # fmt: skip
    lines = [line for line in done.stderr.splitlines() if line.startswith("MODULES ")]
    assert lines, done.stderr
    loaded: list[str] = json.loads(lines[-1].removeprefix("MODULES "))
    return loaded


def _push_only(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in PUSH_ONLY)]


def test_a_pull_mode_agent_run_does_not_import_the_push_modules(tmp_path: Path) -> None:
    assert _push_only(_modules_of_agent_run(tmp_path, "pull")) == []


def _queue_only(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == q or m.startswith(q + ".") for q in QUEUE_ONLY)]


def test_a_standalone_pull_mode_agent_run_does_not_import_sqlite(tmp_path: Path) -> None:
    assert _queue_only(_modules_of_agent_run(tmp_path, "pull")) == []


def test_a_push_mode_agent_run_loads_them(tmp_path: Path) -> None:
    # The check above is not vacuous: the same run with metrics: push has them.
    modules = _modules_of_agent_run(tmp_path, "push")
    loaded = _push_only(modules)
    assert "netwarden.agent.push.service" in loaded
    assert "google.protobuf" in loaded
    assert "sqlite3" in _queue_only(modules)  # the spool: the SQLite check is not vacuous


@pytest.fixture(autouse=True)
def _community(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COMMUNITY_ENV, "public")


def _write(path: Path, metrics: str) -> None:
    document: dict[str, Any] = assignment(("sw-1",))
    document["agents"][0]["metrics"] = metrics
    if metrics == "push":
        document["agents"][0]["push"] = {"url": URL, "interval": "1s"}
    path.write_text(json.dumps(document), encoding="utf-8")


@run_async
async def test_a_reload_to_push_loads_the_service_and_pushes(tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    _write(path, "pull")
    receivers: list[FakeReceiver] = []

    def receiver(target: PushTarget) -> FakeReceiver:
        receivers.append(FakeReceiver())
        return receivers[-1]

    def load() -> PushPart:
        fast = LaneSettings(backoff_base=0.05, backoff_cap=0.2)
        return PushService(tmp_path / "spool", receiver=receiver, lane_settings=fast)

    gate = PushGate(load)
    agent = AgentLifecycle(InventoryFiles([path], AGENT), NoSink(), FakeDevices().settings(),
                           services=[gate])  # fmt: skip
    await agent.start("127.0.0.1", 0)
    try:
        device = agent.runtime.devices["sw-1"]
        await wait_for(lambda: device.latest is not None, 10, "a poll in pull mode")
        assert gate.service is None
        assert gate.heartbeat_fields() == {"spool_depth": None, "spool_oldest_age": None}
        _write(path, "push")
        os.utime(path, (1, 1))  # a new stamp even within the file system's time resolution
        await wait_for(lambda: gate.service is not None, 15, "the service loaded on reload")
        await wait_for(lambda: receivers and receivers[-1].series("sysUpTime", device="sw-1"),
                       15, "sw-1's samples at the receiver")  # fmt: skip
        assert gate.heartbeat_fields()["spool_depth"] is not None
    finally:
        await agent.close()
    assert gate not in agent.runtime.listeners
