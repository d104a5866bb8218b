"""Options and helpers shared by the ``collector`` commands."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from netwarden.errors import UsageError
from netwarden.hostport import HostPort, hostport_option

DEFAULT_DATA_DIR = Path("/var/lib/netwarden/collector")

DataDir = Annotated[
    Path,
    typer.Option("--data-dir", help="Collector state: database (default), tls/, evidence/."),
]
DbUrl = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="sqlite:///ABS/PATH or postgresql://user@host:port/db "
        "(default: sqlite:///<data-dir>/collector.db).",
        show_default=False,
    ),
]


def db_url(db: str | None, data_dir: Path) -> str:
    """The store URL: ``--db`` as given, else the SQLite file in the data directory."""
    return db if db else f"sqlite:///{(data_dir / 'collector.db').absolute()}"


def seconds(text: str, flag: str) -> float:
    """A duration option (``45s``, ``24h``) in seconds; a usage error otherwise."""
    from pydantic import TypeAdapter, ValidationError  # the inventory's own rule, on use only

    from netwarden.inventory.fields import Duration

    try:
        return TypeAdapter(Duration).validate_python(text)
    except ValidationError:
        raise UsageError(f"{flag} must be a duration like 45s, 10m or 24h, got {text!r}") from None


def local_actor() -> str:
    """How the audit log names a command run on the collector host."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def parse_listen(text: str) -> HostPort:
    """``--listen``: HOST:PORT, [IPv6]:PORT, or :PORT for every interface (0.0.0.0)."""
    return hostport_option("--listen", text, default_host="0.0.0.0", any_port=True)  # noqa: S104
