"""The probe families (see ``names.PROBES``) from the latest result of every probe job."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import CollectorRegistry

from netwarden.agent.metrics.family import Family, encode_labels, extend_labels
from netwarden.agent.metrics.names import BY_NAME, PROBES
from netwarden.agent.probes.plan import ProbeJob


class ProbeCollector:
    """Yields ``netwarden_probe_*`` families; ``jobs()`` returns the agent's probe jobs."""

    def __init__(
        self, jobs: Callable[[], Sequence[ProbeJob]], *, registry: CollectorRegistry | None = None
    ) -> None:
        self._jobs = jobs
        if registry is not None:
            registry.register(self)

    def describe(self) -> Iterable[Metric]:
        return [Family(spec.name, spec.help, spec.type) for spec in PROBES]

    def collect(self) -> Iterable[Metric]:
        families = {spec.name: Family(spec.name, spec.help, spec.type) for spec in PROBES}
        for job in self._jobs():
            _add_job(families, job)
        return [family for family in families.values() if family.row_values]


def job_families(job: ProbeJob) -> list[Family]:
    """The series of one probe job, as /metrics shows them after its latest run."""
    families = {spec.name: Family(spec.name, spec.help, spec.type) for spec in PROBES}
    _add_job(families, job)
    return [family for family in families.values() if family.row_values]


def _add_job(families: dict[str, Family], job: ProbeJob) -> None:
    labels = encode_labels(job.labels.pairs())
    failures = families["netwarden_probe_failures_total"]
    for reason, count in sorted(job.failures.items()):
        failures.add(extend_labels(labels, (("reason", reason),)), count)
    result = job.latest
    if result is None:
        return
    families["netwarden_probe_success"].add(labels, int(result.success))
    families["netwarden_probe_duration_seconds"].add(labels, result.duration)
    for name, value in result.values.items():
        if name in families:
            families[name].add(labels, value)
    for name, by_label in result.labelled.items():
        spec = BY_NAME.get(name)
        if spec is None or name not in families:
            continue
        extra = spec.labels[-1]  # e.g. "stat" or "phase"
        for label, value in by_label.items():
            families[name].add(extend_labels(labels, ((extra, label),)), value)
