"""The collector's own view of its latency: ``netwarden_collector_request_duration_seconds``
scraped before and after the load, so the report can tell the time spent inside the app (from
the ASGI call to the last byte handed to uvicorn) from what the agents measured (which adds
TLS, HTTP parsing, both event loops' queues and the network)."""

from __future__ import annotations

import math

from prometheus_client.parser import text_string_to_metric_families

FAMILY = "netwarden_collector_request_duration_seconds"
ROUTES = {  # the load generator's route names -> (route template, method) on the collector
    "heartbeat": ("/api/v1/agents/{agent_id}/heartbeat", "POST"),
    "assignment": ("/api/v1/agents/{agent_id}/assignment", "GET"),
    "results": ("/api/v1/agents/{agent_id}/results", "POST"),
    "jobs (long-poll)": ("/api/v1/agents/{agent_id}/jobs", "GET"),
}
Buckets = dict[tuple[str, str], dict[float, float]]  # (route, method) -> le -> cumulative count


def parse(text: str) -> Buckets:
    """The cumulative bucket counts of every (route, method) in one /metrics text."""
    found: Buckets = {}
    for family in text_string_to_metric_families(text):
        if family.name != FAMILY:
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                key = (sample.labels["route"], sample.labels["method"])
                found.setdefault(key, {})[float(sample.labels["le"])] = sample.value
    return found


def delta(after: Buckets, before: Buckets) -> Buckets:
    """Buckets of what happened between two scrapes."""
    return {
        key: {le: n - before.get(key, {}).get(le, 0.0) for le, n in les.items()}
        for key, les in after.items()
    }


def upper_bound(buckets: dict[float, float], q: float) -> float | None:
    """The smallest bucket bound holding the ``q`` quantile (0..1); None without requests,
    ``inf`` when it lies beyond the last finite bound."""
    if not buckets:
        return None
    total = buckets.get(math.inf, max(buckets.values()))
    if total <= 0:
        return None
    for le in sorted(buckets):
        if buckets[le] >= q * total:
            return le
    return math.inf


def server_quantiles(diff: Buckets, route: str) -> tuple[float | None, float | None]:
    """(p50, p99) upper bounds in seconds for one of the load generator's routes."""
    key = ROUTES.get(route)
    if key is None or key not in diff:
        return None, None
    return upper_bound(diff[key], 0.50), upper_bound(diff[key], 0.99)
