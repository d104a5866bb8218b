"""The agent side: scheduled backup jobs of one agent's slice, what they count, and the
``netwarden_config_*`` families the collector renders from them and from the store."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from netwarden.agent.configs.jobs import BackupJob, ConfigBackups
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.metrics import render
from netwarden.agent.metrics.config_metrics import ConfigCollector
from netwarden.agent.metrics.names import CONFIG, DEVICE_LABELS
from netwarden.inventory import load_inventory

from .helpers import INVENTORY, SHOW_RUN, ios_config, pool_of, target

Samples = dict[str, dict[str, float]]


def _scrape(jobs: list[BackupJob], store: ConfigStore) -> Samples:
    registry = CollectorRegistry(auto_describe=True)
    ConfigCollector(lambda: jobs, store.records, registry=registry)
    found: Samples = {}
    for family in text_string_to_metric_families(render(registry).decode()):
        for sample in family.samples:
            extra = {"reason"} if family.name == "netwarden_config_backup_failures" else set()
            assert set(sample.labels) == {*DEVICE_LABELS, *extra}
            # the parser calls a counter's sample NAME_total: key by family name + suffix
            key = "/".join([sample.labels["device"], *(sample.labels[k] for k in extra)])
            found.setdefault(sample.name, {})[key] = sample.value
    return found


def test_a_job_counts_changes_it_finds_but_not_a_first_backup(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    outputs: dict[str, str] = {SHOW_RUN: ios_config("sw-a")}
    pool, _ = pool_of(outputs)
    job = BackupJob("sw-a", "a", "switch", target(), "", 30.0, pool, store)
    seen: list[tuple[float, float, float]] = []

    async def tick_and_scrape() -> None:
        await job.tick(5.0)
        got = _scrape([job], store)
        seen.append((got["netwarden_config_backup_success"]["sw-a"],
                     got["netwarden_config_changed"]["sw-a"],
                     got["netwarden_config_changes_total"]["sw-a"]))  # fmt: skip

    try:
        asyncio.run(tick_and_scrape())  # new
        asyncio.run(tick_and_scrape())  # unchanged
        outputs[SHOW_RUN] = ios_config("sw-a", shutdown=True)
        asyncio.run(tick_and_scrape())  # changed
        asyncio.run(tick_and_scrape())  # unchanged again: the gauge drops, the counter stays
        outputs.clear()  # the device now prints nothing: a failed backup
        asyncio.run(tick_and_scrape())
    finally:
        pool.close()
    assert seen == [(1, 0, 0), (1, 0, 0), (1, 1, 1), (1, 0, 1), (0, 0, 1)]
    got = _scrape([job], store)
    assert got["netwarden_config_backup_failures_total"] == {"sw-a/output": 1}


def test_timestamps_come_from_the_store_so_a_cli_backup_shows(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    pool, _ = pool_of({SHOW_RUN: ios_config("sw-a")})
    job = BackupJob("sw-a", "a", "switch", target(), "", 30.0, pool, store)
    idle = BackupJob("sw-idle", "a", "switch", target("sw-idle"), "", 30.0, pool, store)
    try:
        asyncio.run(job.tick(5.0))
    finally:
        pool.close()
    got = _scrape([job, idle], store)
    last_backup = got["netwarden_config_last_backup_timestamp_seconds"]["sw-a"]
    assert abs(last_backup - time.time()) < 30
    assert got["netwarden_config_last_change_timestamp_seconds"]["sw-a"] == last_backup
    # An admin's `config backup` an hour later with a change: both stamps move, the agent's
    # own gauge and counter do not (it did not find that change itself).
    later = datetime.now(UTC) + timedelta(hours=1)
    store.save("sw-a", "hostname sw-a\n! changed by hand\n", later)
    got = _scrape([job, idle], store)
    assert got["netwarden_config_last_change_timestamp_seconds"]["sw-a"] == later.timestamp()
    assert got["netwarden_config_last_backup_timestamp_seconds"]["sw-a"] == later.timestamp()
    assert got["netwarden_config_changed"] == {"sw-a": 0}
    # A job that never ran exports only its counter, at 0.
    assert got["netwarden_config_changes_total"] == {"sw-a": 0, "sw-idle": 0}
    assert "sw-idle" not in got["netwarden_config_backup_success"]


def test_scheduled_backups_of_one_agents_slice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inv_path = tmp_path / "inv.yaml"
    inv_path.write_text(INVENTORY)
    inventory = load_inventory([inv_path])
    monkeypatch.setenv("NW_TEST_SSH_KEY", "not-a-file-reference")
    store = ConfigStore(tmp_path / "store")
    pool, runner = pool_of(
        {
            SHOW_RUN: ios_config("sw-a"),
            "display current-configuration": "#\nsysname rtr-a\n#\nreturn\n",
        }
    )

    async def run() -> dict[str, tuple[str, str]]:
        backups = ConfigBackups(pool, store)
        backups.apply(inventory, "agent-a")
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if all(job.latest for job in backups.latest()):
                    break
                await asyncio.sleep(0.05)
            return {j.device: (j.latest.outcome, j.latest.reason) for j in backups.latest()
                    if j.latest}  # fmt: skip
        finally:
            await backups.stop()

    try:
        results = asyncio.run(run())
    finally:
        pool.close()
    # sw-quiet (backup: false), host-a (linux), cam-a (no ssh) and agent-b's sw-b are not
    # scheduled; fw-a's platform has no command; sw-key's key is an env: reference.
    assert results == {
        "sw-a": ("new", ""),
        "rtr-a": ("new", ""),
        "fw-a": ("failed", "unsupported"),
        "sw-key": ("failed", "setup"),
    }
    assert {device for device, _ in runner.sessions} == {"sw-a", "rtr-a"}


def test_the_config_families_follow_the_conventions() -> None:
    assert [spec.name for spec in CONFIG] == [
        "netwarden_config_backup_success",
        "netwarden_config_last_backup_timestamp_seconds",
        "netwarden_config_last_change_timestamp_seconds",
        "netwarden_config_changes_total",
        "netwarden_config_changed",
        "netwarden_config_backup_failures_total",
    ]
    for spec in CONFIG:
        extra = ("reason",) if spec.name == "netwarden_config_backup_failures_total" else ()
        assert spec.labels == (*DEVICE_LABELS, *extra)
        assert spec.name.endswith("_total") == (spec.type == "counter")
        assert spec.help.endswith(".")


def test_the_agent_runtime_backs_up_and_serves_the_families(tmp_path: Path) -> None:
    from netwarden.agent.metrics.agent_registry import renderer
    from netwarden.agent.runtime import AgentRuntime
    from netwarden.agent.ssh.fake import FakeSshRunner

    inv_path = tmp_path / "inv.yaml"
    inv_path.write_text(INVENTORY)

    def no_snmp(target: object) -> object:
        raise AssertionError("this inventory has no SNMP device")

    runner = FakeSshRunner({SHOW_RUN: ios_config("sw-a")})

    async def run() -> str:
        runtime = AgentRuntime([inv_path], "agent-a", no_snmp,  # type: ignore[arg-type]
                               ssh_runner=runner, config_store=tmp_path / "store")  # fmt: skip
        runtime.apply(runtime.load())
        try:
            assert runtime.backups is not None
            for _ in range(200):  # at most 10 s
                if runtime.backups.jobs["sw-a"].latest is not None:
                    break
                await asyncio.sleep(0.05)
            return b"".join(renderer(runtime)()).decode()
        finally:
            await runtime.close()

    page = asyncio.run(run())
    assert 'netwarden_config_backup_success{device="sw-a",site="a",role="switch"} 1' in page
    assert 'netwarden_config_changes_total{device="sw-a",site="a",role="switch"} 0' in page
    assert (tmp_path / "store" / "sw-a.cfg").is_file()
    # Without a store (unit tests of the runtime, `poll`): no backups, no families.
    assert AgentRuntime([inv_path], "agent-a", no_snmp).backups is None  # type: ignore[arg-type]
