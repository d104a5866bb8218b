"""What ``netwarden agent run`` does once its options are parsed: build the inventory source,
the results sink and the runtime settings, then run the agent until it is stopped.

The options are declared in ``agent_commands.py``, which imports this module only when the
command runs: the runtime pulls in the SNMP client, the metrics, httpx and the inventory.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from netwarden.agent.configs.locations import store_path
from netwarden.agent.event_loop import AgentEventLoop
from netwarden.agent.events.local_engine import ENGINE_FILE
from netwarden.agent.events.service import EventsOptions, EventsService
from netwarden.agent.events.sockets import ANY
from netwarden.agent.lifecycle import AgentLifecycle, RuntimeSettings
from netwarden.agent.malloc_arenas import limit_malloc_arenas
from netwarden.agent.parts import AgentPart, InventorySource, ResultSink
from netwarden.agent.push.gate import DEFAULT_SPOOL_DIR, PushGate, default_service
from netwarden.agent.snmp.engines import EngineName, session_factory
from netwarden.agent.ssh.identity import HostKeyPins, known_hosts_dir
from netwarden.agent.ssh.netmiko_runner import NetmikoRunner
from netwarden.agent.standalone import InventoryFiles, NoSink
from netwarden.errors import UsageError
from netwarden.hostport import HostPort, hostport_option

ENGINE_FILE_ENV = "NETWARDEN_SNMP_ENGINE_FILE"

if TYPE_CHECKING:
    from netwarden.agent.sync.collector_link import CollectorLink
    from netwarden.agent.sync.loop import SyncSettings


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """`agent run`'s options that are not about the enrolled mode."""

    inventory: list[Path] | None
    agent: str | None
    listen: str
    max_in_flight: int
    log_level: str
    snmp_engine: EngineName
    ssh_workers: int
    ssh_session_log_dir: Path | None
    config_store: Path | None
    known_hosts: Path | None
    trap_listen: str = ":162"  # "off": no trap listener
    syslog_listen: str = ":514"  # "off": no syslog listeners (UDP and TCP)


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
        from netwarden.agent.sync.loop import SyncSettings  # httpx: enrolled agents only

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


def run_agent(options: RunOptions, enrolled: EnrolledMode, spool_dir: Path | None) -> None:
    """Check the options, then run the agent in this process until SIGTERM or SIGINT."""
    if options.ssh_workers < 1:
        raise UsageError("--ssh-workers must be at least 1")
    address = hostport_option("--listen", options.listen, default_host="127.0.0.1", any_port=True)
    if options.max_in_flight < 1:
        raise UsageError("--max-in-flight must be at least 1")
    logging.basicConfig(
        level=options.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    pins_dir = known_hosts_dir(options.known_hosts, enrolled.state_dir)
    settings = RuntimeSettings(
        session_factory(options.snmp_engine),
        max_in_flight=options.max_in_flight,
        ssh_runner=NetmikoRunner(options.ssh_session_log_dir, pins=HostKeyPins(pins_dir)),
        ssh_workers=options.ssh_workers,
        config_store=store_path(options.config_store),
    )
    events = EventsService(
        EventsOptions(
            _listen_option("--trap-listen", options.trap_listen),
            _listen_option("--syslog-listen", options.syslog_listen),
            engine_file=engine_file(enrolled.state_dir),
        )
    )
    if spool_dir is None:
        spool_dir = enrolled.state_dir / "spool" if enrolled.state_dir is not None else None
    # The push service (protobuf, cramjam, httpx) loads only once an inventory says push.
    push = PushGate(default_service(spool_dir or DEFAULT_SPOOL_DIR))
    source: InventorySource
    sink: ResultSink
    if enrolled.state_dir is not None:
        source = sink = _collector_link(enrolled, options.inventory, options.agent, push)
    else:
        source, sink = _inventory_files(options.inventory, options.agent, enrolled), NoSink()
    limit_malloc_arenas()  # before the loop starts any worker thread
    # The agent's loop looks names up on the resolver's threads: a DNS outage can then hold
    # neither the default executor nor the process's exit (see agent/event_loop.py).
    with asyncio.Runner(loop_factory=AgentEventLoop) as runner:
        runner.run(_serve(source, sink, settings, address, [push, events]))


def engine_file(state_dir: Path | None) -> Path:
    """Where the agent's SNMP engine ID and boots are kept: ``$NETWARDEN_SNMP_ENGINE_FILE``,
    else the state dir's, else beside the default spool (a standalone agent has no state dir)."""
    if os.environ.get(ENGINE_FILE_ENV):
        return Path(os.environ[ENGINE_FILE_ENV])
    return (state_dir or DEFAULT_SPOOL_DIR.parent) / ENGINE_FILE


def _listen_option(option: str, text: str) -> HostPort | None:
    """An events listener's address; ``off`` turns it off, ``:PORT`` is every address."""
    if text.strip().lower() == "off":
        return None
    # Devices on the agency LAN send to the agent's LAN address: every address of both
    # families by default (ANY: one dual-stack socket, see agent/events/sockets.py).
    return hostport_option(option, text, default_host=ANY)


def _inventory_files(
    inventory: list[Path] | None, agent: str | None, enrolled: EnrolledMode
) -> InventoryFiles:
    if enrolled.sync_options_given():
        raise UsageError("--advertise and the sync intervals need --state-dir (an enrolled agent)")
    if not inventory or agent is None:
        raise UsageError("give --inventory and --agent (standalone), or --state-dir (enrolled)")
    return InventoryFiles(inventory, agent)


def _collector_link(
    enrolled: EnrolledMode, inventory: list[Path] | None, agent: str | None, push: PushGate
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
    from netwarden.agent.sync.collector_link import CollectorLink, EnrolledOptions

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
