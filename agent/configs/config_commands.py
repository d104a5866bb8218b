"""``netwarden config backup|diff|history|trust``: the configuration store from the command line.

The store is ``--store``, else ``$NETWARDEN_CONFIG_STORE``, else ``/var/lib/netwarden/configs``
(the agent's default too, so an admin's backup and the agent's land in one history).
``history`` and ``diff`` read the collector's copy instead with ``--collector URL``. Host keys
are pinned in ``--known-hosts``, else ``$NETWARDEN_KNOWN_HOSTS``, else
``/var/lib/netwarden/known_hosts``. Options only at the top: what a command needs (git, SSH,
the inventory, HTTP) is imported when it runs.
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
from netwarden.user_api_options import CaFile, Insecure

if TYPE_CHECKING:
    from netwarden.agent.ssh.identity import HostKeyPins, KeyReadingRunner

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


KnownHostsOption = Annotated[
    Path | None,
    typer.Option(
        "--known-hosts",
        help="Where host keys are pinned, one file per device (default: "
        "$NETWARDEN_KNOWN_HOSTS, else /var/lib/netwarden/known_hosts).",
        show_default=False,
    ),
]


class DiffOutput(enum.StrEnum):
    text = "text"
    json = "json"


def ssh_runner(pins: HostKeyPins) -> KeyReadingRunner:
    """The SSH runner backups go through: netmiko. Tests replace this one function."""
    from netwarden.agent.ssh.netmiko_runner import NetmikoRunner  # netmiko is slow to import

    return NetmikoRunner(pins=pins)


def _pins(option: Path | None, state_dir: Path | None = None) -> HostKeyPins:
    from netwarden.agent.ssh.identity import HostKeyPins, known_hosts_dir

    return HostKeyPins(known_hosts_dir(option, state_dir))


def _one_source(store: Path | None, collector: str | None) -> None:
    if store is not None and collector is not None:
        raise UsageError("give --store (this host's store) or --collector (its copy), not both")


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
    known_hosts: KnownHostsOption = None,
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
    runner = ssh_runner(_pins(known_hosts))
    results = backup_all(runner, inv, chosen, ConfigStore(store_path(store)), workers)
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
    collector: Annotated[
        str | None,
        typer.Option("--collector", help="Read the collector's copy (URL) instead of a store."),
    ] = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Show the last change of a device's configuration (or one between two revisions)."""
    _one_source(store, collector)
    if collector is not None:
        from netwarden.agent.configs.collector_history import remote_diff

        shown = remote_diff(collector, ca_file, insecure, device, from_rev=from_rev, to_rev=to_rev)
    else:
        from netwarden.agent.configs.store import ConfigStore

        change = ConfigStore(store_path(store)).compare(device, from_rev, to_rev)
        shown = {
            "device": device,
            "from": change.before.as_dict() if change.before else None,
            "to": change.after.as_dict(),
            "diff": change.text,
        }
    if output is DiffOutput.json:
        emit_json(shown)
    elif shown["diff"]:
        sys.stdout.write(str(shown["diff"]))
    else:
        typer.echo(f"{device}: no difference between the two revisions", err=True)


@app.command("history")
def history(
    device: Annotated[str, typer.Argument(help="Device id.")],
    store: StoreOption = None,
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.table,
    collector: Annotated[
        str | None,
        typer.Option("--collector", help="Read the collector's copy (URL) instead of a store."),
    ] = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """List the backups that changed a device's configuration, newest first."""
    _one_source(store, collector)
    if collector is not None:
        from netwarden.agent.configs.collector_history import remote_history

        revisions = remote_history(collector, ca_file, insecure, device)
        if output is OutputFormat.json:
            emit_json(revisions)
            return
        rows = [[r["commit"][:12], r["time"], r["agent"]] for r in revisions]
        typer.echo(render_table(["commit", "time", "agent"], rows))
        return
    from netwarden.agent.configs.store import ConfigStore

    local = ConfigStore(store_path(store)).history(device)
    if output is OutputFormat.json:
        emit_json([r.as_dict() for r in local])
    else:
        rows = [[r.commit[:12], r.time.isoformat()] for r in local]
        typer.echo(render_table(["commit", "time"], rows))


@app.command("trust")
def trust_command(
    device: Annotated[str, typer.Argument(help="Device id.")],
    inventory: Annotated[
        list[Path] | None,
        typer.Option("--inventory", "-i", help="Inventory file or directory (repeatable)."),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(help="An enrolled agent's state dir: its assignment and its known_hosts."),
    ] = None,
    known_hosts: KnownHostsOption = None,
    fingerprint: Annotated[
        str | None,
        typer.Option(help="Pin only if the device offers this key (SHA256:... from its console)."),
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.table,
) -> None:
    """Accept the SSH host key a device offers now (after it was replaced or re-keyed)."""
    from netwarden.agent.configs.trust import trust
    from netwarden.inventory import load_inventory

    if (inventory is None) == (state_dir is None):
        raise UsageError("give --inventory (files) or --state-dir (an enrolled agent's)")
    paths = inventory if inventory is not None else [_assignment(state_dir)]
    pins = _pins(known_hosts, state_dir)
    done = trust(ssh_runner(pins), pins, load_inventory(paths), device, fingerprint)
    if output is OutputFormat.json:
        emit_json(done.as_dict())
        return
    was = f" (was {done.before.fingerprint})" if done.before and done.outcome == "replaced" else ""
    typer.echo(f"{device}: {done.outcome} {done.key.kind} {done.key.fingerprint}{was}")


def _assignment(state_dir: Path | None) -> Path:
    from netwarden.agent.sync.state_dir import StateDir

    assert state_dir is not None  # the caller's test
    state = StateDir(state_dir)
    state.read_identity()  # not enrolled: say so
    if not state.has_assignment():
        raise UsageError(f"state dir {state.path} holds no assignment yet")
    return state.assignment_path
