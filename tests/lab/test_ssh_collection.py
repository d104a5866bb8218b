"""SSH collection against the lab with real netmiko: the IOS-like CLI of core-rtr, the Linux
sshd of the DC hosts, failures with their reasons, and a real `netwarden agent run`."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import yaml

from netwarden.agent.ssh.collection import SshCollection, collect
from netwarden.agent.ssh.netmiko_runner import NetmikoRunner
from netwarden.agent.ssh.plans import PLANS
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.ssh.targets import ssh_target_for
from netwarden.agent.ssh.types import SshTarget
from netwarden.inventory import load_inventory
from netwarden.lab.ios_cli.render import IOS_VERSION, PLATFORM, serial_number
from netwarden.lab.topology import build_plan
from tests.lab.agent_process import AgentProcess, fast_inventory
from tests.lab.conftest import Lab
from tests.waiting import wait_for

pytestmark = pytest.mark.timeout(300)

IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
MIB = 1024 * 1024


def target(lab: Lab, device: str, inventory: Path | None = None) -> SshTarget:
    inv = load_inventory([inventory or Path(lab.state.inventory)])
    return ssh_target_for(inv, inv.device(device))


def run(target: SshTarget, log_dir: Path | None = None) -> SshCollection:
    async def once() -> SshCollection:
        pool = SshPool(NetmikoRunner(log_dir), 2)
        try:
            return await collect(pool, target, PLANS.get(target.platform), deadline=60)
        finally:
            pool.close()

    return asyncio.run(once())


def snmp_walk(lab: Lab, address: str, oid: str) -> list[str]:
    done = lab.snmp(address, oid, command="snmpwalk")
    assert done.returncode == 0, done.stderr
    return [line.strip().strip('"') for line in done.stdout.splitlines() if line.strip()]


def test_core_router_interfaces_match_snmp_and_version(lab: Lab, tmp_path: Path) -> None:
    core = target(lab, "core-rtr")
    got = run(core, tmp_path / "logs")
    assert got.success, got.message
    assert got.parse_errors == {}
    cli_view = {i.name: i.oper_up for i in got.interfaces}

    def snmp_view() -> dict[str, bool]:
        names = snmp_walk(lab, core.host, IF_NAME)
        oper = snmp_walk(lab, core.host, IF_OPER)
        return {name: state in ("1", "up") for name, state in zip(names, oper, strict=True)}

    # The CLI reads the kernel; snmpd serves its interface table from a cache of a few
    # seconds, which lags a link another module restored a moment ago.
    wait_for("IF-MIB agrees with the CLI", lambda: snmp_view() == cli_view, 15, every=0.5,
             describe=snmp_view)  # fmt: skip
    wan1 = next(i for i in got.interfaces if i.name == "wan1")
    assert wan1.in_octets is not None and wan1.in_octets > 0  # a live WAN link carries SNMP
    assert got.version is not None
    assert (got.version.os_version, got.version.model, got.version.hostname) == (
        IOS_VERSION,
        PLATFORM,
        "core-rtr",
    )
    assert got.version.serial == serial_number("core-rtr")
    assert got.version.uptime_seconds is not None and got.version.uptime_seconds >= 0
    # The session log shows the session, and neither the password nor the enable secret
    log = (tmp_path / "logs" / "core-rtr.log").read_text()
    assert "show interfaces" in log and "core-rtr#" in log
    assert lab.secret("ssh-password") not in log
    assert lab.secret("enable-secret") not in log


@pytest.mark.parametrize("device", ["dc-web-01", "dc-db-01"])
def test_dc_host_filesystems_load_memory_and_no_systemd(lab: Lab, device: str) -> None:
    planned = next(d for d in build_plan(**lab.state.params).devices if d.id == device)
    got = run(target(lab, device))
    assert got.success, got.message
    assert got.parse_errors == {}
    host = got.host
    assert host is not None and host.filesystems is not None
    mnt = next(fs for fs in host.filesystems if fs.mountpoint == "/mnt")
    assert (mnt.fstype, mnt.size_bytes, mnt.used_bytes) == (
        "tmpfs",
        planned.tmpfs_mb * MIB,
        planned.fill_mb * MIB,
    )
    assert mnt.avail_bytes == (planned.tmpfs_mb - planned.fill_mb) * MIB
    assert host.load is not None and host.load.load1 >= 0
    assert host.memory is not None and 0 < host.memory.available_bytes <= host.memory.total_bytes
    # The lab's hosts are namespaces without systemd as PID 1: unavailable, not an error
    assert (host.systemd_available, host.failed_units) == (False, None)


def copy_with_secret(lab: Lab, tmp_path: Path, key: str, wrong: str) -> Path:
    secret = tmp_path / "wrong-secret"
    secret.write_text(wrong + "\n")
    document = yaml.safe_load(Path(lab.state.inventory).read_text())
    document["credentials"]["ssh-lab"]["ssh"][key] = f"file:{secret}"
    copy = tmp_path / "inventory.yaml"
    copy.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return copy


@pytest.mark.parametrize(("device", "key"), [
    ("core-rtr", "password"), ("dc-web-01", "password"), ("core-rtr", "enable_secret"),
])  # fmt: skip
def test_wrong_password_or_enable_secret_is_auth(
    lab: Lab, tmp_path: Path, device: str, key: str
) -> None:
    inventory = copy_with_secret(lab, tmp_path, key, "not-the-lab-secret")
    started = time.monotonic()
    got = run(target(lab, device, inventory))
    elapsed = time.monotonic() - started
    assert (got.success, got.reason) == (False, "auth"), got.message
    assert elapsed < 10, f"auth failure took {elapsed:.1f} s"
    assert "not-the-lab-secret" not in got.message
    if key == "enable_secret":  # the login worked; `enable` refused the secret
        assert "enable refused" in got.message


def test_closed_port_is_refused(lab: Lab) -> None:
    core = target(lab, "core-rtr")
    closed = SshTarget(core.device, core.host, 2223, core.platform, core.username, core.password,
                       None, None, core.enable_secret, core.timeout)  # fmt: skip
    started = time.monotonic()
    got = run(closed)
    assert (got.success, got.reason) == (False, "refused"), got.message
    assert time.monotonic() - started < 5


def test_agent_run_exports_ssh_metrics(lab: Lab, tmp_path: Path) -> None:
    fast = fast_inventory(lab.state.inventory, tmp_path / "inventory.yaml", interval="2s")
    document = yaml.safe_load(fast.read_text())
    for device in document["devices"]:
        if "ssh" in device:
            device["ssh"]["interval"] = "3s"
    fast.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    dc = AgentProcess(fast, "agent-dc", tmp_path / "agent-dc.log")
    core = AgentProcess(fast, "agent-core", tmp_path / "agent-core.log")
    try:
        dc.wait_ready()
        core.wait_ready()
        # Every device's first collection lands on its own schedule (an IOS-like session takes
        # longer than a Linux shell, more so under load): wait for each value asserted, never
        # for one device's and then read another's. 120 s: the lab tier in parallel at a load of
        # 20 took 45 s for the first.
        dc.wait_value("netwarden_ssh_up", 1, timeout=120, device="dc-web-01")
        dc.wait_value("netwarden_host_filesystem_size_bytes", 64 * MIB, device="dc-web-01",
                      mountpoint="/mnt", fstype="tmpfs")  # fmt: skip
        dc.wait_value("netwarden_host_systemd_available", 0, device="dc-web-01")
        dc.wait_value("netwarden_ssh_up", 1, timeout=120, device="sw-dc-core")
        core.wait_value("netwarden_ssh_interface_up", 1, timeout=120, device="core-rtr",
                        interface="wan1")  # fmt: skip
        core.wait_value("netwarden_ssh_device_info", 1, device="core-rtr", platform="cisco_ios")
        # Parsed by the collection just waited for: no parse error counted.
        assert core.value("netwarden_ssh_parse_errors_total", device="core-rtr") is None
    finally:
        dc.stop()
        core.stop()
    assert dc.proc.returncode == 0, dc.log.read_text()[-2000:]
    assert core.proc.returncode == 0, core.log.read_text()[-2000:]
