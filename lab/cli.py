"""``netwarden lab ...`` commands."""

import typer

app = typer.Typer(help="Build and change the namespace lab (needs root).", no_args_is_help=True)
