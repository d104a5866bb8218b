"""``netwarden config backup|diff|history``: the configuration store from the command line.

The store is ``--store``, else ``$NETWARDEN_CONFIG_STORE``, else ``/var/lib/netwarden/configs``
(the agent's default too, so an admin's backup and the agent's land in one history).
"""

from __future__ import annotations

import asyncio
import enum
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Final

import typer

from netwarden.agent.configs.fetch import BackupResult, backup_device
from netwarden.agent.configs.plan import plan_backups
from netwarden.agent.configs.revisions import Revision
from netwarden.agent.configs.store import DEFAULT_STORE, STORE_ENV, ConfigStore, store_path
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.ssh.targets import ssh_target_for
from netwarden.agent.ssh.types import SshRunner, SshTarget
from netwarden.errors import NetwardenError, UsageError
from netwarden.inventory import load_inventory
from netwarden.inventory.model import Device, Inventory
from netwarden.output import OutputFormat, emit_json, render_table

FETCH_DEADLINE: Final = 120.0  # seconds per device: a big chassis prints its config slowly

app = typer.Typer(
    help="Back up device configurations into a git store and show their changes.",
    no_args_is_help=True,
)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help=f"The configuration store (default: ${STORE_ENV}, else {DEFAULT_STORE}).",
        show_default=False,
    ),
]


class DiffOutput(enum.StrEnum):
    text = "text"
    json = "json"


def ssh_runner() -> SshRunner:
    """The SSH runner backups go through: netmiko. Tests replace this one function."""
    from netwarden.agent.ssh.netmiko_runner import NetmikoRunner  # netmiko is slow to import

    return NetmikoRunner()


@app.command("backup")
def backup(
    inventory: Annotated[
        list[Path],
        typer.Option("--inventory", "-i", help="Inventory file or directory (repeatable)."),
    ],
    devices: Annotated[
        list[str] | None,
        typer.Argument(help="Devices to back up (default: every device with ssh.backup)."),
    ] = None,
    store: StoreOption = None,
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.table,
    workers: Annotated[int, typer.Option(help="SSH sessions at once.")] = 8,
) -> None:
    """Fetch running configurations into the store; exit 1 if any device failed."""
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    inv = load_inventory(inventory)
    chosen, skipped = plan_backups(inv, devices or ())
    for skip in skipped:
        typer.echo(f"{skip.device}: skipped, {skip.why}", err=True)
    results = asyncio.run(_backup_all(inv, chosen, ConfigStore(store_path(store)), workers))
    if output is OutputFormat.json:
        emit_json([_result_json(r) for r in results])
    elif results:
        rows = [[r.device, r.outcome, r.reason, (r.commit or "")[:12], r.error] for r in results]
        typer.echo(render_table(["device", "result", "reason", "commit", "error"], rows))
    if any(not r.success for r in results):
        raise typer.Exit(1)


async def _backup_all(
    inv: Inventory, devices: Sequence[Device], store: ConfigStore, workers: int
) -> list[BackupResult]:
    pool = SshPool(ssh_runner(), max_workers=workers)
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
        target: SshTarget = ssh_target_for(inv, device)
    except NetwardenError as exc:
        return BackupResult(device.id, False, "setup", False, False, 0.0, str(exc), None, 0.0)
    return await backup_device(pool, target, store, deadline=FETCH_DEADLINE)


def _result_json(result: BackupResult) -> dict[str, object]:
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


@app.command("diff")
def diff(
    device: Annotated[str, typer.Argument(help="Device id.")],
    store: StoreOption = None,
    from_rev: Annotated[
        str | None, typer.Option("--from", help="Older revision (default: the one before).")
    ] = None,
    to_rev: Annotated[
        str | None, typer.Option("--to", help="Newer revision (default: the last change).")
    ] = None,
    output: Annotated[DiffOutput, typer.Option("--output", "-o")] = DiffOutput.text,
) -> None:
    """Show the last change of a device's configuration (or one between two revisions)."""
    change = ConfigStore(store_path(store)).compare(device, from_rev, to_rev)
    if output is DiffOutput.json:
        emit_json(
            {
                "device": device,
                "from": change.before.as_dict() if change.before else None,
                "to": change.after.as_dict(),
                "diff": change.text,
            }
        )
    elif change.text:
        sys.stdout.write(change.text)
    else:
        typer.echo(f"{device}: no difference between the two revisions", err=True)


@app.command("history")
def history(
    device: Annotated[str, typer.Argument(help="Device id.")],
    store: StoreOption = None,
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.table,
) -> None:
    """List the backups that changed a device's configuration, newest first."""
    revisions: list[Revision] = ConfigStore(store_path(store)).history(device)
    if output is OutputFormat.json:
        emit_json([r.as_dict() for r in revisions])
    else:
        rows = [[r.commit[:12], r.time.isoformat()] for r in revisions]
        typer.echo(render_table(["commit", "time"], rows))
