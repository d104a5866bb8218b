"""Metrics of the alert intake and the incident record, on the app's own registry.

Intake counters are counted as requests arrive; the incident gauges are read from the store at
scrape time (``IncidentCollector``), so they are right after a restart and across collectors
sharing one PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from netwarden.collector.incidents.lifecycle import STATUSES
from netwarden.collector.incidents.payload import Webhook
from netwarden.collector.incidents.records import IntakeResult
from netwarden.collector.incidents.severity import ORDER
from netwarden.collector.store.errors import StoreError
from netwarden.collector.store.incident_store import IncidentStore

log = logging.getLogger("netwarden.collector.incidents")

REASONS = (
    "unauthorized",
    "forbidden",
    "too_large",
    "not_json",
    "not_object",
    "bad_version",
    "no_alerts",
    "bad_shape",
    "bad_alert",
    "bad_time",
    "store",
)


class IntakeMetrics:
    """The webhook's counters and its last-received gauge."""

    def __init__(self, registry: CollectorRegistry, last_received: float | None) -> None:
        self.received = Counter(
            "netwarden_alerts_received",
            "Alerts received from Alertmanager in accepted webhooks, by their status",
            ["status"],
            registry=registry,
        )
        self.duplicates = Counter(
            "netwarden_alerts_duplicates",
            "Alerts received again (Alertmanager repeats and retries): counted, nothing stored",
            registry=registry,
        )
        self.truncated = Counter(
            "netwarden_alerts_truncated",
            "Alerts Alertmanager left out of its notifications (truncatedAlerts, max_alerts)",
            registry=registry,
        )
        self.rejected = Counter(
            "netwarden_alert_webhook_rejected",
            "Webhook requests refused, by reason",
            ["reason"],
            registry=registry,
        )
        self.last = Gauge(
            "netwarden_alert_webhook_last_received_timestamp_seconds",
            "When the last webhook was accepted (with the Watchdog rule: a silent pipeline)",
            registry=registry,
        )
        for status in ("firing", "resolved"):
            self.received.labels(status)
        for reason in REASONS:
            self.rejected.labels(reason)
        if last_received is not None:
            self.last.set(last_received)

    def accepted(self, hook: Webhook, result: IntakeResult, now: float) -> None:
        """Count an accepted webhook."""
        for alert in hook.alerts:
            self.received.labels(alert.status).inc()
        self.duplicates.inc(result.duplicates)
        self.truncated.inc(hook.truncated)
        self.last.set(now)

    def refused(self, reason: str) -> None:
        """Count a refused webhook (``reason`` one of ``REASONS``)."""
        self.rejected.labels(reason if reason in REASONS else "bad_shape").inc()


class IncidentCollector(Collector):
    """``netwarden_incidents{status,severity}`` and
    ``netwarden_incident_unacknowledged_seconds{incident_id,severity,site}``."""

    def __init__(self, store: IncidentStore, clock: Callable[[], float]) -> None:
        self.store, self.clock = store, clock

    def collect(self) -> Iterable[Metric]:
        try:
            counts = self.store.counts()
            waiting = self.store.unacknowledged()
        except StoreError as exc:
            log.warning("metrics: incidents not read: %s", exc)
            return
        family = GaugeMetricFamily(
            "netwarden_incidents", "Incidents by status and severity", labels=["status", "severity"]
        )
        table = {(s, sev): 0 for s in STATUSES for sev in ORDER}
        for status, sev, n in counts:
            table[(status, sev)] = table.get((status, sev), 0) + n
        for (status, sev), n in sorted(table.items()):
            family.add_metric([status, sev], float(n))
        unack = GaugeMetricFamily(
            "netwarden_incident_unacknowledged_seconds",
            "How long an open incident has waited for acknowledgement, since its discovery",
            labels=["incident_id", "severity", "site"],
        )
        now = self.clock()
        for incident_id, sev, site, opened_at in waiting:
            unack.add_metric([incident_id, sev, site or ""], max(0.0, now - opened_at))
        yield family
        yield unack


def register(
    registry: CollectorRegistry, store: IncidentStore, clock: Callable[[], float]
) -> IntakeMetrics:
    """Add the incident metrics to ``registry``; returns the intake counters to count with."""
    try:
        last = store.last_alert_received()
    except StoreError as exc:
        log.warning("metrics: last alert time not read: %s", exc)
        last = None
    registry.register(IncidentCollector(store, clock))
    return IntakeMetrics(registry, last)
