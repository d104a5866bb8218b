"""The config backup families (see ``names.CONFIG``) from the agent's backup jobs and the store.

The success gauge, the change counter and the changed gauge describe the agent's own backups;
the two timestamps come from the store's state file, so a backup an admin ran with
``netwarden config backup`` shows as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import CollectorRegistry

from netwarden.agent.configs.jobs import BackupJob
from netwarden.agent.configs.store import DeviceRecord
from netwarden.agent.metrics.family import Family, encode_labels, extend_labels
from netwarden.agent.metrics.names import CONFIG


class ConfigCollector:
    """Yields ``netwarden_config_*`` families; ``jobs()`` returns the agent's backup jobs and
    ``records()`` the store's per-device record (read on every scrape: a small JSON file)."""

    def __init__(
        self,
        jobs: Callable[[], Sequence[BackupJob]],
        records: Callable[[], Mapping[str, DeviceRecord]],
        *,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._jobs = jobs
        self._records = records
        if registry is not None:
            registry.register(self)

    def describe(self) -> Iterable[Metric]:
        return [Family(spec.name, spec.help, spec.type) for spec in CONFIG]

    def collect(self) -> Iterable[Metric]:
        families = {spec.name: Family(spec.name, spec.help, spec.type) for spec in CONFIG}
        jobs = self._jobs()
        records = self._records() if jobs else {}
        for job in jobs:
            labels = encode_labels((("device", job.device), ("site", job.site), ("role", job.role)))
            # Always exported, from 0: increase() then sees the first change.
            families["netwarden_config_changes_total"].add(labels, job.changes)
            for reason, count in sorted(job.failures.items()):
                families["netwarden_config_backup_failures_total"].add(
                    extend_labels(labels, (("reason", reason),)), count
                )
            if job.latest is not None:
                families["netwarden_config_backup_success"].add(labels, int(job.latest.success))
                families["netwarden_config_changed"].add(labels, int(job.changed))
            record = records.get(job.device)
            if record is not None:
                families["netwarden_config_last_backup_timestamp_seconds"].add(
                    labels, record.last_backup
                )
                families["netwarden_config_last_change_timestamp_seconds"].add(
                    labels, record.last_change
                )
        return [family for family in families.values() if family.row_values]
