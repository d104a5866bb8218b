"""``netwarden inventory ...`` commands: check, show, schema (``discover`` is added to this group
by netwarden/cli.py from the discovery area, which imports the agent).

Exit codes: 0 valid, 1 the inventory has problems (including a path that does not exist: it
is reported like any other problem, as ``PATH:1: no such file or directory``), 2 usage.
``check`` prints problems on stdout (they are its result); ``show`` prints them on stderr so
that its stdout stays a listing or JSON document.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from netwarden.command_group import command_group
from netwarden.output import OutputFormat, emit_json

if TYPE_CHECKING:  # the models (pydantic) load when a command runs, not for --help
    from netwarden.inventory.model import Inventory

app = command_group("Check and show a province inventory.")

Paths = Annotated[
    list[Path],
    typer.Argument(
        metavar="PATH",
        help="Inventory files, or directories of *.yaml/*.yml files (merged into one).",
        show_default=False,
    ),
]


def _summary(inv: Inventory) -> str:
    counts = ", ".join(f"{count} {kind}" for kind, count in inv.counts().items())
    return f"ok: {inv.province} — {counts}"


def _load_or_exit(paths: list[Path], *, problems_to_stdout: bool) -> Inventory:
    from netwarden.inventory.loader import check as check_paths

    inventory, problems = check_paths(paths)
    if inventory is not None:
        return inventory
    out = sys.stdout if problems_to_stdout else sys.stderr
    for line in problems:
        out.write(line + "\n")
    noun = "problem" if len(problems) == 1 else "problems"
    sys.stderr.write(f"netwarden: inventory has {len(problems)} {noun}\n")
    raise typer.Exit(1)


@app.command("check")
def check_command(paths: Paths) -> None:
    """Check an inventory: print a summary, or every problem as PATH:LINE: message."""
    inventory = _load_or_exit(paths, problems_to_stdout=True)
    typer.echo(_summary(inventory))


@app.command("show")
def show_command(
    paths: Paths,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="table or json.")
    ] = OutputFormat.table,
) -> None:
    """Show what an inventory holds (secrets appear as their references only)."""
    from netwarden.inventory.tables import render_inventory

    inventory = _load_or_exit(paths, problems_to_stdout=False)
    if output is OutputFormat.json:
        emit_json(inventory.model_dump(mode="json"))
    else:
        typer.echo(render_inventory(inventory))


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of an inventory file."""
    from netwarden.inventory.schema import schema_text

    sys.stdout.write(schema_text())
