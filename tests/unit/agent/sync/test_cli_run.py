"""`netwarden agent run --state-dir`: option rules, and the real command against the fake
collector (started, heartbeating, polling from its assignment, stopped by SIGTERM)."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.unit.agent.sync.conftest import AGENT, COMMUNITY_ENV, assignment
from tests.unit.agent.sync.fake_collector import FakeCollector
from tests.unit.agent.sync.server import ServerThread

NETWARDEN = [sys.executable, "-m", "netwarden", "agent", "run"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NETWARDEN, *args], capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give --inventory and --agent (standalone), or --state-dir (enrolled)"),
        (("-i", "x.yaml"), "give --inventory and --agent (standalone), or --state-dir"),
        (("-i", "x.yaml", "--agent", "a", "--advertise", "h:1"), "--advertise and the sync"),
        (("--state-dir", "/tmp/s", "--agent", "a"), "--state-dir runs from the assignment"),
        (("--state-dir", "/tmp/s", "--heartbeat-interval", "0.1"), "--heartbeat-interval must"),
        (("--state-dir", "/tmp/s", "--advertise", "nohost"), "--advertise must be HOST:PORT"),
    ],
)
def test_option_rules_are_usage_errors(args: tuple[str, ...], message: str) -> None:
    done = _run(*args)
    assert done.returncode == 2
    assert done.stderr.startswith(f"netwarden: error: {message}"), done.stderr
    assert done.stderr.count("\n") == 1


def _wait_line(proc: subprocess.Popen[str], needle: str, seconds: float) -> str:
    assert proc.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        if selector.select(timeout=0.1):
            line = proc.stderr.readline()
            seen.append(line)
            if needle in line:
                return line
            if not line and proc.poll() is not None:
                break
    raise AssertionError(f"{needle!r} not printed; stderr: {''.join(seen)}")


def test_the_enrolled_agent_runs_from_the_command_line(
    state_dir: Path, fake: FakeCollector, server: ServerThread
) -> None:
    doc = assignment(("sw-1",))
    # A real SNMP session, to a closed port on loopback: a failed device is data.
    snmp = {"credential": "snmp-v2", "port": 9, "interval": "1s", "timeout": "100ms"}
    doc["devices"][0].update(address="127.0.0.1", snmp=snmp)
    fake.set_assignment(AGENT, doc)
    env = {**os.environ, COMMUNITY_ENV: "public"}
    proc = subprocess.Popen(
        [*NETWARDEN, "--state-dir", str(state_dir), "--listen", "127.0.0.1:0",
         "--heartbeat-interval", "1", "--summary-interval", "1", "--advertise", "agent-a:9430"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
    )  # fmt: skip
    try:
        line = _wait_line(proc, "metrics on http://", 30)
        assert f"agent {AGENT} (collector {server.url})" in line
        url = line.rsplit("metrics on ", 1)[1].strip()
        deadline = time.monotonic() + 30
        # The down event too: a heartbeat counting the failed poll may overtake the upload of
        # the event queued with it, and a summary delivered may be one from before the poll.
        while not (fake.heartbeats and fake.heartbeats[-1]["polls_failed"] >= 1
                   and fake.results_of("poll-summary") and fake.results_of("event")):  # fmt: skip
            assert time.monotonic() < deadline, "no heartbeat with a failed poll and its event"
            time.sleep(0.05)
        assert fake.heartbeats[-1]["advertise"] == "agent-a:9430"
        assert fake.heartbeats[-1]["devices_assigned"] == 1
        page = httpx.get(url).text
        assert 'netwarden_device_up{device="sw-1"' in page
        assert "netwarden_agent_collector_up 1" in page
        events = [r["payload"] for r in fake.results_of("event")]
        assert {"device": "sw-1", "state": "down"}.items() <= events[0].items()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
            assert proc.stderr is not None
            proc.stderr.close()
    assert code == 0
