"""The SSH families as /metrics shows them: from a real AgentRuntime whose SSH runner is the
fake, rendered by the agent's own renderer and read back with prometheus-client's parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from netwarden.agent.metrics.agent_registry import renderer
from netwarden.agent.metrics.names import SSH
from netwarden.agent.runtime import AgentRuntime
from netwarden.agent.snmp.types import Target
from netwarden.agent.ssh.fake import FakeSshRunner
from netwarden.agent.ssh.parsers import linux
from netwarden.agent.ssh.types import SshError, SshReason
from tests.waiting import wait_for_async

from .helpers import linux_outputs, network_outputs, run_async

Samples = dict[str, list[tuple[dict[str, str], float]]]

# 1 s: each collection's deadline is 0.9 s, which a fake session in a worker thread meets
# even on a loaded machine (at 200 ms, a 180 ms deadline was missed under load).
DEVICES = """\
- {id: dc-web-01, site: dc, address: 198.18.10.5, role: host,
   ssh: {credential: c, platform: linux, interval: 1s%s}}
- {id: sw-hw, site: dc, address: 198.18.10.7, role: switch,
   ssh: {credential: c, platform: huawei, interval: 1s}}
- {id: sw-down, site: dc, address: 198.18.10.8, role: switch,
   ssh: {credential: c, platform: cisco_ios, interval: 1s}}
- {id: fw-1, site: dc, address: 198.18.10.9, role: firewall,
   ssh: {credential: c, platform: fortinet, interval: 1s}}
"""


def write_inventory(path: Path, web_extra: str = "") -> Path:
    path.write_text(
        "province: p\nagents: [{id: a, site: dc}]\nsites: [{id: dc, kind: datacentre}]\n"
        "devices:\n" + DEVICES % web_extra
        + "credentials: {c: {ssh: {username: ops, password: 'env:NW_UNUSED_SSH_PW'}}}\n"
    )  # fmt: skip
    return path


def no_snmp(target: Target) -> object:
    raise AssertionError("no device of this inventory is polled over SNMP")


def samples(text: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def value(found: Samples, name: str, **labels: str) -> float | None:
    for got, number in found.get(name, []):
        if all(got.get(k) == v for k, v in labels.items()):
            return number
    return None


def make_runner() -> FakeSshRunner:
    outputs = {"dc-web-01": linux_outputs(), "sw-hw": network_outputs("huawei")}
    refused = SshError(SshReason.refused, "sw-down (198.18.10.8:22): connect failed: refused")
    return FakeSshRunner(outputs, fail={"sw-down": refused})  # type: ignore[arg-type]


async def until_collected(runtime: AgentRuntime, count: int = 1) -> None:
    def collected() -> bool:
        jobs = runtime.ssh.latest()
        return bool(jobs) and all(
            job.latest is not None and (sum(job.failures.values()) >= count or job.latest.success)
            for job in jobs
        )

    await wait_for_async("every SSH job run", collected, 30, every=0.05)


@run_async
async def test_runtime_collects_and_exports_every_family(tmp_path: Path) -> None:
    inv = write_inventory(tmp_path / "inv.yaml")
    runtime = AgentRuntime([inv], "a", no_snmp, ssh_runner=make_runner(), ssh_workers=2)  # type: ignore[arg-type]
    runtime.apply(runtime.load())
    try:
        await until_collected(runtime)
        text = b"".join(renderer(runtime)()).decode()
    finally:
        await runtime.close()
    got = samples(text)
    web = {"device": "dc-web-01", "site": "dc", "role": "host"}
    assert value(got, "netwarden_ssh_up", **web) == 1
    assert value(got, "netwarden_host_filesystem_size_bytes", mountpoint="/var",
                 fstype="xfs", **web) == 214643507200  # fmt: skip
    assert value(got, "netwarden_host_load5", **web) == 0.58
    assert value(got, "netwarden_host_memory_available_bytes", **web) == 9876544 * 1024
    assert value(got, "netwarden_host_systemd_available", **web) == 1
    assert value(got, "netwarden_host_systemd_units_failed", **web) == 4
    assert value(got, "netwarden_host_systemd_unit_failed", unit="nginx.service", **web) == 1
    hw = {"device": "sw-hw", "interface": "XGigabitEthernet0/0/1"}
    assert value(got, "netwarden_ssh_interface_up", **hw) == 0
    assert value(got, "netwarden_ssh_interface_admin_up", **hw) == 1
    assert value(got, "netwarden_ssh_interface_in_octets_total", **hw) == 44332211009
    assert value(got, "netwarden_ssh_interface_in_errors_total", **hw) == 307
    # A logical interface without statistics: state yes, counters omitted (not 0)
    assert value(got, "netwarden_ssh_interface_up", device="sw-hw", interface="Vlanif10") == 1
    assert value(got, "netwarden_ssh_interface_out_octets_total", interface="Vlanif10") is None
    assert value(got, "netwarden_ssh_device_info", device="sw-hw", platform="huawei",
                 model="S5720-28X-SI-AC", os_version="S5720 V200R011C10SPC500",
                 serial="2102359579DMKB001234") == 1  # fmt: skip
    assert value(got, "netwarden_ssh_device_uptime_seconds", device="sw-hw") == 5897220
    # Failures are data: a refused device and an unsupported platform, no other series
    assert value(got, "netwarden_ssh_up", device="sw-down") == 0
    assert value(got, "netwarden_ssh_failures_total", device="sw-down", reason="refused")
    assert value(got, "netwarden_ssh_failures_total", device="fw-1", reason="unsupported")
    assert value(got, "netwarden_ssh_interface_up", device="sw-down") is None
    assert value(got, "netwarden_ssh_parse_errors_total") is None
    assert {name for name in got} <= {spec.name for spec in SSH} | {
        "netwarden_agent_inventory_reload_success",
        "netwarden_agent_inventory_reload_timestamp_seconds",
        "netwarden_agent_build_info",
    }


@run_async
async def test_parse_errors_are_counted_with_the_command(tmp_path: Path) -> None:
    inv = write_inventory(tmp_path / "inv.yaml")
    runner = make_runner()
    web = dict(linux_outputs())
    web[linux.MEMINFO] = "cat: /proc/meminfo: Permission denied\n"
    runner.outputs = {**runner.outputs, "dc-web-01": web}
    runtime = AgentRuntime([inv], "a", no_snmp, ssh_runner=runner)  # type: ignore[arg-type]
    runtime.apply(runtime.load())
    try:
        await until_collected(runtime)
        job = runtime.ssh.jobs["dc-web-01"]
        await wait_for_async("two collections of dc-web-01 counted",
                             lambda: job.parse_errors.get(linux.MEMINFO, 0) >= 2, 30)  # fmt: skip
        got = samples(b"".join(renderer(runtime)()).decode())
    finally:
        await runtime.close()
    errors = value(got, "netwarden_ssh_parse_errors_total", device="dc-web-01",
                   command="cat /proc/meminfo")  # fmt: skip
    assert errors is not None and errors >= 2
    assert value(got, "netwarden_ssh_up", device="dc-web-01") == 1  # the session itself worked
    assert value(got, "netwarden_host_memory_total_bytes", device="dc-web-01") is None
    assert value(got, "netwarden_host_load1", device="dc-web-01") == 0.52


@run_async
async def test_reload_stops_a_job_whose_collect_is_turned_off(tmp_path: Path) -> None:
    inv = write_inventory(tmp_path / "inv.yaml")
    runtime = AgentRuntime([inv], "a", no_snmp, ssh_runner=make_runner())  # type: ignore[arg-type]
    runtime.apply(runtime.load())
    try:
        await until_collected(runtime)
        kept = runtime.ssh.jobs["sw-hw"]
        write_inventory(inv, ", collect: false")
        assert runtime.reload()
        assert set(runtime.ssh.jobs) == {"sw-hw", "sw-down", "fw-1"}
        assert runtime.ssh.jobs["sw-hw"] is kept  # unchanged jobs keep their results
    finally:
        await runtime.close()
    with pytest.raises(SshError, match="SSH pool closed"):  # closed with the runtime
        await runtime.ssh_pool.run(kept.target, ["display version"], 1)
