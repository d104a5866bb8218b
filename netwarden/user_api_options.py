"""The options of a command that asks the collector's user API (``fleet``, ``config ...
--collector``): where the collector is and how to trust it. The client is ``user_api.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Collector = Annotated[
    str | None,
    typer.Option(
        "--collector", envvar="NETWARDEN_COLLECTOR", help="Collector URL.", show_default=False
    ),
]
CaFile = Annotated[
    Path | None,
    typer.Option("--ca-file", envvar="NETWARDEN_CA_FILE", help="PEM of the collector CA."),
]
Insecure = Annotated[
    bool, typer.Option("--insecure", help="Allow http://, or skip TLS verification.")
]
