"""``create_app``: the collector's Starlette application, routes split by concern."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from netwarden.collector.api import (
    agents,
    alerts,
    configs,
    event_evidence,
    events,
    evidence,
    incidents,
    maintenance,
    playbooks,
    reports,
    sd,
    users,
)
from netwarden.collector.api.connection_metrics import ConnectionCollector
from netwarden.collector.api.errors import (
    ApiError,
    LastResort,
    api_error,
    http_error,
    store_error,
)
from netwarden.collector.api.incident_metrics import register as register_incident_metrics
from netwarden.collector.api.incident_routes import incident_error
from netwarden.collector.api.incident_state import IncidentServices
from netwarden.collector.api.metrics import RequestMetrics, healthy, metrics, ready, registry_for
from netwarden.collector.api.no_store import NoStore
from netwarden.collector.api.playbook_state import PlaybookServices
from netwarden.collector.api.port import StoreApi
from netwarden.collector.api.report_metrics import ReportDueCollector
from netwarden.collector.api.retention_task import run_event_retention, run_retention
from netwarden.collector.api.state import AppState
from netwarden.collector.connections import ConnectionStats
from netwarden.collector.incidents.errors import IncidentError
from netwarden.collector.incidents.retention import DEFAULT as RETENTION_DEFAULT
from netwarden.collector.incidents.retention import Retention, parse_retention
from netwarden.collector.inventory_state import WATCH_EVERY, InventoryState
from netwarden.collector.store.errors import StoreError

log = logging.getLogger("netwarden.collector")


def routes() -> list[BaseRoute]:
    """Every route of the contract, plus /metrics and the health checks."""
    return [
        *agents.ROUTES,
        *users.ROUTES,
        *configs.ROUTES,
        *sd.ROUTES,
        *alerts.ROUTES,
        *incidents.ROUTES,
        *evidence.ROUTES,
        *events.ROUTES,
        *event_evidence.ROUTES,
        *maintenance.ROUTES,
        *reports.ROUTES,
        *playbooks.ROUTES,
        Route("/metrics", metrics, methods=["GET"]),
        Route("/-/healthy", healthy, methods=["GET"]),
        Route("/-/ready", ready, methods=["GET"]),
    ]


def create_app(
    store: StoreApi,
    inventory_paths: Sequence[Path],
    *,
    insecure: bool,
    stale_after: float = 45.0,
    clock: Callable[[], float],
    ca_pem: str | None = None,
    watch_every: float = WATCH_EVERY,
    incidents: IncidentServices | None = None,
    connections: ConnectionStats | None = None,
    event_retention: Retention | None = None,
    playbook_services: PlaybookServices | None = None,
) -> Starlette:
    """The collector app over ``store``, serving assignments from the inventory at the paths.

    Loads the inventory now (raises ``InventoryError`` when it is bad); while the app runs it
    reloads on ``state.reload_requested`` (SIGHUP) or a changed file, keeping the old
    inventory on a bad reload. ``ca_pem`` is the CA agents pin (None with ``insecure``).
    ``incidents`` is the incident record (alerts, incidents, evidence, maintenance); without
    it those routes answer 404. ``connections`` are the server's connection counters (serve.py)
    for /metrics. ``playbook_services``: the playbook engine (its loop runs with the app);
    without it the playbook routes answer 404.
    """
    if not insecure and ca_pem is None:
        raise ValueError("a collector serving TLS needs its CA (ca_pem)")
    state = AppState(
        store,
        InventoryState(inventory_paths),
        clock,
        insecure,
        stale_after,
        None if insecure else ca_pem,
        incidents=incidents,
        playbooks=playbook_services,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(state.inventory.watch(stop, state.reload_requested, watch_every))
        ]
        if incidents is not None:
            tasks.append(asyncio.create_task(run_retention(incidents, clock, stop)))
        kept = event_retention or parse_retention(RETENTION_DEFAULT)
        tasks.append(asyncio.create_task(run_event_retention(store, kept, clock, stop)))
        if playbook_services is not None:
            tasks.append(asyncio.create_task(playbook_services.loop(clock, stop, state.signals)))
        try:
            yield
        finally:
            stop.set()
            state.signals.close()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    table = routes()
    registry = registry_for(state)
    if incidents is not None:
        incidents.metrics = register_incident_metrics(registry, incidents.store, clock)
        registry.register(ReportDueCollector(incidents.reports, incidents.reporting))
    if connections is not None:
        registry.register(ConnectionCollector(connections))
    app = Starlette(
        routes=table,
        # Metrics outermost, so that the 500 of a bug caught by LastResort is counted too.
        middleware=[
            Middleware(RequestMetrics, routes=table, registry=registry),
            Middleware(NoStore),  # outside LastResort: its 500 carries the header too
            Middleware(LastResort),
        ],
        exception_handlers={
            ApiError: api_error,
            HTTPException: http_error,
            StoreError: store_error,
            IncidentError: incident_error,
        },
        lifespan=lifespan,
    )
    if playbook_services is not None:
        playbook_services.engine.inventory = lambda: state.inventory.inventory
    app.state.nw = state
    app.state.registry = registry
    return app
