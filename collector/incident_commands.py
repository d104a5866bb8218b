"""``netwarden incident ...``: the incident record through the collector API.

viewer: ``list``, ``show``, ``evidence get``; responder: ``ack``, ``note``, ``resolve``,
``flag``, ``evidence add``, the ``maintenance`` commands; admin: ``close``. The collector,
its CA and the token come as for ``fleet`` (see netwarden/user_api.py).
"""

from __future__ import annotations

import enum
import hashlib
import os
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from netwarden.collector.incident_render import incident_table, incident_text
from netwarden.collector.incident_report_commands import register as register_report_commands
from netwarden.collector.maintenance_commands import app as maintenance_app
from netwarden.command_group import command_group
from netwarden.errors import NetwardenError, UsageError
from netwarden.output import OutputFormat, emit_json
from netwarden.user_api import CollectorClient
from netwarden.user_api_options import CaFile, Collector, Insecure

app = command_group(
    "The incident record: alerts from Alertmanager, timeline, evidence, maintenance."
)
evidence_app = command_group("Attach evidence to an incident, or fetch it.")
app.add_typer(evidence_app, name="evidence")
app.add_typer(maintenance_app, name="maintenance")


class Status(enum.StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"
    closed = "closed"
    active = "active"
    all = "all"


class TextOrJson(enum.StrEnum):
    text = "text"
    json = "json"


IncidentId = Annotated[str, typer.Argument(help="Incident id, e.g. INC-20261123-001.")]
Output = Annotated[TextOrJson, typer.Option("--output", "-o")]


def _path(incident: str, tail: str = "") -> str:
    return f"/api/v1/incidents/{quote(incident, safe='')}{tail}"


def _done(output: TextOrJson, incident: dict[str, Any], line: str) -> None:
    if output is TextOrJson.json:
        emit_json(incident)
    else:
        typer.echo(line)


@app.command("list")
def list_incidents(
    *,
    status: Annotated[Status, typer.Option("--status", help="Which incidents.")] = Status.all,
    site: Annotated[str | None, typer.Option("--site", help="Only those affecting SITE.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 200,
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.table,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Incidents, newest first: id, status, severity, discovery, sites, flags, title."""
    params = {"status": status.value, "limit": str(limit)}
    if site is not None:
        params["site"] = site
    with CollectorClient(collector, ca_file, insecure) as api:
        incidents = api.call("GET", "/api/v1/incidents", "viewer", params=params)["incidents"]
    if output is OutputFormat.json:
        emit_json({"incidents": incidents})
    elif not incidents:
        typer.echo("no incidents")
    else:
        typer.echo(incident_table(incidents))


@app.command("show")
def show(
    incident: IncidentId,
    *,
    output: Output = TextOrJson.text,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """One incident: what is affected, its alerts, timeline and evidence."""
    with CollectorClient(collector, ca_file, insecure) as api:
        found = api.call("GET", _path(incident), "viewer")
    if output is TextOrJson.json:
        emit_json(found)
    else:
        typer.echo(incident_text(found))


@app.command("ack")
def acknowledge(
    incident: IncidentId,
    *,
    note: Annotated[str, typer.Option("--note", help="A line for the timeline.")] = "",
    output: Output = TextOrJson.text,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Acknowledge an open incident (responder)."""
    with CollectorClient(collector, ca_file, insecure) as api:
        found = api.call("POST", _path(incident, "/ack"), "responder", body={"note": note})
    _done(output, found, f"{incident} acknowledged by {found['acknowledged_by']}")


@app.command("note")
def note(
    incident: IncidentId,
    text: Annotated[str, typer.Argument(help="The note.")],
    *,
    output: Output = TextOrJson.text,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Add a note to the incident's timeline (responder)."""
    with CollectorClient(collector, ca_file, insecure) as api:
        found = api.call("POST", _path(incident, "/notes"), "responder", body={"text": text})
    _done(output, found, f"note added to {incident}")


Summary = Annotated[str, typer.Option("--summary", help="What was done / the outcome.")]


@app.command("resolve")
def resolve(
    incident: IncidentId,
    *,
    summary: Summary,
    output: Output = TextOrJson.text,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Resolve an incident by hand, saying what was done (responder)."""
    with CollectorClient(collector, ca_file, insecure) as api:
        body = {"summary": summary}
        found = api.call("POST", _path(incident, "/resolve"), "responder", body=body)
    _done(output, found, f"{incident} resolved")


@app.command("close")
def close(
    incident: IncidentId,
    *,
    summary: Summary,
    output: Output = TextOrJson.text,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Close a resolved incident with the closing summary (admin)."""
    with CollectorClient(collector, ca_file, insecure) as api:
        found = api.call("POST", _path(incident, "/close"), "admin", body={"summary": summary})
    _done(output, found, f"{incident} closed")


class Serious(enum.StrEnum):
    confirm = "confirm"
    reject = "reject"


@app.command("flag")
def flag(
    incident: IncidentId,
    *,
    confidential: Annotated[
        bool | None, typer.Option("--confidential/--not-confidential", show_default=False)
    ] = None,
    support: Annotated[
        bool | None,
        typer.Option("--support-requested/--no-support-requested", show_default=False),
    ] = None,
    serious: Annotated[
        Serious | None,
        typer.Option("--serious", help="Confirm or reject the computed 'serious' (QĐ 05/2017)."),
    ] = None,
    output: Output = TextOrJson.text,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Set an incident's flags: confidential, support requested, serious confirmed (responder)."""
    body: dict[str, Any] = {}
    if confidential is not None:
        body["confidential"] = confidential
    if support is not None:
        body["support_requested"] = support
    if serious is not None:
        body["serious_confirmed"] = serious is Serious.confirm
    if not body:
        raise UsageError("give --confidential, --support-requested and/or --serious")
    with CollectorClient(collector, ca_file, insecure) as api:
        found = api.call("POST", _path(incident, "/flags"), "responder", body=body)
    _done(output, found, f"{incident} flags set")


@evidence_app.command("add")
def evidence_add(
    incident: IncidentId,
    file: Annotated[Path, typer.Argument(help="The file to attach.")],
    *,
    name: Annotated[str | None, typer.Option("--name", help="Default: the file's name.")] = None,
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.table,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Attach a file (command output, a configuration, a capture) to an incident (responder)."""
    if not file.is_file():
        raise UsageError(f"{file}: no such file")
    with CollectorClient(collector, ca_file, insecure) as api, file.open("rb") as source:
        params = {"name": name or file.name}
        size = os.fstat(source.fileno()).st_size
        row = api.upload(_path(incident, "/evidence"), "responder", source, size, params)
    if output is OutputFormat.json:
        emit_json(row)
    else:
        what = f"{row['name']}, {row['size']} bytes, sha256 {row['sha256']}"
        typer.echo(f"evidence {row['id']} of {incident}: {what}")


@evidence_app.command("events")
def evidence_events(
    incident: IncidentId,
    *,
    output: Output = TextOrJson.text,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Attach the traps and syslog events of the incident's devices now (from 5 minutes
    before it opened until it resolved, or now); also done when it resolves."""
    with CollectorClient(collector, ca_file, insecure) as api:
        answer = api.call("POST", _path(incident, "/evidence/events"), "responder")
    if output is TextOrJson.json:
        emit_json(answer)
    elif answer["evidence"] is None:
        typer.echo(f"{incident}: {answer['events']} events, nothing new to attach")
    else:
        row = answer["evidence"]
        typer.echo(
            f"{incident}: {answer['events']} events attached as evidence {row['id']} "
            f"({row['name']}, sha256 {row['sha256']})"
        )


@evidence_app.command("get")
def evidence_get(
    incident: IncidentId,
    evidence: Annotated[int, typer.Argument(help="The evidence number (incident show).")],
    *,
    out: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: standard output).")
    ] = None,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Fetch a piece of evidence; its SHA-256 is checked here too (viewer)."""
    path = _path(incident, f"/evidence/{evidence}")
    with CollectorClient(collector, ca_file, insecure) as api:
        if out is None:
            _to_stdout(api, path)
            return
        partial = out.with_name(out.name + ".partial")
        try:
            with partial.open("wb") as sink:
                expected = api.download(path, "viewer", sink).get("x-netwarden-sha256", "")
            _check(partial, expected)
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
    typer.echo(f"evidence {evidence} of {incident} written to {out} (sha256 checked)", err=True)


def _to_stdout(api: CollectorClient, path: str) -> None:
    import tempfile

    # Spooled first: nothing reaches standard output unless the hash matches.
    with tempfile.TemporaryFile() as spool:
        expected = api.download(path, "viewer", spool).get("x-netwarden-sha256", "")
        spool.seek(0)
        digest = hashlib.sha256()
        while chunk := spool.read(1024 * 1024):
            digest.update(chunk)
        if digest.hexdigest() != expected:
            raise NetwardenError(
                f"evidence arrived damaged: sha256 {digest.hexdigest()}, expected {expected}"
            )
        spool.seek(0)
        while chunk := spool.read(1024 * 1024):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()


def _check(path: Path, expected: str) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    _compare(digest.hexdigest(), expected)


def _compare(got: str, expected: str) -> None:
    if got != expected:
        raise NetwardenError(f"evidence arrived damaged: sha256 {got}, expected {expected}")


# After the record's own commands, so that --help lists those first.
register_report_commands(app)
