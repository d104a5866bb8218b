"""``netwarden lab up|down|status|impair|fault``: the simulated province."""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from netwarden.command_group import command_group
from netwarden.errors import LabError
from netwarden.lab import processes
from netwarden.lab.state import DEFAULT_DIR, LabState, load
from netwarden.lab.topology import build_plan
from netwarden.output import OutputFormat, emit_json, render_table

app = command_group("Build and change the namespace lab (needs root).")

StateDir = Annotated[
    Path, typer.Option("--state-dir", help="Where the lab keeps its record, configs and logs.")
]
Output = Annotated[OutputFormat, typer.Option("--output", "-o", help="table or json.")]


class LinkAction(enum.StrEnum):
    down = "down"
    up = "up"


def _need_root() -> None:
    if os.geteuid() != 0:
        raise LabError("the lab creates network namespaces and needs root")


def _say(message: str) -> None:
    typer.echo(f"lab: {message}", err=True)


@app.command()
def up(
    agencies: Annotated[int, typer.Option(help="Agency LANs to build.")] = 3,
    nat: Annotated[int, typer.Option(help="How many of them (the last ones) sit behind NAT.")] = 1,
    scale_devices: Annotated[
        int, typer.Option(help="Extra simulated SNMP devices answered by one snmpd (benchmarks).")
    ] = 0,
    big_device_ports: Annotated[
        int, typer.Option(help="Add one device with this many ports (walk benchmarks).")
    ] = 0,
    state_dir: StateDir = DEFAULT_DIR,
    output: Output = OutputFormat.table,
) -> None:
    """Build the lab (a running lab is rebuilt) and print the path of its inventory."""
    from netwarden.lab import build  # the builder (and its daemons, inventory writer) on use

    build_plan(agencies, nat, scale_devices, big_device_ports)  # usage errors, root or not
    _need_root()
    state = build.up(
        state_dir,
        agencies=agencies,
        nat=nat,
        scale_devices=scale_devices,
        big_ports=big_device_ports,
        say=_say,
    )
    if output is OutputFormat.json:
        emit_json(_status(state))
    else:
        typer.echo(state.inventory)


@app.command()
def down(state_dir: StateDir = DEFAULT_DIR) -> None:
    """Remove every namespace, link and process the lab made. Safe to repeat."""
    from netwarden.lab import build

    _need_root()
    if not build.down(state_dir, say=_say):
        _say("no lab is running")


def _status(state: LabState | None) -> dict[str, Any]:
    if state is None:
        return {"running": False, "inventory": None, "links": {}, "processes": []}
    return {
        "running": True,
        "started": state.started,
        "params": state.params,
        "inventory": state.inventory,
        "namespaces": state.namespaces,
        "links": {
            name: {
                "namespace": link.ns,
                "core_interface": link.core_if,
                "far_device": link.far_device,
                "state": link.fault,
                "impair": link.impair,
            }
            for name, link in state.links.items()
        },
        "processes": [
            {"name": p.name, "pid": p.pid, "alive": processes.alive(p)} for p in state.processes
        ],
    }


@app.command()
def status(state_dir: StateDir = DEFAULT_DIR, output: Output = OutputFormat.table) -> None:
    """What runs: links with their state, daemons alive, the inventory path."""
    report = _status(load(state_dir))
    if output is OutputFormat.json:
        emit_json(report)
        return
    if not report["running"]:
        typer.echo("lab: not running")
        return
    procs = report["processes"]
    dead = [p["name"] for p in procs if not p["alive"]]
    typer.echo(f"inventory: {report['inventory']}")
    typer.echo(
        f"namespaces: {len(report['namespaces'])}; processes: {len(procs) - len(dead)}"
        f"/{len(procs)} alive{'; dead: ' + ', '.join(dead) if dead else ''}"
    )
    rows = [
        [name, link["far_device"], link["core_interface"], link["state"], _impair_text(link)]
        for name, link in report["links"].items()
    ]
    typer.echo(render_table(["link", "far device", "core if", "state", "impairment"], rows))
    if dead:
        raise typer.Exit(1)


def _impair_text(link: dict[str, Any]) -> str:
    imp = link["impair"]
    if not imp:
        return "-"
    return (
        f"delay {imp['delay_ms']:g} ms, jitter {imp['jitter_ms']:g} ms, loss {imp['loss_pct']:g} %"
    )


@app.command()
def impair(
    link: Annotated[str, typer.Argument(help="Link id from the lab inventory, e.g. tsl-so-khcn.")],
    delay: Annotated[float, typer.Option(help="Added round-trip delay, ms.")] = 0.0,
    loss: Annotated[float, typer.Option(help="Round-trip loss a ping sees, percent.")] = 0.0,
    jitter: Annotated[float, typer.Option(help="Delay variation, ms.")] = 0.0,
    clear: Annotated[bool, typer.Option(help="Remove any impairment.")] = False,
    state_dir: StateDir = DEFAULT_DIR,
) -> None:
    """Add delay, jitter and loss to a WAN link (all zero, or --clear, restores it)."""
    from netwarden.lab import wan

    _need_root()
    if clear:
        delay = loss = jitter = 0.0
    wan.impair(state_dir, link, delay_ms=delay, loss_pct=loss, jitter_ms=jitter)
    _say(f"{link}: delay {delay:g} ms, jitter {jitter:g} ms, loss {loss:g} %")


@app.command()
def fault(
    link: Annotated[
        str, typer.Argument(help="Link id, or an endpoint id (e.g. cam-so-khcn) to stop it.")
    ],
    action: Annotated[LinkAction, typer.Argument(help="down cuts the link, up restores it.")],
    state_dir: StateDir = DEFAULT_DIR,
) -> None:
    """Cut a WAN link (both ends lose carrier) or stop an endpoint; `up` restores it."""
    from netwarden.lab import wan

    _need_root()
    wan.fault(state_dir, link, down=action is LinkAction.down)
    _say(f"{link}: {action.value}")
