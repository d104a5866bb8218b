"""``netwarden fleet ...``: the collector's view of the agents, for people at a terminal.

Talks to the collector API with the user token in ``NETWARDEN_TOKEN`` through
``netwarden/user_api.py`` (which says where the URL and CA come from), imported when a
command runs.
"""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any
from urllib.parse import quote

import typer

from netwarden.command_group import command_group
from netwarden.output import OutputFormat, emit_json, render_table
from netwarden.user_api_options import CaFile, Collector, Insecure

app = command_group("See and manage the agent fleet through the collector.")


def _ago(last_seen: float | None, now: float) -> str:
    if last_seen is None:
        return "never"
    return f"{_span(max(0.0, now - last_seen))} ago"


def _row(agent: dict[str, Any], now: float) -> list[object]:
    state = str(agent["state"])
    devices = f"{agent['devices_healthy']}/{agent['devices_assigned']}"
    offset = agent["clock_offset"]
    return [
        agent["id"],
        agent["site"],
        state.upper() if state == "stale" else state,
        _ago(agent["last_seen"], now),
        agent["version"] or "-",
        devices if agent["devices_assigned"] is not None else "-",
        agent["queue_depth"] if agent["queue_depth"] is not None else "-",
        _spool(agent.get("spool_depth"), agent.get("spool_oldest_age")),
        f"{offset:+.2f}s" if offset is not None else "-",
    ]


def _spool(depth: int | None, oldest_age: float | None) -> str:
    """A push agent's spool: samples waiting and how far back they go; "-" for pull agents."""
    if depth is None:
        return "-"
    if not depth or oldest_age is None:
        return str(depth)
    return f"{depth} ({_span(oldest_age)})"


def _span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    return f"{seconds / 60:.0f}m" if seconds < 7200 else f"{seconds / 3600:.1f}h"


def fleet_table(agents: list[dict[str, Any]], now: float, *, color: bool) -> str:
    """The fleet as a table; stale agents' STATE is upper case, and the line red on a TTY."""
    headers = [
        "AGENT",
        "SITE",
        "STATE",
        "LAST SEEN",
        "VERSION",
        "DEVICES OK",
        "QUEUE",
        "PUSH SPOOL",
        "CLOCK OFFSET",
    ]
    lines = render_table(headers, [_row(a, now) for a in agents]).split("\n")
    if color:
        for n, agent in enumerate(agents, start=2):  # after the header and its rule
            if agent["state"] == "stale":
                lines[n] = typer.style(lines[n], fg=typer.colors.RED, bold=True)
    return "\n".join(lines)


@app.command("status")
def status(
    collector: Collector = None,
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.table,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Each agent: site, state (up, STALE, never, revoked), last seen, version, devices, queue,
    push spool (samples waiting, and how old the oldest is)."""
    from netwarden.user_api import call_once

    agents = call_once(collector, ca_file, insecure, ("GET", "/api/v1/fleet", "viewer"))["agents"]
    if output is OutputFormat.json:
        emit_json({"agents": agents})
        return
    if not agents:
        typer.echo("no agents enrolled yet")
        return
    typer.echo(fleet_table(agents, time.time(), color=sys.stdout.isatty()))


@app.command("revoke")
def revoke(
    agent: Annotated[str, typer.Argument(help="The agent id to revoke.")],
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Revoke an agent's credential at once (it needs a new join token to come back)."""
    from netwarden.user_api import call_once

    path = f"/api/v1/agents/{quote(agent, safe='')}/revoke"
    call_once(collector, ca_file, insecure, ("POST", path, "admin"))
    typer.echo(f"agent {agent} revoked")
