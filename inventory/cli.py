"""``netwarden inventory ...`` commands."""

import typer

app = typer.Typer(help="Check and show a province inventory.", no_args_is_help=True)
