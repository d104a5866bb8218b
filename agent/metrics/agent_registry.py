"""The agent's /metrics registry: every collector over the running agent (or one `poll`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from netwarden.agent.metrics import ReloadStatus, SnapshotCollector, iter_render, render
from netwarden.agent.metrics.config_metrics import ConfigCollector
from netwarden.agent.metrics.probe_metrics import ProbeCollector
from netwarden.agent.metrics.ssh_metrics import SshCollector
from netwarden.agent.polling.fleet import LinkEnd
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceSnapshot
from netwarden.agent.runtime import AgentRuntime


class AgentRegistry(CollectorRegistry):
    """The /metrics registry, which also lists its collectors: a push sends the series of
    polls and probes as each completes, and everything else from here on an interval."""

    def __init__(self) -> None:
        super().__init__(auto_describe=True)
        self._members: list[Collector] = []

    def register(self, collector: Collector) -> None:
        super().register(collector)
        self._members.append(collector)

    def unregister(self, collector: Collector) -> None:
        super().unregister(collector)
        self._members.remove(collector)

    def collect_without(self, skip: tuple[type, ...]) -> Iterator[Metric]:
        """What every collector but instances of ``skip`` yields, in registration order."""
        for collector in list(self._members):
            if not isinstance(collector, skip):
                yield from collector.collect()


def renderer(runtime: AgentRuntime) -> Callable[[], Iterator[bytes]]:
    """A streaming /metrics renderer over the runtime's latest polls, on its own registry."""
    registry = agent_registry(runtime)
    return lambda: iter_render(registry)


def agent_registry(runtime: AgentRuntime) -> AgentRegistry:
    """A registry of every collector over ``runtime`` (others may add theirs to it)."""
    registry = AgentRegistry()
    SnapshotCollector(
        runtime.snapshots,
        lambda: runtime.links,
        lambda: ReloadStatus(runtime.reload_ok, runtime.reload_time),
        registry=registry,
    )
    ProbeCollector(runtime.probe_jobs, registry=registry)
    SshCollector(runtime.ssh.latest, registry=registry)
    if runtime.backups is not None:
        ConfigCollector(runtime.backups.latest, runtime.backups.store.records, registry=registry)
    return registry


def render_one(snapshot: DeviceSnapshot, ends: Sequence[LinkEnd]) -> str:
    """The exposition of one device's poll, as the agent would serve it."""
    registry = CollectorRegistry(auto_describe=True)
    pair = (snapshot, DeviceCounters(errors={r: 1 for r in snapshot.errors}))
    SnapshotCollector(lambda: [pair], lambda: ends, registry=registry)
    return render(registry).decode()
