"""Config backup against the lab with real netmiko: a configuration changed on the second
agency's switch shows in `netwarden config diff`, and a real `netwarden agent run` exports the
backup and the change as metrics.

Only agency 2's switch (sw-so-tc-core) is changed (agency 1 belongs to other tests), and only
its `lan0`, which is always brought back up in a `finally`. The switch stays reachable while
lan0 is down: its management address keeps its local route, so SSH still gets in over wan0.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from netmiko import ConnectHandler

from tests.lab.agent_process import AgentProcess
from tests.lab.conftest import Lab

pytestmark = pytest.mark.timeout(180)

DEVICE = "sw-so-tc-core"
AGENT = "agent-so-tc"
NETWARDEN = str(Path(sys.executable).with_name("netwarden"))  # .venv/bin/netwarden
LAN_BLOCK = " interface lan0\n  ip address 198.18.2.2 255.255.255.0\n"


@contextmanager
def ios(lab: Lab) -> Iterator[Any]:
    """A privileged netmiko session on the switch (the lab's IOS-like CLI)."""
    conn = ConnectHandler(device_type="cisco_ios", host="198.18.2.2", port=2222,
                          username="labops", password=lab.secret("ssh-password"),
                          secret=lab.secret("enable-secret"), conn_timeout=15)  # fmt: skip
    try:
        conn.enable()
        yield conn
    finally:
        conn.disconnect()


def set_lan0(lab: Lab, *, shutdown: bool) -> None:
    with ios(lab) as conn:
        conn.send_config_set(["interface lan0", "shutdown" if shutdown else "no shutdown"])
        shown = conn.send_command("show running-config")
    lan0 = shown.split("interface lan0\n", 1)[1].split("!", 1)[0]
    assert (" shutdown\n" in lan0) == shutdown, shown


@contextmanager
def lan0_shut_down(lab: Lab) -> Iterator[None]:
    """lan0 administratively down for the block; ALWAYS back up afterwards."""
    try:
        set_lan0(lab, shutdown=True)
        yield
    finally:
        set_lan0(lab, shutdown=False)


def netwarden(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NETWARDEN, "config", *map(str, args)], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


def backup(lab: Lab, store: Path) -> str:
    """`config backup DEVICE` through the real CLI; the device's result column."""
    done = netwarden("backup", DEVICE, "-i", lab.state.inventory, "--store", store)
    assert done.returncode == 0, done.stdout + done.stderr
    (row,) = done.stdout.splitlines()[2:]
    assert row.split()[0] == DEVICE
    return row.split()[1]


def test_a_change_made_in_the_lab_shows_in_config_diff(lab: Lab, tmp_path: Path) -> None:
    store = tmp_path / "configs"
    started = time.monotonic()
    assert backup(lab, store) == "new"
    assert backup(lab, store) == "unchanged"  # the live header (byte count) is normalised away
    with lan0_shut_down(lab):
        assert backup(lab, store) == "changed"
        diff = netwarden("diff", DEVICE, "--store", store)
        assert diff.returncode == 0, diff.stderr
        assert LAN_BLOCK + "+ shutdown\n" in diff.stdout, diff.stdout
        assert diff.stdout.startswith(f"--- {DEVICE}.cfg@")  # commit and time in the header
        assert "\n+++ " in diff.stdout and diff.stdout.count("\n+") == 2  # +++ and + shutdown
    # Restored: the next backup records it, and the diff shows the line going away.
    assert backup(lab, store) == "changed"
    diff = netwarden("diff", DEVICE, "--store", store)
    assert LAN_BLOCK + "- shutdown\n" in diff.stdout, diff.stdout
    history = netwarden("history", DEVICE, "--store", store, "-o", "json")
    assert len(yaml.safe_load(history.stdout)) == 3  # new, shut down, restored
    stored = (store / f"{DEVICE}.cfg").read_text()
    assert lab.secret("enable-secret") not in stored and "Current configuration" not in stored
    print(f"5 backups, 2 diffs, 1 history and 2 config changes: {time.monotonic() - started:.1f} s")


def test_the_agent_exports_backup_success_and_the_change(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = yaml.safe_load(Path(lab.state.inventory).read_text())
    for device in document["devices"]:
        if device["id"] == DEVICE:
            device["ssh"]["backup_interval"] = "2s"
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    monkeypatch.setenv("NETWARDEN_CONFIG_STORE", str(tmp_path / "configs"))
    agent = AgentProcess(inventory, AGENT, tmp_path / "agent.log")
    labels = {"device": DEVICE, "site": "so-tc", "role": "switch"}
    try:
        agent.wait_ready(timeout=60)
        agent.wait_value("netwarden_config_backup_success", 1, timeout=30, **labels)
        agent.wait_value("netwarden_config_changes_total", 0, **labels)
        assert agent.value("netwarden_config_changed", **labels) == 0  # a first backup
        before = time.time()
        with lan0_shut_down(lab):
            took = agent.wait_value("netwarden_config_changed", 1, timeout=30, **labels)
            assert agent.value("netwarden_config_changes_total", **labels) == 1
            changed_at = agent.value("netwarden_config_last_change_timestamp_seconds", **labels)
            assert changed_at is not None and changed_at >= before - 1
        # Restoring is a change too; the backup after it finds nothing new: the gauge drops.
        agent.wait_value("netwarden_config_changes_total", 2, timeout=30, **labels)
        agent.wait_value("netwarden_config_changed", 0, timeout=30, **labels)
        last = agent.value("netwarden_config_last_backup_timestamp_seconds", **labels)
        assert last is not None and time.time() - last < 30
        print(f"the agent exported the change {took:.1f} s after it was made")
    finally:
        agent.stop()
