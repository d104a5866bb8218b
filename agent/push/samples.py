"""What /metrics shows, turned into timestamped blocks of samples to push.

A device's series are taken when its poll completes and stamped with the poll's time, a
probe's when it completes, and the agent's own series (links, reloads, build info, SSH,
config backups, the fleet sync, the push itself, and whatever else a part registered) on a
fixed interval. Each block is the remote-write request of those samples (``encode``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.metrics_core import Metric

from netwarden.agent.metrics.agent_registry import AgentRegistry
from netwarden.agent.metrics.device_metrics import (
    LinkEndpoint,
    ReloadStatus,
    SnapshotCollector,
    agent_families,
    device_families,
)
from netwarden.agent.metrics.family import Family
from netwarden.agent.metrics.probe_metrics import ProbeCollector, job_families
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceSnapshot
from netwarden.agent.probes.plan import ProbeJob
from netwarden.agent.push.encode import Pairs, Rows, SeriesEncoder, rows_of_pairs

PER_RUN = (SnapshotCollector, ProbeCollector)  # their series go with each poll or probe


@dataclass(frozen=True, slots=True)
class Block:
    """Samples taken at one instant, as the WriteRequest bytes that carry them."""

    at: float  # unix seconds: every sample's timestamp
    body: bytes
    samples: int


def timestamp_ms(at: float) -> int:
    return math.floor(at * 1000)


def rows_of(metrics: Iterable[Metric]) -> list[Rows]:
    """The rows of collected families: the agent's own as they are, others sample by sample."""
    rows: list[Rows] = []
    for metric in metrics:
        if isinstance(metric, Family):
            rows.append(Rows(metric.name, metric.row_labels, metric.row_values))
            continue
        by_name: dict[str, list[tuple[Pairs, float]]] = {}
        for sample in metric.samples:
            pairs = tuple(sorted(sample.labels.items()))
            by_name.setdefault(sample.name, []).append((pairs, sample.value))
        rows += [rows_of_pairs(name, series) for name, series in by_name.items()]
    return rows


@dataclass(frozen=True, slots=True)
class Taken:
    """Series taken at one instant, not yet encoded (taken on the event loop, where the
    state they read is consistent; encoded on the spool's thread)."""

    at: float  # unix seconds: every sample's timestamp
    metrics: list[Metric]


def of_poll(snapshot: DeviceSnapshot, counters: DeviceCounters) -> Taken:
    """One poll: what /metrics shows for the device after it, at the poll's start time (the
    instant a scrape of it would carry)."""
    return Taken(snapshot.started, list(device_families(snapshot, counters)))


def of_probe(job: ProbeJob, at: float) -> Taken:
    """One probe run, completed at ``at``."""
    return Taken(at, list(job_families(job)))


def of_agent(
    registry: AgentRegistry,
    links: Iterable[LinkEndpoint],
    reload: ReloadStatus | None,
    at: float,
) -> Taken:
    """The agent's own series at ``at``: everything on /metrics but polls and probes."""
    metrics: list[Metric] = [*agent_families(list(links), reload)]
    metrics += registry.collect_without(PER_RUN)
    return Taken(at, metrics)


class BlockMaker:
    """Encodes taken series into blocks for one agent (its id, and its site where a series
    has none, go on every series)."""

    def __init__(self, agent: str, site: str) -> None:
        self.agent, self.site = agent, site
        self.encoder = SeriesEncoder(agent, site)

    def block(self, taken: Taken) -> Block:
        body, samples = self.encoder.encode(rows_of(taken.metrics), timestamp_ms(taken.at))
        return Block(taken.at, body, samples)
