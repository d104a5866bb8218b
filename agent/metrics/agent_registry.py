"""The agent's /metrics registry: every collector over the running agent (or one `poll`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from prometheus_client import CollectorRegistry

from netwarden.agent.metrics import ReloadStatus, SnapshotCollector, iter_render, render
from netwarden.agent.metrics.config_metrics import ConfigCollector
from netwarden.agent.metrics.probe_metrics import ProbeCollector
from netwarden.agent.metrics.ssh_metrics import SshCollector
from netwarden.agent.polling.fleet import LinkEnd
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceSnapshot
from netwarden.agent.runtime import AgentRuntime


def renderer(runtime: AgentRuntime) -> Callable[[], Iterator[bytes]]:
    """A streaming /metrics renderer over the runtime's latest polls, on its own registry."""
    registry = agent_registry(runtime)
    return lambda: iter_render(registry)


def agent_registry(runtime: AgentRuntime) -> CollectorRegistry:
    """A registry of every collector over ``runtime`` (others may add theirs to it)."""
    registry = CollectorRegistry(auto_describe=True)
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
