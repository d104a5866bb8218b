"""The fleet sync's metric families: names by convention, documented, rendered from state."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from netwarden.agent.metrics import render
from netwarden.agent.metrics.names import SYNC
from netwarden.agent.metrics.sync_metrics import SyncCollector
from netwarden.agent.sync.disk_queue import QueueStats
from netwarden.agent.sync.status import SyncStatus

DOCS = Path(__file__).parents[4] / "docs" / "metrics.md"
CONTRACT = {
    "netwarden_agent_collector_up": ("gauge", ()),
    "netwarden_agent_collector_last_contact_timestamp_seconds": ("gauge", ()),
    "netwarden_agent_queue_depth": ("gauge", ()),
    "netwarden_agent_queue_bytes": ("gauge", ()),
    "netwarden_agent_queue_oldest_age_seconds": ("gauge", ()),
    "netwarden_agent_queue_dropped_total": ("counter", ("reason",)),
    "netwarden_agent_results_sent_total": ("counter", ()),
    "netwarden_agent_assignment_updates_total": ("counter", ()),
}


def test_the_names_are_the_tasks_and_follow_conventions() -> None:
    assert {spec.name: (spec.type, spec.labels) for spec in SYNC} == CONTRACT
    for spec in SYNC:
        assert re.fullmatch(r"netwarden_agent(_[a-z0-9]+)+", spec.name)
        assert spec.name.endswith("_total") == (spec.type == "counter")
        assert spec.help.endswith(".")


def test_every_family_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for spec in SYNC:
        assert f"`{spec.name}`" in text, spec.name


def _page(status: SyncStatus, queue: QueueStats) -> dict[str, dict[tuple[str, ...], float]]:
    registry = CollectorRegistry(auto_describe=True)
    SyncCollector(lambda: status, lambda: queue, registry=registry)
    out: dict[str, dict[tuple[str, ...], float]] = {}
    for family in text_string_to_metric_families(render(registry).decode()):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sample.labels.values())] = sample.value
    return out


def test_values_come_from_the_status_and_the_queue() -> None:
    status = SyncStatus("agent-a", collector_up=True, last_contact=1.7e9, results_sent=42,
                        assignment_updates=3)  # fmt: skip
    queue = QueueStats(depth=7, bytes=2048, oldest_age=12.5, dropped={"size": 2, "age": 0,
                                                                      "rejected": 1})  # fmt: skip
    page = _page(status, queue)
    assert page["netwarden_agent_collector_up"] == {(): 1}
    assert page["netwarden_agent_collector_last_contact_timestamp_seconds"] == {(): 1.7e9}
    assert page["netwarden_agent_queue_depth"] == {(): 7}
    assert page["netwarden_agent_queue_bytes"] == {(): 2048}
    assert page["netwarden_agent_queue_oldest_age_seconds"] == {(): 12.5}
    assert page["netwarden_agent_queue_dropped_total"] == {("age",): 0, ("rejected",): 1,
                                                           ("size",): 2}  # fmt: skip
    assert page["netwarden_agent_results_sent_total"] == {(): 42}
    assert page["netwarden_agent_assignment_updates_total"] == {(): 3}


def test_before_any_contact_there_is_no_timestamp_and_drops_start_at_zero() -> None:
    page = _page(SyncStatus("agent-a"), QueueStats(0, 0, 0.0, {}))
    assert "netwarden_agent_collector_last_contact_timestamp_seconds" not in page
    assert page["netwarden_agent_collector_up"] == {(): 0}
    assert page["netwarden_agent_queue_dropped_total"] == {("age",): 0, ("rejected",): 0,
                                                           ("size",): 0}  # fmt: skip
