"""``netwarden events search|tail``: traps and syslog the agents received, from the collector.

viewer role. Times are ISO 8601 (``2026-12-07T10:00:00+07:00``), Unix seconds, or an age
(``30m``, ``2h``, ``7d``: that long ago).
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from netwarden.command_group import command_group
from netwarden.errors import UsageError
from netwarden.output import OutputFormat, emit_json, render_table
from netwarden.user_api import CollectorClient, CollectorUnreachable
from netwarden.user_api_options import CaFile, Collector, Insecure

app = command_group("Traps and syslog events the agents received.")

TAIL_WAIT = 25  # seconds one long poll waits for an event (under the client's 30 s timeout)
_AGE = re.compile(r"(\d+(?:\.\d+)?)(s|m|h|d)")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}

Site = Annotated[str | None, typer.Option("--site", help="Only events of this site.")]
Device = Annotated[str | None, typer.Option("--device", help="Only events of this device.")]
Grep = Annotated[str | None, typer.Option("--grep", help="Only messages containing TEXT.")]
Output = Annotated[OutputFormat, typer.Option("--output", "-o")]


def parse_time(text: str, option: str, now: float | None = None) -> float:
    """An ISO time, Unix seconds or an age (``2h``: two hours ago), as Unix seconds."""
    text = text.strip()
    age = _AGE.fullmatch(text)
    if age is not None:
        return (now if now is not None else time.time()) - float(age[1]) * _UNIT[age[2]]
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option} must be an ISO time, Unix seconds or an age like 2h, got {text!r}"
        ) from None
    if parsed.tzinfo is None:
        raise UsageError(f"{option} {text!r} needs a time zone (e.g. Z or +07:00)")
    return parsed.timestamp()


def _filters(site: str | None, device: str | None, grep: str | None) -> dict[str, str]:
    found = {"site": site, "device": device, "grep": grep}
    return {k: v for k, v in found.items() if v}


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _row(e: dict[str, Any]) -> list[object]:
    device = e.get("device") or f"unknown ({e.get('address')})"
    where = e.get("ifName") or (e.get("ifIndex") if e.get("ifIndex") is not None else "")
    return [
        _when(e["at"]),
        device,
        e.get("source", ""),
        e.get("kind", ""),
        e.get("severity") or "",
        where,
        str(e.get("message", ""))[:120],
    ]


HEADERS = ["time (UTC)", "device", "source", "kind", "severity", "interface", "message"]


@app.command("search")
def search(
    since: Annotated[str, typer.Option("--since", help="From: ISO time, Unix seconds or 2h.")],
    until: Annotated[str | None, typer.Option("--until", help="To (excluded).")] = None,
    site: Site = None,
    device: Device = None,
    grep: Grep = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000)] = 1000,
    output: Output = OutputFormat.table,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Events in a time range, oldest first (the latest LIMIT when more match)."""
    params = {"since": repr(parse_time(since, "--since")), "limit": str(limit)}
    if until is not None:
        params["until"] = repr(parse_time(until, "--until"))
    params.update(_filters(site, device, grep))
    with CollectorClient(collector, ca_file, insecure) as api:
        events = api.call("GET", "/api/v1/events", "viewer", params=params)["events"]
    if output is OutputFormat.json:
        emit_json({"events": events})
    elif not events:
        typer.echo("no events")
    else:
        typer.echo(render_table(HEADERS, [_row(e) for e in events]))


@app.command("tail")
def tail(
    site: Site = None,
    device: Device = None,
    grep: Grep = None,
    lines: Annotated[
        int, typer.Option("--lines", "-n", min=0, max=1000, help="Recent events shown first.")
    ] = 10,
    count: Annotated[
        int | None, typer.Option("--count", min=1, help="Stop after this many new events.")
    ] = None,
    output: Output = OutputFormat.table,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Follow events as agents deliver them (Ctrl-C stops); json: one object per line."""
    filters = _filters(site, device, grep)
    seen = 0
    with CollectorClient(collector, ca_file, insecure, timeout=TAIL_WAIT + 10) as api:
        first = api.call(
            "GET", "/api/v1/events", "viewer", params={**filters, "limit": str(max(lines, 1))}
        )
        after = int(first["last_seq"])
        for event in first["events"][-lines:] if lines else []:
            _print(event, output)
        pause = 1.0
        while count is None or seen < count:
            params = {**filters, "after": str(after), "wait": str(TAIL_WAIT)}
            try:
                answer = api.call("GET", "/api/v1/events", "viewer", params=params)
            except CollectorUnreachable as exc:
                # Like tail -F: a collector restart or a WAN cut is waited out, not an exit.
                typer.echo(f"{exc}; trying again in {pause:g} s", err=True)
                time.sleep(pause)
                pause = min(pause * 2, 30.0)
                continue
            pause = 1.0
            for event in answer["events"]:
                _print(event, output)
                seen += 1
                if count is not None and seen >= count:
                    break
            after = max(after, int(answer["last_seq"]))


def _print(event: dict[str, Any], output: OutputFormat) -> None:
    if output is OutputFormat.json:
        typer.echo(json.dumps(event, ensure_ascii=False, separators=(",", ":")))
    else:
        typer.echo("  ".join(str(c) for c in _row(event)))
