"""The fleet sync families (see ``names.SYNC``): the collector link, the disk queue, deliveries."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import CollectorRegistry

from netwarden.agent.metrics.family import Family, encode_labels
from netwarden.agent.metrics.names import SYNC
from netwarden.agent.sync.queue_items import DROP_REASONS, QueueStats
from netwarden.agent.sync.status import SyncStatus


class SyncCollector:
    """Yields ``netwarden_agent_collector_*``, ``_queue_*``, ``_results_sent_total`` and
    ``_assignment_updates_total`` from the sync status and the queue's counters."""

    def __init__(
        self,
        status: Callable[[], SyncStatus],
        queue: Callable[[], QueueStats],
        *,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._status, self._queue = status, queue
        if registry is not None:
            registry.register(self)

    def describe(self) -> Iterable[Metric]:
        return [Family(spec.name, spec.help, spec.type) for spec in SYNC]

    def collect(self) -> Iterable[Metric]:
        families = {spec.name: Family(spec.name, spec.help, spec.type) for spec in SYNC}
        status, queue = self._status(), self._queue()
        none = encode_labels(())
        values: dict[str, float | None] = {
            "netwarden_agent_collector_up": int(status.collector_up),
            "netwarden_agent_collector_last_contact_timestamp_seconds": status.last_contact,
            "netwarden_agent_queue_depth": queue.depth,
            "netwarden_agent_queue_bytes": queue.bytes,
            "netwarden_agent_queue_oldest_age_seconds": queue.oldest_age,
            "netwarden_agent_results_sent_total": status.results_sent,
            "netwarden_agent_assignment_updates_total": status.assignment_updates,
        }
        for name, value in values.items():
            if value is not None:
                families[name].add(none, value)
        dropped = families["netwarden_agent_queue_dropped_total"]
        # Every reason from 0, so the first drop is an increase rate() can see.
        for reason in sorted({*DROP_REASONS, *queue.dropped}):
            dropped.add(encode_labels((("reason", reason),)), queue.dropped.get(reason, 0))
        return [family for family in families.values() if family.row_values]
