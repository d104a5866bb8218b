"""The agent's Prometheus exposition: metric names (``names``), the collectors that build them
from the latest polls (``device_metrics`` and the other ``*_metrics``), the agent's /metrics
registry (``agent_registry``) and the text-format writer (``exposition``).

See ``docs/metrics.md`` for every metric and the choices behind them.
"""

from netwarden.agent.metrics.device_metrics import LinkEndpoint, ReloadStatus, SnapshotCollector
from netwarden.agent.metrics.exposition import CONTENT_TYPE, iter_render, render
from netwarden.agent.metrics.family import (
    Family,
    Labels,
    decode_labels,
    encode_labels,
    extend_labels,
    sample_value,
)
from netwarden.agent.metrics.names import BY_NAME, METRICS, MetricSpec

__all__ = [
    "BY_NAME",
    "CONTENT_TYPE",
    "METRICS",
    "Family",
    "Labels",
    "LinkEndpoint",
    "MetricSpec",
    "ReloadStatus",
    "SnapshotCollector",
    "decode_labels",
    "encode_labels",
    "extend_labels",
    "iter_render",
    "render",
    "sample_value",
]
