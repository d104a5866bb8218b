"""The events' counters (see ``names.EVENTS``), kept in plain dicts and rendered on scrape."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from prometheus_client.metrics_core import Metric

from netwarden.agent.metrics.family import Family, encode_labels
from netwarden.agent.metrics.names import EVENTS
from netwarden.agent.sync.queue_items import DROP_REASONS, QueueStats

# Every reason each listener can count, exported from 0 so the first one is a visible increase.
DROP_REASONS_BY_LISTENER = {
    "trap": ("malformed", "not-notification", "version", "auth", "unknown-user", "engine-id",
             "oversized", "not-in-time-window", "duplicate"),
    "syslog-udp": ("oversized", "invalid-utf8", "no-pri"),
    "syslog-tcp": ("oversized", "idle-timeout", "too-many-connections", "invalid-utf8",
                   "no-pri", "bad-frame"),
    "queue": ("buffer-full",),
}  # fmt: skip
DeviceKey = tuple[str, str, str]  # device, site, role


class EventCounters:
    """What the listeners counted; read by :class:`EventsCollector` on every scrape."""

    def __init__(self) -> None:
        self.traps: Counter[tuple[str, str, str, str]] = Counter()
        self.syslog: Counter[tuple[str, str, str, str]] = Counter()
        self.if_events: dict[tuple[str, str, str, str, str, str], float] = {}
        self.dropped: Counter[tuple[str, str]] = Counter()
        self.queued = 0
        self.tcp_connections = 0
        self.listeners: dict[str, int] = {}  # listener -> 1 bound, 0 could not bind

    def drop(self, listener: str, reason: str) -> None:
        self.dropped[(listener, reason)] += 1


class EventsCollector:
    """Yields the EVENTS families from ``counters`` and the events queue's stats (if any)."""

    def __init__(self, counters: EventCounters, queue: Callable[[], QueueStats | None]) -> None:
        self._counters, self._queue = counters, queue

    def describe(self) -> Iterable[Metric]:
        return [Family(spec.name, spec.help, spec.type) for spec in EVENTS]

    def collect(self) -> Iterable[Metric]:
        fam = {spec.name: Family(spec.name, spec.help, spec.type) for spec in EVENTS}
        c = self._counters
        for (device, site, role, trap), n in sorted(c.traps.items()):
            labels = (("device", device), ("site", site), ("role", role), ("trap", trap))
            fam["netwarden_traps_received_total"].add(encode_labels(labels), n)
        for (device, site, role, sev), n in sorted(c.syslog.items()):
            labels = (("device", device), ("site", site), ("role", role), ("severity", sev))
            fam["netwarden_syslog_messages_total"].add(encode_labels(labels), n)
        for key, at in sorted(c.if_events.items()):
            names = ("device", "site", "role", "ifIndex", "ifName", "event")
            fam["netwarden_if_last_event_timestamp_seconds"].add(
                encode_labels(tuple(zip(names, key, strict=True))), at
            )
        self._drops(fam["netwarden_events_dropped_total"])
        fam["netwarden_events_queued_total"].add(encode_labels(()), c.queued)
        fam["netwarden_syslog_tcp_connections"].add(encode_labels(()), c.tcp_connections)
        for listener, up in sorted(c.listeners.items()):
            fam["netwarden_events_listener_up"].add(encode_labels((("listener", listener),)), up)
        stats = self._queue()
        if stats is not None:
            fam["netwarden_events_queue_depth"].add(encode_labels(()), stats.depth)
            for reason in sorted({*DROP_REASONS, *stats.dropped}):
                fam["netwarden_events_queue_dropped_total"].add(
                    encode_labels((("reason", reason),)), stats.dropped.get(reason, 0)
                )
        return [f for f in fam.values() if f.row_values]

    def _drops(self, family: Family) -> None:
        counted = dict(self._counters.dropped)
        for listener, reasons in DROP_REASONS_BY_LISTENER.items():
            for reason in reasons:
                counted.setdefault((listener, reason), 0)
        for (listener, reason), n in sorted(counted.items()):
            family.add(encode_labels((("listener", listener), ("reason", reason))), n)
