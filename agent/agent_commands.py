"""``netwarden agent run`` and ``netwarden poll``: the agent and the admin's one-shot poll."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import gc
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from netwarden.agent.configs.store import store_path
from netwarden.agent.http_server import MetricsServer
from netwarden.agent.metrics.agent_registry import render_one, renderer
from netwarden.agent.polling.fleet import SessionFactory, build_device, link_ends
from netwarden.agent.polling.snapshot import DeviceSnapshot, InterfaceSample
from netwarden.agent.probes.icmp import IcmpPinger
from netwarden.agent.probes.registry import real_probers
from netwarden.agent.runtime import AgentRuntime
from netwarden.agent.snmp.engines import ENGINES, EngineName
from netwarden.agent.ssh.netmiko_runner import NetmikoRunner
from netwarden.agent.sync.enrol_commands import (
    enroll_command,
    install_service_command,
    run_enrolled,
)
from netwarden.errors import UsageError
from netwarden.hostport import format_hostport, hostport_option
from netwarden.inventory import load_inventory
from netwarden.inventory.model import Inventory
from netwarden.output import render_table

app = typer.Typer(help="Run the agent that polls an agency's devices.", no_args_is_help=True)
app.command("enroll")(enroll_command)
app.command("install-service")(install_service_command)

Inventories = Annotated[
    list[Path], typer.Option("--inventory", "-i", help="Inventory file or directory (repeatable).")
]
SnmpEngineOption = Annotated[
    EngineName,
    typer.Option(
        "--snmp-engine",
        help="fast: the agent's own SNMP client; pysnmp: the reference engine (slower).",
    ),
]


@dataclasses.dataclass(frozen=True)
class SshOptions:
    """`agent run`'s SSH options: sessions open at once, where session logs go."""

    workers: int = 8
    session_log_dir: Path | None = None


class PollOutput(enum.StrEnum):
    prometheus = "prometheus"
    json = "json"
    table = "table"


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
) -> None:
    """Poll this agent's devices and serve /metrics: standalone or enrolled (--state-dir).

    Standalone: --inventory and --agent. Enrolled: --state-dir written by `agent enroll`.
    """
    if ssh_workers < 1:
        raise UsageError("--ssh-workers must be at least 1")
    host, port = hostport_option("--listen", listen, default_host="127.0.0.1", any_port=True)
    if max_in_flight < 1:
        raise UsageError("--max-in-flight must be at least 1")
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    ssh = SshOptions(ssh_workers, ssh_session_log_dir)
    store = store_path(config_store)
    fleet = (state_dir, advertise, heartbeat_interval, summary_interval)
    if not inventory or agent is None or fleet != (None, None, None, None):
        factory = ENGINES[snmp_engine]
        build = lambda paths, agent_id, probers: AgentRuntime(  # noqa: E731
            paths, agent_id, factory, max_in_flight=max_in_flight, probers=probers,
            ssh_runner=NetmikoRunner(ssh.session_log_dir), ssh_workers=ssh.workers,
            config_store=store)  # fmt: skip
        run_enrolled(state_dir, (inventory, agent), (host, port), advertise,
                     (heartbeat_interval, summary_interval), build)  # fmt: skip
        return
    asyncio.run(_run(inventory, agent, host, port, max_in_flight, ENGINES[snmp_engine], ssh, store))


async def _run(
    paths: list[Path],
    agent: str,
    host: str,
    port: int,
    max_in_flight: int,
    factory: SessionFactory,
    ssh: SshOptions | None = None,
    config_store: Path | None = None,
) -> None:
    pinger = IcmpPinger()  # one ICMP socket for every ICMP probe of this agent
    probers = real_probers(pinger)
    ssh = ssh or SshOptions()
    runtime = AgentRuntime(paths, agent, factory, max_in_flight=max_in_flight, probers=probers,
                           ssh_runner=NetmikoRunner(ssh.session_log_dir),
                           ssh_workers=ssh.workers, config_store=config_store)  # fmt: skip
    runtime.apply(runtime.load())  # the first load must succeed; later ones may be rejected
    # Everything allocated so far (modules, inventory) lives as long as the agent: keep the
    # garbage collector from rescanning it on every collection (10-20 % of a big walk's CPU).
    gc.freeze()
    server = MetricsServer(renderer(runtime), runtime.not_ready)
    bound = await server.start(host, port)
    where = format_hostport(*bound)
    typer.echo(f"agent {agent}: {len(runtime.devices)} devices polled, {len(runtime.probes)}"
               f" probes, metrics on http://{where}/metrics", err=True)  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watcher = asyncio.create_task(runtime.watch(stop))
    await stop.wait()
    watcher.cancel()
    await server.close()
    await runtime.close()
    await pinger.close()


def poll(
    device: Annotated[str, typer.Argument(help="Device id from the inventory.")],
    inventory: Inventories,
    output: Annotated[PollOutput, typer.Option("--output", "-o")] = PollOutput.table,
    snmp_engine: SnmpEngineOption = EngineName.fast,
) -> None:
    """Poll one device once and print what the agent sees (exit 1 if it did not answer)."""
    inv = load_inventory(inventory)
    try:
        found = inv.device(device)
    except KeyError:
        raise UsageError(f"no device {device!r} in the inventory") from None
    if found.snmp is None:
        raise UsageError(f"device {device!r} has no snmp block in the inventory")
    snapshot = asyncio.run(_poll_once(inv, device, found.snmp.interval, ENGINES[snmp_engine]))
    if output is PollOutput.json:
        typer.echo(json.dumps(dataclasses.asdict(snapshot), indent=2, ensure_ascii=False))
    elif output is PollOutput.prometheus:
        ends = [e for e in link_ends(inv, inv.agent_of(found)) if e.device == device]
        typer.echo(render_one(snapshot, ends), nl=False)
    else:
        typer.echo(_table(snapshot))
    if not snapshot.up:
        raise typer.Exit(1)


async def _poll_once(
    inv: Inventory, device: str, interval: float, factory: SessionFactory
) -> DeviceSnapshot:
    polled = build_device(inv, device, interval, factory)
    try:
        await polled.poll(min(interval * 0.9, 60.0))
    finally:
        if polled.session is not None:
            await polled.session.close()
    assert polled.latest is not None
    return polled.latest


def _table(snapshot: DeviceSnapshot) -> str:
    state = "up" if snapshot.up else "DOWN"
    errors = f"; errors: {', '.join(snapshot.error_messages)}" if snapshot.errors else ""
    head = (f"{snapshot.info.device} ({snapshot.info.role}, site {snapshot.info.site}): {state}, "
            f"polled in {snapshot.duration:.3f} s{errors}")  # fmt: skip
    rows = [_row(i) for i in snapshot.interfaces]
    headers = ["ifIndex", "ifName", "oper", "admin", "Mb/s", "in octets", "out octets",
               "in err", "out err", "ifAlias"]  # fmt: skip
    return head + ("\n" + render_table(headers, rows) if rows else "")


def _row(i: InterfaceSample) -> list[object]:
    counters, gauges = i.counters, i.gauges
    return [
        i.if_index,
        i.if_name,
        gauges.get("ifOperStatus", ""),
        gauges.get("ifAdminStatus", ""),
        gauges.get("ifHighSpeed", ""),
        counters.get("ifHCInOctets", counters.get("ifInOctets", "")),
        counters.get("ifHCOutOctets", counters.get("ifOutOctets", "")),
        counters.get("ifInErrors", ""),
        counters.get("ifOutErrors", ""),
        i.if_alias,
    ]
