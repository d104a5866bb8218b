"""``netwarden agent run`` and ``netwarden poll``: the agent and the admin's one-shot poll."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from netwarden.agent.configs.store import store_path
from netwarden.agent.events.service import EventsOptions, EventsService
from netwarden.agent.lifecycle import AgentLifecycle, RuntimeSettings
from netwarden.agent.metrics.agent_registry import render_one
from netwarden.agent.parts import AgentPart, InventorySource, ResultSink
from netwarden.agent.polling.fleet import SessionFactory, build_device, link_ends
from netwarden.agent.polling.snapshot import DeviceSnapshot, InterfaceSample
from netwarden.agent.snmp.engines import ENGINES, EngineName
from netwarden.agent.ssh.netmiko_runner import NetmikoRunner
from netwarden.agent.standalone import InventoryFiles, NoSink
from netwarden.agent.sync.collector_link import CollectorLink, EnrolledOptions
from netwarden.agent.sync.enrol_commands import enroll_command, install_service_command
from netwarden.agent.sync.loop import SyncSettings
from netwarden.errors import UsageError
from netwarden.hostport import HostPort, hostport_option
from netwarden.inventory import load_inventory
from netwarden.inventory.model import Inventory
from netwarden.output import render_table

if TYPE_CHECKING:
    from netwarden.agent.push.service import PushService

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
    if ssh_workers < 1:
        raise UsageError("--ssh-workers must be at least 1")
    address = hostport_option("--listen", listen, default_host="127.0.0.1", any_port=True)
    if max_in_flight < 1:
        raise UsageError("--max-in-flight must be at least 1")
    logging.basicConfig(
        level=log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = RuntimeSettings(
        ENGINES[snmp_engine],
        max_in_flight=max_in_flight,
        ssh_runner=NetmikoRunner(ssh_session_log_dir),
        ssh_workers=ssh_workers,
        config_store=store_path(config_store),
    )
    # Here, not at the top: protobuf and cramjam load only when an agent runs (fast CLI).
    from netwarden.agent.push.service import DEFAULT_SPOOL_DIR, PushService

    events = EventsService(
        EventsOptions(
            _listen_option("--trap-listen", trap_listen),
            _listen_option("--syslog-listen", syslog_listen),
        )
    )
    enrolled = EnrolledMode(state_dir, advertise, heartbeat_interval, summary_interval)
    if spool_dir is None:
        spool_dir = state_dir / "spool" if state_dir is not None else DEFAULT_SPOOL_DIR
    push = PushService(spool_dir)
    source: InventorySource
    sink: ResultSink
    if enrolled.state_dir is not None:
        source = sink = _collector_link(enrolled, inventory, agent, push)
    else:
        source, sink = _inventory_files(inventory, agent, enrolled), NoSink()
    asyncio.run(_serve(source, sink, settings, address, [push, events]))


@dataclasses.dataclass(frozen=True)
class EnrolledMode:
    """`agent run`'s options of the enrolled mode, None when not given."""

    state_dir: Path | None
    advertise: str | None
    heartbeat_interval: float | None
    summary_interval: float | None

    def sync_options_given(self) -> bool:
        return any(
            v is not None for v in (self.advertise, self.heartbeat_interval, self.summary_interval)
        )

    def sync_settings(self) -> SyncSettings:
        """The fleet sync's settings: the defaults, with the intervals given (1 s to 1 h)."""
        defaults = SyncSettings()
        for name, value in (
            ("--heartbeat-interval", self.heartbeat_interval),
            ("--summary-interval", self.summary_interval),
        ):
            if value is not None and not 1.0 <= value <= 3600.0:
                raise UsageError(f"{name} must be from 1 to 3600 seconds")
        return dataclasses.replace(
            defaults,
            heartbeat_interval=self.heartbeat_interval or defaults.heartbeat_interval,
            summary_interval=self.summary_interval or defaults.summary_interval,
        )


def _listen_option(option: str, text: str) -> HostPort | None:
    """An events listener's address; ``off`` turns it off, ``:PORT`` is every address."""
    if text.strip().lower() == "off":
        return None
    # Devices on the agency LAN send to the agent's LAN address: every address by default.
    return hostport_option(option, text, default_host="0.0.0.0")  # noqa: S104


def _inventory_files(
    inventory: list[Path] | None, agent: str | None, enrolled: EnrolledMode
) -> InventoryFiles:
    if enrolled.sync_options_given():
        raise UsageError("--advertise and the sync intervals need --state-dir (an enrolled agent)")
    if not inventory or agent is None:
        raise UsageError("give --inventory and --agent (standalone), or --state-dir (enrolled)")
    return InventoryFiles(inventory, agent)


def _collector_link(
    enrolled: EnrolledMode, inventory: list[Path] | None, agent: str | None, push: PushService
) -> CollectorLink:
    assert enrolled.state_dir is not None  # the caller's test
    if inventory or agent is not None:
        raise UsageError(
            "--state-dir runs from the assignment in the state dir: leave out "
            "--inventory and --agent"
        )
    settings = enrolled.sync_settings()
    if enrolled.advertise is not None:
        hostport_option("--advertise", enrolled.advertise)
    options = EnrolledOptions(
        enrolled.state_dir,
        advertise=enrolled.advertise,
        settings=settings,
        heartbeat_extra=push.heartbeat_fields,
    )
    link = CollectorLink(options)
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        # httpx logs every request at INFO: 6,000 heartbeat lines a day say nothing.
        logging.getLogger("httpx").setLevel(logging.WARNING)
    return link


async def _serve(
    source: InventorySource,
    sink: ResultSink,
    settings: RuntimeSettings,
    address: HostPort,
    services: Sequence[AgentPart],
) -> None:
    # Built inside the event loop that runs it (its events and semaphores belong to it).
    agent = AgentLifecycle(source, sink, settings, services=services)
    await agent.run(address.host, address.port, lambda line: typer.echo(line, err=True))


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
    head = (
        f"{snapshot.info.device} ({snapshot.info.role}, site {snapshot.info.site}): {state}, "
        f"polled in {snapshot.duration:.3f} s{errors}"
    )
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
