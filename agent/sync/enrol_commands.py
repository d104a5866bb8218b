"""``netwarden agent enroll`` and ``netwarden agent install-service`` (registered in
agent/agent_commands.py, beside ``agent run``)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from netwarden.agent.sync.service import TEMPLATE as UNIT_TEMPLATE
from netwarden.agent.sync.service import UNIT_DIR, InstallPlan, install, render_env, render_unit
from netwarden.agent.sync.state_dir import StateDir
from netwarden.errors import UsageError
from netwarden.secret import Secret, is_reference

StateDirOption = Annotated[
    Path, typer.Option("--state-dir", help="This agent's state dir (one per agent on a host).")
]


def enroll_command(
    collector: Annotated[str, typer.Option(help="The collector's URL, e.g. https://HOST:8443.")],
    token: Annotated[
        str,
        typer.Option(help="The join token (nwj....), or a reference to it: env:NAME, file:/PATH."),
    ],
    state_dir: StateDirOption,
    insecure: Annotated[
        bool, typer.Option(help="Allow a plain-HTTP collector (lab only; the token has no CA).")
    ] = False,
    force: Annotated[bool, typer.Option(help="Enrol an already enrolled state dir again.")] = (
        False
    ),
) -> None:
    """Exchange a one-time join token for this agent's credential; write the state dir."""
    import asyncio

    from netwarden.agent.sync.enroll import enroll  # httpx and cryptography: only when used

    # A token given as a reference keeps it out of the shell history and the process list.
    text = Secret(token).reveal() if is_reference(token) else token
    identity = asyncio.run(enroll(collector, text, state_dir, insecure=insecure, force=force))
    typer.echo(
        f"enrolled as agent {identity.agent} (site {identity.site}) with "
        f"{identity.collector}; state in {StateDir(state_dir).path}"
    )
    typer.echo(
        f"start it: netwarden agent run --state-dir {StateDir(state_dir).path}  "
        "(or: netwarden agent install-service --state-dir ...)",
        err=True,
    )


def _executable() -> str:
    beside = Path(sys.executable).parent / "netwarden"  # the venv's console script
    found = str(beside) if beside.exists() else shutil.which("netwarden")
    if found is None:
        raise UsageError("cannot find the netwarden command: give --executable")
    return str(Path(found).absolute())


def install_service_command(
    state_dir: StateDirOption,
    user: Annotated[str, typer.Option(help="The unprivileged system user it runs as.")] = (
        "netwarden"
    ),
    listen: Annotated[
        str | None, typer.Option(help="Where this agent serves /metrics (HOST:PORT).")
    ] = None,
    advertise: Annotated[
        str | None, typer.Option(help="The HOST:PORT Prometheus scrapes (service discovery).")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Print the unit and agent.env; change nothing.")] = (
        False
    ),
    start: Annotated[bool, typer.Option(help="Enable and start it when systemd runs here.")] = True,
    unit_dir: Annotated[Path, typer.Option(help="Where the unit is written.")] = UNIT_DIR,
    executable: Annotated[
        str | None, typer.Option(help="Absolute path of the netwarden command.")
    ] = None,
) -> None:
    """Install the systemd unit netwarden-agent@.service and this state dir's instance."""
    state = StateDir(state_dir)
    if not state.is_enrolled():
        raise UsageError(f"state dir {state.path} is not enrolled: run `netwarden agent enroll`")
    exe = executable or _executable()
    if not Path(exe).is_absolute():
        raise UsageError("--executable must be an absolute path")
    plan = InstallPlan(
        state.path,
        user,
        unit_dir / UNIT_TEMPLATE,
        render_unit(exe, user),
        render_env(listen, advertise, state.path),
    )
    if dry_run:
        typer.echo(f"# {plan.unit_path}\n{plan.unit_text}")
        typer.echo(f"# {state.env_path}\n{plan.env_text}")
        typer.echo(f"# instance: {plan.instance}")
        return
    if os.geteuid() != 0:
        raise UsageError("install-service needs root (or --dry-run to see what it would do)")
    for line in install(plan, start=start):
        typer.echo(line)
