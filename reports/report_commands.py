"""``netwarden report ...``: reports computed from what netwarden measured.

Imports of the report's machinery stay inside the commands: ``netwarden --help`` and every
other command start without them.
"""

from __future__ import annotations

import enum
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from netwarden.command_group import command_group
from netwarden.errors import UsageError
from netwarden.user_api_options import CaFile, Insecure

app = command_group("Reports: the monthly availability of links and agencies.")


class ReportFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@app.command("availability")
def availability(
    *,
    prometheus: Annotated[
        str, typer.Option("--prometheus", help="Prometheus URL (scraping the agents).")
    ],
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM, a Vietnam-time month (UTC+7).")
    ] = None,
    inventory: Annotated[
        list[Path] | None,
        typer.Option("--inventory", "-i", help="Inventory file or directory (repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="FROM/TO (RFC 3339) left out for everything; repeat."),
    ] = None,
    collector: Annotated[
        str | None,
        typer.Option(
            "--collector",
            help="Collector URL: its maintenance windows are left out too (NETWARDEN_TOKEN).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[ReportFormat, typer.Option("--output", "-o")] = ReportFormat.table,
    start: Annotated[
        str | None, typer.Option("--from", help="Instead of --month: the window's start.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Instead of --month: its end.")] = None,
    step: Annotated[
        str, typer.Option("--step", help="Resolution: the state is read once per step.")
    ] = "60s",
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Availability per dedicated-data-network link and per agency, computed in Prometheus;
    maintenance windows (--exclude, the collector's with --collector) are left out."""
    from netwarden.reports.run import AvailabilityRequest, run_availability

    if (month is None) == (start is None and end is None):
        raise UsageError("give --month YYYY-MM, or --from and --to")
    if month is None and (start is None or end is None):
        raise UsageError("--from and --to go together")
    request = AvailabilityRequest(
        prometheus=prometheus,
        month=month,
        start=start,
        end=end,
        step=step,
        inventory=inventory or [],
        exclude=exclude or [],
        collector=collector,
        ca_file=ca_file,
        insecure=insecure,
        now=time.time(),
    )
    sys.stdout.write(run_availability(request, output.value))
