"""``collector serve``: the app on uvicorn, over TLS from ``tls.py`` unless ``--insecure``.

uvicorn is driven programmatically so that the collector owns the listening socket (port 0
works, and the bound address is printed), the signals (SIGTERM/SIGINT stop gracefully and end
long-polls at once; SIGHUP reloads the inventory) and logging (no access log; one debug line
per request from the API's metrics middleware).

It runs on uvloop with the httptools parser (uvicorn's "standard" set): a thousand agents keep
two TLS connections each, and asyncio's pure-Python TLS layer made every one of them costlier
in memory (945 MiB RSS at 1,000 agents against 210 MiB on uvloop) and in Python objects for the
garbage collector to rescan. The figures are in bench/README.md.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import resource
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, cast

import anyio.to_thread
import uvicorn
import uvloop

from netwarden.collector.api import create_app
from netwarden.collector.api.incident_state import IncidentServices
from netwarden.collector.api.playbook_state import build_playbooks
from netwarden.collector.api.state import AppState
from netwarden.collector.connections import ConnectionLimits, ConnectionStats
from netwarden.collector.guarded_protocol import guarded_protocol
from netwarden.collector.incidents.evidence import EvidenceFiles
from netwarden.collector.incidents.retention import DEFAULT, Retention, parse_retention
from netwarden.collector.incidents.silences import AlertmanagerSilences
from netwarden.collector.store import Store, open_store
from netwarden.collector.store.incident_store import IncidentStore
from netwarden.collector.tls import TlsFiles, ensure_tls, existing_ca_sha256
from netwarden.collector.tls_gate import gate_factory
from netwarden.errors import UsageError
from netwarden.hostport import format_hostport
from netwarden.playbooks.library import load_library
from netwarden.reports.national.config import ReportingConfig

log = logging.getLogger("netwarden.collector")

GRACE = 10.0  # seconds in-flight requests get to finish on SIGTERM
STORE_THREADS = 4  # worker threads for store calls
# Idle connections are kept longer than the agents' own idle limit (agent/sync/client.py,
# 60 s), so that the agent, not the collector, closes them: a heartbeat every 15 s reuses its
# connection instead of paying a TLS handshake, and never races a server-side close.
KEEP_ALIVE = 75  # s
# Young collections every 20,000 allocations instead of CPython's 700: a request's objects are
# then gone before a collection ever sees them, instead of being promoted to the old generation
# whose full collections stall the event loop (100-150 ms each at 1,000 agents, several a
# minute; none in a 180 s run with this threshold).
GC_THRESHOLDS = (20_000, 10, 10)


@dataclass
class ServeSettings:
    """What ``collector serve`` was asked to do."""

    inventory: list[Path]
    db_url: str
    data_dir: Path
    host: str
    port: int
    insecure: bool = False
    tls_sans: list[str] = field(default_factory=list)
    stale_after: float = 45.0
    alertmanager: str | None = None  # where maintenance windows create their silences
    incident_retention: Retention = field(default_factory=lambda: parse_retention(DEFAULT))
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    event_retention: Retention = field(default_factory=lambda: parse_retention(DEFAULT))
    reporting: ReportingConfig = field(default_factory=ReportingConfig)  # --reporting FILE
    playbooks: list[Path] = field(default_factory=list)  # --playbooks DIR: the province's own
    smtp: tuple[str, int] = ("localhost", 25)  # --smtp: the relay of playbooks' e-mails
    mail_from: str = "netwarden@localhost"  # --mail-from


def server_names(host: str, extra: Sequence[str]) -> list[str]:
    """The server certificate's names: ``--tls-san`` values, the listen address, loopback."""
    wildcard = host in ("0.0.0.0", "::", "")  # noqa: S104 (a comparison, not a bind)
    names = [*extra, *([] if wildcard else [host]), "127.0.0.1", "localhost"]
    if wildcard:
        names.append(socket.gethostname())  # the local name only: no DNS lookup
    return list(dict.fromkeys(n for n in names if n))


class _Server(uvicorn.Server):
    """uvicorn's server, ending the app's long-polls as soon as a stop signal arrives."""

    def __init__(self, config: uvicorn.Config, state: AppState, stats: ConnectionStats) -> None:
        super().__init__(config)
        self.nw_state = state
        self.connections = stats
        self.loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn would create its server with ``ssl``: the loop would then finish each TLS
        # handshake before any protocol of ours saw the connection, and a connection over a
        # limit would cost a handshake to refuse. Instead the server listens without ``ssl``
        # and a gate per connection admits it, then starts TLS (tls_gate.py); for this call
        # only, as uvicorn offers no hook for it.
        context = self.config.ssl
        if context is None:
            await super().startup(sockets)
            return
        loop = cast(Any, asyncio.get_running_loop())
        create_server = loop.create_server
        stats = self.connections

        def gated(factory: Callable[[], Any], *args: Any, **kwargs: Any) -> Any:
            kwargs["ssl"] = None
            return create_server(gate_factory(stats, context, factory), *args, **kwargs)

        loop.create_server = gated
        try:
            await super().startup(sockets)
        finally:
            del loop.create_server

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.nw_state.signals.close)
        super().handle_exit(sig, frame)
        # uvicorn re-raises the signal after a graceful stop, so SIGINT would end in a
        # KeyboardInterrupt traceback and SIGTERM in a kill status: a stop asked for is exit 0.
        self._captured_signals.clear()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: uvloop sets TCP_NODELAY on every connection, but asyncio's own
    # loop only on connections accepted from a socket whose proto says TCP; without it every
    # answer on a kept-alive connection waited ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {format_hostport(host, port)}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


def _tls(settings: ServeSettings, store: Store) -> TlsFiles | None:
    if settings.insecure:
        return None
    first = existing_ca_sha256(settings.data_dir) is None
    files = ensure_tls(settings.data_dir, server_names(settings.host, settings.tls_sans))
    if first:
        detail = f"CA sha256 {files.ca_sha256}"
        store.audit("collector", "tls.ca-create", "collector", detail, time.time())
    return files


def private_data_dir(data_dir: Path) -> None:
    """The data directory and its evidence/ for the collector's user only (0700), also when an
    older version or a restore left them wider; the store's files are made 0600 where the
    store is opened (``engine.private_sqlite_file``)."""
    for path in (data_dir, data_dir / "evidence"):
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)


def _raise_open_files(wanted: int) -> None:
    """Every connection is a file descriptor: raise the soft limit to the hard one, and say
    so when even that is below what ``--max-connections`` allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        return  # never the case on Linux (nr_open caps it); nothing to raise to
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            hard = soft  # a hardened host refused: say what the collector really has
    if hard < wanted:
        log.warning(
            "--max-connections %d needs more open files than this process may have (%d): "
            "raise LimitNOFILE (the installed unit sets 65536)",
            wanted,
            hard,
        )


def serve(settings: ServeSettings) -> None:
    """Run the collector until SIGTERM/SIGINT.

    Sets the process umask to 077 first: results, the audit log, evidence and keys are the
    collector's alone, whatever the shell or unit that started it had.
    """
    os.umask(0o077)
    private_data_dir(settings.data_dir)
    # Headroom over the connections: the store, the inventory files, evidence, the log.
    _raise_open_files(settings.limits.max_connections + 256)
    connections = ConnectionStats(settings.limits)
    silences = AlertmanagerSilences(settings.alertmanager) if settings.alertmanager else None
    library = load_library(settings.playbooks)  # a bad province playbook stops the start
    store = open_store(settings.db_url)
    incidents = IncidentServices(
        store=IncidentStore(store.engine),
        evidence=EvidenceFiles(settings.data_dir / "evidence"),
        silences=silences,
        retention=settings.incident_retention,
        reporting=settings.reporting,
    )
    try:
        tls = _tls(settings, store)
        ca_pem = tls.ca_cert.read_text(encoding="ascii") if tls is not None else None
        app = create_app(
            store,
            settings.inventory,
            insecure=settings.insecure,
            stale_after=settings.stale_after,
            clock=time.time,
            ca_pem=ca_pem,
            incidents=incidents,
            connections=connections,
            event_retention=settings.event_retention,
            playbook_services=build_playbooks(
                store, incidents, library, smtp=settings.smtp, sender=settings.mail_from
            ),
        )
        sock = _bind(settings.host, settings.port)
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=int(GRACE),
            ssl_certfile=str(tls.server_cert) if tls is not None else None,
            ssl_keyfile=str(tls.server_key) if tls is not None else None,
            # uvicorn's httptools protocol with connection limits and read timeouts.
            http=guarded_protocol(connections),
            ws="none",  # no WebSocket route: an upgrade would leave the guarded protocol
            timeout_keep_alive=KEEP_ALIVE,
        )
        server = _Server(config, app.state.nw, connections)
        host, port = sock.getsockname()[:2]
        scheme = "http" if settings.insecure else "https"
        sys.stdout.write(f"collector listening on {scheme}://{format_hostport(host, port)}\n")
        if tls is not None:
            sys.stdout.write(f"CA sha256 {tls.ca_sha256}\n")
        sys.stdout.flush()
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(_run(server, sock, app.state.nw))
    finally:
        if silences is not None:
            silences.close()
        store.close()


async def _run(server: _Server, sock: socket.socket, state: AppState) -> None:
    loop = asyncio.get_running_loop()
    server.loop = loop
    # Store calls are short transactions: a few threads keep both cores busy, while anyio's
    # default of 40 made them fight the event loop for the GIL (p99 tripled at 1,000 agents).
    anyio.to_thread.current_default_thread_limiter().total_tokens = STORE_THREADS
    # What is loaded by now (modules, the inventory, the cached assignments) lives as long as
    # the collector: keep full collections from rescanning it while agents wait (each full
    # collection stalls the event loop; measured 100-300 ms at 1,000 agents before this).
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    loop.add_signal_handler(signal.SIGHUP, state.reload_requested.set)
    try:
        await server.serve(sockets=[sock])
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
        sock.close()
