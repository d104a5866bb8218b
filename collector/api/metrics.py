"""The collector's own /metrics: fleet size and health from the store, request latencies.

Everything lives in a ``CollectorRegistry`` of the app (never the global one), so two apps in
one process (tests) do not share series. Fleet gauges are read from the store at scrape time
by a custom collector, which the /metrics route runs in the thread pool.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netwarden.collector.api.state import AppState, app_state
from netwarden.collector.store.errors import StoreError

log = logging.getLogger("netwarden.collector.requests")

STATES = ("up", "stale", "never", "revoked")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _per_agent(name: str, documentation: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"netwarden_collector_{name}", documentation, labels=["agent", "site"])


class FleetCollector(Collector):
    """Per-agent gauges and the count of agents per state, from one read of the store."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def collect(self) -> Iterable[Metric]:
        try:
            rows = self.state.store.agents()
        except StoreError as exc:
            # The request series still go out; fleet series vanish rather than read zero.
            log.warning("metrics: fleet not read: %s", exc)
            return
        now = self.state.clock()
        counts = dict.fromkeys(STATES, 0)
        up = _per_agent("agent_up", "1 if the agent sent a heartbeat within --stale-after")
        seen = _per_agent("agent_last_seen_timestamp_seconds", "When the agent was last heard")
        offset = _per_agent(
            "agent_clock_offset_seconds", "Agent clock minus collector clock (network delay in)"
        )
        depth = _per_agent("agent_queue_depth", "Results queued on the agent at its last heartbeat")
        refused = _per_agent(
            "agent_advertise_refused",
            "1 if the agent's last heartbeat advertised an address the collector refused",
        )
        spool = _per_agent(
            "agent_push_spool_samples", "Samples in a push agent's spool at its last heartbeat"
        )
        for row in rows:
            state = self.state.state_of(row.last_seen, row.revoked, now)
            counts[state] += 1
            if row.revoked:
                continue  # a revoked agent is no longer part of the fleet's health
            key = [row.id, row.site]
            up.add_metric(key, 1.0 if state == "up" else 0.0)
            if row.last_seen is not None:
                seen.add_metric(key, row.last_seen)
            if row.clock_offset is not None:
                offset.add_metric(key, row.clock_offset)
            if row.queue_depth is not None:
                depth.add_metric(key, float(row.queue_depth))
            refused.add_metric(key, 1.0 if row.id in self.state.advertise.refused else 0.0)
            if row.spool_depth is not None:
                spool.add_metric(key, float(row.spool_depth))
        agents = GaugeMetricFamily(
            "netwarden_collector_agents",
            "Agents known to the collector, by state",
            labels=["state"],
        )
        for name in STATES:
            agents.add_metric([name], float(counts[name]))
        yield from (agents, up, seen, offset, depth, refused, spool)


class RequestMetrics:
    """ASGI middleware: latency and count per route template (bounded labels), method, code."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute], registry: CollectorRegistry):
        self.app = app
        self.routes = routes
        self.duration = Histogram(
            "netwarden_collector_request_duration_seconds",
            "Time to answer an API request",
            ["route", "method"],
            registry=registry,
            buckets=BUCKETS,
        )
        self.total = Counter(
            "netwarden_collector_requests",
            "API requests answered",
            ["route", "method", "code"],
            registry=registry,
        )

    def _route(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return str(getattr(route, "path", "other"))
        return "unmatched"  # never the raw path: it would make one series per scanner probe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        code = 500  # what the client gets if the app fails before answering

        async def recording_send(message: Message) -> None:
            nonlocal code
            if message["type"] == "http.response.start":
                code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            elapsed = time.perf_counter() - start
            route, method = self._route(scope), scope["method"]
            self.duration.labels(route, method).observe(elapsed)
            self.total.labels(route, method, str(code)).inc()
            log.debug("%s %s %d %.3fs", method, scope["path"], code, elapsed)


async def metrics(request: Request) -> Response:
    """The Prometheus exposition of the app's registry."""
    registry: CollectorRegistry = request.app.state.registry
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def registry_for(state: AppState) -> CollectorRegistry:
    """A fresh registry holding the fleet collector of ``state``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(state))
    return registry


async def healthy(request: Request) -> Response:
    """The process answers."""
    return Response("ok\n", media_type="text/plain")


async def ready(request: Request) -> Response:
    """Ready once the store answers a query."""
    state = app_state(request)
    try:
        await state.call(state.store.ping)
    except StoreError as exc:
        log.warning("not ready: the store does not answer: %s", exc)
        return Response(f"store not ready: {exc}\n"[:300], status_code=503, media_type="text/plain")
    return Response("ok\n", media_type="text/plain")
