"""Issue 20 end to end on loopback, real processes: `collector serve`, an enrolled `agent run`
receiving a trap from net-snmp's snmptrap and syslog from logger (UDP and TCP), `events tail`
following and `events search` finding them; syslog sent while the collector is down arrives
once it is back (the events queue keeps it)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ports import free_port
from tests.unit.collector.collector_process import NETWARDEN, CollectorProcess, run_cli
from tests.waiting import wait_for

COMMUNITY_ENV = "NW_E2E_EVENTS_COMMUNITY"
INVENTORY = f"""province: e2e
sites: [{{id: so-e, name: "Sở E2E", kind: agency}}]
agents: [{{id: agent-e, site: so-e}}]
devices:
  - {{id: sw-e, site: so-e, address: 127.0.0.1, role: switch,
     snmp: {{credential: v2, interval: 60s, timeout: 200ms}}, icmp: {{enabled: false}}}}
credentials: {{v2: {{snmp: {{version: 2c, community: "env:{COMMUNITY_ENV}"}}}}}}
"""


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args}: {done.stderr}{done.stdout}"
    return done.stdout


class Follower:
    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip():
                self.events.append(json.loads(line))

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        self._reader.join(timeout=10)  # it ends at the pipe's EOF; then the pipes can close
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    data = tmp_path / "data"
    # A port of its own, not the kernel's choice: the test stops the collector and starts it
    # again on the same port, and an ephemeral one may be taken in between (free_port).
    collector = CollectorProcess(inventory, data, free_port(), insecure=True)
    collector.start()
    env = {**os.environ, COMMUNITY_ENV: "public"}
    agent: subprocess.Popen[bytes] | None = None
    tail: Follower | None = None
    try:

        def token(*args: str) -> str:
            done = run_cli(
                "collector", "token", "create", *args, "--data-dir", str(data), "--output", "json"
            )
            return str(json.loads(_ok(done))["token"])

        viewer = token("--user", "noc", "--role", "viewer")
        join = token("--agent", "agent-e", "-i", str(inventory), "--insecure")
        state = tmp_path / "state"
        _ok(
            run_cli(
                "agent",
                "enroll",
                "--collector",
                collector.url,
                "--token",
                join,
                "--state-dir",
                str(state),
                "--insecure",
            )
        )
        # The agent binds syslog on UDP and TCP alike.
        trap_port, syslog_port = free_port(udp=True), free_port(udp=True)
        with (tmp_path / "agent.log").open("wb") as log:
            agent = subprocess.Popen(
                [
                    *NETWARDEN,
                    "agent",
                    "run",
                    "--state-dir",
                    str(state),
                    "--listen",
                    "127.0.0.1:0",
                    "--trap-listen",
                    f"127.0.0.1:{trap_port}",
                    "--syslog-listen",
                    f"127.0.0.1:{syslog_port}",
                    "--heartbeat-interval",
                    "1",
                    "--config-store",
                    str(tmp_path / "configs"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        user_env = {**os.environ, "NETWARDEN_TOKEN": viewer}
        tail = Follower(
            [
                *NETWARDEN,
                "events",
                "tail",
                "--collector",
                collector.url,
                "--insecure",
                "--output",
                "json",
                "--lines",
                "0",
            ],
            user_env,
        )
        yield {
            "collector": collector,
            "trap": trap_port,
            "syslog": syslog_port,
            "tail": tail,
            "env": user_env,
            "log": tmp_path / "agent.log",
        }
    finally:
        if tail is not None:
            tail.stop()
        if agent is not None and agent.poll() is None:
            os.kill(agent.pid, signal.SIGTERM)
            agent.wait(timeout=20)
        collector.stop()


def _logger(port: int, *args: str) -> None:
    _ok(
        subprocess.run(
            [
                "logger",
                "--server",
                "127.0.0.1",
                "--port",
                str(port),
                "-p",
                "local7.notice",
                "-t",
                "e2e",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    )


def _agent_ready(log: Path) -> bool:
    """The agent serves /metrics and has its assignment (/-/ready): before that it knows no
    device, and an event's sender would not be matched to one."""
    found = re.search(rb"metrics on (http://\S+)/metrics", log.read_bytes())
    if found is None:
        return False
    try:
        with urllib.request.urlopen(found.group(1).decode() + "/-/ready", timeout=5) as answer:
            return int(answer.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def test_traps_and_syslog_reach_events_tail_and_search_across_a_collector_outage(
    stack: dict[str, Any], tmp_path: Path
) -> None:
    tail: Follower = stack["tail"]
    wait_for(
        "the agent started with its assignment",
        lambda: _agent_ready(stack["log"]),
        60,
        describe=lambda: stack["log"].read_text(errors="replace")[-800:],
    )
    _ok(
        subprocess.run(
            [
                "snmptrap",
                "-v2c",
                "-c",
                "public",
                f"127.0.0.1:{stack['trap']}",
                "",
                "1.3.6.1.6.3.1.1.5.3",
                "1.3.6.1.2.1.2.2.1.1.4",
                "i",
                "4",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
            # its persistent file of its own: other tests' net-snmp tools rewrite the machine's
            # at the same time, and one read mid-rewrite fails the tool (see world.sh)
            env={**os.environ, "SNMP_PERSISTENT_DIR": str(tmp_path / "snmp")},
        )
    )
    _logger(stack["syslog"], "--udp", "plain udp line")
    _logger(stack["syslog"], "--tcp", "--octet-count", "%SYS-5-CONFIG_I: Configured from console")
    wait_for(
        "three events in events tail",
        lambda: len(tail.events) >= 3,
        60,
        describe=lambda: tail.events,
    )
    by_kind = {e["kind"]: e for e in tail.events}
    assert set(by_kind) == {"linkDown", "other", "configChange"}
    assert {e["device"] for e in tail.events} == {"sw-e"}
    assert by_kind["linkDown"]["ifIndex"] == 4
    collector: CollectorProcess = stack["collector"]
    collector.stop()  # the WAN is down: the agent keeps what it receives
    _logger(stack["syslog"], "--udp", "sent during the outage")
    collector.start()
    wait_for(
        "the outage's line after the collector came back",
        lambda: any(e["message"] == "sent during the outage" for e in tail.events),
        90,
        describe=lambda: tail.events[-3:],
    )
    found = json.loads(
        _ok(
            run_cli(
                "events",
                "search",
                "--since",
                "1h",
                "--grep",
                "CONFIG_I",
                "--collector",
                collector.url,
                "--insecure",
                "--output",
                "json",
                env=stack["env"],
            )
        )
    )
    assert [e["kind"] for e in found["events"]] == ["configChange"]
