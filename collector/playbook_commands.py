"""``netwarden playbook ...``: check playbook files, and runs through the collector API.

``check`` and ``schema`` work on files alone. ``run`` (responder), ``runs`` and ``show``
(viewer), ``approve`` and ``reject`` (the role the approval step names) talk to the collector
like ``incident`` (netwarden/user_api.py: ``--collector``, ``--ca-file``, the token).
"""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from netwarden.command_group import command_group
from netwarden.errors import UsageError
from netwarden.output import OutputFormat, emit_json
from netwarden.user_api import CollectorClient
from netwarden.user_api_options import CaFile, Collector, Insecure

app = command_group(
    "Incident-response playbooks: check files, start runs, follow them, approve steps."
)


class TextOrJson(enum.StrEnum):
    text = "text"
    json = "json"


RunId = Annotated[str, typer.Argument(help="Run id, e.g. RUN-20261123-001.")]
StepId = Annotated[str, typer.Argument(help="The approval step's id.")]


def _run_path(run: str, tail: str = "") -> str:
    return f"/api/v1/playbook-runs/{quote(run, safe='')}{tail}"


@app.command("check")
def check_command(
    paths: Annotated[list[Path], typer.Argument(help="Playbook files or directories of them.")],
) -> None:
    """Validate playbooks: every problem as PATH:LINE: message (exit 1 if any)."""
    from netwarden.playbooks.loader import check

    checked = check(paths)
    for line in checked.problems:
        typer.echo(line, err=True)
    if checked.problems:
        raise typer.Exit(1)
    typer.echo(f"{len(checked.playbooks)} playbooks ok")


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of a playbook file."""
    from netwarden.playbooks.schema import schema_text

    sys.stdout.write(schema_text())


def _alert_file(path: Path) -> dict[str, Any]:
    """An alert from a file: one Alertmanager alert, or a webhook body (its first alert)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--alert {path}: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("alerts"), list) and data["alerts"]:
        data = data["alerts"][0]
    if not isinstance(data, dict) or not isinstance(data.get("labels"), dict):
        raise UsageError(f"--alert {path}: not an alert (an object with labels)")
    return {"labels": data["labels"], "annotations": data.get("annotations") or {}}


def _inputs(pairs: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--input {pair!r}: expected NAME=VALUE")
        try:
            found[name] = json.loads(text)  # numbers and booleans as such
        except ValueError:
            found[name] = text
    return found


def _dry_run_text(found: dict[str, Any]) -> str:
    lines = [f"dry run of {found['playbook']} (nothing sent, nothing stored)"]
    for step in found["steps"]:
        head = f"- {step['step']} ({step['action']}) on {step.get('agent') or '?'}"
        if step.get("when"):
            head += f" when {step['when']}"
        lines.append(head)
        if "error" in step:
            lines.append(f"    not rendered before the run: {step['error']}")
        else:
            lines.append(f"    args: {json.dumps(step['args'], ensure_ascii=False)}")
    return "\n".join(lines)


@app.command("run")
def run_command(
    playbook: Annotated[str, typer.Argument(help="The playbook's id.")],
    *,
    incident: Annotated[str | None, typer.Option("--incident", help="For this incident.")] = None,
    device: Annotated[str | None, typer.Option("--device", help="For this device.")] = None,
    alert: Annotated[
        Path | None, typer.Option("--alert", help="For the alert in this JSON file.")
    ] = None,
    inputs: Annotated[
        list[str] | None, typer.Option("--input", help="NAME=VALUE (repeatable).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render every step and its agent; run nothing.")
    ] = False,
    output: Annotated[TextOrJson, typer.Option("--output", "-o")] = TextOrJson.text,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Start a playbook by hand (responder), for an incident, a device or an alert."""
    if sum(x is not None for x in (incident, device, alert)) != 1:
        raise UsageError("give exactly one of --incident, --device or --alert")
    body: dict[str, Any] = {
        "playbook": playbook,
        "dry_run": dry_run,
        "inputs": _inputs(inputs or []),
    }
    if incident is not None:
        body["incident"] = incident
    elif device is not None:
        body["device"] = device
    elif alert is not None:
        body["alert"] = _alert_file(alert)
    with CollectorClient(collector, ca_file, insecure) as api:
        found = api.call("POST", "/api/v1/playbook-runs", "responder", body=body)
    if output is TextOrJson.json:
        emit_json(found)
    elif dry_run:
        typer.echo(_dry_run_text(found))
    else:
        typer.echo(f"{found['id']} started ({found['playbook']})")


@app.command("runs")
def runs_command(
    *,
    incident: Annotated[str | None, typer.Option("--incident", help="Of this incident.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 200,
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.table,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Playbook runs, newest first."""
    from netwarden.playbooks.render import runs_table

    params = {"limit": str(limit)}
    if incident is not None:
        params["incident"] = incident
    with CollectorClient(collector, ca_file, insecure) as api:
        runs = api.call("GET", "/api/v1/playbook-runs", "viewer", params=params)["runs"]
    if output is OutputFormat.json:
        emit_json({"runs": runs})
    elif not runs:
        typer.echo("no runs")
    else:
        typer.echo(runs_table(runs))


@app.command("show")
def show_command(
    run: RunId,
    *,
    output: Annotated[TextOrJson, typer.Option("--output", "-o")] = TextOrJson.text,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """One run: its steps, each attempt's agent, outcome, times and evidence."""
    from netwarden.playbooks.render import run_text

    with CollectorClient(collector, ca_file, insecure) as api:
        found = api.call("GET", _run_path(run), "viewer")
    if output is TextOrJson.json:
        emit_json(found)
    else:
        typer.echo(run_text(found))


@app.command("approve")
def approve_command(
    run: RunId,
    step: StepId,
    *,
    note: Annotated[str, typer.Option("--note", help="A line for the timeline.")] = "",
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Approve a waiting approval step (the role it names: responder or admin)."""
    with CollectorClient(collector, ca_file, insecure) as api:
        api.call("POST", _run_path(run, f"/steps/{step}/approve"), "responder", body={"note": note})
    typer.echo(f"{run} step {step} approved")


@app.command("reject")
def reject_command(
    run: RunId,
    step: StepId,
    *,
    reason: Annotated[str, typer.Option("--reason", help="Why (goes into the timeline).")],
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Reject a waiting approval step: it fails and the run takes its on_failure."""
    with CollectorClient(collector, ca_file, insecure) as api:
        body = {"reason": reason}
        api.call("POST", _run_path(run, f"/steps/{step}/reject"), "responder", body=body)
    typer.echo(f"{run} step {step} rejected")
