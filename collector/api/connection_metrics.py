"""The collector's connections on /metrics: how many are open, the limits, and why the
collector closed some early (limits, read timeouts, oversized or malformed requests)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from netwarden.collector.connections import REASONS, ConnectionStats


class ConnectionCollector(Collector):
    """Reads ``ConnectionStats`` (event-loop counters) at scrape time."""

    def __init__(self, stats: ConnectionStats) -> None:
        self.stats = stats

    def collect(self) -> Iterable[Metric]:
        stats = self.stats
        opened = GaugeMetricFamily(
            "netwarden_collector_connections",
            "Client connections open now (from TCP accept, TLS handshakes in progress included)",
        )
        opened.add_metric([], float(stats.open_total))
        limit = GaugeMetricFamily(
            "netwarden_collector_connections_limit",
            "Most connections allowed: in total, and from one source address",
            labels=["scope"],
        )
        limit.add_metric(["total"], float(stats.limits.max_connections))
        limit.add_metric(["per_address"], float(stats.limits.max_per_address))
        closed = CounterMetricFamily(
            "netwarden_collector_connections_closed",
            "Connections the collector closed early, by reason",
            labels=["reason"],
        )
        for reason in REASONS:
            closed.add_metric([reason], float(stats.closed[reason]))
        yield from (opened, limit, closed)
