"""``netwarden config backup|diff|history``: the configuration store from the command line.

The store is ``--store``, else ``$NETWARDEN_CONFIG_STORE``, else ``/var/lib/netwarden/configs``
(the agent's default too, so an admin's backup and the agent's land in one history). Options
only at the top: what a command needs (git, SSH, the inventory) is imported when it runs.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from netwarden.agent.configs.locations import DEFAULT_STORE, STORE_ENV, store_path
from netwarden.command_group import command_group
from netwarden.errors import UsageError
from netwarden.output import OutputFormat, emit_json, render_table

if TYPE_CHECKING:
    from netwarden.agent.ssh.types import SshRunner

__all__ = ["app", "ssh_runner", "store_path"]

app = command_group("Back up device configurations into a git store and show their changes.")

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
    from netwarden.agent.configs.backup_run import backup_all, result_json, result_row
    from netwarden.agent.configs.plan import plan_backups
    from netwarden.agent.configs.store import ConfigStore
    from netwarden.inventory import load_inventory

    if workers < 1:
        raise UsageError("--workers must be at least 1")
    inv = load_inventory(inventory)
    chosen, skipped = plan_backups(inv, devices or ())
    for skip in skipped:
        typer.echo(f"{skip.device}: skipped, {skip.why}", err=True)
    results = backup_all(ssh_runner(), inv, chosen, ConfigStore(store_path(store)), workers)
    if output is OutputFormat.json:
        emit_json([result_json(r) for r in results])
    elif results:
        rows = [result_row(r) for r in results]
        typer.echo(render_table(["device", "result", "reason", "commit", "error"], rows))
    if any(not r.success for r in results):
        raise typer.Exit(1)


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
    from netwarden.agent.configs.store import ConfigStore

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
    from netwarden.agent.configs.store import ConfigStore

    revisions = ConfigStore(store_path(store)).history(device)
    if output is OutputFormat.json:
        emit_json([r.as_dict() for r in revisions])
    else:
        rows = [[r.commit[:12], r.time.isoformat()] for r in revisions]
        typer.echo(render_table(["commit", "time"], rows))
