"""``netwarden collector ...``: serve, token create, backup, restore, install-service.

The server, the store (SQLAlchemy) and uvicorn are imported inside the commands that use them:
``--help`` loads this module, and they would add a quarter second to it.
"""

from __future__ import annotations

import logging
import os
import pwd
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from netwarden.collector.command_options import (
    DEFAULT_DATA_DIR,
    DataDir,
    DbUrl,
    db_url,
    local_actor,
    parse_listen,
    seconds,
)
from netwarden.collector.connections import MAX_CONNECTIONS, MAX_PER_ADDRESS, ConnectionLimits
from netwarden.collector.systemd import UNIT_PATH, render_unit
from netwarden.collector.token_commands import app as token_app
from netwarden.command_group import command_group
from netwarden.errors import NetwardenError, UsageError
from netwarden.hostport import hostport_option

app = command_group("Run and administer the collector agents connect to.")
app.add_typer(token_app, name="token")

Inventories = Annotated[
    list[Path], typer.Option("--inventory", "-i", help="Inventory file or directory (repeatable).")
]
Listen = Annotated[
    str, typer.Option("--listen", help="HOST:PORT to serve on (:PORT: every interface).")
]


@app.command("serve")
def serve_command(
    inventory: Inventories,
    db: DbUrl = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
    listen: Listen = "0.0.0.0:9440",
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Plain HTTP, no TLS (lab only).")
    ] = False,
    tls_san: Annotated[
        list[str] | None,
        typer.Option("--tls-san", help="Extra name or address in the server certificate."),
    ] = None,
    stale_after: Annotated[
        str, typer.Option("--stale-after", help="An agent without heartbeat this long is stale.")
    ] = "45s",
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
    alertmanager: Annotated[
        str | None,
        typer.Option(
            "--alertmanager", help="Alertmanager URL: maintenance windows create silences there."
        ),
    ] = None,
    incident_retention: Annotated[
        str,
        typer.Option(
            "--incident-retention", help="Keep closed incidents this long: 12mo, 400d, 9000h."
        ),
    ] = "12mo",
    max_connections: Annotated[
        int, typer.Option("--max-connections", help="Client connections held at once, in all.")
    ] = MAX_CONNECTIONS,
    max_per_address: Annotated[
        int,
        typer.Option(
            "--max-connections-per-address", help="Client connections from one source address."
        ),
    ] = MAX_PER_ADDRESS,
    read_timeout: Annotated[
        str,
        typer.Option(
            "--read-timeout",
            help="Time a request's headers and body may take to arrive (more for big bodies).",
        ),
    ] = "30s",
    read_idle_timeout: Annotated[
        str,
        typer.Option(
            "--read-idle-timeout", help="Silence allowed while a request is due or arriving."
        ),
    ] = "10s",
    event_retention: Annotated[
        str,
        typer.Option(
            "--event-retention", help="Keep traps and syslog events this long: 12mo, 90d."
        ),
    ] = "12mo",
    reporting: Annotated[
        Path | None,
        typer.Option(
            "--reporting",
            help="reporting.yaml: who makes the national incident reports, to whom, deadlines.",
        ),
    ] = None,
    playbooks: Annotated[
        list[Path] | None,
        typer.Option(
            "--playbooks",
            help="A directory of the province's own playbooks, run beside the built-in ones.",
        ),
    ] = None,
    smtp: Annotated[
        str,
        typer.Option("--smtp", help="HOST:PORT of the SMTP relay playbooks' e-mail notify uses."),
    ] = "localhost:25",
    mail_from: Annotated[
        str, typer.Option("--mail-from", help="The sender of playbooks' e-mails.")
    ] = "netwarden@localhost",
) -> None:
    """Serve the collector API until SIGTERM/SIGINT (SIGHUP reloads the inventory)."""
    from netwarden.collector.incidents.retention import parse_retention
    from netwarden.collector.serve import ServeSettings, serve
    from netwarden.reports.national.config import ReportingConfig
    from netwarden.reports.national.config_loader import load_reporting

    host, port = parse_listen(listen)
    relay = hostport_option("--smtp", smtp)
    retention = parse_retention(incident_retention)
    limits = _limits(
        max_connections,
        max_per_address,
        seconds(read_timeout, "--read-timeout"),
        seconds(read_idle_timeout, "--read-idle-timeout"),
    )
    events_kept = parse_retention(event_retention, "--event-retention")
    level = logging.getLevelName(log_level.upper())
    if not isinstance(level, int):
        raise UsageError(f"--log-level must be debug, info, warning or error, not {log_level!r}")
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = ServeSettings(
        inventory=inventory,
        db_url=db_url(db, data_dir),
        data_dir=data_dir,
        host=host,
        port=port,
        insecure=insecure,
        tls_sans=tls_san or [],
        stale_after=seconds(stale_after, "--stale-after"),
        alertmanager=alertmanager,
        incident_retention=retention,
        limits=limits,
        event_retention=events_kept,
        reporting=load_reporting(reporting) if reporting is not None else ReportingConfig(),
        playbooks=playbooks or [],
        smtp=(relay.host, relay.port),
        mail_from=mail_from,
    )
    serve(settings)


def _limits(total: int, per_address: int, read: float, idle: float) -> ConnectionLimits:
    if total < 1:
        raise UsageError(f"--max-connections must be at least 1, got {total}")
    if not 1 <= per_address <= total:
        raise UsageError(
            f"--max-connections-per-address must be from 1 to --max-connections ({total}), "
            f"got {per_address}"
        )
    return ConnectionLimits(total, per_address, read_timeout=read, idle_timeout=idle)


@app.command("backup")
def backup_command(
    file: Annotated[Path, typer.Argument(help="The tar file to write.")],
    db: DbUrl = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Write the store, the TLS material and the evidence to FILE (safe while serving)."""
    from netwarden.collector import backup as backups
    from netwarden.collector.store import open_existing_store

    backups.check_data_dir(data_dir, sqlite=db is None)
    store = open_existing_store(db_url(db, data_dir))
    try:
        summary = backups.backup(store, data_dir, file)
    finally:
        store.close()
    typer.echo(
        f"backup written to {summary.path}: store {summary.store_bytes} bytes, "
        f"{summary.files} files (tls, evidence); it holds the CA key: keep it safe"
    )


@app.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="A file written by `collector backup`.")],
    db: DbUrl = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a store that already holds state.")
    ] = False,
) -> None:
    """Restore a backup into the store and the data directory (stop the collector first)."""
    from netwarden.collector.restore import restore_backup

    if not file.is_file():
        raise UsageError(f"{file}: no such file")
    url = db_url(db, data_dir)
    manifest = restore_backup(url, data_dir, file, replace=replace, actor=local_actor())
    typer.echo(f"restored {file} (CA sha256 {manifest.get('ca_sha256') or 'none: insecure'})")


def _ensure_user(name: str, home: Path) -> None:
    try:
        pwd.getpwnam(name)
        return
    except KeyError:
        pass
    done = subprocess.run(
        [
            "useradd",
            "--system",
            "--home-dir",
            str(home),
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            name,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise NetwardenError(f"useradd {name} failed: {done.stderr.strip()}")


@app.command("install-service")
def install_service(
    user: Annotated[
        str, typer.Option("--user", help="Unprivileged account to run as.")
    ] = "netwarden",
    data_dir: DataDir = DEFAULT_DATA_DIR,
    inventory: Inventories = [Path("/etc/netwarden/inventory")],  # noqa: B006 (Typer default)
    listen: Listen = "0.0.0.0:9440",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the unit only.")] = False,
) -> None:
    """Install the systemd unit netwarden-collector.service (prints it with --dry-run)."""
    _, port = parse_listen(listen)
    args = ["collector", "serve", "--data-dir", str(data_dir.absolute()), "--listen", listen]
    for path in inventory:
        args += ["--inventory", str(path.absolute())]
    unit = render_unit(
        user=user, data_dir=data_dir.absolute(), serve_args=args, bind_low_port=0 < port < 1024
    )
    if dry_run:
        sys.stdout.write(unit)
        return
    if os.geteuid() != 0:
        raise UsageError("install-service needs root (or use --dry-run to see the unit)")
    _ensure_user(user, data_dir)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    account = pwd.getpwnam(user)
    os.chown(data_dir, account.pw_uid, account.pw_gid)
    UNIT_PATH.write_text(unit, encoding="utf-8")
    typer.echo(
        f"wrote {UNIT_PATH}; now: systemctl daemon-reload && "
        "systemctl enable --now netwarden-collector"
    )
