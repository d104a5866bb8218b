"""collect(): one session per collection, parse errors counted by command, failures as data."""

from __future__ import annotations

from netwarden.agent.ssh.collection import collect
from netwarden.agent.ssh.fake import FakeSshRunner
from netwarden.agent.ssh.parsers import linux
from netwarden.agent.ssh.plans import PLANS
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.ssh.types import SshError, SshReason

from .helpers import linux_outputs, network_outputs, run_async, target


@run_async
async def test_each_network_platform_from_its_golden_files() -> None:
    for platform, interfaces, model, serial in (
        ("cisco_ios", 4, "ISR4331/K9", "FDO21520TGH"),
        # VRP and Comware print their serial in a command of its own
        ("huawei", 5, "S5720-28X-SI-AC", "2102359579DMKB001234"),
        ("hp_comware", 3, "5130-24G-4SFP+ EI", "CN6BFAB0SB"),
    ):
        runner = FakeSshRunner(network_outputs(platform))
        pool = SshPool(runner, 2)
        try:
            got = await collect(pool, target("sw-1", platform), PLANS[platform])
        finally:
            pool.close()
        assert got.success, got.message
        assert (len(got.interfaces), got.parse_errors, got.host) == (interfaces, {}, None)
        assert got.version is not None and got.version.model == model
        assert got.version.serial == serial
        assert len(runner.sessions) == 1  # every command in one session


@run_async
async def test_linux_runs_its_four_commands_in_one_session() -> None:
    runner = FakeSshRunner(linux_outputs())
    pool = SshPool(runner, 2)
    try:
        got = await collect(pool, target("dc-web-01", "linux"), PLANS["linux"])
    finally:
        pool.close()
    assert runner.sessions == [
        ("dc-web-01", (linux.DF, linux.LOADAVG, linux.MEMINFO, linux.SYSTEMCTL))
    ]
    assert got.success and got.host is not None
    assert got.host.load is not None and got.host.load.load15 == 0.61
    assert got.host.systemd_available is True
    assert got.host.failed_units is not None and len(got.host.failed_units) == 4


@run_async
async def test_a_parse_error_is_counted_by_command_and_the_rest_is_kept() -> None:
    outputs = linux_outputs("systemctl_no_systemd.txt")
    outputs[linux.DF] = "df: /proc/self/mountinfo: Permission denied\n"
    pool = SshPool(FakeSshRunner(outputs), 2)
    try:
        got = await collect(pool, target("dc-db-01", "linux"), PLANS["linux"])
    finally:
        pool.close()
    assert got.success
    assert got.parse_errors == {linux.DF: 1}  # systemd missing is not a parse error
    assert linux.DF in got.message
    assert got.host is not None
    assert got.host.filesystems is None
    assert got.host.memory is not None and got.host.memory.total_bytes == 16431104 * 1024
    assert (got.host.systemd_available, got.host.failed_units) == (False, None)


@run_async
async def test_network_parse_error_names_the_command() -> None:
    outputs = network_outputs("huawei")
    outputs["display version"] = "Error: Unrecognized command found at '^'.\n"
    pool = SshPool(FakeSshRunner(outputs), 2)
    try:
        got = await collect(pool, target("sw-hw", "huawei"), PLANS["huawei"])
    finally:
        pool.close()
    assert got.success and got.parse_errors == {"display version": 1}
    assert got.version is None and len(got.interfaces) == 5


@run_async
async def test_failed_session_and_unsupported_platform_are_results() -> None:
    error = SshError(SshReason.refused, "sw-1 (127.0.0.1:2222): connect failed: refused")
    pool = SshPool(FakeSshRunner({}, fail={"sw-1": error}), 2)
    try:
        failed = await collect(pool, target("sw-1"), PLANS["cisco_ios"])
        unsupported = await collect(pool, target("fw-1", "fortinet"), PLANS.get("fortinet"))
    finally:
        pool.close()
    assert (failed.success, failed.reason, failed.interfaces) == (False, "refused", [])
    assert (unsupported.success, unsupported.reason) == (False, "unsupported")
    assert unsupported.message == "unsupported platform: fortinet"


@run_async
async def test_a_serial_command_that_fails_leaves_the_version_without_serial() -> None:
    outputs = network_outputs("hp_comware")
    outputs["display device manuinfo"] = " % Unrecognized command found at '^' position.\n"
    pool = SshPool(FakeSshRunner(outputs), 2)
    try:
        got = await collect(pool, target("sw-h3c", "hp_comware"), PLANS["hp_comware"])
    finally:
        pool.close()
    assert got.success and got.parse_errors == {"display device manuinfo": 1}
    assert got.version is not None and (got.version.model, got.version.serial) == (
        "5130-24G-4SFP+ EI",
        "",
    )
