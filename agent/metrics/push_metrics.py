"""The push families (see ``names.PUSH``): the spool's depth and the sender's counts."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import CollectorRegistry

from netwarden.agent.metrics.family import Family, encode_labels
from netwarden.agent.metrics.names import PUSH
from netwarden.agent.push.spool import DROP_REASONS, SpoolStats
from netwarden.agent.push.status import OUTCOMES, PushStatus


class PushCollector:
    """Yields ``netwarden_push_*`` while the agent pushes (nothing for a pull agent)."""

    def __init__(
        self,
        status: Callable[[], PushStatus | None],
        spool: Callable[[], SpoolStats | None],
        *,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._status, self._spool = status, spool
        if registry is not None:
            registry.register(self)

    def describe(self) -> Iterable[Metric]:
        return [Family(spec.name, spec.help, spec.type) for spec in PUSH]

    def collect(self) -> Iterable[Metric]:
        status, spool = self._status(), self._spool()
        if status is None or spool is None:
            return []
        families = {spec.name: Family(spec.name, spec.help, spec.type) for spec in PUSH}
        none = encode_labels(())
        values: dict[str, float | None] = {
            "netwarden_push_spool_bytes": spool.bytes,
            "netwarden_push_spool_samples": spool.samples,
            "netwarden_push_spool_oldest_age_seconds": spool.oldest_age,
            "netwarden_push_samples_sent_total": status.sent,
            "netwarden_push_samples_retried_total": status.retried,
            "netwarden_push_last_success_timestamp_seconds": status.last_success,
        }
        for name, value in values.items():
            if value is not None:
                families[name].add(none, value)
        dropped = families["netwarden_push_samples_dropped_total"]
        # Every reason from 0, so the first drop is an increase rate() can see.
        for reason in sorted({*DROP_REASONS, *spool.dropped}):
            dropped.add(encode_labels((("reason", reason),)), spool.dropped.get(reason, 0))
        requests = families["netwarden_push_requests_total"]
        for outcome in OUTCOMES:
            requests.add(encode_labels((("outcome", outcome),)), status.requests.get(outcome, 0))
        return [family for family in families.values() if family.row_values]
