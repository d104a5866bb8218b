"""``netwarden agent run|enroll|install-service``: the agent's options.

Only the options live here, so that ``--help`` stays instant; ``agent_run.py`` does the work
of ``run`` and is imported when it runs. ``netwarden poll`` is in ``poll_command.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netwarden.agent.snmp.engines import EngineName
from netwarden.agent.sync.enrol_commands import enroll_command, install_service_command
from netwarden.command_group import command_group

app = command_group("Run the agent that polls an agency's devices.")
app.command("enroll")(enroll_command)
app.command("install-service")(install_service_command)

SnmpEngineOption = Annotated[
    EngineName,
    typer.Option(
        "--snmp-engine",
        help="fast: the agent's own SNMP client; pysnmp: the reference engine (slower).",
    ),
]


@app.command()
def run(
    inventory: Annotated[
        list[Path] | None,
        typer.Option("--inventory", "-i", help="Inventory file or directory (repeatable)."),
    ] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="This agent's id in the inventory.")
    ] = None,
    listen: Annotated[
        str, typer.Option(help="HOST:PORT where /metrics is served (:PORT: 127.0.0.1).")
    ] = "127.0.0.1:9430",
    max_in_flight: Annotated[int, typer.Option(help="Polls running at once.")] = 64,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
    snmp_engine: SnmpEngineOption = EngineName.fast,
    ssh_workers: Annotated[int, typer.Option(help="SSH sessions open at once.")] = 8,
    ssh_session_log_dir: Annotated[
        Path | None, typer.Option(help="Write each device's SSH session log here (secrets hidden).")
    ] = None,
    config_store: Annotated[
        Path | None,
        typer.Option(
            help="Config backup store (default: $NETWARDEN_CONFIG_STORE, else "
            "/var/lib/netwarden/configs)."
        ),
    ] = None,
    known_hosts: Annotated[
        Path | None,
        typer.Option(
            help="Where SSH host keys are pinned (default: $NETWARDEN_KNOWN_HOSTS, else "
            "STATE_DIR/known_hosts when enrolled, else /var/lib/netwarden/known_hosts)."
        ),
    ] = None,
    state_dir: Annotated[
        Path | None, typer.Option(help="Run enrolled: id, collector and inventory from here.")
    ] = None,
    advertise: Annotated[
        str | None, typer.Option(help="HOST:PORT Prometheus scrapes (told to the collector).")
    ] = None,
    heartbeat_interval: Annotated[
        float | None, typer.Option(help="Seconds between heartbeats (default 15).")
    ] = None,
    summary_interval: Annotated[
        float | None, typer.Option(help="Seconds between poll summaries (default 60).")
    ] = None,
    trap_listen: Annotated[
        str, typer.Option(help="HOST:PORT for SNMP traps and informs (:PORT: all addresses); off.")
    ] = ":162",
    syslog_listen: Annotated[
        str, typer.Option(help="HOST:PORT for syslog, UDP and TCP (:PORT: all addresses); off.")
    ] = ":514",
    spool_dir: Annotated[
        Path | None,
        typer.Option(
            help="Push spool (metrics: push): default <state dir>/spool when enrolled, else "
            "/var/lib/netwarden/spool."
        ),
    ] = None,
) -> None:
    """Poll this agent's devices and serve /metrics: standalone or enrolled (--state-dir).

    Standalone: --inventory and --agent. Enrolled: --state-dir written by `agent enroll`.
    """
    from netwarden.agent.agent_run import EnrolledMode, RunOptions, run_agent

    options = RunOptions(
        inventory,
        agent,
        listen,
        max_in_flight,
        log_level,
        snmp_engine,
        ssh_workers,
        ssh_session_log_dir,
        config_store,
        known_hosts,
        trap_listen,
        syslog_listen,
    )
    run_agent(
        options, EnrolledMode(state_dir, advertise, heartbeat_interval, summary_interval), spool_dir
    )
