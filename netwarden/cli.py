"""The ``netwarden`` command: one Typer app, one sub-app per subsystem.

Exit codes: 0 ok, 1 a problem was found (invalid inventory, failed device, lab error),
2 usage error. Errors are one readable line on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from netwarden import __version__
from netwarden.agent.agent_commands import app as agent_app
from netwarden.agent.agent_commands import poll as poll_command
from netwarden.agent.configs.config_commands import app as config_app
from netwarden.alerting.alerting_commands import app as alerting_app
from netwarden.collector.collector_commands import app as collector_app
from netwarden.collector.event_commands import app as events_app
from netwarden.collector.fleet_commands import app as fleet_app
from netwarden.collector.incident_commands import app as incident_app
from netwarden.discovery.discover_command import discover_command
from netwarden.errors import ConfigError, InventoryError, NetwardenError, UsageError
from netwarden.inventory.inventory_commands import app as inventory_app
from netwarden.lab.lab_commands import app as lab_app
from netwarden.reports.report_commands import app as report_app

app = typer.Typer(
    name="netwarden",
    help="Monitor a province's e-government network: inventory, lab, agents, collector.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# discover belongs to the inventory group but lives in discovery/ (it imports the agent).
inventory_app.command("discover")(discover_command)
app.add_typer(inventory_app, name="inventory")
app.add_typer(lab_app, name="lab")
app.add_typer(agent_app, name="agent")
app.add_typer(config_app, name="config")
app.add_typer(collector_app, name="collector")
app.add_typer(fleet_app, name="fleet")
app.add_typer(incident_app, name="incident")
app.add_typer(events_app, name="events")
app.add_typer(alerting_app, name="alerting")
app.add_typer(report_app, name="report")
app.command("poll")(poll_command)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"netwarden {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """netwarden: network and infrastructure monitoring for a province."""


def main() -> None:
    """Console-script entry point: map netwarden errors to one line and an exit code."""
    try:
        app(standalone_mode=True)
    except (InventoryError, ConfigError) as exc:
        # Every command that reads an inventory (or a configuration file) reports its problems
        # the way `inventory check` does.
        sys.stderr.write("".join(f"{problem}\n" for problem in exc.problems))
        sys.stderr.write(f"netwarden: error: {exc}\n")
        sys.exit(1)
    except NetwardenError as exc:
        # Config files other than the inventory (reporting.yaml) carry their problems too.
        problems = getattr(exc, "problems", [])
        sys.stderr.write("".join(f"{problem}\n" for problem in problems))
        sys.stderr.write(f"netwarden: error: {exc}\n")
        sys.exit(2 if isinstance(exc, UsageError) else 1)
