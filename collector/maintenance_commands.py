"""``netwarden incident maintenance add|list|remove``: maintenance windows (responder to change).

Times: RFC 3339 with a zone, ``'2026-11-23 22:00'`` (Vietnam time), ``now``, or ``+2h``.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from netwarden.collector.incident_render import window_table
from netwarden.collector.incidents.times import TimeFormatError, format_s, parse_user_time
from netwarden.command_group import command_group
from netwarden.errors import UsageError
from netwarden.output import OutputFormat, emit_json
from netwarden.user_api import CollectorClient
from netwarden.user_api_options import CaFile, Collector, Insecure

app = command_group("Maintenance windows on a site, link or device.")

When = Annotated[str, typer.Option(help="RFC 3339, 'YYYY-MM-DD HH:MM' (+07), now or +2h.")]


def _when(text: str, flag: str, now: float) -> str:
    try:
        value = format_s(parse_user_time(text, now))
    except TimeFormatError as exc:
        raise UsageError(f"{flag}: {exc}") from None
    assert value is not None
    return value


@app.command("add")
def add(
    *,
    site: Annotated[str | None, typer.Option("--site", help="A site.")] = None,
    link: Annotated[str | None, typer.Option("--link", help="A link.")] = None,
    device: Annotated[str | None, typer.Option("--device", help="A device.")] = None,
    start: Annotated[str, typer.Option("--from", help="Start (see --help).")],
    end: Annotated[str, typer.Option("--to", help="End (see --help).")],
    reason: Annotated[str, typer.Option("--reason", help="Why: shown on incidents and silences.")],
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.table,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Add a window (and its Alertmanager silences, when the collector has --alertmanager)."""
    targets = {k: v for k, v in (("site", site), ("link", link), ("device", device)) if v}
    if len(targets) != 1:
        raise UsageError("give exactly one of --site, --link, --device")
    now = time.time()
    times = {"from": _when(start, "--from", now), "to": _when(end, "--to", now)}
    body = {**targets, **times, "reason": reason}
    with CollectorClient(collector, ca_file, insecure) as api:
        window = api.call("POST", "/api/v1/maintenance", "responder", body=body)
    if output is OutputFormat.json:
        emit_json(window)
        return
    ((kind, target),) = targets.items()
    silenced = len(window["silences"])
    span = f"from {window['from']} to {window['to']}"
    typer.echo(f"maintenance window {window['id']}: {kind} {target} {span} ({silenced} silences)")


@app.command("list")
def list_windows(
    *,
    start: Annotated[str | None, typer.Option("--from", help="From (default: now).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Until (default: no end).")] = None,
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.table,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Windows overlapping the period (default: those not over yet)."""
    now = time.time()
    params = {"from": _when(start or "now", "--from", now)}
    if end is not None:
        params["to"] = _when(end, "--to", now)
    with CollectorClient(collector, ca_file, insecure) as api:
        windows = api.call("GET", "/api/v1/maintenance", "viewer", params=params)["windows"]
    if output is OutputFormat.json:
        emit_json({"windows": windows})
    elif not windows:
        typer.echo("no maintenance windows")
    else:
        typer.echo(window_table(windows))


@app.command("remove")
def remove(
    window: Annotated[int, typer.Argument(help="The window id.")],
    *,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """End a running window now, or cancel one not begun; its silences expire (responder)."""
    with CollectorClient(collector, ca_file, insecure) as api:
        done = api.call("DELETE", f"/api/v1/maintenance/{window}", "responder")
    typer.echo(f"maintenance window {window} {done['done']}")
