"""``netwarden poll DEVICE``: one poll of one device, printed. Options only; the poll itself
(``one_poll.py``) is imported when the command runs."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from netwarden.agent.agent_commands import SnmpEngineOption
from netwarden.agent.snmp.engines import EngineName

app = typer.Typer(add_completion=False, rich_markup_mode=None)


class PollOutput(enum.StrEnum):
    prometheus = "prometheus"
    json = "json"
    table = "table"


@app.command("poll")
def poll(
    device: Annotated[str, typer.Argument(help="Device id from the inventory.")],
    inventory: Annotated[
        list[Path],
        typer.Option("--inventory", "-i", help="Inventory file or directory (repeatable)."),
    ],
    output: Annotated[PollOutput, typer.Option("--output", "-o")] = PollOutput.table,
    snmp_engine: SnmpEngineOption = EngineName.fast,
) -> None:
    """Poll one device once and print what the agent sees (exit 1 if it did not answer)."""
    import dataclasses
    import json

    from netwarden.agent.metrics.agent_registry import render_one
    from netwarden.agent.one_poll import poll_device, poll_table
    from netwarden.agent.polling.fleet import link_ends
    from netwarden.agent.snmp.engines import session_factory
    from netwarden.inventory import load_inventory

    inv = load_inventory(inventory)
    snapshot = poll_device(inv, device, session_factory(snmp_engine))
    if output is PollOutput.json:
        typer.echo(json.dumps(dataclasses.asdict(snapshot), indent=2, ensure_ascii=False))
    elif output is PollOutput.prometheus:
        found = inv.device(device)
        ends = [e for e in link_ends(inv, inv.agent_of(found)) if e.device == device]
        typer.echo(render_one(snapshot, ends), nl=False)
    else:
        typer.echo(poll_table(snapshot))
    if not snapshot.up:
        raise typer.Exit(1)
