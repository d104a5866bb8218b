"""ssh_command (the per-platform read-only allow-list) and set_interface_admin (shut and no
shut through the SSH pool, the state read before and after) with the fake SSH runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.agent.actions import allow_list
from netwarden.agent.ssh.types import SshError, SshReason
from tests.unit.agent.actions.rig import Rig, ios_interfaces, rig, run_async

UP = "GigabitEthernet0/0/0 is up, line protocol is up"
ADMIN_DOWN = "GigabitEthernet0/0/0 is administratively down, line protocol is down"


@pytest.mark.parametrize(
    ("platform", "command", "sent"),
    [
        ("cisco_ios", "show version", "show version"),
        ("cisco_ios", "SHOW  ip   route 198.18.1.0", "SHOW ip route 198.18.1.0"),
        (
            "cisco_ios",
            "show interfaces Gi0/0/1 | include errors",
            "show interfaces Gi0/0/1 | include errors",
        ),
        (
            "huawei",
            "display interface GigabitEthernet0/0/1",
            "display interface GigabitEthernet0/0/1",
        ),
        ("hp_comware", "display arp", "display arp"),
        ("linux", "df -h", "df -h"),
        ("linux", "ps aux --sort=-%cpu", "ps aux --sort=-%cpu"),
    ],
)
def test_allowed_commands_are_sent_as_written(platform: str, command: str, sent: str) -> None:
    assert allow_list.check(platform, command) == sent


@pytest.mark.parametrize(
    ("platform", "command", "why"),
    [
        ("cisco_ios", "configure terminal", "is not a read-only command allowed on cisco_ios"),
        ("cisco_ios", "sh ip int br", "is not a read-only command allowed on cisco_ios"),
        ("cisco_ios", "show running-config", "is not a read-only command allowed on cisco_ios"),
        ("cisco_ios", "reload", "is not a read-only command allowed on cisco_ios"),
        ("cisco_ios", "show interfaces Gi0/1;reload", "is not a read-only command allowed"),
        ("cisco_ios", "show version | redirect flash:x", "only one output filter"),
        ("cisco_ios", "show version | include a | include b", "only one output filter"),
        ("huawei", "undo shutdown", "is not a read-only command allowed on huawei"),
        ("linux", "df -h; reboot", "shell syntax is not allowed on linux"),
        ("linux", "df -h | head", "shell syntax is not allowed on linux"),
        ("linux", "cat /etc/shadow", "is not a read-only command allowed on linux"),
        ("linux", "top -b -n 1 $(reboot)", "shell syntax is not allowed on linux"),
        ("junos", "show version", "no read-only commands are known for platform junos"),
    ],
)
def test_anything_else_is_refused_saying_why(platform: str, command: str, why: str) -> None:
    with pytest.raises(allow_list.Refused) as caught:
        allow_list.check(platform, command)
    assert why in str(caught.value)
    assert "\n" not in str(caught.value)


@run_async
async def test_ssh_command_runs_an_allowed_command_on_the_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(
        tmp_path, monkeypatch, ssh_outputs={"srv-1": {"df -h": "Filesystem Size\n/dev/sda1 20G\n"}}
    )
    outcome = await r.run("ssh_command", {"device": "srv-1", "command": "df -h"})
    assert outcome.ok, outcome.error
    assert outcome.output == {
        "device": "srv-1",
        "platform": "linux",
        "command": "df -h",
        "output": "Filesystem Size\n/dev/sda1 20G\n",
    }
    assert outcome.text == "srv-1# df -h\nFilesystem Size\n/dev/sda1 20G\n"
    assert r.ssh.sessions == [("srv-1", ("df -h",))]
    r.close()


@run_async
async def test_ssh_command_off_the_allow_list_opens_no_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch)
    outcome = await r.run("ssh_command", {"device": "sw-1", "command": "configure terminal"})
    assert not outcome.ok
    assert outcome.error.startswith(
        "ssh_command refused: 'configure terminal' is not a read-only command allowed on "
        "cisco_ios (allowed: show version, show clock, "
    )
    assert r.ssh.sessions == []
    r.close()


@run_async
async def test_ssh_command_failures_are_one_line_with_what_the_device_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invalid = "show ip ospf neighbor\n                ^\n% Invalid input detected at '^' marker.\n"
    r = rig(tmp_path, monkeypatch, ssh_outputs={"show ip ospf neighbor": invalid})
    refused = await r.run("ssh_command", {"device": "sw-1", "command": "show ip ospf neighbor"})
    assert not refused.ok
    assert refused.error == (
        "sw-1 refused 'show ip ospf neighbor': % Invalid input detected at '^' marker."
    )
    assert refused.output is not None and refused.output["output"] == invalid
    assert refused.text.startswith("sw-1# show ip ospf neighbor\n")
    r.ssh.fail["sw-1"] = SshError(SshReason.auth, "sw-1 (198.18.1.2:2222): connect failed: auth")
    denied = await r.run("ssh_command", {"device": "sw-1", "command": "show version"})
    assert denied.error == (
        "ssh_command on sw-1 failed (auth): sw-1 (198.18.1.2:2222): connect failed: auth"
    )
    no_ssh = await r.run("ssh_command", {"device": "cam-1", "command": "show version"})
    assert no_ssh.error == "cam-1: device cam-1 has no ssh block in the inventory"
    r.close()


def _switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_line: str) -> Rig:
    """A rig whose sw-1 answers ``show interfaces IF`` and flips Gi0/0/0 when configured."""
    blocks = ios_interfaces()
    name = "GigabitEthernet0/0/0"
    blocks[name] = blocks[name].replace(UP, first_line, 1)
    outputs = {f"show interfaces {n}": block for n, block in blocks.items()}
    r = rig(tmp_path, monkeypatch, ssh_outputs={"sw-1": outputs})

    def apply(device: str, lines: tuple[str, ...]) -> None:
        state = ADMIN_DOWN if lines[-1] == "shutdown" else UP
        current = outputs[f"show interfaces {name}"].splitlines()[0].rstrip()
        outputs[f"show interfaces {name}"] = outputs[f"show interfaces {name}"].replace(
            current, state, 1
        )

    r.ssh.on_configure = apply
    return r


@run_async
async def test_set_interface_admin_shuts_and_restores_and_reads_the_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _switch(tmp_path, monkeypatch, UP)
    params = {"device": "sw-1", "interface": "GigabitEthernet0/0/0", "state": "down"}
    shut = await r.run("set_interface_admin", params)
    assert shut.ok, shut.error
    assert shut.output == {
        "device": "sw-1",
        "interface": "GigabitEthernet0/0/0",
        "state": "down",
        "before": {"admin": "up", "oper": "up"},
        "after": {"admin": "down", "oper": "down"},
        "changed": True,
    }
    assert r.ssh.configured == [("sw-1", ("interface GigabitEthernet0/0/0", "shutdown"))]
    assert shut.text.splitlines()[0] == "sw-1 GigabitEthernet0/0/0: shutdown"
    again = await r.run("set_interface_admin", params)
    assert again.ok and again.output is not None and again.output["changed"] is False
    assert again.text == "sw-1 GigabitEthernet0/0/0: already admin down, left alone\n"
    restore = await r.run("set_interface_admin", {**params, "state": "up"})
    assert restore.ok and restore.output is not None
    assert restore.output["after"] == {"admin": "up", "oper": "up"}
    assert r.ssh.configured[-1] == ("sw-1", ("interface GigabitEthernet0/0/0", "no shutdown"))
    assert len(r.ssh.configured) == 2
    r.close()


@run_async
async def test_a_change_the_device_did_not_take_is_a_failed_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _switch(tmp_path, monkeypatch, UP)
    r.ssh.on_configure = None  # the device ignores the shutdown
    params = {"device": "sw-1", "interface": "GigabitEthernet0/0/0", "state": "down"}
    outcome = await r.run("set_interface_admin", params)
    assert not outcome.ok
    assert outcome.error == "sw-1 GigabitEthernet0/0/0 is still admin up after 'shutdown'"
    assert outcome.output is not None and outcome.output["changed"] is True
    assert outcome.text.splitlines()[-1] == "after:  admin up, oper up"
    r.close()


@run_async
async def test_set_interface_admin_refuses_what_it_cannot_do_safely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _switch(tmp_path, monkeypatch, UP)
    invalid = "show interfaces Gi9/9\n                ^\n% Invalid input detected at '^' marker.\n"
    r.ssh_outputs["sw-1"]["show interfaces Gi9/9"] = invalid
    missing = await r.run(
        "set_interface_admin", {"device": "sw-1", "interface": "Gi9/9", "state": "down"}
    )
    assert missing.error == (
        "sw-1 has no interface 'Gi9/9': % Invalid input detected at '^' marker."
    )
    odd = await r.run(
        "set_interface_admin", {"device": "sw-1", "interface": "Gi0/1 ; reload", "state": "down"}
    )
    assert odd.error == "set_interface_admin: 'Gi0/1 ; reload' is not an interface name"
    host = await r.run(
        "set_interface_admin", {"device": "srv-1", "interface": "eth0", "state": "down"}
    )
    assert host.error == (
        "set_interface_admin: platform linux of srv-1 is not supported (only cisco_ios, "
        "huawei, hp_comware)"
    )
    r.ssh.fail["sw-1"] = SshError(SshReason.timeout, "sw-1: no result within 60 s")
    lost = await r.run(
        "set_interface_admin",
        {"device": "sw-1", "interface": "GigabitEthernet0/0/0", "state": "down"},
    )
    assert lost.error == (
        "sw-1: 'show interfaces GigabitEthernet0/0/0' failed (timeout): sw-1: no result within 60 s"
    )
    assert r.ssh.configured == []
    r.close()
