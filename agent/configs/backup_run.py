"""``netwarden config backup``'s work: back up the chosen devices through one SSH pool, with
progress on stderr, and the rows and JSON it prints."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import typer

from netwarden.agent.configs.device_name import backup_target
from netwarden.agent.configs.fetch import BackupResult, backup_device
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.ssh.types import SshRunner, SshTarget
from netwarden.errors import NetwardenError
from netwarden.inventory.model import Device, Inventory

FETCH_DEADLINE = 120.0  # seconds per device: a big chassis prints its config slowly


def backup_all(
    runner: SshRunner, inv: Inventory, devices: Sequence[Device], store: ConfigStore, workers: int
) -> list[BackupResult]:
    """Back ``devices`` up into ``store``, ``workers`` sessions at once; results in order."""
    return asyncio.run(_backup_all(runner, inv, devices, store, workers))


async def _backup_all(
    runner: SshRunner, inv: Inventory, devices: Sequence[Device], store: ConfigStore, workers: int
) -> list[BackupResult]:
    pool = SshPool(runner, max_workers=workers)
    try:
        jobs = [_one(pool, inv, device, store) for device in devices]
        done: dict[str, BackupResult] = {}
        for finished in asyncio.as_completed(jobs):
            result = await finished
            done[result.device] = result
            if len(devices) > 1:  # progress for long runs, on stderr: stdout is the listing
                typer.echo(
                    f"[{len(done)}/{len(devices)}] {result.device}: {result.outcome}"
                    f" ({result.duration:.1f} s)",
                    err=True,
                )
        return [done[device.id] for device in devices]
    finally:
        pool.close()


async def _one(pool: SshPool, inv: Inventory, device: Device, store: ConfigStore) -> BackupResult:
    try:
        target: SshTarget = backup_target(inv, device)
    except NetwardenError as exc:
        return BackupResult(device.id, False, "setup", False, False, 0.0, str(exc), None, 0.0)
    return await backup_device(pool, target, store, deadline=FETCH_DEADLINE)


def result_row(result: BackupResult) -> list[object]:
    """The table row: device, result, reason, commit (12 characters), error."""
    return [result.device, result.outcome, result.reason, (result.commit or "")[:12], result.error]


def result_json(result: BackupResult) -> dict[str, object]:
    return {
        "device": result.device,
        "result": result.outcome,
        "success": result.success,
        "reason": result.reason,
        "changed": result.changed,
        "commit": result.commit,
        "duration_seconds": round(result.duration, 3),
        "error": result.error,
    }
