"""What the incident routes share: the incident store, evidence files, Alertmanager's silences,
the topology of the current inventory, the retention bound and the intake counters.

``IncidentServices`` is built by ``collector serve`` (and by tests) and handed to
``create_app(..., incidents=...)``; without it the incident routes answer 404.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from netwarden.collector.api.incident_metrics import IntakeMetrics
from netwarden.collector.incidents.evidence import EvidenceFiles
from netwarden.collector.incidents.payload import Webhook
from netwarden.collector.incidents.records import IntakeResult
from netwarden.collector.incidents.retention import DEFAULT, Retention, parse_retention
from netwarden.collector.incidents.silences import SilenceApi
from netwarden.collector.incidents.topology import TopologyCache
from netwarden.collector.store.incident_store import IncidentStore
from netwarden.collector.store.report_store import ReportStore
from netwarden.inventory.model import Inventory
from netwarden.reports.national.config import ReportingConfig

log = logging.getLogger("netwarden.collector.incidents")

PRUNE_ROUNDS = 100  # batches per retention run (500 incidents each): bounded work per hour
ORPHAN_AGE = 3600.0  # an unreferenced evidence file younger than this may be an upload in flight


@dataclass
class IncidentServices:
    """The incident record's parts; every method blocks (the routes run them in threads)."""

    store: IncidentStore
    evidence: EvidenceFiles
    silences: SilenceApi | None = None
    retention: Retention = field(default_factory=lambda: parse_retention(DEFAULT))
    topology: TopologyCache = field(default_factory=TopologyCache)
    metrics: IntakeMetrics | None = None  # set by create_app on the app's registry
    reporting: ReportingConfig = field(default_factory=ReportingConfig)  # --reporting FILE
    reports: ReportStore = field(init=False)

    def __post_init__(self) -> None:
        self.reports = ReportStore(self.store.engine)

    def ingest(self, hook: Webhook, inventory: Inventory, actor: str, now: float) -> IntakeResult:
        """Apply a webhook against the topology of ``inventory``."""
        return self.store.ingest(hook, self.topology.get(inventory), actor, now)

    def prune(self, now: float) -> int:
        """Apply the retention bound: prune closed incidents, delete evidence nobody refers to
        any more; returns how many incidents went."""
        cutoff = self.retention.cutoff(now)
        pruned = 0
        for _ in range(PRUNE_ROUNDS):
            ids, orphans = self.store.prune(cutoff, "collector", now)
            for sha256 in orphans:
                self.evidence.remove(sha256)
            pruned += len(ids)
            if not ids:
                break
        self._sweep(now)
        if pruned:
            log.info("retention %s: pruned %d closed incidents", self.retention, pruned)
        return pruned

    def _sweep(self, now: float) -> None:
        """Delete stored files no evidence row refers to (an upload whose row never committed)."""
        root = self.evidence.root / "sha256"
        if not root.is_dir():
            return
        used = self.store.evidence_shas()
        for path in root.glob("*/*"):
            try:
                old = now - path.stat().st_mtime > ORPHAN_AGE
            except OSError:
                continue
            if path.name not in used and old:
                log.info("evidence file %s has no evidence row: removed", path.name)
                self.evidence.remove(path.name)
