"""One device's backup through the real SshPool and the in-repo fake runner: every outcome is
a result with a bounded reason, and what lands in the store is normalised and redacted."""

from __future__ import annotations

import asyncio
from pathlib import Path

from netwarden.agent.configs.fetch import backup_device
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.ssh.types import SshError, SshReason

from .helpers import SHOW_RUN, ios_config, pool_of, target


def test_new_unchanged_changed_and_what_is_stored(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    outputs: dict[str, str] = {SHOW_RUN: ios_config("sw-a")}
    pool, runner = pool_of(outputs)

    async def once() -> tuple[str, bool, str | None]:
        result = await backup_device(pool, target(), store, deadline=5)
        assert result.success and result.reason == "" and result.error == ""
        return result.outcome, result.changed, result.commit

    try:
        first = asyncio.run(once())
        # The byte count moves with every fetch on a real device: still unchanged.
        outputs[SHOW_RUN] = ios_config("sw-a", size=999)
        second = asyncio.run(once())
        outputs[SHOW_RUN] = ios_config("sw-a", shutdown=True)
        third = asyncio.run(once())
    finally:
        pool.close()
    assert (first[0], second[0], third[0]) == ("new", "unchanged", "changed")
    assert second[2] == first[2] != third[2]
    assert runner.sessions == [("sw-a", (SHOW_RUN,))] * 3
    stored = (tmp_path / "sw-a.cfg").read_text()
    assert "s3cr3tHash" not in stored and "enable secret 9 <redacted>" in stored
    assert "Current configuration" not in stored
    assert " shutdown\n" in stored


def test_failures_are_results_with_bounded_reasons(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    pool, _ = pool_of(
        {
            "sw-auth": {SHOW_RUN: "x"},
            "sw-priv": {SHOW_RUN: "\n% Invalid input detected at '^' marker.\n"},
            "sw-empty": {SHOW_RUN: "  \n"},
        },
        fail={"sw-auth": SshError(SshReason.auth, "198.18.2.2:2222: authentication failed")},
    )

    async def run_all() -> list[tuple[str, str, str]]:
        targets = [target("sw-auth"), target("sw-priv"), target("sw-empty"),
                   target("fw-1", "juniper_junos")]  # fmt: skip
        results = await asyncio.gather(*(backup_device(pool, t, store) for t in targets))
        return [(r.outcome, r.reason, r.error) for r in results]

    try:
        results = asyncio.run(run_all())
    finally:
        pool.close()
    assert results == [
        ("failed", "auth", "198.18.2.2:2222: authentication failed"),
        ("failed", "output", "show running-config: % Invalid input detected at '^' marker."),
        ("failed", "output", "show running-config: empty output"),
        ("failed", "unsupported", "no backup command for platform juniper_junos"),
    ]
    assert not (tmp_path / ".git").exists()  # nothing was stored


def test_a_store_that_cannot_be_written_is_a_failed_result(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    pool, _ = pool_of({SHOW_RUN: ios_config("sw-a")})
    try:
        result = asyncio.run(backup_device(pool, target(), ConfigStore(blocker / "store")))
    finally:
        pool.close()
    assert (result.success, result.reason) == (False, "store")
    assert result.error


def test_huawei_and_comware_use_display_current_configuration(tmp_path: Path) -> None:
    cmd = "display current-configuration"
    vrp = "!Software Version V200R019C10SPC500\n#\nsysname HW\n#\nreturn\n"
    pool, runner = pool_of({cmd: vrp})
    store = ConfigStore(tmp_path)

    async def both() -> list[bool]:
        results = await asyncio.gather(
            backup_device(pool, target("hw", "huawei"), store),
            backup_device(pool, target("h3c", "hp_comware"), store),
        )
        return [r.success for r in results]  # fmt: skip

    try:
        assert asyncio.run(both()) == [True, True]
    finally:
        pool.close()
    assert sorted(runner.sessions) == [("h3c", (cmd,)), ("hw", (cmd,))]
    assert (tmp_path / "hw.cfg").read_text() == vrp
