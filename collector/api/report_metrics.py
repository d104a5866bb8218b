"""``netwarden_incident_report_due_timestamp_seconds{incident_id,form,site}``: when each
national report of an incident is due, until a draft of it is made. Read from the store at
scrape time, like the other incident gauges; prometheus/rules/netwarden-reports.yml warns a
day before and when overdue."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from netwarden.collector.store.errors import StoreError
from netwarden.collector.store.report_store import ReportStore
from netwarden.reports.national.config import ReportingConfig
from netwarden.reports.national.deadlines import due_times
from netwarden.reports.national.errors import ReportError
from netwarden.reports.national.templates import template

log = logging.getLogger("netwarden.collector.reports")


class ReportDueCollector(Collector):
    """One series per report still due."""

    def __init__(self, reports: ReportStore, config: ReportingConfig) -> None:
        self.reports, self.config = reports, config

    def collect(self) -> Iterable[Metric]:
        try:
            sources = self.reports.due_sources()
            forms = template(self.config.template)
        except (StoreError, ReportError) as exc:
            log.warning("metrics: report deadlines not read: %s", exc)
            return
        family = GaugeMetricFamily(
            "netwarden_incident_report_due_timestamp_seconds",
            "When a national incident report (Thông tư 20/2017) is due, until a draft is made",
            labels=["incident_id", "form", "site"],
        )
        for s in sources:
            due = due_times(
                opened_at=s.opened_at,
                resolved_at=s.resolved_at,
                serious=s.serious,
                made=s.made,
                template=forms,
                config=self.config,
            )
            for form, at in sorted(due.items()):
                family.add_metric([s.id, form, s.site or ""], at)
        yield family
