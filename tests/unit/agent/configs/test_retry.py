"""A failed scheduled backup is retried after 5 min, 15 min and 1 h (never later than the
interval), then at the interval; a working retry puts the device back on its interval. The
schedule is injected so the scheduler's real loop runs it in a fraction of a second."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from netwarden.agent.configs.fetch import BackupResult
from netwarden.agent.configs.jobs import RETRY_DELAYS, BackupJob, ConfigBackups
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.ssh.fake import FakeSshRunner
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.ssh.types import SshError, SshReason
from netwarden.inventory import load_inventory

from .helpers import SHOW_RUN, ios_config, pool_of, target


def _result(success: bool) -> BackupResult:
    reason = "" if success else "timeout"
    return BackupResult("sw-a", success, reason, False, False, 0.1, "", None, time.time())


def test_the_retry_delays_then_the_interval(tmp_path: Path) -> None:
    pool, _ = pool_of({})
    pool.close()
    day = BackupJob("sw-a", "a", "switch", target(), "", 86400.0, pool, ConfigStore(tmp_path))
    assert RETRY_DELAYS == (300.0, 900.0, 3600.0)
    delays = []
    for _ in range(5):
        day._record(_result(False))
        delays.append(day.next_delay())
    assert delays == [300.0, 900.0, 3600.0, None, None]  # then the interval again
    assert day.failures == {"timeout": 5}
    day._record(_result(True))
    assert (day.failed_in_row, day.next_delay()) == (0, None)
    day._record(_result(False))
    assert day.next_delay() == 300.0  # a new run of failures starts the retries again
    # A retry never waits longer than the interval itself (the lab backs up every 30 s).
    lab = BackupJob("sw-a", "a", "switch", target(), "", 30.0, pool, ConfigStore(tmp_path))
    lab._record(_result(False))
    assert lab.next_delay() == 30.0


INVENTORY = """\
province: p
agents: [{id: agent-a, site: a}]
sites: [{id: a, kind: agency}]
credentials: {c: {ssh: {username: ops, password: "env:NW_UNUSED"}}}
devices:
- {id: sw-a, site: a, address: 198.18.2.2, role: switch,
   ssh: {credential: c, platform: cisco_ios, backup_interval: 10s}}
"""


def test_a_working_retry_clears_the_failure_long_before_the_interval(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY)
    inventory = load_inventory([path])
    runner = FakeSshRunner(
        {SHOW_RUN: ios_config("sw-a")}, fail={"sw-a": SshError(SshReason.timeout, "no answer")}
    )
    pool = SshPool(runner, 2)
    seen: list[tuple[float, bool, dict[str, int]]] = []

    async def run() -> None:
        backups = ConfigBackups(pool, ConfigStore(tmp_path / "store"),
                                retry_delays=(0.2, 0.4, 0.8))  # fmt: skip
        started = time.monotonic()
        backups.apply(inventory, "agent-a")
        job = backups.jobs["sw-a"]
        try:
            # bounded: 25 s on a loaded machine; the first backup comes within 1 s (a random
            # phase of up to a tenth of the interval), the retries 0.6 s after it.
            while time.monotonic() - started < 25 and not (job.latest and job.latest.success):
                latest = job.latest
                if latest is not None and (not seen or seen[-1][2] != job.failures):
                    seen.append((latest.time, latest.success, dict(job.failures)))
                if job.failures.get("timeout") == 2:
                    runner.fail.clear()  # the device answers again before the third attempt
                await asyncio.sleep(0.01)
            latest = job.latest
            seen.append((latest.time if latest else time.time(), bool(latest and latest.success),
                         dict(job.failures)))  # fmt: skip
        finally:
            await backups.stop()

    try:
        asyncio.run(run())
    finally:
        pool.close()
    assert [(ok, failures) for _, ok, failures in seen] == [
        (False, {"timeout": 1}),
        (False, {"timeout": 2}),
        (True, {"timeout": 2}),  # the 2nd retry (0.4 s after the 2nd failure) worked
    ]
    # Dated by the backups themselves (when each finished), not by when this loop saw them:
    # a loop run late saw the first failure late and measured less than the delays.
    first_failure, recovered = seen[0][0], seen[-1][0]
    # two retries' delays (0.2 + 0.4 s) after the first failure, far less than the 10 s interval
    assert 0.6 <= recovered - first_failure < 10
    assert len(runner.sessions) == 3
