"""``netwarden fleet status`` / ``revoke`` against a real collector over HTTPS (the collector a
process of its own, the commands run in the test's process: tests/cli_in_process.py)."""

from __future__ import annotations

import json
import signal
import ssl
from collections.abc import Iterator

import httpx
import pytest

from netwarden.collector.fleet_commands import fleet_table
from tests.cli_in_process import run_in_process
from tests.unit.collector.collector_process import CollectorProcess
from tests.unit.collector.conftest import CONTRACT


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorProcess]:
    root = tmp_path_factory.mktemp("fleet")
    inventory = root / "inventory.yaml"
    inventory.write_text(CONTRACT.read_text(encoding="utf-8"), encoding="utf-8")
    proc = CollectorProcess(inventory, root / "data")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop(signal.SIGKILL)


def _token(collector: CollectorProcess, *args: str) -> str:
    done = run_in_process(
        "collector", "token", "create", *args, "--data-dir", str(collector.data_dir)
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _fleet(collector: CollectorProcess, token: str | None, *args: str):  # type: ignore[no-untyped-def]
    env = {"NETWARDEN_COLLECTOR": collector.url,
           "NETWARDEN_CA_FILE": str(collector.data_dir / "tls" / "ca.pem"),
           "NETWARDEN_TOKEN": token or ""}  # fmt: skip
    return run_in_process("fleet", *args, env=env)


def test_status_lists_agents_in_table_and_json(collector: CollectorProcess) -> None:
    viewer = _token(collector, "--user", "watcher", "--role", "viewer")
    join = _token(collector, "--agent", "agent-so-khcn", "-i", str(collector.inventory))
    ca = ssl.create_default_context(cafile=str(collector.data_dir / "tls" / "ca.pem"))
    enrolled = httpx.post(f"{collector.url}/api/v1/enroll", verify=ca,
                          json={"token": join, "hostname": "h", "version": "0.1.0"})  # fmt: skip
    assert enrolled.status_code == 200
    table = _fleet(collector, viewer, "status")
    assert table.returncode == 0, table.stderr
    header, _, row = table.stdout.splitlines()
    assert header.split()[:3] == ["AGENT", "SITE", "STATE"]
    assert row.split()[:4] == ["agent-so-khcn", "so-khcn", "never", "never"]
    as_json = json.loads(_fleet(collector, viewer, "status", "--output", "json").stdout)
    assert [a["id"] for a in as_json["agents"]] == ["agent-so-khcn"]


def test_missing_token_or_collector_is_a_usage_error(collector: CollectorProcess) -> None:
    done = _fleet(collector, None, "status")
    assert done.returncode == 2
    assert done.stderr.startswith("netwarden: error: NETWARDEN_TOKEN is not set")
    no_url = run_in_process("fleet", "status", env={"NETWARDEN_TOKEN": "nwu.x.y",
                                             "NETWARDEN_COLLECTOR": ""})  # fmt: skip
    assert no_url.returncode == 2
    assert "--collector" in no_url.stderr


def test_refusals_name_the_role_needed(collector: CollectorProcess) -> None:
    viewer = _token(collector, "--user", "watcher2", "--role", "viewer")
    denied = _fleet(collector, viewer, "revoke", "agent-so-khcn")
    assert denied.returncode == 1
    assert "admin role" in denied.stderr
    assert len(denied.stderr.strip().splitlines()) == 1
    bad = _fleet(collector, "nwu.watcher.wrong", "status")
    assert bad.returncode == 1
    assert "viewer role" in bad.stderr


def test_revoke_then_status_shows_revoked(collector: CollectorProcess) -> None:
    _token(collector, "--agent", "agent-dc", "-i", str(collector.inventory))
    admin = _token(collector, "--user", "boss", "--role", "admin")
    done = _fleet(collector, admin, "revoke", "agent-dc")
    assert done.returncode == 0, done.stderr
    agents = json.loads(_fleet(collector, admin, "status", "-o", "json").stdout)["agents"]
    assert {a["id"]: a["state"] for a in agents}["agent-dc"] == "revoked"
    missing = _fleet(collector, admin, "revoke", "agent-nobody")
    assert missing.returncode == 1
    assert "agent-nobody" in missing.stderr


def test_plain_http_needs_insecure(collector: CollectorProcess) -> None:
    done = run_in_process("fleet", "status", "--collector", "http://127.0.0.1:9", env={
        "NETWARDEN_TOKEN": "nwu.x.y"})  # fmt: skip
    assert done.returncode == 2
    assert "--insecure" in done.stderr
    closed = run_in_process("fleet", "status", "--collector", "http://127.0.0.1:9", "--insecure",
                     env={"NETWARDEN_TOKEN": "nwu.x.y"})  # fmt: skip
    assert closed.returncode == 1
    assert "cannot reach the collector" in closed.stderr


def test_stale_agents_are_upper_case_and_red_on_a_terminal() -> None:
    agents = [
        {"id": "a1", "site": "s1", "state": "up", "last_seen": 95.0, "version": "0.1",
         "devices_assigned": 4, "devices_healthy": 4, "queue_depth": 0, "clock_offset": 0.01},
        {"id": "a2", "site": "s2", "state": "stale", "last_seen": 0.0, "version": "0.1",
         "devices_assigned": 3, "devices_healthy": 1, "queue_depth": 120, "clock_offset": -2.0},
    ]  # fmt: skip
    plain = fleet_table(agents, 100.0, color=False).splitlines()
    assert plain[2].split()[2:4] == ["up", "5s"]
    assert plain[3].split()[2] == "STALE"
    assert "1/3" in plain[3] and "-2.00s" in plain[3]
    colored = fleet_table(agents, 100.0, color=True).splitlines()
    assert colored[3].startswith("\x1b[") and "STALE" in colored[3]
    assert colored[2] == plain[2]


def test_push_agents_show_their_spool() -> None:
    base = {
        "site": "s",
        "state": "up",
        "last_seen": 95.0,
        "version": "0.1",
        "devices_assigned": 1,
        "devices_healthy": 1,
        "queue_depth": 0,
        "clock_offset": 0.0,
    }
    agents = [
        {**base, "id": "pull"},  # an older agent or a pull agent: no spool fields at all
        {**base, "id": "push-ok", "spool_depth": 0, "spool_oldest_age": 0.0},
        {**base, "id": "push-behind", "spool_depth": 86_400, "spool_oldest_age": 3900.0},
    ]  # fmt: skip
    lines = fleet_table(agents, 100.0, color=False).splitlines()
    assert "PUSH SPOOL" in lines[0]
    spool_at = lines[0].index("PUSH SPOOL")
    assert [line[spool_at:].split("  ")[0] for line in lines[2:]] == ["-", "0", "86400 (65m)"]
